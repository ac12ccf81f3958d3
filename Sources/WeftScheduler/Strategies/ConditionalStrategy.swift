import WeftCore

/// A decision node: it must fire exactly one of its outputs (`true`/`false`
/// or any named action, PocketFlow-style); every other output's path goes
/// dead. Firing none or several is a node error.
final class ConditionalStrategy: ExecutionStrategy {
    func start(_ node: Int, _ run: RunState) {
        // Placed like any node: its type's cost decides (`runsInline`).
        run.execute(node, onPool: run.parallel && !run.runsInline(node))
    }

    func finish(_ node: Int, _ outputs: [WeftValue?], _ run: RunState) {
        let fired = outputs.indices.filter { outputs[$0] != nil }
        guard fired.count == 1 else {
            let names = run.graph.plan.nodes[node].spec.outputs
            let list = fired.map { names[$0].name }.joined(separator: ", ")
            run.fail(node: node, "conditional node fired \(fired.count) outputs\(fired.isEmpty ? "" : " (\(list))"); it must fire exactly one")
            return
        }
        run.deliver(outputs: outputs, of: node)
        run.completed(node)
    }
}
