import CWeftShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import WeftCore
import WeftNative

// Parallel mode: which node types run on the scheduler thread, decided by
// measuring their calls.
extension RunState {
    /// Parallel mode: whether node `n` is cheap enough to run on the
    /// scheduler thread. Never for blocking nodes. A type flagged cheap
    /// (`WEFT_NODE_CHEAP`) runs here from its first call and moves to the
    /// pool once its measured cost (the smallest call of its window) is at
    /// or above `PlacementPolicy.inlineBelowNs` — not before its window is
    /// full, so one cold first call does not move it; any other type
    /// starts on the pool and moves here once measured below it.
    func runsInline(_ n: Int) -> Bool {
        let t = Int(graph.rows[n].typeIndex)
        return t >= 0 && typeInline[t]
    }

    /// `runsInline`'s answer for a node `n` of type `t`, kept in
    /// `typeInline` and updated when the type is measured.
    func decideInline(_ n: Int, _ t: Int) -> Bool {
        guard !(graph.rows[n].flags & NodeRow.blocking != 0) else { return false }
        switch options.forcedPath {
        case .pool: return false
        case .batches: return true
        case .automatic, .queue: break
        }
        if graph.rows[n].flags & NodeRow.cheap != 0 && typeSamples[t] < costWindow { return true }
        return typeSamples[t] > 0 && typeCost[t] < inlineBelowNs
    }

    func measured(_ n: Int, _ duration: UInt64) {
        let t = Int(graph.rows[n].typeIndex)
        guard t >= 0 else { return }
        let base = t * costWindow
        typeWindow[base + typeSamples[t] % costWindow] = max(duration, 1)
        typeSamples[t] += 1
        var smallest = UInt64.max
        for i in base..<(base + costWindow) where typeWindow[i] < smallest { smallest = typeWindow[i] }
        typeCost[t] = smallest
        typeInline[t] = decideInline(n, t)
    }
}
