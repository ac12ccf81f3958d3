/// Node ids to node indices, for the validator: an open-addressing table of
/// indices into the plan's nodes (whose ids it compares when 31 bits of the
/// hash match), hashed with the standard library's seeded hasher. A
/// `[String: Int]` of a million ids is about 50 MB; this is 16.
struct IdIndex {
    /// -1 = empty; else the high 32 bits of the id's hash, then the index.
    private var slots: [Int64]
    private var mask: Int

    init(capacity: Int) {
        var size = 16
        while size < 2 * capacity { size <<= 1 }
        slots = [Int64](repeating: -1, count: size)
        mask = size - 1
    }

    private static func hash(_ id: String) -> Int {
        var copy = id
        return copy.withUTF8 { bytes in
            var h = Hasher()
            h.combine(bytes: UnsafeRawBufferPointer(bytes))
            return h.finalize()
        }
    }

    @inline(__always)
    private static func tag(_ h: Int) -> Int64 { Int64(UInt64(UInt(bitPattern: h)) >> 33) << 32 }

    /// The index of the node whose id is `id`, if one was inserted. Ids
    /// are compared only when the stored hash bits match.
    func find(_ id: String, in nodes: [GraphPlan.Node]) -> Int? {
        let h = Self.hash(id)
        let tag = Self.tag(h)
        var i = h & mask
        while true {
            let s = slots[i]
            if s < 0 { return nil }
            if s & ~0xFFFF_FFFF == tag, nodes[Int(s & 0xFFFF_FFFF)].id == id { return Int(s & 0xFFFF_FFFF) }
            i = (i + 1) & mask
        }
    }

    /// Adds node `index` under `id` unless a node of `nodes` already has
    /// that id (then returns false and adds nothing): one hash and one probe
    /// sequence for both. At most the `capacity` given to `init` nodes are
    /// added (the table stays at most half full).
    mutating func insertIfAbsent(_ id: String, index: Int, in nodes: [GraphPlan.Node]) -> Bool {
        precondition(2 * (index + 1) <= slots.count, "IdIndex holds at most the capacity it was made for")
        let h = Self.hash(id)
        let tag = Self.tag(h)
        var i = h & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            if s & ~0xFFFF_FFFF == tag, nodes[Int(s & 0xFFFF_FFFF)].id == id { return false }
            i = (i + 1) & mask
        }
        slots[i] = tag | Int64(index)
        return true
    }
}

/// Checks a `GraphDocument` against the node types of a catalog and builds a
/// `GraphPlan`. Reports every problem at once, each with its JSON path, the
/// node, and a fix.
///
/// ```swift
/// let doc = try GraphDecoder.decode(text: text)
/// let plan = try GraphValidator.validate(doc, catalog: registry)
/// ```
public enum GraphValidator {
    /// Validates `doc`. Given a document no one else holds (a temporary,
    /// or `consume doc`), it lets go of the document's nodes and edges as
    /// soon as the plan has its own: a big graph does not hold both.
    ///
    /// A document from `GraphDecoder.decodePartial` may carry the decoder's
    /// problems: they are reported first, and the rest of the graph is
    /// checked too, except what follows from them (an input fed by an edge
    /// from an unknown node is not also "not connected").
    public static func validate(_ doc: consuming GraphDocument, catalog: any NodeCatalog) throws(GraphError) -> GraphPlan {
        var v = Validation(doc: doc, catalog: catalog)
        let plan = v.run()
        guard let plan, !v.diagnostics.contains(where: { $0.severity == .error }) else {
            throw GraphError(v.diagnostics)
        }
        return plan
    }

    /// Decodes and validates graph text in one step, reporting the
    /// decoder's problems and the validator's together.
    public static func load(text: String, catalog: any NodeCatalog) throws(GraphError) -> GraphPlan {
        try validate(try GraphDecoder.decodePartial(text: text), catalog: catalog)
    }

    /// Decodes and validates a graph file's bytes (UTF-8) in one step,
    /// without a `String` copy of the whole file.
    public static func load(bytes: [UInt8], catalog: any NodeCatalog) throws(GraphError) -> GraphPlan {
        try validate(try GraphDecoder.decodePartial(bytes: bytes), catalog: catalog)
    }
}

private struct Validation {
    var doc: GraphDocument
    let catalog: any NodeCatalog
    var diagnostics: [Diagnostic] = []
    /// The catalog's answer for the last node type looked up.
    var lastSpec: (type: String, box: SpecBox)?
    /// The last node type whose `parameterizedSpec` was nil.
    var lastPlainType: String?

    init(doc: consuming GraphDocument, catalog: any NodeCatalog) {
        self.doc = doc
        self.catalog = catalog
        diagnostics = self.doc.diagnostics
        self.doc.diagnostics = []
    }

    mutating func error(_ path: String, node: String? = nil, _ message: String) {
        diagnostics.append(Diagnostic(.error, path: path, node: node, message))
    }

    mutating func warning(_ path: String, node: String? = nil, _ message: String) {
        diagnostics.append(Diagnostic(.warning, path: path, node: node, message))
    }

    /// "; did you mean 'x'?" for a near name, else the short list of names.
    func hint(_ name: String, among names: [String], listing noun: String = "it has") -> String {
        if let best = EditDistance.closest(to: name, among: names, limit: 1).first { return "; did you mean '\(best)'?" }
        return names.isEmpty || names.count > 8 ? "" : "; \(noun): \(names.joined(separator: ", "))"
    }

    mutating func run() -> GraphPlan? {
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
        for n in doc.nodes {
            // The node goes in at `nodes.count`: appended just below.
            guard indexOf.insertIfAbsent(n.id, index: nodes.count, in: nodes) else {
                error(n.path + ".id", node: n.id, "duplicate node id '\(n.id)'; node ids must be unique")
                continue
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
                    && (fedByUnreadEdge.isEmpty || !fedByUnreadEdge.contains(slotBase[i] + p)) {
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
        return GraphPlan(description: doc.description, nodes: resolved, edges: edges, inputs: doc.inputs,
                         outputs: outputs, loopBodies: bodies, warnings: diagnostics)
    }

    /// Holds the place of a node that did not resolve (never in a plan:
    /// its error stops validation).
    static func standIn(_ n: GraphNode) -> GraphPlan.Node {
        GraphPlan.Node(id: n.id, type: n.type, label: nil, specBox: emptySpec,
                       params: [:], constants: [], strategy: .sequential, join: .all, maxIterations: 0,
                       carryCount: 0, enclosingLoop: nil, index: n.index, isolate: false, timeoutMs: nil, maxEvents: nil)
    }
    static let emptySpec = SpecBox(NodeSpec(namespace: "", name: "", summary: "", inputs: [], outputs: [], flags: []))

    /// Successor lists of the forward graph, flattened: node `n`'s are
    /// `items[start[n]..<start[n + 1]]`, in edge order. (The same layout as
    /// the scheduler's `FlatLists`; sharing that type across the module
    /// boundary cost the run loop ~20 ns per node, measured, so each module
    /// keeps its own.)
    struct Adjacency {
        let start: [Int32]
        let items: [Int32]
        var count: Int { start.count - 1 }
        func count(_ n: Int) -> Int { Int(start[n + 1] - start[n]) }
        func item(_ n: Int, _ k: Int) -> Int { Int(items[Int(start[n]) + k]) }
        func forEach(_ n: Int, _ body: (Int) -> Void) {
            for i in Int(start[n])..<Int(start[n + 1]) { body(Int(items[i])) }
        }
    }

    /// Whether an edge from a port of type `from` into a port of type `to`
    /// can ever carry a value the target accepts.
    static func compatible(_ from: ValueType, _ to: ValueType) -> Bool {
        if from == .any || to == .any { return true }
        if from == .number { return to == .number || to == .int || to == .double }
        return to.accepts(kind: from)
    }

    /// A cycle in `adjacency` (node indices in order), or nil.
    static func findCycle(_ adjacency: Adjacency) -> [Int]? {
        var state = [UInt8](repeating: 0, count: adjacency.count)  // 0 new, 1 on stack, 2 done
        var parent = [Int](repeating: -1, count: adjacency.count)
        for start in 0..<adjacency.count where state[start] == 0 {
            var stack: [(node: Int, next: Int)] = [(start, 0)]
            state[start] = 1
            while let top = stack.last {
                let n = top.node
                if top.next < adjacency.count(n) {
                    stack[stack.count - 1].next += 1
                    let m = adjacency.item(n, top.next)
                    if state[m] == 1 {
                        var cycle = [m]
                        var x = n
                        while x != m && x >= 0 { cycle.insert(x, at: 1); x = parent[x] }
                        return cycle
                    }
                    if state[m] == 0 {
                        state[m] = 1
                        parent[m] = n
                        stack.append((m, 0))
                    }
                } else {
                    state[n] = 2
                    stack.removeLast()
                }
            }
        }
        return nil
    }

    /// Resolves a node's type, params, constants and strategy.
    mutating func resolveNode(_ n: GraphNode) -> GraphPlan.Node? {
        // The node's spec, read through its box (a copy of a spec retains
        // its six parts): the catalog's box, shared with the other nodes of
        // the type, or a box of its own (loops, ffi).
        var box: SpecBox
        let isLoop = n.type == LoopNode.typeName
        if isLoop {
            guard !n.carry.isEmpty else {
                error(n.path, node: n.id, "loop '\(n.id)' needs \"carry\": the variables it carries, e.g. {\"i\": \"int\"}")
                return nil
            }
            box = SpecBox(LoopNode.spec(carry: n.carry))
            if !n.params.isEmpty { error(n.path + ".params", node: n.id, "a loop node takes no params") }
            if n.join == .any {
                error(n.path + ".join", node: n.id, "a loop node waits for all its initial values; remove \"join\": \"any\"")
            }
            if let s = n.strategy, s != .loop {
                error(n.path + ".strategy", node: n.id, "a loop node's strategy is \"loop\"")
            }
        } else {
            // Graphs repeat types: the last lookup is kept (one string
            // comparison instead of a catalog lookup per node).
            let looked: SpecBox?
            if let last = lastSpec, last.type == n.type {
                looked = last.box
            } else {
                looked = catalog.spec(named: n.type).map(SpecBox.init)
                if let looked { lastSpec = (n.type, looked) }
            }
            guard let looked else {
                let near = catalog.suggestions(for: n.type)
                error(n.path + ".type", node: n.id, "unknown node type '\(n.type)'"
                        + (near.isEmpty ? "; run `weft plugins` to list the node types, or load the plugin with --plugins DIR"
                           : "; did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?"))
                return nil
            }
            box = looked
            if !n.carry.isEmpty { error(n.path + ".carry", node: n.id, "\"carry\" is for loop nodes only") }
            if n.maxIterations != nil { error(n.path + ".max_iterations", node: n.id, "\"max_iterations\" is for loop nodes only") }
            let isSource = box.spec.flags.contains(.source)
            if n.maxEvents != nil && !isSource {
                error(n.path + ".max_events", node: n.id, "\"max_events\" is for event sources only ('\(n.type)' is not one)")
            }
            if isSource, let st = n.strategy, st != .event {
                error(n.path + ".strategy", node: n.id, "node '\(n.id)' (\(n.type)) is an event source: its strategy is \"event\"")
            }
            if !isSource && n.strategy == .event {
                error(n.path + ".strategy", node: n.id, "strategy \"event\" belongs to event sources such as event.timer; "
                        + "'\(n.type)' is not one")
            }
            if isSource && (n.isolate || n.timeoutMs != nil) {
                error(n.path + (n.timeoutMs != nil ? ".timeout_ms" : ".isolate"), node: n.id,
                      "node '\(n.id)' (\(n.type)) is an event source; sources cannot be isolated (isolate the nodes downstream instead)")
            } else if (n.isolate || n.timeoutMs != nil) && !catalog.canIsolate(n.type) {
                error(n.path + (n.timeoutMs != nil ? ".timeout_ms" : ".isolate"), node: n.id,
                      "node '\(n.id)' (\(n.type)) cannot be isolated: only nodes of plugin files run in a child process"
                        + (n.timeoutMs != nil ? " (timeout_ms needs one)" : ""))
            }
            if n.strategy == .loop {
                error(n.path + ".strategy", node: n.id, "strategy \"loop\" belongs to nodes of type \"loop\"")
            }
            if n.strategy == .conditional && !box.spec.outputs.contains(where: \.optional) {
                error(n.path + ".strategy", node: n.id, "node '\(n.id)' (\(n.type)) cannot be conditional: it has no optional outputs to choose between")
            }
        }
        // Params.
        var params: [String: WeftValue] = [:]
        for p in n.params where !isLoop {
            guard let port = box.spec.params.first(where: { $0.name == p.name }) else {
                error(n.path + ".params." + p.name, node: n.id, "node '\(n.id)' (\(n.type)) has no param '\(p.name)'" + hint(p.name, among: box.spec.params.map(\.name)))
                continue
            }
            guard let c = port.type.coerce(p.value) else {
                error(n.path + ".params." + p.name, node: n.id, "param '\(p.name)' of node '\(n.id)' must be \(port.type), not \(p.value.kind) \(JSON.encode(p.value))")
                continue
            }
            params[p.name] = c
        }
        var missingParam = false
        let paramsUnread = n.unread.contains(.params)
        for port in box.spec.params where !port.optional && params[port.name] == nil {
            // Perhaps under the params the decoder could not read.
            if !paramsUnread {
                error(n.path + ".params", node: n.id, "node '\(n.id)' (\(n.type)) needs param '\(port.name)' (\(port.type))")
            }
            missingParam = true
        }
        // The ports of some types come from their params: unknown here.
        if missingParam && paramsUnread { return nil }
        // Types whose ports come from their params (ffi). A type the catalog
        // said has none keeps saying so (the answer depends on the type
        // alone), so a run of nodes of one type asks once.
        if !isLoop, !missingParam, lastPlainType != n.type {
            if let resolved = catalog.parameterizedSpec(type: n.type, params: params) {
                switch resolved {
                case .success(let s): box = SpecBox(s)
                case .failure(let e):
                    if !paramsUnread {
                        error(e.param.map { "\(n.path).params.\($0)" } ?? n.path, node: n.id, "node '\(n.id)' (\(n.type)): \(e.message)")
                    }
                    return nil
                }
            } else {
                lastPlainType = n.type
            }
        }
        // Constants.
        var constants: [(port: Int, value: WeftValue)] = []
        n.constantList.forEach { c in
            guard let p = box.spec.inputs.firstIndex(where: { $0.name == c.port }) else {
                error(n.path + ".inputs." + c.port, node: n.id, "node '\(n.id)' (\(n.type)) has no input '\(c.port)'" + hint(c.port, among: box.spec.inputs.map(\.name)))
                return
            }
            if isLoop && LoopNode.isBackInput(p, carryCount: n.carry.count) {
                error(n.path + ".inputs." + c.port, node: n.id, "loop input '\(c.port)' must come from the loop body, not a constant")
                return
            }
            guard let v = box.spec.inputs[p].type.coerce(c.value) else {
                error(n.path + ".inputs." + c.port, node: n.id, "input '\(c.port)' of node '\(n.id)' takes \(box.spec.inputs[p].type), not \(c.value.kind) \(JSON.encode(c.value))")
                return
            }
            constants.append((p, v))
        }
        return GraphPlan.Node(id: n.id, type: n.type, label: n.label, specBox: box, params: params,
                              constants: constants,
                              strategy: isLoop ? .loop : (box.spec.flags.contains(.source) ? .event : (n.strategy ?? .sequential)),
                              join: n.join,
                              maxIterations: n.maxIterations ?? LoopNode.defaultMaxIterations,
                              carryCount: n.carry.count, enclosingLoop: nil, index: n.index,
                              isolate: n.isolate || n.timeoutMs != nil, timeoutMs: n.timeoutMs, maxEvents: n.maxEvents)
    }
}
