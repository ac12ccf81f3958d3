/// Always run the node on the worker pool, even in a sequential run, so the
/// scheduler keeps dispatching other ready nodes meanwhile (e.g. a fan-out of
/// slow nodes in an otherwise sequential graph).
final class ParallelStrategy: ExecutionStrategy {
    func start(_ node: Int, _ run: RunState) {
        run.execute(node, onPool: true)
    }
}
