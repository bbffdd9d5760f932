import ArgumentParser
import CardCheck
import Foundation

/// `--brands` and `--ranges`: the daemon's card data files, loaded in this process (for `validate --local`,
/// and for `bench` to check the daemon's answers against).
struct CardDataOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Brands beyond the built-in ones, as the daemon's `brands` setting declares them.",
            valueName: "file"
        )
    )
    var brands: String?

    @Option(
        help: ArgumentHelp(
            "Card ranges (BIN and account ranges) with issuer data, as the daemon's `ranges` setting.",
            valueName: "file"
        )
    )
    var ranges: String?

    var isEmpty: Bool { brands == nil && ranges == nil }

    /// The built-in card data extended by the files; errors name the file and line.
    func directory() throws -> CardDirectory {
        func read(_ path: String?) throws -> CardDirectory.FileContents? {
            guard let path else { return nil }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ValidationError("cannot read \(path)")
            }
            return (path, [UInt8](data))
        }
        do {
            return try CardDirectory.compile(brandsFile: try read(brands), rangesFile: try read(ranges))
        } catch let error as CardDataError {
            throw ValidationError("\(error)")
        }
    }
}
