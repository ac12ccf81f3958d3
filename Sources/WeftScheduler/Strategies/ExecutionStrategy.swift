import WeftCore

/// How one node is executed once its inputs are complete. Chosen per node by
/// its `"strategy"` (see `StrategyKind`); the run loop calls only these two
/// methods, so a new strategy is a new small type.
/// Strategies are stateless shared objects (one per kind per graph), so the
/// run loop reads a reference rather than copying an existential per call.
protocol ExecutionStrategy: AnyObject, Sendable {
    /// The node's inputs are complete and it is on a live path: execute it
    /// (inline or on the pool), or for a loop, start it.
    func start(_ node: Int, _ run: RunState)

    /// The node ran and produced `outputs` (nil = not fired). Deliver them
    /// and report completion.
    func finish(_ node: Int, _ outputs: [WeftValue?], _ run: RunState)

    /// Loops only: every node of the body finished this iteration.
    func bodyFinished(_ node: Int, _ run: RunState)
}

extension ExecutionStrategy {
    func finish(_ node: Int, _ outputs: [WeftValue?], _ run: RunState) {
        run.deliver(outputs: outputs, of: node)
        run.completed(node)
    }

    func bodyFinished(_ node: Int, _ run: RunState) {}
}
