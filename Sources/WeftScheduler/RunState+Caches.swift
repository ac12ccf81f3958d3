import CWeftShims
import WeftCore
import WeftNative

// Cached nodes (`"cache"`): before the call, the outputs kept for the same
// type, plugin file, params and input values are looked up; a hit gives
// them without a call (`cache_hit` event), a miss calls the node here and
// keeps what it gave. Only successful calls are kept.
extension RunState {
    /// Node `n` (its step counted), through `cache`, on this thread.
    func runCached(_ n: Int, _ cached: CompiledGraph.CachedNode, _ cache: any NodeCache, _ unmanaged: Unmanaged<NodeInstance>) {
        let row = graph.rows[n]
        let base = Int(row.slotBase)
        let key = CacheKeys.key(cached.prefix, (0..<Int(row.inputCount)).map { value(base + $0) })
        let outputCount = unmanaged._withUnsafeGuaranteedRef { $0.type.spec.outputs.count }
        if let kept = cache.lookup(key), kept.count == outputCount {
            log?.event(.cacheHit(time: events.now(), node: n, id: graph.ids[n]))
            succeeded(n, values: kept)
            return
        }
        let ok = graph.timeouts[n].map { callWithin($0, n, unmanaged, base, Int(row.typeIndex)) }
            ?? call(n, unmanaged, base, Int(row.typeIndex))
        guard ok else {
            nodeFailed(n, callError(n))
            return
        }
        let outs = context.frame.pointee.outputs!
        let boxes = context.boxedOutputs
        let made = Int(context.frame.pointee.output_count)
        let values: [WeftValue?] = (0..<outputCount).map { $0 < made && outs[$0].taken != 0 ? Self.value(of: outs[$0], boxes + $0) : nil }
        cache.store(key, values, ttlSeconds: cached.ttlSeconds)
        succeeded(n, values: values)
    }
}
