// Validation.run: the validator's checks in order (ids and types, edges, inputs, cycles, loop bodies, outputs, warnings).

extension Validation {
    mutating func run() -> GraphPlan? {
        let observers = doc.observers.enumerated().compactMap { i, ref in resolveObserver(ref, path: ref.origin ?? "$.observers[\(i)]") }
        // Per-node facts live in flat arrays indexed by node (no dictionary
        // or array per node): a graph may have a million nodes.
        // 1. Node ids and types.
        var indexOf = IdIndex(capacity: doc.nodes.count)
        // A node that does not resolve keeps its place with a stand-in
        // (failed[i]), so the table needs no optionals and becomes the
        // plan's without a second copy.
        var nodes: [GraphPlan.Node] = []
        var failed: [Bool] = []
        /// The fields the decoder could not read, of the nodes that have any.
        var unreadOf: [Int: GraphNode.Fields] = [:]
        nodes.reserveCapacity(doc.nodes.count)
        failed.reserveCapacity(doc.nodes.count)
        var flowDecls: [FlowDecl] = []
        for n in doc.nodes {
            // The node goes in at `nodes.count`: appended just below.
            guard indexOf.insertIfAbsent(n.id, index: nodes.count, in: nodes) else {
                error(n.path + ".id", node: n.id, "duplicate node id '\(n.id)'; node ids must be unique")
                continue
            }
            if n.type == FlowNode.typeName, let start = n.start {
                flowDecls.append(FlowDecl(node: nodes.count, start: start, maxCycles: n.maxCycles ?? FlowNode.defaultMaxCycles))
            }
            let unread = n.unread
            if !unread.isEmpty { unreadOf[nodes.count] = unread }
            // Without its type (or a loop without its carried variables)
            // the node has no ports to check: its problem is reported.
            if unread.contains(.type) || (unread.contains(.carry) && n.type == LoopNode.typeName) {
                nodes.append(Self.standIn(n))
                failed.append(true)
            } else if let resolved = resolveNode(n) {
                nodes.append(resolved)
                failed.append(false)
            } else {
                nodes.append(Self.standIn(n))
                failed.append(true)
            }
        }
        // The plan nodes have what the rest needs of the file's nodes.
        doc.nodes = []
        /// Node `i` if it resolved (a copy: for messages, not loops).
        func node(_ i: Int) -> GraphPlan.Node? { failed[i] ? nil : nodes[i] }
        /// Node ids, for hints in messages.
        func ids() -> [String] { nodes.map(\.id) }
        /// Fields node `i` lacks because the decoder could not read them.
        func unread(_ i: Int) -> GraphNode.Fields { unreadOf.isEmpty ? [] : unreadOf[i] ?? [] }
        let count = nodes.count
        /// Nodes named by an edge or output that is not in the plan (it has
        /// a problem): they are connected, if wrongly.
        var alsoTouched: [Int] = []

        // 2. Graph inputs.
        var inputIndex: [String: Int] = [:]
        for (i, input) in doc.inputs.enumerated() { inputIndex[input.name] = i }
        var usedInputs = Set<Int>()

        // Input slots: node i's input port p is slot slotBase[i] + p.
        var slotBase = [Int](repeating: 0, count: count + 1)
        for i in 0..<count { slotBase[i + 1] = slotBase[i] + (failed[i] ? 0 : nodes[i].specBox.spec.inputs.count) }
        /// Per slot: edges into it, and the first two (their paths name
        /// the place of an error).
        var edgesInto = [Int32](repeating: 0, count: slotBase[count])
        var firstEdges = [(Int32, Int32)](repeating: (-1, -1), count: slotBase[count])
        /// Counts edge `index` into input slot `slot`.
        func countEdge(_ index: Int, into slot: Int) {
            switch edgesInto[slot] {
            case 0: firstEdges[slot].0 = Int32(index)
            case 1: firstEdges[slot].1 = Int32(index)
            default: break
            }
            edgesInto[slot] += 1
        }

        // 3. Edges.
        var edges: [GraphPlan.Edge] = []
        edges.reserveCapacity(doc.edges.count)
        /// The index of node `id`. Files usually list edges in node order
        /// (a node's edges near the last one's), so the node just after the
        /// last edge's target, or that target itself, is tried before the
        /// dictionary: a string comparison instead of a hash lookup into a
        /// table that, for a big graph, misses the cache every time.
        var near = 0
        func index(of id: String) -> Int? {
            if near + 1 < count && nodes[near + 1].id == id { return near + 1 }
            if near < count && nodes[near].id == id { return near }
            return indexOf.find(id, in: nodes)
        }
        for e in doc.edges {
            // Target: a node, and one of its inputs unless the node failed.
            let t = index(of: e.to.node)
            var tp: Int?
            if let t {
                if !failed[t] {
                    tp = nodes[t].specBox.spec.inputs.firstIndex(where: { $0.name == e.to.port })
                    if tp == nil {
                        let tn = nodes[t]
                        error(e.path + ".to", node: tn.id, "node '\(tn.id)' (\(tn.type)) has no input '\(e.to.port)'"
                                + hint(e.to.port, among: tn.spec.inputs.map(\.name)))
                    }
                }
            } else if !doc.unread.contains(.nodes) {
                error(e.path + ".to", "edge goes to unknown node '\(e.to.node)'" + hint(e.to.node, among: ids(), listing: "the nodes are"))
            }
            // Source: checked whatever the target, so each end's problem
            // is reported.
            var source: GraphPlan.Source?
            var sourceType = ValueType.any
            var sourceNode: Int?
            if e.from.isGraphInput {
                if let gi = inputIndex[e.from.port] {
                    usedInputs.insert(gi)
                    source = .graphInput(gi)
                    sourceType = doc.inputs[gi].type
                } else if !doc.unread.contains(.inputs) {
                    error(e.path + ".from", "unknown graph input '$\(e.from.port)'; declare it under \"inputs\""
                            + hint(e.from.port, among: doc.inputs.map(\.name)))
                }
            } else if let s = index(of: e.from.node) {
                sourceNode = s
                if !failed[s] {
                    if let sp = nodes[s].specBox.spec.outputs.firstIndex(where: { $0.name == e.from.port }) {
                        source = .node(s, port: sp)
                        sourceType = nodes[s].specBox.spec.outputs[sp].type
                    } else {
                        let sn = nodes[s]
                        error(e.path + ".from", node: sn.id, "node '\(sn.id)' (\(sn.type)) has no output '\(e.from.port)'"
                                + hint(e.from.port, among: sn.spec.outputs.map(\.name)))
                    }
                }
            } else if !doc.unread.contains(.nodes) {
                error(e.path + ".from", "edge comes from unknown node '\(e.from.node)'" + hint(e.from.node, among: ids(), listing: "the nodes are"))
            }
            guard let t, let tp, let source else {
                // Not in the plan, but what it names is connected: an
                // input fed by it is not also "not connected".
                if let t { alsoTouched.append(t) }
                if let sourceNode { alsoTouched.append(sourceNode) }
                if let t, let tp { countEdge(e.index, into: slotBase[t] + tp) }
                continue
            }
            let targetType = nodes[t].specBox.spec.inputs[tp].type
            if !Self.compatible(sourceType, targetType) {
                error(e.path, node: nodes[t].id, "type mismatch: \(e.from) is \(sourceType) but \(e.to) takes \(targetType)"
                        + (targetType == .string ? "; convert it first (e.g. std.to_string)" : ""))
                // Keep the edge: the input is connected, just wrongly, and
                // later checks should not report it again as unconnected.
            }
            near = t
            let isBack = (nodes[t].strategy == .loop) && LoopNode.isBackInput(tp, carryCount: nodes[t].carryCount)
            edges.append(GraphPlan.Edge(source: source, target: t, targetPort: tp, isBack: isBack))
            countEdge(e.index, into: slotBase[t] + tp)
        }
        // The ends of edges the decoder left out: what they name is
        // connected too.
        var fedByUnreadEdge = Set<Int>()
        for ref in doc.unreadEdgeTargets {
            guard let t = indexOf.find(ref.node, in: nodes) else { continue }
            alsoTouched.append(t)
            if !failed[t], let p = nodes[t].specBox.spec.inputs.firstIndex(where: { $0.name == ref.port }) {
                fedByUnreadEdge.insert(slotBase[t] + p)
            }
        }
        for ref in doc.unreadEdgeSources {
            if ref.isGraphInput {
                if let gi = inputIndex[ref.port] { usedInputs.insert(gi) }
            } else if let s = indexOf.find(ref.node, in: nodes) {
                alsoTouched.append(s)
            }
        }
        doc.edges = []
        func edgePath(_ index: Int32) -> String { "$.edges[\(index)]" }

        // Flows: their transitions and states (a state's store comes from its flow).
        let fedByFlow = checkFlows(flowDecls.filter { !failed[$0.node] },
                                   nodes: &nodes, failed: failed, indexOf: indexOf, slotBase: slotBase, edges: edges)

        // 4. Inputs: one source each (unless join: any), required ones connected.
        // Without the file's edges (or the node's "inputs", or its "join")
        // what is connected is not known.
        let edgesKnown = !doc.unread.contains(.edges)
        for i in 0..<count where !failed[i] {
            // Reads in place (a copy of the node would retain all its parts).
            let inputs = nodes[i].specBox.spec.inputs
            let lacks = unread(i)
            for (p, port) in inputs.enumerated() {
                var n: GraphPlan.Node { nodes[i] }
                let fed = Int(edgesInto[slotBase[i] + p])
                let (first, second) = firstEdges[slotBase[i] + p]
                let hasConstant = nodes[i].constant(p) != nil
                if hasConstant && fed > 0 {
                    error(edgePath(first), node: n.id, "input '\(port.name)' of node '\(n.id)' is bound to a constant and also connected by an edge; keep one")
                } else if fed > 1 && !(nodes[i].join == .any && !(nodes[i].strategy == .loop)) && !lacks.contains(.join) {
                    error(edgePath(second), node: n.id, "input '\(port.name)' of node '\(n.id)' has \(fed) incoming edges but takes one value; "
                            + "merge them in a node first, or set \"join\": \"any\" on '\(n.id)' to take whichever arrives first")
                }
                if fed == 0 && !hasConstant && edgesKnown && !lacks.contains(.inputs)
                    && (fedByUnreadEdge.isEmpty || !fedByUnreadEdge.contains(slotBase[i] + p))
                    && (fedByFlow.isEmpty || !fedByFlow.contains(slotBase[i] + p)) {
                    if (nodes[i].strategy == .loop) {
                        error(n.path, node: n.id, "loop '\(n.id)': input '\(port.name)' is not connected"
                                + (LoopNode.isBackInput(p, carryCount: n.carryCount)
                                   ? " (connect it from the loop body: a back edge)" : " (give the initial value by an edge or under \"inputs\")"))
                    } else if !port.optional {
                        error(n.path, node: n.id, "required input '\(port.name)' (\(port.type)) of node '\(n.id)' is not connected; "
                                + "add an edge to \(n.id).\(port.name) or bind a constant under \"inputs\"")
                    }
                }
            }
        }

        // join: any takes the first value on one input port.
        for i in 0..<count where !failed[i] && nodes[i].join == .any && !(nodes[i].strategy == .loop) {
            let n = nodes[i]
            let fed = (0..<n.spec.inputs.count).filter { edgesInto[slotBase[i] + $0] > 0 }
            if fed.count > 1 {
                error(n.path + ".join", node: n.id, "node '\(n.id)' has \"join\": \"any\" but edges into \(fed.count) inputs "
                        + "(\(fed.map { n.spec.inputs[$0].name }.joined(separator: ", "))); join any runs on the first value "
                        + "arriving at ONE input: route the alternatives into a single input")
            }
        }

        // 5. Cycles: the graph without back edges must be acyclic.
        var forwardCount = [Int32](repeating: 0, count: count + 1)
        var backEdgesInto = [Int: [Int]]()  // loop → source nodes of back edges (or -1 for graph inputs)
        for e in edges {
            guard case .node(let s, _) = e.source else {
                if e.isBack { backEdgesInto[e.target, default: []].append(-1) }
                continue
            }
            if e.isBack { backEdgesInto[e.target, default: []].append(s) } else { forwardCount[s + 1] += 1 }
        }
        for i in 0..<count { forwardCount[i + 1] += forwardCount[i] }
        var forwardItems = [Int32](repeating: 0, count: Int(forwardCount[count]))
        var fill = forwardCount
        for e in edges where !e.isBack {
            if case .node(let s, _) = e.source {
                forwardItems[Int(fill[s])] = Int32(e.target)
                fill[s] += 1
            }
        }
        let forward = Adjacency(start: forwardCount, items: forwardItems)
        if let cycle = Self.findCycle(forward) {
            let names = (cycle + [cycle[0]]).map { node($0)?.id ?? "?" }.joined(separator: " → ")
            error("$.edges", node: node(cycle[0])?.id, "cycle \(names) passes through no loop; "
                    + "cycles are allowed only into a loop node's next_* and continue inputs")
        }

        // 6. Loop bodies: what the loop's current-value outputs reach.
        var bodies: [Int: [Int]] = [:]
        var bodyOf: [Int: Set<Int>] = [:]
        let hasLoops = (0..<count).contains { !failed[$0] && (nodes[$0].strategy == .loop) }
        if hasLoops && !diagnostics.contains(where: { $0.severity == .error }) {
            var outgoingByPort: [Int: [(port: Int, target: Int)]] = [:]
            for e in edges where !e.isBack {
                if case .node(let s, let p) = e.source, !failed[s] && (nodes[s].strategy == .loop) { outgoingByPort[s, default: []].append((p, e.target)) }
            }
            for l in 0..<count where !failed[l] && (nodes[l].strategy == .loop) {
                let loop = nodes[l]
                var body = Set<Int>()
                var stack = (outgoingByPort[l] ?? []).filter { $0.port < loop.carryCount }.map(\.target)
                while let n = stack.popLast() {
                    if n == l || body.contains(n) { continue }
                    body.insert(n)
                    forward.forEach(n) { stack.append($0) }
                }
                bodyOf[l] = body
                bodies[l] = body.sorted()
                for s in backEdgesInto[l] ?? [] where s != l && !body.contains(s) {
                    let sid = s >= 0 ? (node(s)?.id ?? "?") : "a graph input"
                    error(loop.path, node: loop.id, "loop '\(loop.id)': back edge from \(sid), which is not in the loop's body "
                            + "(the nodes fed by the loop's current values \(loop.spec.outputs.prefix(loop.carryCount).map { "\(loop.id).\($0.name)" }.joined(separator: ", ")))")
                }
            }
            // Bodies nest or are disjoint.
            let loops = bodies.keys.sorted()
            for (i, a) in loops.enumerated() {
                for b in loops[(i + 1)...] {
                    let ba = bodyOf[a] ?? [], bb = bodyOf[b] ?? []
                    let shared = ba.intersection(bb)
                    if shared.isEmpty { continue }
                    let nested = (ba.contains(b) && bb.isSubset(of: ba)) || (bb.contains(a) && ba.isSubset(of: bb))
                    if !nested, let x = shared.min() {
                        error(node(x)?.path ?? "$", node: node(x)?.id,
                              "node '\(node(x)?.id ?? "?")' is in the bodies of loops '\(node(a)?.id ?? "?")' and '\(node(b)?.id ?? "?")', which are not nested")
                    }
                }
            }
        }

        // 7. Graph outputs.
        var outputs: [(name: String, node: Int, port: Int)] = []
        for o in doc.outputs {
            guard let n = indexOf.find(o.source.node, in: nodes) else {
                if !doc.unread.contains(.nodes) {
                    error(o.path, "output '\(o.name)' names unknown node '\(o.source.node)'" + hint(o.source.node, among: ids(), listing: "the nodes are"))
                }
                continue
            }
            alsoTouched.append(n)
            guard let found = node(n) else { continue }
            let loopName = { (l: Int) in node(l)?.id ?? "?" }
            let node = found
            guard let p = node.spec.outputs.firstIndex(where: { $0.name == o.source.port }) else {
                error(o.path, node: node.id, "output '\(o.name)': node '\(node.id)' (\(node.type)) has no output '\(o.source.port)'"
                        + hint(o.source.port, among: node.spec.outputs.map(\.name)))
                continue
            }
            if node.isLoop && p < node.carryCount {
                error(o.path, node: node.id, "output '\(o.name)' reads '\(node.id).\(node.spec.outputs[p].name)', the loop's value "
                        + "inside its body; read '\(node.id).done_\(node.spec.outputs[p].name)' for the final value")
                continue
            }
            if let l = bodyOf.first(where: { $0.value.contains(n) })?.key {
                error(o.path, node: node.id, "output '\(o.name)' reads '\(node.id)' inside loop '\(loopName(l))'; read the loop's done_* output instead")
                continue
            }
            outputs.append((o.name, n, p))
        }

        // 8. Warnings.
        var touched = [Bool](repeating: false, count: count)
        for e in edges {
            touched[e.target] = true
            if case .node(let s, _) = e.source { touched[s] = true }
        }
        for o in outputs { touched[o.node] = true }
        for d in flowDecls {
            touched[d.node] = true
            nodes[d.node].flow?.states.forEach { touched[$0.node] = true }
        }
        for t in doc.transitions {
            if let a = indexOf.find(t.from, in: nodes) { touched[a] = true }
            if let b = indexOf.find(t.to, in: nodes) { touched[b] = true }
        }
        for i in alsoTouched { touched[i] = true }
        // Without the file's edges or outputs, what is connected is not known.
        if count > 1 && edgesKnown && !doc.unread.contains(.outputs) {
            for i in 0..<count where !touched[i] {
                // A node with a problem of its own has no warning about it.
                guard let n = node(i), unread(i).isEmpty else { continue }
                warning(n.path, node: n.id, "node '\(n.id)' is not connected to anything; it runs on its own")
            }
        }
        for (i, input) in doc.inputs.enumerated() where edgesKnown && !usedInputs.contains(i) {
            warning(input.path, "graph input '\(input.name)' is not used by any edge")
        }

        guard !diagnostics.contains(where: { $0.severity == .error }) else { return nil }
        // Every node resolved (no errors): move them out without copies.
        var resolved = nodes
        nodes = []
        // Innermost enclosing loop: the smallest body containing the node.
        if !bodyOf.isEmpty {
            for i in resolved.indices {
                let containing = bodyOf.filter { $0.value.contains(i) }
                resolved[i].enclosingLoop = containing.min { $0.value.count < $1.value.count }?.key
            }
        }
        var plan = GraphPlan(description: doc.description, nodes: resolved, edges: edges, inputs: doc.inputs,
                             outputs: outputs, loopBodies: bodies, warnings: diagnostics)
        plan.errorStrategy = doc.errorStrategy ?? .failFast
        plan.observers = observers
        if !doc.subgraphPlans.isEmpty {
            for (i, node) in plan.nodes.enumerated() where node.type == Subgraphs.typeName {
                plan.subgraphs[i] = doc.subgraphPlans[node.id]?.plan
            }
        }
        return plan
    }
}
