import Synchronization
import CWeftShims
import WeftCore
import WeftNative

// Async nodes (ABI v4): a node whose `run` deferred its call and returned
// WEFT_PENDING holds no thread; the call counts as in flight until the
// plugin ends it from its own thread, which hands the outputs (or the
// failure) to the completion queue like a pool call's. A run that stops
// (cancel, failure) asks the plugins to give up what is still pending and
// stops waiting for it.
extension RunState {
    /// Where this run's deferred calls end: built once per run of a graph
    /// with async nodes.
    func makeAsyncSink() -> AsyncSink {
        AsyncSink { [completionLock, weak self] node, end in
            guard let self else { return }
            let now = events.now()
            let start = asyncStartsLock.withLock { asyncStarts.removeValue(forKey: node) } ?? now
            completionLock.withLock {
                completions.append(Completion(node: node, result: Self.result(of: end), duration: now &- start, asyncStart: start))
                completionLock.signal()
            }
        }
    }

    /// How a deferred call ended, as a pool call's result (its outputs
    /// copied from the resumed ctx, which dies when this returns).
    static func result(of end: AsyncEnd) -> Result<CallOutputs, NodeError> {
        switch end {
        case .completed(let ctx):
            .success(CallOutputs(ctx.frame.pointee.outputs!, ctx.boxedOutputs, count: Int(ctx.frame.pointee.output_count)))
        case .failed(let error):
            .failure(error)
        }
    }

    /// Node `n`'s `run` deferred `call`: it is in flight until it ends.
    func awaitCall(_ n: Int, _ call: AsyncCall) {
        guard let sink = asyncSink else { return }
        inflight += 1
        let start = events.now()
        asyncStartsLock.withLock { asyncStarts[n] = start }
        sink.arm(call, node: n)
    }

    /// The run stops: pending calls are given up (their plugins asked to
    /// cancel them) and no longer counted in flight.
    func giveUpPendingCalls() {
        for map in asyncMaps { inflight -= map.sink?.shutDown() ?? 0 }
        asyncMaps = []
        guard let sink = asyncSink, sink.hasPending else { return }
        inflight -= sink.shutDown()
    }
}
