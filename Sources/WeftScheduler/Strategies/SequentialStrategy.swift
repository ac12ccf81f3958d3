/// The default: run the node when ready — on the scheduler thread in a
/// sequential run, on the pool in a parallel run. Outputs that did not fire
/// mark their paths dead.
struct SequentialStrategy: ExecutionStrategy {
    func start(_ node: Int, _ run: RunState) {
        run.execute(node, onPool: run.options.mode == .parallel)
    }
}
