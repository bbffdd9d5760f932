import Foundation
import Logging
import NIOCore

/// Keeps systemd informed while the daemon runs: a `STATUS=` line every few seconds, and `WATCHDOG=1`
/// every half of `WATCHDOG_USEC`, **gated on health**: each ping is sent only if every thread that
/// answers requests (each event loop and each worker queue) ran the liveness probe queued at the
/// previous ping. A wedged loop or worker means no ping, and systemd restarts the daemon.
// @unchecked: all mutable state is confined to `queue`.
final class ServiceMonitor: @unchecked Sendable {
    static let statusPeriod: Duration = .seconds(2)

    private let notifier: SystemdNotifier
    private let probes: LivenessProbes
    private let statistics: DaemonStatistics
    private let logger: Logger
    private let statusLine: @Sendable (_ requestsPerSecond: Double) -> String
    private let queue = DispatchQueue(label: "cardcheckd.monitor")
    private var timers: [DispatchSourceTimer] = []
    private var generation: UInt64 = 0
    private var withholding = false
    private var lastRequests: UInt64 = 0
    private var lastStatusAt = ContinuousClock.now

    init(
        notifier: SystemdNotifier,
        probes: LivenessProbes,
        statistics: DaemonStatistics,
        logger: Logger,
        statusLine: @escaping @Sendable (Double) -> String
    ) {
        self.notifier = notifier
        self.probes = probes
        self.statistics = statistics
        self.logger = logger
        self.statusLine = statusLine
    }

    func start() {
        queue.sync {
            if let interval = notifier.watchdogInterval {
                logger.info(
                    "watchdog on",
                    metadata: [
                        "interval_ms":
                            "\(interval.components.seconds * 1_000 + interval.components.attoseconds / 1_000_000_000_000_000)"
                    ]
                )
                timers.append(repeating(every: interval / 2) { [unowned self] in self.watchdogTick() })
            }
            if notifier.isActive {
                timers.append(repeating(every: ServiceMonitor.statusPeriod) { [unowned self] in self.statusTick() })
            }
        }
    }

    func stop() {
        queue.sync {
            for timer in timers { timer.cancel() }
            timers.removeAll()
        }
    }

    private func repeating(every period: Duration, _ body: @escaping () -> Void) -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        let nanoseconds = Int(period.nanoseconds)
        timer.schedule(deadline: .now(), repeating: .nanoseconds(nanoseconds), leeway: .milliseconds(5))
        timer.setEventHandler(handler: body)
        timer.resume()
        return timer
    }

    private func watchdogTick() {
        let stuck = generation == 0 ? [] : probes.unanswered(generation)
        if stuck.isEmpty {
            notifier.watchdogPing()
            if withholding {
                logger.notice("every event loop and worker queue answers again; watchdog pings resume")
                withholding = false
            }
        } else if !withholding {
            logger.error(
                "threads did not answer their liveness probe: withholding watchdog pings",
                metadata: ["stuck": "\(stuck.joined(separator: ", "))"]
            )
            withholding = true
        }
        generation += 1
        probes.probe(generation)
    }

    private func statusTick() {
        let requests = statistics.requestsAnswered
        let now = ContinuousClock.now
        let elapsed = now - lastStatusAt
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(requests &- lastRequests) / seconds : 0
        lastRequests = requests
        lastStatusAt = now
        notifier.status(statusLine(rate))
    }
}

/// Test-only faults, off unless their variable is set (seconds after start):
/// `CARDCHECKD_TESTING_WEDGE_WORKER_AFTER` blocks worker queue 0 for good, and
/// `CARDCHECKD_TESTING_WEDGE_EVENT_LOOP_AFTER` blocks event loop 0 for good, so that tests can prove the
/// watchdog stops pinging when either kind of thread stops answering.
enum TestingFaults {
    static let wedgeWorkerVariable = "CARDCHECKD_TESTING_WEDGE_WORKER_AFTER"
    static let wedgeEventLoopVariable = "CARDCHECKD_TESTING_WEDGE_EVENT_LOOP_AFTER"

    static func arm(workers: WorkerPool, eventLoops: EventLoopGroup, logger: Logger) {
        let environment = ProcessInfo.processInfo.environment
        if let text = environment[wedgeWorkerVariable], let seconds = Double(text) {
            logger.warning(
                "TESTING: worker queue 0 will wedge",
                metadata: ["after_seconds": "\(seconds)", "variable": "\(wedgeWorkerVariable)"]
            )
            workers.queues[0].asyncAfter(deadline: .now() + seconds) { wedge() }
        }
        if let text = environment[wedgeEventLoopVariable], let seconds = Double(text) {
            logger.warning(
                "TESTING: event loop 0 will wedge",
                metadata: ["after_seconds": "\(seconds)", "variable": "\(wedgeEventLoopVariable)"]
            )
            var loops = eventLoops.makeIterator()
            loops.next()!.scheduleTask(in: TimeAmount.nanoseconds(Int64(seconds * 1e9))) { () -> Void in wedge() }
        }
    }

    private static func wedge() -> Never {
        while true { sleep(3_600) }
    }
}
