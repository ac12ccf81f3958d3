import Synchronization

/// Live counters of one run, for a watcher on another thread (the CLI's
/// progress line) that reads them on its own clock instead of observing
/// every event. Giving a run a `RunProgress` does not make it observed: it
/// takes the same paths, at the same speed, with the same answers, as a
/// run nobody watches (the run loop stores two numbers per node; compiled
/// loop passes store them whenever C returns, at least every 64 passes).
///
/// All counters are relaxed atomics: a reader sees recent values, not a
/// consistent snapshot. Thread-safe.
public final class RunProgress: Sendable {
    /// Node executions so far (an event run: those of the waves that
    /// finished).
    public let steps = Atomic<Int>(0)
    /// The node the run loop dispatched last (a loop node while its body
    /// goes round as compiled passes), as an index into the plan's nodes;
    /// -1 before the first.
    public let node = Atomic<Int>(-1)
    /// Event runs: waves started and finished, failed waves, events dropped
    /// by the queue policy, and the number of the wave started last (0
    /// before the first).
    public let wavesStarted = Atomic<Int>(0)
    public let wavesFinished = Atomic<Int>(0)
    public let failedWaves = Atomic<Int>(0)
    public let dropped = Atomic<Int>(0)
    public let currentWave = Atomic<Int>(0)
    /// The source node of the wave started last (plan index), or -1.
    public let currentSource = Atomic<Int>(-1)
    /// The run has finished (set last).
    public let finished = Atomic<Bool>(false)

    public init() {}

    /// The run loop's two numbers.
    @inline(__always)
    func publish(steps: Int, node: Int) {
        self.steps.store(steps, ordering: .relaxed)
        self.node.store(node, ordering: .relaxed)
    }
}
