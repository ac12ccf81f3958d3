#if canImport(Glibc)
import Glibc
#endif

/// Where the files of subgraph nodes come from (`"type": "graph"`, `"params":
/// {"path": …}`): for the path a graph names and the folder of the file
/// that names it (nil: the top graph, not from a file), the file's
/// canonical path and bytes, or why it cannot be read.
public struct SubgraphLoader: Sendable {
    /// Why a subgraph file cannot be read (the message names it).
    public struct Failure: Error, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }
    public typealias Loaded = (path: String, bytes: [UInt8])

    public var load: @Sendable (_ path: String, _ relativeTo: String?) -> Result<Loaded, Failure>

    public init(load: @escaping @Sendable (_ path: String, _ relativeTo: String?) -> Result<Loaded, Failure>) {
        self.load = load
    }

    /// Files on disk: a relative path is taken from the folder of the file
    /// that names it, or `baseDirectory` (nil: the working directory) for
    /// the top graph; each file at most `maxBytes`.
    public static func files(baseDirectory: String?, maxBytes: Int) -> SubgraphLoader {
        SubgraphLoader { path, relativeTo in
            let folder = relativeTo ?? baseDirectory
            let full = path.hasPrefix("/") || folder == nil ? path : folder! + "/" + path
            guard let real = realpath(full, nil) else {
                return .failure(Failure("cannot open '\(full)': \(String(cString: strerror(errno)))"))
            }
            let canonical = String(cString: real)
            free(real)
            let fd = open(canonical, O_RDONLY)
            guard fd >= 0 else { return .failure(Failure("cannot open '\(canonical)': \(String(cString: strerror(errno)))")) }
            defer { close(fd) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 { return .failure(Failure("cannot read '\(canonical)': \(String(cString: strerror(errno)))")) }
                if n == 0 { break }
                bytes += chunk[0..<n]
                if bytes.count > maxBytes {
                    return .failure(Failure("'\(canonical)' holds more than the limit of \(maxBytes) bytes"))
                }
            }
            return .success((path: canonical, bytes: bytes))
        }
    }

    /// The folder of a file's path.
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

/// Subgraph nodes (`"type": "graph"`): a graph used as a node. Each is
/// validated on its own (its graph inputs are the node's inputs, its graph
/// outputs the node's outputs), then inlined into the graph that uses it:
/// its nodes become nodes of that graph with ids `node.inner`, its edges
/// from graph inputs come from whatever feeds the node's inputs (or the
/// node's constants, or the inputs' defaults), and edges from the node's
/// outputs come from the inner ports behind them. The run sees one flat
/// graph: every run path, compiled programs included, and events name the
/// inner nodes `node.inner`.
enum Subgraphs {
    static let typeName = "graph"
    /// The deepest subgraphs may nest.
    static let maxDepth = 16

    /// Inlines every subgraph node of `doc`, recursively. `file`: the file
    /// `doc` came from (nil: the top graph, or an inline graph of it);
    /// `stack`: the files being inlined, to refuse cycles. Problems are
    /// returned as diagnostics with paths into the file that has them.
    static func expand(_ doc: inout GraphDocument, catalog: any NodeCatalog, loader: SubgraphLoader?, file: String?,
                       stack: [String]) -> [Diagnostic] {
        // (A subgraph node that could not be inlined stays as a stand-in,
        // its type marked unread: it is not tried again.)
        // (A mapped one already validated stays as it is.)
        let kept = doc.subgraphPlans
        func isSubgraph(_ n: GraphNode) -> Bool { n.type == typeName && !n.unread.contains(.type) && kept[n.id] == nil }
        guard doc.nodes.contains(where: isSubgraph) else { return [] }
        var diagnostics: [Diagnostic] = []
        var nodes: [GraphNode] = []
        var edges = doc.edges
        var outputs = doc.outputs
        var transitions = doc.transitions
        for g in doc.nodes {
            guard isSubgraph(g) else {
                nodes.append(g)
                continue
            }
            switch inline(g, into: &edges, &outputs, &transitions, doc: doc, catalog: catalog, loader: loader, file: file, stack: stack) {
            case .inlined(let inner): nodes += inner
            case .mapped(let plan):
                nodes.append(g)
                doc.subgraphPlans[g.id] = GraphDocument.SubgraphPlan(plan)
            case .failed(let found):
                diagnostics += found
                // Kept as a stand-in: nothing more is said of it.
                var standIn = g
                standIn.unread.insert(.type)
                nodes.append(standIn)
            }
        }
        doc.nodes = nodes
        doc.edges = edges
        doc.outputs = outputs
        doc.transitions = transitions
        return diagnostics
    }

    /// Subgraph node `g`'s nodes, ready to take its place; the edges and
    /// outputs that touch it rewired.
    private static func inline(_ g: GraphNode, into edges: inout [GraphEdge], _ outputs: inout [GraphOutput],
                               _ transitions: inout [GraphTransition],
                               doc: GraphDocument, catalog: any NodeCatalog, loader: SubgraphLoader?, file: String?,
                               stack: [String]) -> Inlined {
        func fail(_ path: String, _ message: String) -> Inlined {
            .failed([Diagnostic(.error, path: path, node: g.id, message)])
        }
        let params = Dictionary(g.params.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        for p in g.params where p.name != "path" && p.name != "graph" {
            return fail(g.path + ".params." + p.name, "a subgraph node takes \"path\" (a graph file) or \"graph\" (a graph "
                          + "inline), not '\(p.name)'")
        }
        if g.strategy != nil || g.retry != nil || g.onError != nil || g.isolate || g.timeoutMs != nil || g.join == .any
            || g.before != nil || g.after != nil {
            return fail(g.path, "a subgraph node takes only \"id\", \"type\", \"label\", \"params\", \"inputs\" and "
                          + "\"map\" (with \"concurrency\", \"on_item_error\"); set strategy, retry, on_error, isolate, join or "
                          + "hooks on the nodes inside it")
        }
        guard stack.count < maxDepth else {
            return fail(g.path, "subgraphs nest more than \(maxDepth) deep")
        }
        // The subgraph's document, its own subgraphs inlined.
        var sub: GraphDocument
        var subFile: String? = file
        let origin: String
        switch (params["path"], params["graph"]) {
        case (.string(let path)?, nil):
            guard let loader else { return fail(g.path + ".params.path", "subgraph files cannot be read here") }
            switch loader.load(path, file.map(SubgraphLoader.folder(of:))) {
            case .failure(let why): return fail(g.path + ".params.path", why.message)
            case .success(let (canonical, bytes)):
                if canonical == file || stack.contains(canonical) {
                    return fail(g.path + ".params.path", "'\(path)' is already being inlined here (a cycle of subgraph "
                                  + "files: \((stack + [canonical]).joined(separator: " → "))); a graph cannot contain itself")
                }
                subFile = canonical
                origin = canonical + ":$."
                do {
                    sub = try GraphDecoder.decodePartial(bytes: bytes)
                } catch {
                    return .failed(error.diagnostics.map { relocate($0, origin) })
                }
            }
        case (nil, .map?):
            origin = g.path + ".params.graph."
            do {
                sub = try GraphDecoder.decodePartial(text: JSON.encode(params["graph"]!))
            } catch {
                return .failed(error.diagnostics.map { relocate($0, origin) })
            }
        default:
            return fail(g.path + ".params", "a subgraph node needs \"params\": {\"path\": \"file.json\"} or {\"graph\": {…}}")
        }
        // Validated on its own: its problems are its file's.
        let nextStack = subFile.map { stack + [$0] } ?? stack
        var own = expand(&sub, catalog: catalog, loader: loader, file: subFile, stack: nextStack)
        var check = sub
        check.diagnostics = []
        var subPlan: GraphPlan?
        do {
            let plan = try GraphValidator.validate(check, catalog: catalog)
            own += plan.warnings
            subPlan = plan
        } catch {
            own += error.diagnostics
        }
        own += sub.diagnostics
        if !sub.observers.isEmpty {
            own.append(Diagnostic(.error, path: "$.observers", node: nil,
                                  "a subgraph cannot have observers: list them in the top graph's \"observers\""))
        }
        if own.contains(where: { $0.severity == .error }) { return .failed(own.map { relocate($0, origin) }) }
        // Mapped: the node stays, and runs its graph once per item.
        if g.map != nil {
            guard let plan = subPlan else { return fail(g.path, "subgraph '\(g.id)' could not be validated") }
            if let source = plan.nodes.first(where: { $0.spec.flags.contains(.source) }) {
                return fail(g.path + ".map", "a mapped subgraph cannot hold event sources ('\(source.id)' is one)")
            }
            return .mapped(plan)
        }

        // Its interface: inputs by name, outputs by name.
        let inputs = Dictionary(sub.inputs.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let subOutputs = Dictionary(sub.outputs.map { ($0.name, $0.source) }, uniquingKeysWith: { a, _ in a })
        var problems: [Diagnostic] = []
        // Constants bound on the node are values of its inputs.
        var bound: [String: WeftValue] = [:]
        for c in g.constants {
            guard let input = inputs[c.port] else {
                problems.append(Diagnostic(.error, path: g.path + ".inputs." + c.port, node: g.id,
                                           "subgraph '\(g.id)' has no input '\(c.port)'" + names(inputs.keys)))
                continue
            }
            guard let v = input.type.coerce(c.value) else {
                bound[c.port] = .null  // (bound, wrongly: not also "needs input")
                problems.append(Diagnostic(.error, path: g.path + ".inputs." + c.port, node: g.id,
                                           "input '\(c.port)' of subgraph '\(g.id)' takes \(input.type), not \(c.value.kind)"))
                continue
            }
            bound[c.port] = v
        }
        // What feeds each input: the edges into the node's port.
        var feeds: [String: [PortRef]] = [:]
        for e in edges where !e.to.isGraphInput && e.to.node == g.id {
            guard inputs[e.to.port] != nil else {
                problems.append(Diagnostic(.error, path: e.path + ".to", node: g.id,
                                           "subgraph '\(g.id)' has no input '\(e.to.port)'" + names(inputs.keys)))
                continue
            }
            feeds[e.to.port, default: []].append(e.from)
        }
        for e in edges where !e.from.isGraphInput && e.from.node == g.id && subOutputs[e.from.port] == nil {
            problems.append(Diagnostic(.error, path: e.path + ".from", node: g.id,
                                       "subgraph '\(g.id)' has no output '\(e.from.port)'" + names(subOutputs.keys)))
        }
        for o in outputs where !o.source.isGraphInput && o.source.node == g.id && subOutputs[o.source.port] == nil {
            problems.append(Diagnostic(.error, path: o.path, node: g.id,
                                       "subgraph '\(g.id)' has no output '\(o.source.port)'" + names(subOutputs.keys)))
        }
        for input in sub.inputs where feeds[input.name] == nil && bound[input.name] == nil && input.defaultValue == nil {
            problems.append(Diagnostic(.error, path: g.path, node: g.id,
                                       "subgraph '\(g.id)' needs input '\(input.name)' (\(input.type)): connect an edge to "
                                         + "\(g.id).\(input.name) or bind it under \"inputs\""))
        }
        if !problems.isEmpty { return .failed(problems) }

        // Its nodes, renamed; constants for the inputs bound by value.
        let prefix = g.id + "."
        var inner = sub.nodes.map { n -> GraphNode in
            var n = n
            n.id = prefix + n.id
            n.origin = origin
            if let start = n.start { n.start = prefix + start }
            return n
        }
        // Its flows' transitions, between its renamed states.
        for t in sub.transitions {
            transitions.append(GraphTransition(from: prefix + t.from, to: prefix + t.to, when: t.when, index: t.index, origin: origin))
        }
        let position = Dictionary(inner.enumerated().map { ($0.element.id, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var rewired: [GraphEdge] = []
        for e in sub.edges {
            let to = PortRef(node: prefix + e.to.node, port: e.to.port)
            guard e.from.isGraphInput else {
                rewired.append(GraphEdge(from: PortRef(node: prefix + e.from.node, port: e.from.port), to: to, index: e.index,
                                         origin: origin))
                continue
            }
            let name = e.from.port
            if let sources = feeds[name] {
                for s in sources { rewired.append(GraphEdge(from: s, to: to, index: e.index, origin: origin)) }
            } else if let v = bound[name] ?? inputs[name]?.defaultValue, let at = position[to.node] {
                inner[at].constants.append((port: to.port, value: v))
            }
        }
        // The edges that touched the node, rewired: into it (replaced by
        // the inner edges above), out of it (from the inner port).
        var kept: [GraphEdge] = []
        for e in edges {
            if !e.to.isGraphInput && e.to.node == g.id { continue }
            if !e.from.isGraphInput && e.from.node == g.id, let source = subOutputs[e.from.port] {
                var moved = e
                moved.from = PortRef(node: prefix + source.node, port: source.port)
                kept.append(moved)
                continue
            }
            kept.append(e)
        }
        edges = kept + rewired
        for i in outputs.indices where !outputs[i].source.isGraphInput && outputs[i].source.node == g.id {
            if let source = subOutputs[outputs[i].source.port] {
                outputs[i].source = PortRef(node: prefix + source.node, port: source.port)
            }
        }
        return .inlined(inner)
    }

    /// A subgraph node's nodes, or why it cannot be inlined.
    enum Inlined {
        case inlined([GraphNode])
        /// Mapped: kept as a node that runs this graph per item.
        case mapped(GraphPlan)
        case failed([Diagnostic])
    }

    /// A diagnostic of a subgraph, its path put inside the graph that uses
    /// it (`origin`: where the subgraph's `$.` is).
    static func relocate(_ d: Diagnostic, _ origin: String) -> Diagnostic {
        var d = d
        if d.path.hasPrefix(origin) { return d }
        d.path = d.path == "$" ? String(origin.dropLast()) : origin + d.path.dropFirst(2)
        return d
    }

    /// The ports of a mapped subgraph node before its map (`GraphPlan.interfaceSpec`): its graph's
    /// inputs (optional with a default) and outputs; its params.
    static func interfaceSpec(_ plan: GraphPlan) -> NodeSpec {
        NodeSpec(namespace: "", name: typeName, summary: "a subgraph, run once per item",
                 inputs: plan.inputs.map { PortSpec(name: $0.name, type: $0.type, defaultValue: $0.defaultValue) },
                 outputs: plan.outputs.map { PortSpec(name: $0.name, type: plan.nodes[$0.node].spec.outputs[$0.port].type) },
                 params: [PortSpec(name: "path", type: .string, optional: true), PortSpec(name: "graph", type: .map, optional: true)])
    }

    private static func names(_ keys: Dictionary<String, some Any>.Keys) -> String {
        keys.isEmpty ? "; it has none" : "; it has: " + keys.sorted().joined(separator: ", ")
    }
}
