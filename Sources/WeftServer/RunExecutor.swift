import WeftCore
import WeftNative
import WeftScheduler
import WeftStore

/// How a run the server executed ended, as the API reports it.
struct ExecutedRun: Sendable {
    var result: RunResult
    /// Stopped by its timeout (reported as failed).
    var timedOut: Bool
    var timeout: Double?
    /// The id, for a recorded run.
    var id: Int64?
    /// The state written to the store, for a recorded run.
    var state: String?
    /// What went wrong with the recording (the store refused a write, the
    /// lease went to another worker), for the worker's log.
    var storeProblem: String?

    /// `succeeded`, `failed`, `cancelled` (a timeout is a failure).
    var stateName: String {
        if let state { return state }
        if timedOut { return "failed" }
        return result.outcome.name
    }

    var error: (message: String, node: String?)? {
        if timedOut { return (Self.timeoutMessage(timeout ?? 0), nil) }
        if case .failed(let m, let n) = result.outcome { return (m, n) }
        if result.outcome == .cancelled { return ("the run was cancelled", nil) }
        return nil
    }

    static func timeoutMessage(_ seconds: Double) -> String {
        "timed out after \(Complexity.format(seconds)) s (the request's \"timeout\", or the server's --immediate-timeout "
            + "for immediate runs); give a longer timeout, or queue the run"
    }
}

/// Runs graphs for the server, one call path for both kinds: an immediate
/// run in the request (`run`), and a queued run a worker claimed
/// (`runClaimed`, recorded in the store). Blocking: call it off the
/// async executors (`NIOThreadPool` for requests, worker threads for the
/// queue).
final class RunExecutor: Sendable {
    let host: NodeHost
    let store: any RunJournal
    let metrics: ServerMetrics
    let lease: Double

    init(host: NodeHost, store: any RunJournal, metrics: ServerMetrics, lease: Double) {
        self.host = host
        self.store = store
        self.metrics = metrics
        self.lease = lease
    }

    /// Runs `graph` with `inputs` now. With `record`, the run is recorded
    /// in the store (and its id returned).
    func run(_ graph: PreparedGraph, inputs: [String: WeftValue], mode: RunMode, timeout: Double,
             record: Bool) throws(APIFailure) -> ExecutedRun {
        var recording: RecordedRun?
        if record {
            do {
                recording = try RecordedRun(store: store, graphText: graph.text, graphPath: nil, inputs: inputs, mode: mode.rawValue,
                                            startedBy: ["server": "immediate"], resume: nil, checkpointing: true)
            } catch {
                throw APIFailure(503, "the run store could not record the run: \(error)")
            }
        }
        return try execute(graph, inputs: inputs, mode: mode, timeout: timeout, recording: recording, releasing: nil)
    }

    /// Executes a queued run this worker claimed, recorded under the claim.
    /// `releasing` tells, once the run stopped, whether it was stopped to
    /// be given back to the queue (a worker that drains).
    @discardableResult
    func runClaimed(_ claim: ClaimedRun, releasing: @escaping @Sendable () -> Bool,
                    started: (@Sendable (CancellationToken) -> Void)? = nil) -> ExecutedRun? {
        let id = claim.run.id
        guard let text = try? store.graph(claim.run.graphHash) else {
            failClaimed(claim, "the run's graph \(claim.run.graphHash) is not in the store")
            return nil
        }
        let graph: PreparedGraph
        let inputs: [String: WeftValue]
        do throws(APIFailure) {
            graph = try host.prepare(text)
            inputs = try NodeHost.inputs(try? JSON.parse(claim.run.inputs), for: graph.plan)
        } catch {
            failClaimed(claim, "run \(id) cannot run on this worker: \(error.message)"
                            + error.diagnostics.map { "\n\($0)" }.joined())
            return nil
        }
        let recording: RecordedRun
        do {
            recording = try RecordedRun(store: store, claimed: claim, graphText: text,
                                        checkpointing: graph.traits.sources.isEmpty, lease: lease)
        } catch {
            failClaimed(claim, "the run store could not take up run \(id): \(error)")
            return nil
        }
        return try? execute(graph, inputs: inputs, mode: RunMode(rawValue: claim.run.mode) ?? .sequential,
                         timeout: claim.run.timeout ?? 0, recording: recording, releasing: releasing, started: started)
    }

    private func failClaimed(_ claim: ClaimedRun, _ message: String) {
        store.fence(claim.run.id, token: claim.fence)
        defer { store.fence(claim.run.id, token: nil) }
        try? store.finish(claim.run.id, state: "failed", steps: 0, outputs: .object([]), error: message, errorNode: nil)
    }

    /// The one path: a compiled copy, the recording (if any), the
    /// timeout, the run.
    private func execute(_ graph: PreparedGraph, inputs: [String: WeftValue], mode: RunMode, timeout: Double,
                         recording: RecordedRun?, releasing: (@Sendable () -> Bool)?,
                         started: (@Sendable (CancellationToken) -> Void)? = nil) throws(APIFailure) -> ExecutedRun {
        let compiled: CompiledGraph
        do {
            compiled = try graph.checkOut(host.registry)
        } catch {
            recording?.refused(error.message)
            throw error
        }
        defer { graph.checkIn(compiled) }
        let token = CancellationToken()
        var options = RunOptions(mode: mode)
        if let recording {
            options.observers.append(NodeDurationObserver(metrics.nodeDurations))
            recording.attach(to: &options) { token.cancel() }
        }
        let deadline = timeout > 0 ? Deadline.shared.add(seconds: timeout, token) : nil
        started?(token)
        let result: RunResult
        do {
            result = try Scheduler.run(compiled, inputs: inputs, options: options, cancellation: token)
        } catch {
            if let deadline { _ = Deadline.shared.remove(deadline) }
            recording?.refused("\(error)")
            throw APIFailure(422, "\(error)")
        }
        let timedOut = deadline.map { Deadline.shared.remove($0) } ?? false
        var executed = ExecutedRun(result: result, timedOut: timedOut && result.outcome == .cancelled, timeout: timeout, id: recording?.id)
        guard let recording else { return executed }
        if recording.leaseLost {
            // Another worker has the run: write nothing more of it.
            recording.abandon()
            executed.state = "lost"
            executed.storeProblem = "its lease went to another worker (it was claimed by another worker); "
                + "this worker stopped it and wrote nothing more of it"
            return executed
        }
        if result.outcome == .cancelled, releasing?() == true, let claim = recording.claim {
            // A draining worker gives the run back; the next claim resumes it.
            recording.abandon()
            _ = try? store.requeue(claim.run.id, fence: claim.fence)
            executed.state = "queued"
            return executed
        }
        var recorded = result
        if executed.timedOut { recorded.outcome = .failed(message: ExecutedRun.timeoutMessage(timeout), node: nil) }
        let (state, problem) = recording.finish(recorded)
        executed.state = state
        executed.storeProblem = problem
        return executed
    }
}

/// Timeouts of the server's runs: one thread that cancels each run's token
/// when its time is up.
final class Deadline: @unchecked Sendable {
    static let shared = Deadline()

    private let lock = ConditionLock()
    private var entries: [Int: (at: UInt64, token: CancellationToken)] = [:]
    private var fired: Set<Int> = []
    private var next = 0
    private var started = false

    /// Cancels `token` after `seconds`; a handle for `remove`.
    func add(seconds: Double, _ token: CancellationToken) -> Int {
        lock.withLock {
            next += 1
            entries[next] = (MonotonicClock.now() &+ UInt64(min(seconds, 1e9) * 1e9), token)
            if !started {
                started = true
                POSIXThread.spawn { [self] in loop() }
            }
            lock.broadcast()
            return next
        }
    }

    /// Forgets a deadline; whether it had fired.
    func remove(_ handle: Int) -> Bool {
        lock.withLock {
            entries[handle] = nil
            return fired.remove(handle) != nil
        }
    }

    private func loop() {
        lock.lock()
        while true {
            let now = MonotonicClock.now()
            var soonest = UInt64.max
            for (handle, e) in entries {
                if e.at <= now {
                    e.token.cancel()
                    fired.insert(handle)
                    entries[handle] = nil
                } else {
                    soonest = min(soonest, e.at)
                }
            }
            if soonest == .max { lock.wait() } else { lock.wait(nanoseconds: soonest - now) }
        }
    }
}
