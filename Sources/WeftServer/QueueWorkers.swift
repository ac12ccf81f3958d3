import Logging
import Prometheus
import ServiceLifecycle
import UnixSignals
import WeftNative
import WeftScheduler
import WeftStore
#if canImport(Glibc)
import Glibc
#endif

/// Workers that execute the queue (`weft serve --workers N`, `weft
/// worker`): `slots` threads, each claiming the best queued run, running it
/// (`RunExecutor.runClaimed`, recorded under the claim), and claiming the
/// next. An idle slot looks again every `pollInterval`, or at once when
/// this process queues a run (`wake`). Runs block (C calls), so the slots
/// are threads of their own, not tasks.
///
/// A `Service`: it runs until graceful shutdown (SIGTERM, SIGINT), then
/// drains — no new claims; the runs in flight finish, or after
/// `drainTimeout` are stopped and given back to the queue (the next claim
/// resumes them from their journal).
public final class QueueWorkers: Service, @unchecked Sendable {
    let executor: RunExecutor
    let slots: Int
    /// `host:pid`; each slot claims as `host:pid#slot`.
    public let name: String
    let maxAttempts: Int
    let drainTimeout: Double
    let pollInterval: Double
    let logger: Logger

    private let lock = ConditionLock()
    private var stopping = false
    private var releasing = false
    private var running = 0
    private var alive = 0
    private var tokens: [Int: CancellationToken] = [:]
    private var wakeups = 0

    init(executor: RunExecutor, slots: Int, maxAttempts: Int, drainTimeout: Double, pollInterval: Double = 0.25,
         logger: Logger) {
        self.executor = executor
        self.slots = slots
        self.maxAttempts = maxAttempts
        self.drainTimeout = drainTimeout
        self.pollInterval = pollInterval
        self.logger = logger
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        name = String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) + ":\(getpid())"
    }

    /// Starts the slots.
    func start() {
        executor.store.watchQueue { [weak self] in self?.wake() }
        for slot in 0..<slots {
            lock.withLock { alive += 1 }
            let ok = POSIXThread.spawn { [self] in
                work(slot)
                lock.withLock {
                    alive -= 1
                    lock.broadcast()
                }
            }
            if !ok {
                logger.error("cannot start queue worker thread \(slot)")
                lock.withLock { alive -= 1 }
            }
        }
    }

    /// The store, as messages name it (a URL without its password).
    public var storeLocation: String { executor.store.location }

    /// A run was queued by this process: an idle slot looks now.
    func wake() {
        lock.withLock {
            wakeups += 1
            lock.broadcast()
        }
    }

    /// Runs being executed now.
    var busy: Int { lock.withLock { running } }

    private func work(_ slot: Int) {
        while true {
            let (stop, seen) = lock.withLock { (stopping, wakeups) }
            if stop { return }
            let claim: ClaimedRun?
            do {
                claim = try executor.store.claim(worker: "\(name)#\(slot)", lease: executor.lease, maxAttempts: maxAttempts)
            } catch {
                logger.error("queue worker \(slot): cannot claim a run: \(error)")
                claim = nil
            }
            guard let claim else {
                lock.withLock {
                    if !stopping && wakeups == seen { lock.wait(nanoseconds: UInt64(pollInterval * 1e9)) }
                }
                continue
            }
            lock.withLock { running += 1 }
            logger.info("run \(claim.run.id): claimed (attempt \(claim.run.attempts), fence \(claim.fence))")
            executor.metrics.queueDepth.set(Double((try? executor.store.queueDepth()) ?? 0))
            let executed = executor.runClaimed(claim, releasing: { [self] in lock.withLock { releasing } }, started: { [self] token in
                lock.withLock { tokens[slot] = token }
            })
            lock.withLock {
                tokens[slot] = nil
                running -= 1
                lock.broadcast()
            }
            if let problem = executed?.storeProblem {
                logger.warning("run \(claim.run.id): \(problem)")
            } else {
                logger.info("run \(claim.run.id): \(executed?.state ?? (try? executor.store.run(claim.run.id))?.state ?? "?")")
            }
        }
    }

    /// Stops claiming; waits up to `drainTimeout` for the runs in flight,
    /// then stops them and gives them back to the queue. Returns when every
    /// slot has ended.
    public func drain() {
        lock.withLock {
            stopping = true
            lock.broadcast()
            let end = MonotonicClock.now() &+ UInt64(max(0, drainTimeout) * 1e9)
            while running > 0 && MonotonicClock.now() < end {
                lock.wait(nanoseconds: min(end &- MonotonicClock.now(), 100_000_000))
            }
            if running > 0 {
                releasing = true
                for token in tokens.values { token.cancel() }
            }
            while alive > 0 { lock.wait(nanoseconds: 100_000_000) }
        }
    }

    /// Workers of a process of their own (`weft worker`): their own store
    /// connection and executor.
    public static func standalone(host: NodeHost, storePath: String, slots: Int, lease: Double, maxAttempts: Int,
                                  drainTimeout: Double, logger: Logger) throws(APIFailure) -> QueueWorkers {
        let store = try WeftServer.openStore(storePath)
        let executor = RunExecutor(host: host, store: store, metrics: ServerMetrics(workers: slots), lease: lease)
        return QueueWorkers(executor: executor, slots: slots, maxAttempts: maxAttempts, drainTimeout: drainTimeout, logger: logger)
    }

    /// Runs the workers alone until SIGTERM or SIGINT, then drains.
    public func runAlone(logger: Logger) async throws {
        let group = ServiceGroup(configuration: .init(services: [.init(service: self)], gracefulShutdownSignals: [.sigterm, .sigint],
                                                      logger: logger))
        try await group.run()
    }

    public func run() async throws {
        start()
        try? await gracefulShutdown()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            POSIXThread.spawn { [self] in
                drain()
                done.resume()
            }
        }
    }
}
