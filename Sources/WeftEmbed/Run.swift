import CWeft
import Synchronization
import WeftCore
import WeftNative
import WeftScheduler
import WeftStore
#if canImport(Glibc)
import Glibc
#endif

/// `weft_run_t`: one execution of a graph, on threads of its own.
///
/// Made pending (inputs may be set), started once, then finished with a
/// `RunResult`. Every method may be called from any thread.
final class Run: EmbedObject, @unchecked Sendable {
    static let typeName = "weft_run_t"

    enum Phase { case pending, running, finished }

    let plan: GraphPlan
    let compiled: CompiledGraph
    let options: RunOptions
    /// Seconds after which the run is cancelled; 0 = no limit.
    let duration: Double
    let events: EventBridge?
    let token = CancellationToken()
    /// The engine's plugins, held by this run's handle (`weft_run_destroy`
    /// gives it back after the run is joined).
    let lease: PluginLease
    /// The run store recording the run (`store_path`), if any.
    let storeOptions: RunStoreOptions?

    private let lock = ConditionLock()
    /// Held through `start`, so that one start records and runs the run.
    private let startLock = ConditionLock()
    private var phase = Phase.pending
    /// The run's record in the store, from `start` on.
    private var recording: RecordedRun?
    /// WEFT_RUN_* once finished.
    private var ending = WEFT_RUN_FAILED
    private var inputs: [String: WeftValue] = [:]
    private var result: RunResult?
    private var stoppedByDuration = false
    private var errorText: UnsafePointer<CChar>?
    private var failedNode: UnsafePointer<CChar>?
    private var outputStrings: [String: (UnsafePointer<CChar>, Int)] = [:]
    private let strings = StringStore()

    init(plan: GraphPlan, compiled: CompiledGraph, options: RunOptions, duration: Double, events: EventBridge?,
         lease: PluginLease, store: RunStoreOptions?) {
        self.lease = lease
        self.storeOptions = store
        self.plan = plan
        self.compiled = compiled
        self.options = options
        self.duration = duration
        self.events = events
    }

    // MARK: inputs

    /// Sets inputs after checking all of them (all or nothing).
    func setInputs(_ given: [(String, WeftValue)], _ function: String) throws(APIError) {
        var checked: [(String, WeftValue)] = []
        for (name, value) in given {
            guard let input = plan.inputs.first(where: { $0.name == name }) else {
                let known = plan.inputs.map(\.name)
                throw APIError(WEFT_ERR_NOT_FOUND, "\(function): the graph has no input '\(name)'; "
                                   + (known.isEmpty ? "it declares no inputs" : "it declares: \(known.joined(separator: ", "))"))
            }
            guard let v = input.type.coerce(value) else {
                throw APIError(WEFT_ERR_TYPE, "\(function): input '\(name)' must be \(input.type), got \(value.kind) \(JSON.encode(value))")
            }
            checked.append((name, v))
        }
        try lock.withLock { () throws(APIError) in
            guard phase == .pending else {
                throw APIError(WEFT_ERR_STATE, "\(function): inputs can only be set before weft_run_start")
            }
            for (name, v) in checked { inputs[name] = v }
        }
    }

    // MARK: running

    func start(_ function: String) throws(APIError) {
        try startLock.withLock { () throws(APIError) in try startOnce(function) }
    }

    private func startOnce(_ function: String) throws(APIError) {
        let given: [String: WeftValue] = try lock.withLock { () throws(APIError) in
            guard phase == .pending else {
                throw APIError(WEFT_ERR_STATE, "\(function): the run was started already; make a new run with weft_run_create")
            }
            return inputs
        }
        do {
            try Scheduler.checkInputs(plan, given)
        } catch {
            let lines = error.messages(hint: "set it with weft_run_set_input_* or weft_run_set_inputs_json")
            throw APIError(WEFT_ERR_INVALID, "\(function): " + lines.joined(separator: "\n"))
        }
        // Recorded: the run's row is made (or a resumed one's taken) now,
        // and a pause asked through the store cancels the run.
        var options = options
        let recorded = try storeOptions?.begin(inputs: given, mode: options.mode, checkpointing: compiled.sources.isEmpty, function)
        if let recorded {
            recorded.attach(to: &options) { [weak recorded, token, events] in
                if let recorded, recorded.pauseRequested { events?.stopMessage = Run.pausedMessage(recorded.id) }
                token.cancel()
            }
        }
        lock.withLock {
            phase = .running
            recording = recorded
        }
        let started = POSIXThread.spawn { [self, options] in
            let result: RunResult
            do {
                result = try Scheduler.run(compiled, inputs: given, options: options, cancellation: token)
            } catch {
                result = failure("\(error)")
            }
            // Node destroy callbacks run here, before the run counts as
            // finished: none may come after weft_run_destroy returns.
            compiled.close()
            finish(result, stored: recorded?.finish(result))
        }
        guard started else {
            let message = "\(function): cannot start a thread for the run (pthread_create failed)"
            recorded?.refused(message)
            lock.withLock {
                phase = .pending
                recording = nil
            }
            throw APIError(WEFT_ERR_NOMEM, message)
        }
        if duration > 0 { startWatchdog() }
    }

    private func failure(_ message: String) -> RunResult {
        RunResult(outcome: .failed(message: message, node: nil), outputs: [], missingOutputs: plan.outputs.map(\.name),
                  steps: 0, duration: 0)
    }

    /// The run ended with `r`; `stored`: the state its record got and the
    /// first store failure, if recorded.
    private func finish(_ r: RunResult, stored: (state: String, failure: String?)?) {
        lock.withLock {
            result = r
            switch r.outcome {
            case .succeeded:
                ending = WEFT_RUN_SUCCEEDED
            case .failed(let message, let node):
                ending = WEFT_RUN_FAILED
                errorText = strings.keep(message)
                failedNode = node.map { strings.keep($0) }
            case .cancelled:
                ending = WEFT_RUN_CANCELLED
                errorText = strings.keep(stoppedByDuration ? durationMessage : EventBridge.cancelledMessage)
            }
            if let stored, let id = recording?.id {
                if stored.state == "paused" {
                    ending = WEFT_RUN_PAUSED
                    errorText = strings.keep(Self.pausedMessage(id))
                }
                // The record is the point of a recorded run: a run that did
                // not fail by itself fails when it could not be kept.
                if let failure = stored.failure, ending != WEFT_RUN_FAILED {
                    ending = WEFT_RUN_FAILED
                    errorText = strings.keep("the run store: \(failure) (run \(id) is recorded in part)")
                }
            }
            phase = .finished
            lock.broadcast()
        }
    }

    /// Cancels the run when its duration is up, unless it finished first.
    private func startWatchdog() {
        let deadline = MonotonicClock.now() &+ UInt64(duration * 1e9)
        POSIXThread.spawn { [self] in
            let expired: Bool = lock.withLock {
                while phase != .finished {
                    let now = MonotonicClock.now()
                    if now >= deadline {
                        stoppedByDuration = true
                        return true
                    }
                    lock.wait(nanoseconds: deadline - now)
                }
                return false
            }
            if expired {
                events?.stopMessage = durationMessage
                token.cancel()
            }
        }
    }

    func cancel() { token.cancel() }

    private var durationMessage: String { "the run reached its duration limit of \(duration) s and was stopped" }

    /// Waits until finished or `timeout` nanoseconds pass (nil: no limit).
    /// True when finished.
    func wait(timeout: UInt64?, _ function: String) throws(APIError) -> Bool {
        if let events, events.isCallbackThread {
            throw APIError(WEFT_ERR_STATE, "\(function): called from the run's own event callback, it would wait for itself")
        }
        return try lock.withLock { () throws(APIError) -> Bool in
            if phase == .pending {
                throw APIError(WEFT_ERR_STATE, "\(function): the run was not started; call weft_run_start first")
            }
            let deadline = timeout.map { MonotonicClock.now() &+ $0 }
            while phase != .finished {
                if let deadline {
                    let now = MonotonicClock.now()
                    if now >= deadline { return false }
                    lock.wait(nanoseconds: deadline - now)
                } else {
                    lock.wait()
                }
            }
            return true
        }
    }

    /// Cancels and waits, if running (for destroy).
    func stop(_ function: String) throws(APIError) {
        if let events, events.isCallbackThread {
            throw APIError(WEFT_ERR_STATE, "\(function): called from the run's own event callback; destroy the run after it has finished")
        }
        let running = lock.withLock { phase == .running }
        if running {
            token.cancel()
            _ = try wait(timeout: nil, function)
        }
    }

    // MARK: results

    var state: Int32 {
        lock.withLock {
            switch phase {
            case .pending: return WEFT_RUN_PENDING
            case .running: return WEFT_RUN_RUNNING
            case .finished: return ending
            }
        }
    }

    /// The phase and the store record (for `pause`).
    var progress: (Phase, RecordedRun?) { lock.withLock { (phase, recording) } }

    /// The run's id in its store; 0 when not recorded or not started.
    var storedId: Int64 { lock.withLock { recording?.id ?? 0 } }

    var error: UnsafePointer<CChar>? { lock.withLock { errorText } }
    var failedNodeId: UnsafePointer<CChar>? { lock.withLock { failedNode } }
    var steps: Int { lock.withLock { result?.steps ?? 0 } }
    var durationNanoseconds: UInt64 { lock.withLock { result?.duration ?? 0 } }

    func finishedResult(_ function: String) throws(APIError) -> RunResult {
        try lock.withLock { () throws(APIError) -> RunResult in
            guard phase == .finished, let result else {
                throw APIError(WEFT_ERR_STATE, "\(function): the run has not finished; wait for it with weft_run_wait")
            }
            return result
        }
    }

    func output(_ name: String, _ function: String) throws(APIError) -> WeftValue {
        let result = try finishedResult(function)
        if let v = result[output: name] { return v }
        guard plan.outputs.contains(where: { $0.name == name }) else {
            let known = plan.outputs.map(\.name)
            throw APIError(WEFT_ERR_NOT_FOUND, "\(function): the graph has no output '\(name)'; "
                               + (known.isEmpty ? "it declares no outputs" : "its outputs: \(known.joined(separator: ", "))"))
        }
        throw APIError(WEFT_ERR_NOT_FOUND, "\(function): output '\(name)' did not fire (its node was skipped or did not run"
                           + (result.outcome == .succeeded ? ")" : ", and the run \(result.outcome.name))"))
    }

    /// A string output kept for the caller.
    func outputString(_ name: String, _ function: String) throws(APIError) -> (UnsafePointer<CChar>, Int) {
        let value = try output(name, function)
        guard case .string(let s) = value else {
            throw APIError(WEFT_ERR_TYPE, "\(function): output '\(name)' is \(value.kind), not a string")
        }
        return lock.withLock {
            if let kept = outputStrings[name] { return kept }
            let kept = (strings.keep(s), s.utf8.count)
            outputStrings[name] = kept
            return kept
        }
    }
}

/// Passes run events to the host's `on_event` callback as `weft_event_t`.
final class EventBridge: RunObserver, @unchecked Sendable {
    let callback: weft_event_fn
    let userData: UnsafeMutableRawPointer?
    /// The thread inside the callback now (pthread_self), or 0.
    private let inside = Atomic<UInt>(0)
    static let cancelledMessage = "the run was cancelled"
    /// The run-finished message of a cancelled run (the watchdog sets it
    /// when the duration limit stopped the run).
    private let messageLock = ConditionLock()
    private var stopText = EventBridge.cancelledMessage
    var stopMessage: String {
        get { messageLock.withLock { stopText } }
        set { messageLock.withLock { stopText = newValue } }
    }

    init(callback: weft_event_fn, userData: UnsafeMutableRawPointer?) {
        self.callback = callback
        self.userData = userData
    }

    var isCallbackThread: Bool {
        let t = inside.load(ordering: .acquiring)
        return t != 0 && t == UInt(pthread_self())
    }

    func receive(_ event: RunEvent) {
        inside.store(UInt(pthread_self()), ordering: .releasing)
        defer { inside.store(0, ordering: .releasing) }
        CEvent.with(event, cancelledMessage: stopMessage) { callback($0, userData) }
    }
}
