// Validation of flows (`"type": "flow"`): their transitions (edges with
// "when"), their states, and what a state may be connected to.

extension Validation {
    /// A flow node as step 1 found it.
    struct FlowDecl {
        var node: Int
        var start: String
        var maxCycles: Int
    }

    /// Checks the transitions and the states of every flow, and sets each
    /// flow node's `flow`. Returns the input slots the flows feed (each
    /// state's `store`), so they are not reported as not connected.
    mutating func checkFlows(_ decls: [FlowDecl], nodes: inout [GraphPlan.Node], failed: [Bool], indexOf: IdIndex,
                             slotBase: [Int], edges: [GraphPlan.Edge]) -> Set<Int> {
        let transitions = doc.transitions
        guard !decls.isEmpty || !transitions.isEmpty else { return [] }
        let count = nodes.count
        func ids() -> [String] { nodes.map(\.id) }
        // Transitions by their first state, in file order.
        var out: [Int: [(action: String, to: Int, path: String)]] = [:]
        for t in transitions {
            let from = indexOf.find(t.from, in: nodes)
            let to = indexOf.find(t.to, in: nodes)
            if from == nil {
                error(t.path + ".from", "transition from unknown node '\(t.from)'" + hint(t.from, among: ids(), listing: "the nodes are"))
            }
            if to == nil {
                error(t.path + ".to", "transition to unknown node '\(t.to)'" + hint(t.to, among: ids(), listing: "the nodes are"))
            }
            guard let from, let to else { continue }
            if let same = out[from]?.first(where: { $0.action == t.when }) {
                error(t.path + ".when", node: t.from, "state '\(t.from)' has two transitions for action '\(t.when)' "
                        + "(also \(same.path)); an action leads to one state")
                continue
            }
            out[from, default: []].append((t.when, to, t.path))
        }
        // Each flow's states: what its start reaches by transitions.
        var flowOf = [Int](repeating: -1, count: count)
        var fed = Set<Int>()
        for d in decls {
            let flow = nodes[d.node]
            guard let start = indexOf.find(d.start, in: nodes) else {
                error(flow.path + ".start", node: flow.id, "flow '\(flow.id)': start names unknown node '\(d.start)'"
                        + hint(d.start, among: ids(), listing: "the nodes are"))
                continue
            }
            var order = [start]
            var seen: Set<Int> = [start]
            var i = 0
            while i < order.count {
                for t in out[order[i]] ?? [] where seen.insert(t.to).inserted { order.append(t.to) }
                i += 1
            }
            var ok = true
            for s in order {
                if flowOf[s] >= 0 {
                    error(nodes[s].path, node: nodes[s].id, "state '\(nodes[s].id)' is in flows '\(nodes[flowOf[s]].id)' and "
                            + "'\(flow.id)'; a state belongs to one flow (give the other flow a node of its own)")
                    ok = false
                    continue
                }
                flowOf[s] = d.node
                if failed[s] { ok = false; continue }
                // The flow feeds its store (whatever else is wrong).
                if let p = nodes[s].specBox.spec.inputs.firstIndex(where: { $0.name == FlowNode.storePort }) {
                    fed.insert(slotBase[s] + p)
                }
                if !checkState(s, of: d.node, nodes: nodes) { ok = false }
            }
            guard ok else { continue }
            // A flow calls its states itself: the graph's hooks are not theirs.
            for s in order { nodes[s].hooks = nil }
            var index: [Int: Int] = [:]
            for (k, s) in order.enumerated() { index[s] = k }
            let states = order.map { s -> PlanFlow.State in
                let spec = nodes[s].specBox.spec
                let storeIn = spec.inputs.firstIndex { $0.name == FlowNode.storePort } ?? 0
                return PlanFlow.State(node: s, storeIn: storeIn,
                                      storeOut: spec.outputs.firstIndex { $0.name == FlowNode.storePort } ?? 0,
                                      actionOut: spec.outputs.firstIndex { $0.name == FlowNode.actionPort } ?? -1,
                                      next: (out[s] ?? []).map { ($0.action, index[$0.to]!) })
            }
            nodes[d.node].flow = PlanFlow(states: states, maxCycles: d.maxCycles)
        }
        // Transitions no flow reaches.
        for t in transitions {
            guard let from = indexOf.find(t.from, in: nodes), flowOf[from] < 0 else { continue }
            error(t.path, node: t.from, "transition from '\(t.from)', which no flow reaches: set a flow node's \"start\" "
                    + "to '\(t.from)' (or to a state with a transition to it)")
        }
        // States take the store from their flow and constants; their
        // results leave through the flow's outputs.
        for e in edges {
            if flowOf[e.target] >= 0 {
                let s = e.target
                let port = nodes[s].specBox.spec.inputs[e.targetPort].name
                error(nodes[s].path, node: nodes[s].id, "state '\(nodes[s].id)' of flow '\(nodes[flowOf[s]].id)' has an edge into "
                        + "input '\(port)'; a state reads the store and constants only: put the value into the store "
                        + "before the flow, or bind a constant under \"inputs\"")
            }
            if case .node(let s, let p) = e.source, flowOf[s] >= 0 {
                let port = nodes[s].specBox.spec.outputs[p].name
                error(nodes[s].path, node: nodes[s].id, "state '\(nodes[s].id)' of flow '\(nodes[flowOf[s]].id)' has an edge from "
                        + "output '\(port)'; a state's results go into the store: read the flow's outputs "
                        + "('\(nodes[flowOf[s]].id).store', '.action', '.state', '.history')")
            }
        }
        for o in doc.outputs {
            guard let s = indexOf.find(o.source.node, in: nodes), flowOf[s] >= 0 else { continue }
            error(o.path, node: nodes[s].id, "output '\(o.name)' reads state '\(nodes[s].id)' of flow '\(nodes[flowOf[s]].id)'; "
                    + "read the flow's outputs instead ('\(nodes[flowOf[s]].id).store')")
        }
        for s in 0..<count where flowOf[s] >= 0 && !failed[s] {
            if let p = nodes[s].specBox.spec.inputs.firstIndex(where: { $0.name == FlowNode.storePort }), nodes[s].constant(p) != nil {
                error(nodes[s].path + ".inputs.store", node: nodes[s].id, "input 'store' of state '\(nodes[s].id)' comes from "
                        + "its flow; bind the store on the flow node '\(nodes[flowOf[s]].id)' instead")
            }
        }
        return fed
    }

    /// Whether node `s` can be a state of flow `f`: one node that runs a
    /// call, with an input and an output `store` taking maps and, if it
    /// has one, an `action` output of strings. Reports why not.
    mutating func checkState(_ s: Int, of f: Int, nodes: [GraphPlan.Node]) -> Bool {
        let n = nodes[s]
        let flow = nodes[f].id
        if s == f || n.isFlow || n.isLoop || n.strategy == .event {
            error(n.path, node: n.id, "'\(n.id)' cannot be a state of flow '\(flow)': a state is a node that runs a call, "
                    + "not a \(n.isFlow ? "flow" : n.isLoop ? "loop" : "source")")
            return false
        }
        if n.specBox.spec.flags.contains(.async) {
            error(n.path, node: n.id, "'\(n.id)' (\(n.type)) cannot be a state of flow '\(flow)' yet: it is async (its calls end later)")
            return false
        }
        if n.hooks?.own == true {
            error(n.path, node: n.id, "state '\(n.id)' of flow '\(flow)' cannot have hooks (before, after) yet")
            return false
        }
        if n.map != nil {
            error(n.path + ".map", node: n.id, "state '\(n.id)' of flow '\(flow)' cannot be mapped; map a node before or after the flow")
            return false
        }
        let spec = n.specBox.spec
        let input = spec.inputs.first { $0.name == FlowNode.storePort }
        let output = spec.outputs.first { $0.name == FlowNode.storePort }
        guard let input, let output, Self.compatible(.map, input.type), Self.compatible(output.type, .map) else {
            error(n.path, node: n.id, "'\(n.id)' (\(n.type)) cannot be a state of flow '\(flow)': a state needs an input 'store' "
                    + "and an output 'store' taking maps (the flow hands the store from state to state)")
            return false
        }
        if let action = spec.outputs.first(where: { $0.name == FlowNode.actionPort }), !Self.compatible(action.type, .string) {
            error(n.path, node: n.id, "state '\(n.id)' (\(n.type)): its output 'action' is \(action.type); the action that "
                    + "picks the next state is a string")
            return false
        }
        return true
    }
}
