import Foundation

/// SIGTERM, SIGINT and SIGHUP, taken the textbook way for a threaded daemon: blocked in the main thread
/// before any other thread exists (every thread inherits the mask), then received by one thread of our
/// own with `sigwait`. No handler and no disposition to race with: a signal sent at any moment, even
/// during start-up, stays pending until that thread takes it.
///
/// (Dispatch signal sources install a handler on a background thread some time after `resume()`; with
/// a `SIG_IGN` set meanwhile, whichever came last won, and a SIGTERM could be ignored for good.)
enum ProcessSignals {
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    private static var set: sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        return set
    }

    /// Call first thing in `main`, before anything starts a thread.
    ///
    /// A disposition inherited as `SIG_IGN` (a daemon started under `nohup` ignores SIGHUP) would make
    /// the kernel discard the signal before `sigwait` could take it: reloads would be lost for good. So
    /// each is reset to `SIG_DFL`, which never acts while the signal is blocked everywhere.
    static func block() {
        var signals = set
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        for signal in handled { Glibc.signal(signal, SIG_DFL) }
    }

    /// Starts the thread that takes the blocked signals and hands each to `handler` (on that thread).
    static func receive(_ handler: @escaping @Sendable (Int32) -> Void) {
        let thread = Thread {
            var signals = set
            pthread_sigmask(SIG_BLOCK, &signals, nil)  // Foundation's threads start with an empty mask
            while true {
                var received: Int32 = 0
                guard sigwait(&signals, &received) == 0 else { continue }
                handler(received)
            }
        }
        thread.name = "cardcheckd-signals"
        thread.start()
    }
}
