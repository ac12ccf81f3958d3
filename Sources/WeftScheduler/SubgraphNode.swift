import WeftCore
import WeftNative

/// A mapped subgraph node (`"type": "graph"` with `"map"`; PocketFlow's
/// batch flow): not inlined, but a node type of its own whose call runs
/// the subgraph once — so the map runs it once per item, `concurrency`
/// items at a time, each lane with its own compiled copy of the subgraph.
/// An item's run is sequential; its events are not the parent run's.
enum SubgraphNode {
    static func type(_ plan: GraphPlan, registry: NodeRegistry) -> NodeType {
        .hostImplemented(spec: plan.interfaceSpec) { _ in
            do {
                return .success(State(compiled: try CompiledGraph(plan: plan, registry: registry), plan: plan))
            } catch {
                return .failure(HostNodeFailure("cannot compile the subgraph: \(error)"))
            }
        }
    }

    /// One instance: its compiled subgraph, run by each call.
    final class State: HostNodeState {
        let compiled: CompiledGraph
        let plan: GraphPlan
        init(compiled: CompiledGraph, plan: GraphPlan) {
            self.compiled = compiled
            self.plan = plan
        }

        func call(_ inputs: [WeftValue?]) -> Result<[WeftValue?], HostNodeFailure> {
            var given: [String: WeftValue] = [:]
            for (i, input) in plan.inputs.enumerated() where i < inputs.count {
                if let v = inputs[i] { given[input.name] = v }
            }
            let result: RunResult
            do {
                result = try Scheduler.run(compiled, inputs: given)
            } catch {
                return .failure(HostNodeFailure("the subgraph's inputs: \(error.messages.joined(separator: "; "))"))
            }
            switch result.outcome {
            case .succeeded:
                let values = Dictionary(result.outputs.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
                return .success(plan.outputs.map { values[$0.name] })
            case .failed(let message, _):
                return .failure(HostNodeFailure("the subgraph failed: \(message)"))
            case .cancelled:
                return .failure(HostNodeFailure("the subgraph's run was cancelled"))
            }
        }
    }
}
