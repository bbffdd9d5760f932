import CardCheckTestSupport
import Foundation
import Testing

/// The Debian package (`make deb`) as ops install it: into a private systemd's copy of this machine (no
/// file of the host changes), with dpkg, its maintainer scripts setting up the user, the directories and
/// the socket unit. scripts/test builds the package with scripts/build-deb and names it in CARDCHECK_DEB.
private let builtPackage = ProcessInfo.processInfo.environment["CARDCHECK_DEB"].map { URL(fileURLWithPath: $0) }

@Suite(
    "the Debian package",
    .serialized,
    .enabled(
        if: PrivateSystemd.unsupportedReason == nil && builtPackage != nil,
        Comment(
            rawValue: "skipped: "
                + (PrivateSystemd.unsupportedReason
                    ?? "no package: scripts/test builds one with scripts/build-deb and sets CARDCHECK_DEB")
        )
    )
)
struct DebianPackageTests {
    static let socket = "/run/cardcheck/cardcheck.sock"

    @Test("lintian reports no error")
    func lintian() throws {
        let package = try #require(builtPackage)
        let lintian = SystemTool.run("/usr/bin/lintian", ["--tag-display-limit", "0", package.path])
        let errors = lintian.output.split(separator: "\n").filter { $0.hasPrefix("E:") }
        #expect(errors.isEmpty, "\(lintian.output)")
        // lintian ran and read the package (a missing tool must not pass for a clean report).
        #expect(lintian.status == 0 || !errors.isEmpty, "\(lintian.output)")
        let fields = SystemTool.run("/usr/bin/dpkg-deb", ["--field", package.path, "Depends"]).output
        for library in ["libc6", "libssl3", "libsystemd0"] {
            #expect(fields.contains(library), "Depends: \(fields)")
        }
        // The Swift runtime is inside the binaries: no libswift*.so is needed.
        #expect(!fields.contains("swift"), "Depends: \(fields)")
    }

    @Test(
        "dpkg -i sets up the user and the socket unit, which answers; remove stops it; purge removes its configuration"
    )
    func installRemovePurge() throws {
        let package: URL = try #require(builtPackage)
        let system = try PrivateSystemd(package: package)
        defer { system.shutdown() }
        // This machine forbids service starts from package scripts (a container's policy-rc.d, exit 101);
        // a server does not. Inside the namespaces only.
        _ = system.inside(["rm", "-f", "/usr/sbin/policy-rc.d"])

        let install = system.inside(["dpkg", "-i", PrivateSystemd.packagePath], timeout: 120)
        #expect(install.status == 0, "\(install.output)")
        #expect(system.systemctl("is-enabled", "cardcheckd.socket").output.hasPrefix("enabled"))
        #expect(system.property("cardcheckd.socket", "ActiveState") == "active")
        #expect(system.inside(["getent", "passwd", "cardcheck"]).status == 0)
        #expect(system.inside(["stat", "-c", "%a %G", Self.socket]).output.hasPrefix("660 cardcheck"))

        // Socket activation through the installed command, then an answer of the engine.
        let ping = system.inside(["/usr/bin/cardcheck", "ping", "--socket", Self.socket], timeout: 30)
        #expect(ping.status == 0 && ping.output.contains("PONG"), "\(ping.output)\n\(system.journal("cardcheckd"))")
        #expect(system.property("cardcheckd.service", "ActiveState") == "active")
        let answer = system.inside(
            ["/usr/bin/cardcheck", "validate", "--pan", "5555555555554444", "--json", "--socket", Self.socket],
            timeout: 30
        )
        #expect(answer.output.contains(#""brand":"mastercard""#), "\(answer.output)")
        let check = system.inside([
            "/usr/bin/cardcheckd", "--check-config", "--config", "/etc/cardcheck/cardcheckd.conf",
        ])
        #expect(check.status == 0, "\(check.output)")
        for file in [
            "/usr/share/man/man8/cardcheckd.8.gz", "/usr/share/man/man5/cardcheckd.conf.5.gz",
            "/usr/share/man/man1/cardcheck.1.gz", "/usr/share/bash-completion/completions/cardcheck",
            "/usr/share/zsh/vendor-completions/_cardcheck", "/usr/share/fish/vendor_completions.d/cardcheck.fish",
            "/lib/systemd/system/cardcheck-metrics.timer",
        ] {
            #expect(system.inside(["test", "-s", file]).status == 0, "\(file) missing")
        }
        #expect(
            system.inside(["dpkg-query", "-W", "-f", "${Conffiles}", "cardcheck"]).output.contains(
                "/etc/cardcheck/cardcheckd.conf"
            )
        )

        // Remove: stopped, binaries gone, the configuration (a conffile) kept.
        let remove = system.inside(["dpkg", "-r", "cardcheck"], timeout: 120)
        #expect(remove.status == 0, "\(remove.output)")
        #expect(system.property("cardcheckd.service", "ActiveState") != "active")
        #expect(system.property("cardcheckd.socket", "ActiveState") != "active")
        #expect(system.inside(["test", "-e", "/usr/bin/cardcheckd"]).status != 0)
        #expect(system.inside(["test", "-e", Self.socket]).status != 0)
        #expect(system.inside(["test", "-e", "/etc/cardcheck/cardcheckd.conf"]).status == 0)

        // Purge: the configuration directory goes too.
        let purge = system.inside(["dpkg", "-P", "cardcheck"], timeout: 120)
        #expect(purge.status == 0, "\(purge.output)")
        #expect(system.inside(["test", "-e", "/etc/cardcheck"]).status != 0)
        #expect(system.inside(["dpkg-query", "-W", "cardcheck"]).status != 0)
    }
}
