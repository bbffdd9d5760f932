import CFuzzDriver
import Foundation

/// `cardcheck-fuzz TARGET [libFuzzer options] [CORPUS…]`, built with
/// `swift build --scratch-path .build-fuzz --product cardcheck-fuzz -Xswiftc -sanitize=fuzzer,address`
/// (see scripts/fuzz). `cardcheck-fuzz seeds DIR` writes the wire vectors' requests as a seed corpus.
nonisolated(unsafe) var selectedTarget = FuzzTarget.frames

@main
enum FuzzMain {
    static func main() {
        let arguments = CommandLine.arguments
        if arguments.count == 4, arguments[1] == "seeds" {
            exit(writeSeeds(vectors: arguments[2], into: arguments[3]))
        }
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
            FileHandle.standardError.write(
                Data(
                    "usage: cardcheck-fuzz frames|requests [libFuzzer options] [corpus…]\n       cardcheck-fuzz seeds VECTORS.json DIR\n"
                        .utf8
                )
            )
            exit(64)
        }
        selectedTarget = target
        // libFuzzer reads its own options; the target name is ours.
        var rest = [arguments[0]] + arguments.dropFirst(2)
        let argv = rest.map { strdup($0) } + [nil]
        var pointers = argv
        let status = pointers.withUnsafeMutableBufferPointer { buffer in
            cardcheck_run_fuzzer(Int32(rest.count), buffer.baseAddress) { data, size in
                selectedTarget.run(UnsafeBufferPointer(start: data, count: size))
                return 0
            }
        }
        rest.removeAll()
        if status == -1 {
            FileHandle.standardError.write(
                Data("cardcheck-fuzz: built without libFuzzer; build it as scripts/fuzz does\n".utf8)
            )
            exit(69)
        }
        exit(status)
    }

    /// Writes each vector's request frame (hex in Protocol/vectors/wire.json) as one seed file.
    static func writeSeeds(vectors: String, into directory: String) -> Int32 {
        guard let data = FileManager.default.contents(atPath: vectors),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let list = json["vectors"] as? [[String: Any]]
        else { return 66 }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (index, vector) in list.enumerated() {
            guard let hex = vector["request"] as? String else { continue }
            var bytes: [UInt8] = []
            var cursor = hex.startIndex
            while cursor < hex.endIndex, let next = hex.index(cursor, offsetBy: 2, limitedBy: hex.endIndex) {
                bytes.append(UInt8(hex[cursor..<next], radix: 16) ?? 0)
                cursor = next
            }
            _ = FileManager.default.createFile(atPath: "\(directory)/vector-\(index)", contents: Data(bytes))
        }
        return 0
    }
}

/// libFuzzer's entry point, which its runtime expects to find even when driven through
/// LLVMFuzzerRunDriver.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    selectedTarget.run(UnsafeBufferPointer(start: data, count: size))
    return 0
}
