import WeftNative

/// Counts calls in progress and lets a thread wait for none: one call at a
/// time of a timed node that is not THREAD_SAFE (`enter` waits for the one
/// before, abandoned or not), and the calls abandoned at their timeout that
/// `CompiledGraph.close` waits for.
final class CallGate: @unchecked Sendable {
    private let lock = ConditionLock()
    private var inside = 0

    /// Waits until no call is inside, then is inside.
    func enter() {
        lock.withLock {
            while inside > 0 { lock.wait() }
            inside += 1
        }
    }

    /// One more call inside (without waiting).
    func add() { lock.withLock { inside += 1 } }

    /// A call left.
    func leave() {
        lock.withLock {
            inside -= 1
            lock.broadcast()
        }
    }

    /// Waits until no call is inside.
    func waitUntilIdle() {
        lock.withLock { while inside > 0 { lock.wait() } }
    }
}
