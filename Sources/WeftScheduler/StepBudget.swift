import Synchronization

/// The node executions the waves of an event run may still make, together
/// (`max_steps` counts all waves). A wave takes steps from it in leases
/// (`RunState.stepLimit` grows by a lease when it runs out) and gives back
/// what it did not use when it ends, so waves never make more than the
/// limit between them, and a wave checks a plain counter per node, not
/// this atomic one.
///
/// Exactness: with one wave at a time a lease of 4,096 is exact (each wave
/// gives back its rest before the next starts). With concurrent waves a
/// lease held by one wave could make another fail early, so there a lease
/// is one step: the limit is exact, at the cost of an atomic operation
/// per node (and compiled loop passes go step by step).
///
/// Thread-safe: waves on any lane take and give back concurrently.
final class StepBudget: Sendable {
    private let remaining: Atomic<Int>
    /// Steps a wave takes at a time.
    let lease: Int

    init(_ limit: Int, concurrentWaves: Bool) {
        remaining = Atomic(max(0, limit))
        lease = concurrentWaves ? 1 : 4_096
    }

    /// Takes up to `want` steps; returns how many it took (0 when none are left).
    func take(_ want: Int) -> Int {
        var current = remaining.load(ordering: .relaxed)
        while true {
            let got = min(current, max(0, want))
            guard got > 0 else { return 0 }
            let (exchanged, original) = remaining.compareExchange(expected: current, desired: current - got,
                                                                  ordering: .relaxed)
            if exchanged { return got }
            current = original
        }
    }

    /// Returns `count` steps a wave took but did not use.
    func giveBack(_ count: Int) {
        if count > 0 { remaining.add(count, ordering: .relaxed) }
    }
}
