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
    func start(_ node: Int, _ run: RunState) {
        guard let info = run.graph.loops[node] else { return }
        var current: [WeftValue] = []
        for v in 0..<info.carry {
            guard let x = run.value(run.graph.slotBase[node] + v) else {
                run.skip(node)
                return
            }
            current.append(x)
        }
        run.loopState[node] = RunState.LoopRun(iteration: 0, current: current, outstanding: 0,
                                               started: run.events.now())
        run.beginIteration(node)
    }

    func finish(_ node: Int, _ outputs: [WeftValue?], _ run: RunState) {}

    /// Every node of the body finished this iteration.
    func bodyFinished(_ node: Int, _ run: RunState) { Self.bodyFinished(node, run) }

    /// Every node of the body finished this iteration: go round again or
    /// finish. (Static, so the run loop calls it without a dynamic call.)
    static func bodyFinished(_ node: Int, _ run: RunState) {
        guard let info = run.graph.loops[node], run.loopState[node] != nil else { return }
        let base = run.graph.slotBase[node]
        if case .bool(true)? = run.value(base + 2 * info.carry) {
            // The next values replace the current ones in place.
            for v in 0..<info.carry {
                guard let x = run.value(base + info.carry + v) else {
                    let name = run.graph.plan.nodes[node].spec.inputs[info.carry + v].name
                    run.fail(node: node, "loop '\(run.graph.ids[node])': continue is true but '\(name)' got no value "
                                 + "this iteration (its path was dead); connect it on every path that continues")
                    return
                }
                run.loopState[node]!.current[v] = x
            }
            run.loopState[node]!.iteration += 1
            run.beginIteration(node)
        } else {
            run.finishLoop(node)
        }
    }
}
