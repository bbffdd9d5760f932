import CProcessControl
import CardCheck
import Foundation

/// Reads the configuration's `brands` and `ranges` files into a ``CardDirectory``: at start, for
/// `--check-config` and on every reload (on the reload queue, never on an event loop). Errors name the file
/// and line.
enum CardDataLoading {
    struct Loaded {
        var directory: CardDirectory
        /// How long reading and compiling took, for the log.
        var seconds: Double
    }

    static func load(_ configuration: Configuration) throws(ConfigurationError) -> Loaded {
        let started = ContinuousClock.now
        func read(_ path: String) throws(ConfigurationError) -> CardDirectory.FileContents? {
            guard !path.isEmpty else { return nil }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigurationError(file: path, message: "cannot read the card data file")
            }
            return (path, [UInt8](data))
        }
        let brandsFile = try read(configuration.brandsFile)
        let rangesFile = try read(configuration.rangesFile)
        do throws(CardDataError) {
            let directory = try CardDirectory.compile(brandsFile: brandsFile, rangesFile: rangesFile)
            let elapsed = ContinuousClock.now - started
            return Loaded(
                directory: directory,
                seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            )
        } catch {
            throw ConfigurationError(file: error.file, line: error.line > 0 ? error.line : nil, message: error.message)
        }
    }

    /// Large tables (a range file's segments, its read buffer) get pages of their own, so that freeing the
    /// ones a reload replaced gives their memory back at once. Called once, before the first load.
    static func useOwnPagesForLargeTables() {
        _ = cardcheck_set_mmap_threshold(1 << 20)
    }

    /// Gives freed heap memory back to the system. Compiling a large range file allocates and frees a few
    /// hundred megabytes on the reload thread's malloc arena, which glibc would otherwise keep resident.
    static func returnFreedMemory() {
        _ = cardcheck_release_free_memory()
    }

    /// One line for `--check-config` and the log.
    static func summary(_ loaded: Loaded) -> String {
        let directory = loaded.directory
        return
            "\(directory.fileRangeCount) ranges from the range file, \(directory.declaredBrandCount) brands declared "
            + "(\(directory.builtInRangeCount) built-in ranges, \(directory.brands.brands.count) brands in all, "
            + "\(directory.segmentCount) segments)"
    }
}
