/// The default: run the node when ready — on the scheduler thread in a
/// sequential run, on the pool in a parallel run (except node types whose
/// calls are measured to take under 5 µs: a trip to a worker costs more, so
/// they stay on the scheduler thread). Outputs that did not fire mark their
/// paths dead.
final class SequentialStrategy: ExecutionStrategy {
    func start(_ node: Int, _ run: RunState) {
        run.execute(node, onPool: run.options.mode == .parallel && !run.runsInline(node))
    }
}
