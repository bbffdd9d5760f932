import CardCheckTestSupport
import Foundation
import Testing

@testable import CardCheckServer

/// The manual pages in man/ against the code: a page that misses a subcommand, an option or a key fails.
/// scripts/generate-manuals writes them.
@Suite("Manual pages")
struct ManualTests {
    /// Every subcommand name and long option name of a command tree, from swift-argument-parser's own
    /// description of it (`--experimental-dump-help`).
    func names(of tool: String) throws -> (subcommands: Set<String>, options: Set<String>) {
        let run = try BuiltBinary.run(tool, ["--experimental-dump-help"])
        let root = try #require(
            (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])?["command"]
                as? [String: Any]
        )
        var subcommands: Set<String> = []
        var options: Set<String> = []
        func walk(_ command: [String: Any], root: Bool) {
            if !root, let name = command["commandName"] as? String, name != "help" { subcommands.insert(name) }
            for argument in command["arguments"] as? [[String: Any]] ?? [] {
                guard argument["shouldDisplay"] as? Bool != false else { continue }
                for name in argument["names"] as? [[String: Any]] ?? [] where name["kind"] as? String == "long" {
                    if let long = name["name"] as? String, !["help", "version"].contains(long) { options.insert(long) }
                }
            }
            for sub in command["subcommands"] as? [[String: Any]] ?? [] { walk(sub, root: false) }
        }
        walk(root, root: true)
        return (subcommands, options)
    }

    @Test(
        "cardcheck(1) and cardcheckd(8) name every subcommand and option the commands have",
        arguments: [
            ("cardcheck", "man/cardcheck.1", "CARDCHECK 1"), ("cardcheckd", "man/cardcheckd.8", "CARDCHECKD 8"),
        ]
    )
    func commandPages(tool: String, page: String, title: String) throws {
        let text = try RepositoryFile.text(page)
        #expect(text.contains(".Dt \(title)"), "regenerate: scripts/generate-manuals")
        let (subcommands, options) = try names(of: tool)
        #expect(tool == "cardcheckd" || subcommands.isSuperset(of: ["validate", "csc", "cavv", "bench"]))
        for name in subcommands { #expect(text.contains(".It Em \(name)"), "\(page) lacks subcommand \(name)") }
        for name in options {
            #expect(text.contains("Fl -\(name)"), "\(page) lacks --\(name): scripts/generate-manuals")
        }
    }

    @Test("cardcheckd.conf(5) is what the configuration table documents: every key, its default and meaning")
    func configurationPage() throws {
        let text = try RepositoryFile.text("man/cardcheckd.conf.5")
        #expect(text == ConfigurationKey.manualPage, "regenerate: scripts/generate-manuals")
        for key in ConfigurationKey.all { #expect(text.contains("\\fB\(key.name)\\fR = "), "\(key.name)") }
    }

    @Test("bash, zsh and fish completions come from the commands and know their subcommands")
    func completions() throws {
        for shell in ["bash", "zsh", "fish"] {
            let script = try BuiltBinary.run("cardcheck", ["--generate-completion-script", shell])
            #expect(script.status == 0)
            for name in ["validate", "interpret", "csc", "cavv", "bench", "stats"] {
                #expect(script.stdout.contains(name), "\(shell) completion lacks \(name)")
            }
        }
    }
}
