import ArgumentParser
import CardCheckServer

@main
struct CardCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cardcheck",
        abstract: "Check payment cards: Luhn, brand, expiry, card security code and address verification.",
        discussion: """
            Asks cardcheckd over its Unix socket (--socket), or runs the engine in-process (--local). A card \
            security code given on the command line is visible to other local users through the process list: \
            pipe JSON Lines on standard input for real codes.
            """,
        version: CardCheckRelease.version,
        subcommands: [
            ValidateCommand.self, InterpretCommand.self, CSCCommand.self, CAVVCommand.self, PingCommand.self,
            StatsCommand.self,
            BenchCommand.self,
        ]
    )
}
