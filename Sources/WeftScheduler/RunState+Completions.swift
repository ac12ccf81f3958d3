import CWeftShims
import Synchronization
import WeftCore
import WeftNative

// Results handed back by workers: single calls on the pool and batches,
// taken from `completions` under `completionLock`.
extension RunState {
    struct Completion {
        var node: Int
        /// The call's result (nil for a batch).
        var result: Result<CallOutputs, NodeError>?
        /// How long the call took on its worker, in ns.
        var duration: UInt64
        /// A batch of cheap nodes run on a worker (then `node` is -1).
        var batch: Batch? = nil
        /// A mapped node's items, all done (`node` is the node).
        var map: MapRun? = nil
        /// A deferred call (async node): when its `run` began (run-relative ns).
        var asyncStart: UInt64? = nil
        /// A timed call (`runTimed`): it, and its outputs as values when it
        /// succeeded (then `result` is nil).
        var timed: TimedCall? = nil
        var values: [WeftValue?]? = nil
        /// An item of a mapped async node that ended (`result` is its end).
        var asyncItem: (map: AsyncMap, item: Int)? = nil
    }

    /// A pool call's outputs, copied from its worker's frame: per port its
    /// slot contents (`taken` = fired) and, for a boxed one, its value.
    struct CallOutputs: @unchecked Sendable {
        var numbers: [weft_shim_number_t]
        var boxes: [WeftValue]

        init(_ outs: UnsafeMutablePointer<weft_shim_number_t>, _ boxed: UnsafeMutablePointer<WeftValue>, count: Int) {
            numbers = Array(UnsafeBufferPointer(start: outs, count: count))
            boxes = (0..<count).map { outs[$0].kind == RunState.boxedKind ? boxed[$0] : .null }
        }
    }

    /// Waits (briefly) for pool results and handles them. With `process`
    /// false (after a failure or cancel) results are only counted.
    func drainCompletions(process: Bool, within wait: UInt64 = 50_000_000) {
        let done = takeCompletions(wait: true, within: wait)
        if done.contains(where: { $0.batch != nil }) {
            batchInFlight = false
            currentBatch = nil
            batchDone.store(false, ordering: .relaxed)
        }
        handle(done, process: process)
    }

    /// The completions so far; with `wait`, waits briefly (at most
    /// `within` ns) for one first.
    func takeCompletions(wait: Bool, within: UInt64 = 50_000_000) -> [Completion] {
        // What happened so far reaches the observers while this thread waits.
        if wait { log?.flush(urgent: true) }
        completionLock.lock()
        if wait && completions.isEmpty && !cancellation.isCancelled { completionLock.wait(nanoseconds: within) }
        let done = completions
        completions.removeAll(keepingCapacity: true)
        completionLock.unlock()
        return done
    }

    func handle(_ done: [Completion], process: Bool) {
        for c in done {
            inflight -= 1
            if let batch = c.batch {
                if process && failure == nil && !cancellation.isCancelled { finishBatch(batch) }
                continue
            }
            if let map = c.map {
                if process && failure == nil && !cancellation.isCancelled { finishMap(map) }
                continue
            }
            if let (map, item) = c.asyncItem {
                if process && failure == nil && !cancellation.isCancelled, let result = c.result { asyncItemEnded(map, item, result) }
                continue
            }
            measured(c.node, c.duration)
            callDuration = c.duration
            if let timed = c.timed {
                timedCalls.removeAll { $0 === timed }
                if process && failure == nil && !cancellation.isCancelled, let values = c.values { succeeded(c.node, values: values) }
            }
            if let start = c.asyncStart, observing, case .success? = c.result {
                record { $0.timed(.finished, node: c.node, start: start, time: events.now()) }
            }
            if process && failure == nil && !cancellation.isCancelled, let result = c.result {
                handle(c.node, result)
            } else if checkpointing, case .success(var out)? = c.result {
                // Stopping: a call that ended is kept all the same (a
                // resumed run does not make it again).
                out.numbers.withUnsafeMutableBufferPointer { numbers in
                    out.boxes.withUnsafeMutableBufferPointer { checkpoint(c.node, numbers.baseAddress!, $0.baseAddress!, count: numbers.count) }
                }
            }
        }
    }
}
