import CWeftShims
#if canImport(Glibc)
import Glibc
#endif

// What must hold of a run's state, checked in debug builds (the tests): the
// run's tables are touched only by the scheduler thread (workers get a
// batch's nodes, whose slots nothing else writes while the batch runs), and
// at the end every slot holds a known kind, every boxed value is counted,
// nothing is in flight and no more steps were made than allowed.
extension RunState {
    /// In debug builds, whether the caller is this run's scheduler thread
    /// (the thread that called `run`); true before the run starts and in
    /// release builds.
    @inline(__always)
    func onSchedulerThread() -> Bool {
        #if DEBUG
        guard let owner = schedulerThread else { return true }
        return pthread_equal(owner, pthread_self()) != 0
        #else
        return true
        #endif
    }

    /// The invariants of a finished run that do not hold, as messages
    /// (empty: all hold). Call on the scheduler thread after `loop()`.
    package func invariantViolations() -> [String] {
        var found: [String] = []
        if !onSchedulerThread() { found.append("checked off the scheduler thread") }
        var boxedSlots = 0
        for s in 0..<graph.slotCount {
            let kind = nums[s].kind
            if kind < Self.none || kind > Self.dead { found.append("slot \(s) has kind \(kind)") }
            if kind == Self.boxedKind { boxedSlots += 1 }
        }
        if boxedSlots != boxedLive { found.append("\(boxedSlots) boxed slots but \(boxedLive) counted") }
        if inflight != 0 { found.append("\(inflight) calls still in flight") }
        if batchInFlight || currentBatch != nil { found.append("a batch still in flight") }
        if steps > stepLimit { found.append("\(steps) steps made, \(stepLimit) allowed") }
        if failure == nil && !cancellation.isCancelled && readyHead != readyTail {
            found.append("\(readyTail - readyHead) nodes left in the ready queue of a run that ended normally")
        }
        return found
    }

    /// In debug builds, stops the run (a test failure) when an invariant
    /// does not hold.
    func checkInvariants() {
        #if DEBUG
        let found = invariantViolations()
        assert(found.isEmpty, "run state invariants broken: " + found.joined(separator: "; "))
        #endif
    }
}
