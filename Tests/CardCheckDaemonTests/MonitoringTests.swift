import CardCheckTestSupport
import Foundation
import Testing

/// monitoring/: the alert rules pass promtool's check and unit tests, and every metric the rules and the
/// dashboard name is one the daemon exposes.
@Suite("Monitoring kit")
struct MonitoringTests {
    static let promtool = "/usr/bin/promtool"

    @Test(
        "promtool checks the alert rules and their unit tests fire each alert on its synthetic series",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: promtool),
            "needs promtool (Debian package prometheus)"
        )
    )
    func rules() {
        let folder = RepositoryFile.root.appendingPathComponent("monitoring")
        let check = SystemTool.run(Self.promtool, ["check", "rules", "alerts.yml"], in: folder)
        #expect(check.status == 0 && check.output.contains("7 rules found"), "\(check.output)")
        let test = SystemTool.run(Self.promtool, ["test", "rules", "alerts-test.yml"], in: folder)
        #expect(test.status == 0 && test.output.contains("SUCCESS"), "\(test.output)")
    }

    /// Metric names a text mentions.
    func metricNames(in text: String) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: "cardcheck_[a-z_]+")
        let range = NSRange(text.startIndex..., in: text)
        return Set(pattern.matches(in: text, range: range).map { String(text[Range($0.range, in: text)!]) })
    }

    @Test("the dashboard is valid JSON, and every metric it and the rules name exists in the daemon's exposition")
    func metricsExist() throws {
        let dashboard = try RepositoryFile.text("monitoring/dashboard.json")
        let object = try JSONSerialization.jsonObject(with: Data(dashboard.utf8)) as? [String: Any]
        let panels = try #require(object?["panels"] as? [[String: Any]])
        #expect(panels.count >= 8)
        let daemon = try DaemonProcess()
        let exposition = try BuiltBinary.run("cardcheck", ["stats", "--socket", daemon.socketPath, "--prometheus"])
        #expect(daemon.stop() == 0)
        // Sample lines' names: `name{labels} value` or `name value`.
        let exposed = Set(
            exposition.stdout.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap {
                $0.split(whereSeparator: { $0 == "{" || $0 == " " }).first.map(String.init)
            }
        )
        #expect(exposed.contains("cardcheck_requests_total"), "\(exposition.stdout)")
        let named = metricNames(in: dashboard).union(metricNames(in: try RepositoryFile.text("monitoring/alerts.yml")))
        #expect(named.count >= 12)
        for name in named { #expect(exposed.contains(name), "\(name) is not in the daemon's exposition") }
    }
}
