import Foundation
import Logging

/// Keeps systemd informed while the daemon runs: a `STATUS=` line every few seconds, and `WATCHDOG=1`
/// every half of `WATCHDOG_USEC`, **gated on health**: each ping is sent only if every worker queue ran
/// the liveness probe queued at the previous ping. A wedged worker means no ping, and systemd restarts
/// the daemon.
// @unchecked: all mutable state is confined to `queue`.
final class ServiceMonitor: @unchecked Sendable {
    static let statusPeriod: Duration = .seconds(2)

    private let notifier: SystemdNotifier
    private let workers: WorkerPool
    private let statistics: DaemonStatistics
    private let logger: Logger
    private let statusLine: @Sendable (_ requestsPerSecond: Double) -> String
    private let queue = DispatchQueue(label: "cardcheckd.monitor")
    private var timers: [DispatchSourceTimer] = []
    private var generation: UInt64 = 0
    private var withholding = false
    private var lastRequests: UInt64 = 0
    private var lastStatusAt = ContinuousClock.now

    init(notifier: SystemdNotifier, workers: WorkerPool, statistics: DaemonStatistics, logger: Logger,
         statusLine: @escaping @Sendable (Double) -> String) {
        self.notifier = notifier
        self.workers = workers
        self.statistics = statistics
        self.logger = logger
        self.statusLine = statusLine
    }

    func start() {
        queue.sync {
            if let interval = notifier.watchdogInterval {
                logger.info("watchdog on", metadata: ["interval_ms": "\(interval.components.seconds * 1_000 + interval.components.attoseconds / 1_000_000_000_000_000)"])
                timers.append(repeating(every: interval / 2) { [unowned self] in self.watchdogTick() })
            }
            if notifier.isActive {
                timers.append(repeating(every: ServiceMonitor.statusPeriod) { [unowned self] in self.statusTick() })
            }
        }
    }

    func stop() {
        queue.sync {
            timers.forEach { $0.cancel() }
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
        let stuck = generation == 0 ? [] : workers.unanswered(generation)
        if stuck.isEmpty {
            notifier.watchdogPing()
            if withholding {
                logger.notice("all worker queues answer again; watchdog pings resume")
                withholding = false
            }
        } else if !withholding {
            logger.error("worker queues \(stuck) did not answer their liveness probe: withholding watchdog pings")
            withholding = true
        }
        generation += 1
        workers.probe(generation)
    }

    private func statusTick() {
        let requests = statistics.requestsAnswered.load(ordering: .relaxed)
        let now = ContinuousClock.now
        let elapsed = now - lastStatusAt
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(requests &- lastRequests) / seconds : 0
        lastRequests = requests
        lastStatusAt = now
        notifier.status(statusLine(rate))
    }
}

/// A test-only fault: with `CARDCHECKD_TESTING_WEDGE_WORKER_AFTER` set (seconds), worker queue 0 blocks
/// for good after that long, so tests can prove that the watchdog stops pinging. Off unless set.
enum TestingFaults {
    static let wedgeVariable = "CARDCHECKD_TESTING_WEDGE_WORKER_AFTER"

    static func arm(_ workers: WorkerPool, logger: Logger) {
        guard let text = ProcessInfo.processInfo.environment[wedgeVariable], let seconds = Double(text) else { return }
        logger.warning("TESTING: worker queue 0 will wedge after \(seconds) s (\(wedgeVariable) is set)")
        workers.queues[0].asyncAfter(deadline: .now() + seconds) {
            while true { sleep(3_600) }
        }
    }
}
