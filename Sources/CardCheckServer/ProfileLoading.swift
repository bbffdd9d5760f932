import CardCheck
import Foundation

/// Reads the configuration's `profiles` directory: one `NAME.conf` per merchant profile, each starting from
/// the daemon's policy (its `policy.` and `policy.shifted.` lines) with its own `REASON = action` and
/// `shifted.REASON = action` lines on top. At start, for `--check-config` and on every reload, all or
/// nothing: a bad file keeps the profiles in force, naming the file and line.
enum ProfileLoading {
    struct Loaded {
        var profiles: PolicyProfiles?
        var directory: String
        /// How long reading and parsing took, for the log.
        var seconds: Double
    }

    static func load(_ configuration: Configuration) throws(ConfigurationError) -> Loaded {
        let started = ContinuousClock.now
        let directory = configuration.profilesDirectory
        guard !directory.isEmpty else { return Loaded(profiles: nil, directory: "", seconds: 0) }
        let files = try ProfileDirectory.files(at: directory)
        let profiles: PolicyProfiles
        do throws(PolicyProfileError) {
            profiles = try PolicyProfiles.compile(
                files: files,
                base: configuration.decisions
            )
        } catch {
            throw ConfigurationError(
                file: (directory as NSString).appendingPathComponent(error.file ?? ""),
                line: error.line > 0 ? error.line : nil,
                message: error.message
            )
        }
        let elapsed = ContinuousClock.now - started
        return Loaded(
            profiles: profiles,
            directory: directory,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        )
    }

    /// One line for `--check-config`.
    static func summary(_ loaded: Loaded) -> String {
        guard let profiles = loaded.profiles else { return "none (no profiles directory)" }
        return "\(profiles.count) from \(loaded.directory)"
    }
}

/// A profiles directory's files, as ``PolicyProfiles/compile(files:base:)`` takes them: the daemon's
/// `profiles =` and the command's `--profiles` read them alike.
public enum ProfileDirectory {
    public static func files(at directory: String) throws(ConfigurationError) -> [(name: String, text: String)] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        } catch {
            throw ConfigurationError(file: directory, message: "cannot read the profiles directory")
        }
        var files: [(name: String, text: String)] = []
        for name in names where name.hasSuffix(PolicyProfiles.fileSuffix) && !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
            else {
                throw ConfigurationError(file: path, message: "cannot read the profile as UTF-8 text")
            }
            files.append((name, text))
        }
        return files
    }
}
