import Foundation

/// The one thread every reload runs on, in order. A reload allocates and frees hundreds of megabytes when a
/// large range file is loaded; glibc gives each thread its own malloc arena, so reloads that ran on
/// whichever pool thread was free spread their garbage over several arenas and the daemon's memory crept
/// up with every reload. On one thread, a reload reuses the space the previous one freed.
final class ReloadThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [@Sendable () -> Void] = []

    init(name: String) {
        let thread = Thread { [self] in
            while true {
                condition.lock()
                while queue.isEmpty { condition.wait() }
                let work = queue.removeFirst()
                condition.unlock()
                work()
            }
        }
        thread.name = name
        thread.start()
    }

    /// Runs `work` on the thread after what is already queued.
    func async(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        queue.append(work)
        condition.signal()
        condition.unlock()
    }
}
