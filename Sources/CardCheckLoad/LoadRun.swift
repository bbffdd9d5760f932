import Atomics
import CardCheck
import CardCheckWire
import Foundation
import Histogram
import NIOCore
import NIOPosix

/// A load run against cardcheckd: opens the connections, spreads them over one event loop per thread,
/// sends the workload closed- or open-loop, and gathers what every loop measured into a report.
public enum LoadRun {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs `options`; `progress` is called about once a second with seconds elapsed and answers so far.
    public static func run(
        _ options: LoadOptions,
        progress: (@Sendable (Double, Int) -> Void)? = nil
    ) throws -> LoadReport {
        let today = YearMonth(unixTime: Int64(Date().timeIntervalSince1970))
        let workload =
            options.server == .redis
            ? Workload.redisPing
            : Workload(mix: options.mix, seed: options.seed, keys: options.keys, cards: options.cards, today: today)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.threads))
        defer { try? group.syncShutdownGracefully() }
        let loops = Array(group.makeIterator())
        // One recorder per loop, used only on that loop.
        let recorders = loops.map { _ in LoopRecorder() }
        let answered = ManagedAtomic<Int>(0)

        /// Opens a channel for a connection whose channel broke, again and again with a growing pause while
        /// the socket refuses (no daemon and no systemd socket unit holding it), on the connection's loop.
        @Sendable func reopen(_ connection: NIOLoopBound<LoadConnection>, on loop: EventLoop, pause: TimeAmount) {
            ClientBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(connection.value)
                    }
                }
                .connect(unixDomainSocketPath: options.socketPath)
                .whenFailure { _ in
                    let next = min(max(pause * 2, .milliseconds(5)), .milliseconds(200))
                    loop.scheduleTask(in: pause) { reopen(connection, on: loop, pause: next) }
                }
        }

        // Connect in small waves, and again after a pause when the listen backlog is full (EAGAIN):
        // a Unix socket's backlog is finite, and a thousand connections arrive faster than one accept loop.
        func connect(_ number: Int) -> EventLoopFuture<(Channel, EventLoopFuture<Void>)> {
            let slot = number % loops.count
            let loop = loops[slot]
            let recorder = recorders[slot]
            let promise = loop.makePromise(of: Void.self)
            let first =
                Int(truncatingIfNeeded: options.seed &* 2_654_435_761 &+ UInt64(number) &* 40_503)
                & (workload.templates.count - 1)
            return ClientBootstrap(group: loop)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler = LoadConnection(
                            templates: workload.templates,
                            recorder: recorder,
                            answeredTotal: answered,
                            checkAnswers: options.checkAnswers,
                            firstTemplate: first,
                            pipeline: options.pipeline,
                            ordered: options.server == .redis,
                            reopen: options.reconnect
                                ? { reopen(NIOLoopBound($0, eventLoop: loop), on: loop, pause: .zero) } : nil,
                            finished: promise
                        )
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(unixDomainSocketPath: options.socketPath)
                .map { ($0, promise.futureResult) }
                .flatMapError { error in
                    promise.succeed(())  // nobody waits for it: the attempt left nothing behind
                    return loop.makeFailedFuture(error)
                }
        }
        var channels: [Channel] = []
        var finished: [EventLoopFuture<Void>] = []
        var waveStart = 0
        while waveStart < options.connections {
            let numbers = Array(waveStart..<min(options.connections, waveStart + 32))
            var attempts = numbers.map { ($0, connect($0)) }
            var tries = 0
            while !attempts.isEmpty {
                var again: [Int] = []
                for (number, attempt) in attempts {
                    do {
                        let (channel, done) = try attempt.wait()
                        channels.append(channel)
                        finished.append(done)
                    } catch let error as IOError where error.errnoCode == EAGAIN && tries < 100 {
                        again.append(number)
                    } catch {
                        for channel in channels { channel.close(promise: nil) }
                        throw Failure(description: "cannot connect to \(options.socketPath): \(error)")
                    }
                }
                if !again.isEmpty { usleep(20_000) }
                tries += 1
                attempts = again.map { ($0, connect($0)) }
            }
            waveStart += 32
        }

        // Start every connection at one instant.
        let begin = RunSchedule.now + 20_000_000
        let perConnectionRate: Double? = {
            if case .constant(let total) = options.pace { return total / Double(options.connections) }
            return nil
        }()
        for (index, loop) in loops.enumerated() {
            let recorder = recorders[index]
            let connections = options.connections
            let pipeline = options.pipeline
            try loop.submit {
                for (position, connection) in recorder.connections.enumerated() {
                    let number = position * loops.count + index
                    var schedule = RunSchedule(
                        start: begin,
                        warmupEnd: begin + UInt64(options.warmupSeconds * 1e9),
                        end: .max,
                        budget: nil,
                        interval: nil,
                        pipeline: pipeline
                    )
                    switch options.length {
                    case .seconds(let seconds): schedule.end = schedule.warmupEnd + UInt64(seconds * 1e9)
                    case .requests(let count):
                        schedule.budget = count / connections + (number < count % connections ? 1 : 0)
                    }
                    if let rate = perConnectionRate {
                        schedule.interval = max(1, UInt64(1e9 / rate))
                        // Spread the connections' sends over one interval.
                        schedule.start = begin + schedule.interval! * UInt64(number) / UInt64(connections)
                    }
                    let start = schedule
                    let bound = NIOLoopBound(connection, eventLoop: loop)
                    loop.scheduleTask(deadline: NIODeadline.uptimeNanoseconds(begin)) { bound.value.begin(start) }
                }
                if perConnectionRate != nil {
                    // The ticker's lateness counts as latency (it is when requests really leave), so it ticks
                    // often: a quarter of a connection's interval, between 50 µs and 1 ms.
                    let tick = TimeAmount.microseconds(Int64(max(50, min(1_000, (1e6 / perConnectionRate!) / 4))))
                    loop.scheduleRepeatedTask(initialDelay: .nanoseconds(Int64(begin - RunSchedule.now)), delay: tick) {
                        task in
                        if recorder.connections.isEmpty { task.cancel() }
                        for connection in recorder.connections { connection.tick() }
                    }
                }
            }.wait()
        }

        // Wait for the end, reporting progress.
        let startedAt = Date()
        let everyone = EventLoopFuture.andAllComplete(finished, on: loops[0])
        let stopAt: Date? = {
            if case .seconds(let seconds) = options.length {
                return startedAt.addingTimeInterval(options.warmupSeconds + seconds + 0.02)
            }
            return nil
        }()
        while true {
            let done = DispatchSemaphore(value: 0)
            everyone.whenComplete { _ in done.signal() }
            let wait = min(1.0, stopAt.map { max(0.01, $0.timeIntervalSinceNow + options.drainSeconds) } ?? 1.0)
            if done.wait(timeout: .now() + wait) == .success { break }
            progress?(Date().timeIntervalSince(startedAt), answered.load(ordering: .relaxed))
            if let stopAt, Date() > stopAt.addingTimeInterval(options.drainSeconds) {
                // Answers still missing after the drain time: they time out.
                for (index, loop) in loops.enumerated() {
                    let recorder = recorders[index]
                    try? loop.submit { for connection in recorder.connections { connection.abandon() } }.wait()
                }
                break
            }
        }
        let endedAt = Date()
        for channel in channels { try? channel.close().wait() }
        // Reopened connections are on channels of their own.
        for (index, loop) in loops.enumerated() {
            let recorder = recorders[index]
            try? loop.submit { for connection in recorder.connections { connection.close() } }.wait()
        }

        var snapshots: [LoopRecorder.Snapshot] = []
        for (index, loop) in loops.enumerated() {
            let recorder = recorders[index]
            snapshots.append(
                try loop.submit { () -> LoopRecorder.Snapshot in
                    recorder.connections.removeAll()
                    return recorder.snapshot
                }.wait()
            )
        }
        let measuredSeconds: Double = {
            switch options.length {
            case .seconds(let seconds): return seconds
            case .requests: return max(1e-9, endedAt.timeIntervalSince(startedAt) - options.warmupSeconds)
            }
        }()
        return LoadReport(options: options, snapshots: snapshots, measuredSeconds: measuredSeconds)
    }
}
