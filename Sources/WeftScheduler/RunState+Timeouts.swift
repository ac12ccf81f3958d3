import CWeftShims
import Synchronization
import WeftCore
import WeftNative

// Time limits per attempt (`timeout_ms`) of nodes that are not isolated
// (an isolated node's worker process is killed at its limit instead). Any
// call past its deadline fails the node — retries and on_error apply as to
// any failure — and `should_stop(ctx)` tells the call once the deadline has
// passed. A call of a BLOCKING node runs on a thread of its own and the run
// does not wait past the deadline: the call is abandoned (it goes on until
// its `run` returns; its result is dropped, and closing the graph waits for
// it). Any other call cannot be left behind: it fails when it returns late.
extension RunState {
    /// A timed call of a BLOCKING node: running, finished (its completion
    /// posted) or abandoned at its deadline — whichever comes first.
    final class TimedCall: @unchecked Sendable {
        let node: Int
        let deadline: UInt64
        private let state = Atomic<Int>(0)
        init(node: Int, deadline: UInt64) {
            self.node = node
            self.deadline = deadline
        }
        /// The call ended in time: true if it was not abandoned first.
        func finish() -> Bool { state.compareExchange(expected: 0, desired: 1, ordering: .acquiringAndReleasing).exchanged }
        /// The deadline passed: true if the call had not finished first.
        func abandon() -> Bool { state.compareExchange(expected: 0, desired: 2, ordering: .acquiringAndReleasing).exchanged }
        var isAbandoned: Bool { state.load(ordering: .acquiring) == 2 }
    }

    /// The failure of a call past its time limit (`limit` ns).
    func timeoutError(_ n: Int, _ limit: UInt64, took: UInt64?, ownMessage: String?, abandoned: Bool) -> NodeError {
        let ms = limit / 1_000_000
        var text = abandoned
            ? "did not finish within its timeout_ms of \(ms) ms; the call was abandoned (it ends in the background when its run returns)"
            : "took \(Self.milliseconds(took ?? 0)) ms, past its timeout_ms of \(ms) ms"
                + " (the run waits for a node not flagged BLOCKING: its run can return early when should_stop(ctx) says so)"
        if let ownMessage { text += "; the call itself failed: \(ownMessage)" }
        return nodeError(n, text)
    }

    static func milliseconds(_ ns: UInt64) -> String {
        let tenths = (ns + 50_000) / 100_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// `call` on this thread with a deadline `limit` ns away: past it the
    /// call fails (its context's error says so) whatever it returned.
    func callWithin(_ limit: UInt64, _ n: Int, _ unmanaged: Unmanaged<NodeInstance>, _ base: Int, _ typeIndex: Int) -> Bool {
        let start = MonotonicClock.now()
        context.deadline = start &+ limit
        let ok = call(n, unmanaged, base, typeIndex)
        context.deadline = 0
        let took = MonotonicClock.now() &- start
        guard took > limit else { return ok }
        context.nodeError = timeoutError(n, limit, took: took, ownMessage: ok ? nil : context.nodeError?.message, abandoned: false)
        return false
    }

    /// A BLOCKING node's timed call (its step counted): on a blocking
    /// thread of the pool, with a copy of its inputs (an abandoned call
    /// outlives this attempt and may outlive the run). The run loop
    /// abandons it at its deadline (`timedOut`).
    func runTimed(_ n: Int, _ limit: UInt64, _ unmanaged: Unmanaged<NodeInstance>) {
        let base = graph.slotBase(n)
        let inputs = (0..<graph.inputCount(n)).map { value(base + $0) }
        let instance = unmanaged.takeUnretainedValue()
        let call = TimedCall(node: n, deadline: MonotonicClock.now() &+ limit)
        let gate = graph.timedGates[n]
        let abandoned = graph.abandoned
        let stopFlag = stop
        inflight += 1
        timedCalls.append(call)
        log?.flush(urgent: true)
        workerPool().submit(blocking: true) { [self] thread, ctx in
            // One call at a time of an instance that is not THREAD_SAFE:
            // this attempt waits for an abandoned one to return.
            gate?.enter()
            defer { gate?.leave() }
            guard !call.isAbandoned else {
                abandoned.leave()
                return
            }
            let observed = !events.isEmpty
            let t = observed ? events.now() : 0
            if observed { events.emit(.nodeStarted(time: t, node: n, id: graph.ids[n], thread: lane + thread)) }
            let t0 = MonotonicClock.now()
            ctx.deadline = call.deadline
            let saved = ctx.frame.pointee.stop
            ctx.frame.pointee.stop = UnsafePointer(stopFlag.pointer)
            let result = instance.run(inputs: inputs, context: ctx)
            ctx.frame.pointee.stop = saved
            ctx.deadline = 0
            let duration = MonotonicClock.now() &- t0
            // Abandoned meanwhile: the run has moved on (and may be over).
            guard call.finish() else {
                abandoned.leave()
                return
            }
            var completion = Completion(node: n, result: nil, duration: duration, timed: call)
            switch result {
            case .success(let out):
                completion.values = out.values
                if observed {
                    let now = events.now()
                    events.emit(.nodeFinished(time: now, node: n, id: graph.ids[n], thread: lane + thread, duration: now - t))
                }
            case .failure(let e):
                completion.result = .failure(e)
            }
            completionLock.withLock {
                completions.append(completion)
                completionLock.signal()
            }
        }
    }

    /// The first timed call past its deadline, abandoned: its node fails
    /// (true). False when none is due.
    func timedOut() -> Bool {
        let now = MonotonicClock.now()
        guard let i = timedCalls.firstIndex(where: { $0.deadline <= now }) else { return false }
        let call = timedCalls.remove(at: i)
        // It finished just now: its completion is on the way.
        guard call.abandon() else { return true }
        inflight -= 1
        graph.abandoned.add()
        nodeFailed(call.node, timeoutError(call.node, graph.timeouts[call.node] ?? 0, took: nil, ownMessage: nil, abandoned: true))
        return true
    }

    /// The run is stopping: it waits for no timed call.
    func abandonTimedCalls() {
        for call in timedCalls where call.abandon() {
            inflight -= 1
            graph.abandoned.add()
        }
        timedCalls.removeAll()
    }
}
