import WeftCore

/// A loop node. When its initial values have arrived it runs its body: it
/// emits the current values on its carry outputs, waits until every node of
/// the body has finished (run or skipped), then reads its back-edge inputs:
/// `continue` true → the `next_*` values become current and the body runs
/// again; false or dead → the current values leave on `done_*` and `done`
/// fires. Each iteration re-arms the body (its inputs from inside the body
/// are cleared; inputs from outside it keep their values). More than
/// `max_iterations` iterations fail the run.
final class LoopStrategy: ExecutionStrategy {
    func start(_ node: Int, _ run: RunState) { run.startLoop(node) }

    /// Every node of the body finished this iteration.
    func bodyFinished(_ node: Int, _ run: RunState) { Self.bodyFinished(node, run) }

    /// Every node of the body finished this iteration: go round again or
    /// finish. (Static, so the run loop calls it without a dynamic call.)
    static func bodyFinished(_ node: Int, _ run: RunState) { run.loopBodyFinished(node) }
}
