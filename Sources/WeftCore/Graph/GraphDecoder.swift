import OrderedCollections

/// Reads a graph file's JSON into a `GraphDocument`, collecting every
/// structural problem (wrong field types, unknown fields, bad references)
/// with its JSON path instead of stopping at the first.
///
/// `decodePartial` goes on past a problem: it records it, leaves the
/// element out or marks what it could not read, and decodes the rest, so
/// the validator can check that rest too (`GraphValidator.validate` reports
/// the document's diagnostics and then its own). Only text that is not JSON
/// stops it. `decode` is the same but throws when there is any error.
public enum GraphDecoder {
    /// Parses and decodes graph text. Throws `GraphError` with every problem.
    public static func decode(text: String) throws(GraphError) -> GraphDocument {
        try decode(bytes: Array(text.utf8))
    }

    /// Parses and decodes a graph file's bytes (UTF-8). Nodes and edges are
    /// decoded as the parser reaches them, so the JSON of the whole list is
    /// never held: a graph of a million nodes needs memory for its nodes,
    /// not also for their JSON objects. Diagnostics come out in the order
    /// `decode(_:)` gives them.
    public static func decode(bytes: [UInt8]) throws(GraphError) -> GraphDocument {
        try bytes.withUnsafeBufferPointer { buffer throws(GraphError) in try decode(buffer: buffer) }
    }

    /// `decode(bytes:)` over bytes the caller holds (a mapped file, say).
    /// `progress(offset)` is called before each node and edge: the bytes
    /// before `offset` will not be read again, so the caller may let go of
    /// them (a big file need not be held whole while it is decoded).
    public static func decode(buffer: UnsafeBufferPointer<UInt8>, progress: ((Int) -> Void)? = nil) throws(GraphError)
        -> GraphDocument {
        try complete(try decodePartial(buffer: buffer, progress: progress))
    }

    /// Decodes an already-parsed JSON value.
    public static func decode(_ value: WeftValue) throws(GraphError) -> GraphDocument {
        try complete(decodePartial(value))
    }

    /// Parses and decodes graph text as far as it goes: the problems are in
    /// the document's `diagnostics`. Throws only when the text is not JSON.
    public static func decodePartial(text: String) throws(GraphError) -> GraphDocument {
        try decodePartial(bytes: Array(text.utf8))
    }

    /// `decode(bytes:)` as far as it goes (see `decodePartial(text:)`).
    public static func decodePartial(bytes: [UInt8]) throws(GraphError) -> GraphDocument {
        try bytes.withUnsafeBufferPointer { buffer throws(GraphError) in try decodePartial(buffer: buffer) }
    }

    /// `decode(buffer:progress:)` as far as it goes: the problems are in
    /// the document's `diagnostics`, in the order `decodePartial(_:)` gives
    /// them. Throws only when the bytes are not JSON.
    public static func decodePartial(buffer: UnsafeBufferPointer<UInt8>, progress: ((Int) -> Void)? = nil) throws(GraphError)
        -> GraphDocument {
        var nodes = Decoder(), edges = Decoder()
        var decodedNodes = ChunkedList<GraphNode>(), decodedEdges = ChunkedList<GraphEdge>()
        let parsed: (value: WeftValue, streamedKeys: Set<String>)
        do {
            parsed = try JSON.parse(buffer: buffer, streaming: ["nodes", "edges"]) { key, index, p throws(JSONSyntaxError) in
                progress?(p.pos)
                // The plain shapes are read straight from the bytes; anything
                // else (or anything wrong) is parsed into a value and decoded
                // the general way, which gives every message.
                if key == "nodes" {
                    if let n = PlainShapes.node(&p, index: index) {
                        decodedNodes.append(n)
                    } else if let n = nodes.node(try p.value(), index: index) {
                        decodedNodes.append(n)
                    }
                } else if let e = PlainShapes.edge(&p, index: index) {
                    decodedEdges.append(e)
                } else if let e = edges.edge(try p.value(), index: index) {
                    decodedEdges.append(e)
                }
            }
        } catch {
            decodedNodes.discard()
            decodedEdges.discard()
            throw GraphError([Diagnostic(path: "$", "not valid JSON: \(error)")])
        }
        var d = Decoder()
        if parsed.streamedKeys.contains("nodes") { d.streamedNodes = (decodedNodes.take(), nodes.diagnostics) }
        if parsed.streamedKeys.contains("edges") {
            d.streamedEdges = (decodedEdges.take(), edges.diagnostics)
            d.unreadSources = edges.unreadSources
            d.unreadTargets = edges.unreadTargets
        }
        return d.document(parsed.value)
    }

    /// Decodes an already-parsed JSON value as far as it goes: the problems
    /// are in the document's `diagnostics`.
    public static func decodePartial(_ value: WeftValue) -> GraphDocument {
        var d = Decoder()
        return d.document(value)
    }

    /// `doc`, or its diagnostics thrown when one is an error.
    private static func complete(_ doc: GraphDocument) throws(GraphError) -> GraphDocument {
        if doc.diagnostics.contains(where: { $0.severity == .error }) { throw GraphError(doc.diagnostics) }
        return doc
    }

    static let topKeys = ["weft", "description", "inputs", "outputs", "nodes", "edges"]
    static let nodeKeys = ["id", "type", "label", "params", "inputs", "strategy", "join", "max_iterations", "carry",
                           "isolate", "timeout_ms", "max_events"]
    static let edgeKeys = ["from", "to"]
    static let inputKeys = ["type", "default", "description"]
}

private struct Decoder {
    var diagnostics: [Diagnostic] = []
    /// Nodes and edges decoded while parsing (with their diagnostics), used
    /// in place of the (then empty) lists under "nodes" and "edges".
    var streamedNodes: (items: [GraphNode], diagnostics: [Diagnostic])?
    var streamedEdges: (items: [GraphEdge], diagnostics: [Diagnostic])?
    /// The ends that parsed of edges left out (`GraphDocument.unreadEdgeSources`).
    var unreadSources: [PortRef] = []
    var unreadTargets: [PortRef] = []

    mutating func error(_ path: String, node: String? = nil, _ message: String) {
        diagnostics.append(Diagnostic(.error, path: path, node: node, message))
    }

    /// Reports the keys of `m` not in `allowed`; returns the allowed keys
    /// the unknown ones look like misspellings of (the "did you mean").
    @discardableResult
    mutating func checkKeys(_ m: OrderedDictionary<String, WeftValue>, allowed: [String], path: String, node: String? = nil,
                            what: String) -> [String] {
        var meant: [String] = []
        for key in m.keys where !allowed.contains(key) {
            let hint = EditDistanceHint.closest(key, allowed)
            if let hint { meant.append(hint) }
            error("\(path).\(key)", node: node,
                  "unknown field '\(key)' in \(what)" + (hint.map { "; did you mean '\($0)'?" } ?? "; known fields: \(allowed.joined(separator: ", "))"))
        }
        return meant
    }

    /// The document with its diagnostics and the ends of the edges left out.
    mutating func document(_ value: WeftValue) -> GraphDocument {
        var doc = GraphDocument()
        read(value, into: &doc)
        doc.diagnostics = diagnostics
        doc.unreadEdgeSources = unreadSources
        doc.unreadEdgeTargets = unreadTargets
        return doc
    }

    private mutating func read(_ value: WeftValue, into doc: inout GraphDocument) {
        guard case .map(let top) = value else {
            error("$", "a graph file must be a JSON object, not \(value.kind)")
            return
        }
        // A misspelt section ("edgs") is missing, not empty.
        let sections: [String: GraphDocument.Sections] = ["inputs": .inputs, "outputs": .outputs, "nodes": .nodes, "edges": .edges]
        for meant in checkKeys(top, allowed: GraphDecoder.topKeys, path: "$", what: "the graph") where top[meant] == nil {
            doc.unread.formUnion(sections[meant] ?? [])
        }
        switch top["weft"] {
        case .int(GraphDocument.formatVersion): break
        case nil: error("$", "missing \"weft\": \(GraphDocument.formatVersion) (the graph format version)")
        case .int(let v): error("$.weft", "graph format version \(v) is not supported; this Weft reads version \(GraphDocument.formatVersion)")
        case let v?: error("$.weft", "\"weft\" must be the integer \(GraphDocument.formatVersion), not \(v.kind)")
        }
        if let d = top["description"] {
            if case .string(let s) = d { doc.description = s } else { error("$.description", "description must be a string") }
        }
        if let inputs = top["inputs"] {
            if let list = graphInputs(inputs) { doc.inputs = list } else { doc.unread.insert(.inputs) }
        }
        if let nodes = top["nodes"] {
            if let streamed = streamedNodes.take() {
                doc.nodes = streamed.items
                diagnostics += streamed.diagnostics
            } else if case .list(let items) = nodes {
                doc.nodes.reserveCapacity(items.count)
                for (i, item) in items.enumerated() {
                    if let n = node(item, index: i) { doc.nodes.append(n) }
                }
            } else {
                error("$.nodes", "\"nodes\" must be a list of node objects")
                doc.unread.insert(.nodes)
            }
        } else {
            error("$", "missing \"nodes\": a graph needs a list of nodes")
            doc.unread.insert(.nodes)
        }
        if let edges = top["edges"] {
            if let streamed = streamedEdges.take() {
                doc.edges = streamed.items
                diagnostics += streamed.diagnostics
            } else if case .list(let items) = edges {
                doc.edges.reserveCapacity(items.count)
                for (i, item) in items.enumerated() {
                    if let e = edge(item, index: i) { doc.edges.append(e) }
                }
            } else {
                error("$.edges", "\"edges\" must be a list of {\"from\": \"node.port\", \"to\": \"node.port\"} objects")
                doc.unread.insert(.edges)
            }
        }
        if let outputs = top["outputs"] {
            if case .map(let m) = outputs {
                for (name, v) in m {
                    let path = "$.outputs.\(name)"
                    // A bad name is reported and the output kept: what it
                    // reads is still checked (and counts as read).
                    if !Identifier.isValid(name) {
                        error(path, "output name \(JSON.quote(name)) is not a valid name (letters, digits, _)")
                    }
                    guard case .string(let s) = v, let ref = PortRef(parsing: s), !ref.isGraphInput else {
                        error(path, "an output must name a node output as \"node.port\"")
                        continue
                    }
                    doc.outputs.append(GraphOutput(name: name, source: ref, path: path))
                }
            } else {
                error("$.outputs", "\"outputs\" must be an object mapping output names to \"node.port\"")
                doc.unread.insert(.outputs)
            }
        }
    }

    /// The graph's inputs, or nil when `value` is not an object. An input
    /// with a problem is reported and kept (as `any` when its type is
    /// wrong, without its default when that is wrong), so edges from it
    /// are not reported again as coming from an unknown input.
    mutating func graphInputs(_ value: WeftValue) -> [GraphInput]? {
        guard case .map(let m) = value else {
            error("$.inputs", "\"inputs\" must be an object mapping input names to a type or {\"type\", \"default\"}")
            return nil
        }
        var out: [GraphInput] = []
        for (name, spec) in m {
            let path = "$.inputs.\(name)"
            if !Identifier.isValid(name) {
                error(path, "input name \(JSON.quote(name)) is not a valid name (letters, digits, _)")
            }
            switch spec {
            case .string(let t):
                out.append(GraphInput(name: name, type: valueType(t, path: path) ?? .any, defaultValue: nil, summary: "", path: path))
            case .map(let fields):
                checkKeys(fields, allowed: GraphDecoder.inputKeys, path: path, what: "input '\(name)'")
                var type = ValueType.any
                var typeRead = true
                if let t = fields["type"] {
                    if case .string(let s) = t, let vt = valueType(s, path: path + ".type") {
                        type = vt
                    } else {
                        if case .string = t {} else { error(path + ".type", "type must be a string such as \"int\"") }
                        typeRead = false
                    }
                }
                var def: WeftValue?
                if let d = fields["default"], typeRead {
                    if let c = type.coerce(d) {
                        def = c
                    } else {
                        error(path + ".default", "default \(JSON.encode(d)) is \(d.kind), but input '\(name)' is \(type)")
                    }
                }
                var summary = ""
                if let d = fields["description"] {
                    if case .string(let s) = d { summary = s } else { error(path + ".description", "description must be a string") }
                }
                out.append(GraphInput(name: name, type: type, defaultValue: def, summary: summary, path: path))
            default:
                error(path, "an input is a type name (\"int\") or {\"type\": \"int\", \"default\": 3}")
                out.append(GraphInput(name: name, type: .any, defaultValue: nil, summary: "", path: path))
            }
        }
        return out
    }

    mutating func valueType(_ name: String, path: String) -> ValueType? {
        if let t = ValueType(name: name) { return t }
        error(path, "unknown type \(JSON.quote(name)); use one of: \(ValueType.allCases.map(\.description).joined(separator: ", "))")
        return nil
    }

    /// A node, or nil when it has no id to know it by. A node with other
    /// problems is reported and kept, what could not be read marked in
    /// `GraphNode.unread`.
    mutating func node(_ value: WeftValue, index: Int) -> GraphNode? {
        // The path is only made for a message (most nodes have none).
        var path: String { "$.nodes[\(index)]" }
        guard case .map(let m) = value else {
            error(path, "a node must be an object with \"id\" and \"type\"")
            return nil
        }
        guard case .string(let id)? = m["id"] else {
            error(path, m["id"] == nil ? "node has no \"id\"" : "node \"id\" must be a string")
            return nil
        }
        var unread: GraphNode.Fields = []
        // An unknown field may be a misspelling of a missing one.
        let fields: [String: GraphNode.Fields] = ["type": .type, "params": .params, "inputs": .inputs, "join": .join, "carry": .carry]
        for meant in checkKeys(m, allowed: GraphDecoder.nodeKeys, path: path, node: id, what: "node '\(id)'") where m[meant] == nil {
            unread.formUnion(fields[meant] ?? [])
        }
        if !NodeID.isValid(id) {
            error(path + ".id", node: id, "node id \(JSON.quote(id)) is not valid: use letters, digits, _ and -, starting with a letter or _ (no dots: edges use node.port)")
            // No edge can name it as it is: what feeds it is not known.
            unread.insert(.inputs)
        }
        var type = ""
        if case .string(let t)? = m["type"] {
            type = t
        } else {
            error(path, node: id, m["type"] == nil ? "node '\(id)' has no \"type\" (e.g. \"std.add\")" : "node \"type\" must be a string")
            unread.insert(.type)
        }
        var n = GraphNode(id: id, type: type, label: nil, params: [], constants: [], strategy: nil, join: .all,
                          maxIterations: nil, carry: [], index: index)
        if let l = m["label"] {
            if case .string(let s) = l { n.label = s } else { error(path + ".label", node: id, "label must be a string") }
        }
        if let p = m["params"] {
            if case .map(let pm) = p {
                n.params = pm.map { (name: $0.key, value: $0.value) }
            } else {
                error(path + ".params", node: id, "params must be an object of name: value")
                unread.insert(.params)
            }
        }
        if let c = m["inputs"] {
            if case .map(let cm) = c {
                n.constants = cm.map { (port: $0.key, value: $0.value) }
            } else {
                error(path + ".inputs", node: id, "a node's \"inputs\" binds input ports to constants: an object of port: value")
                unread.insert(.inputs)
            }
        }
        if let s = m["strategy"] {
            if case .string(let str) = s, let k = StrategyKind(rawValue: str) {
                n.strategy = k
            } else {
                error(path + ".strategy", node: id,
                      "strategy must be one of: \(StrategyKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let j = m["join"] {
            if case .string(let str) = j, let k = JoinPolicy(rawValue: str) {
                n.join = k
            } else {
                error(path + ".join", node: id, "join must be \"all\" or \"any\"")
                unread.insert(.join)
            }
        }
        if let iso = m["isolate"] {
            if case .bool(let b) = iso { n.isolate = b } else { error(path + ".isolate", node: id, "isolate must be true or false") }
        }
        if let t = m["timeout_ms"] {
            if case .int(let v) = t, v > 0, v <= 86_400_000 {
                n.timeoutMs = Int(v)
            } else {
                error(path + ".timeout_ms", node: id, "timeout_ms must be a whole number of milliseconds from 1 to 86400000 (one day)")
            }
        }
        if let me = m["max_events"] {
            if case .int(let v) = me, v > 0, v <= 1_000_000_000_000 {
                n.maxEvents = Int(v)
            } else {
                error(path + ".max_events", node: id, "max_events must be a whole number from 1 to 1000000000000")
            }
        }
        if let mi = m["max_iterations"] {
            if case .int(let v) = mi, v > 0, v <= Int64(Int32.max) {
                n.maxIterations = Int(v)
            } else {
                error(path + ".max_iterations", node: id, "max_iterations must be a positive integer")
            }
        }
        if let c = m["carry"] {
            if case .map(let cm) = c, !cm.isEmpty {
                for (name, t) in cm {
                    guard Identifier.isValid(name) else {
                        error("\(path).carry.\(name)", node: id, "carried variable name \(JSON.quote(name)) is not valid (letters, digits, _)")
                        unread.insert(.carry)
                        continue
                    }
                    guard case .string(let ts) = t, let vt = valueType(ts, path: "\(path).carry.\(name)") else {
                        if case .string = t {} else { error("\(path).carry.\(name)", node: id, "a carried variable's value is its type name, e.g. \"int\"") }
                        unread.insert(.carry)
                        continue
                    }
                    n.carry.append((name: name, type: vt))
                }
            } else {
                error(path + ".carry", node: id, "carry must be a non-empty object of variable: type, e.g. {\"i\": \"int\"}")
                unread.insert(.carry)
            }
        }
        n.unread = unread
        return n
    }

    /// An edge, or nil when either end is missing or wrong; then the end
    /// that parsed is kept aside (`unreadSources`, `unreadTargets`).
    mutating func edge(_ value: WeftValue, index: Int) -> GraphEdge? {
        var path: String { "$.edges[\(index)]" }
        guard case .map(let m) = value else {
            error(path, "an edge must be an object {\"from\": \"node.port\", \"to\": \"node.port\"}")
            return nil
        }
        checkKeys(m, allowed: GraphDecoder.edgeKeys, path: path, what: "an edge")
        var from: PortRef?, to: PortRef?
        if case .string(let f)? = m["from"] {
            from = PortRef(parsing: f)
            if from == nil { error(path + ".from", "\(JSON.quote(f)) is not \"node.port\" or \"$input\"") }
        } else {
            error(path, "edge has no \"from\" string (\"node.port\" or \"$input\")")
        }
        if case .string(let t)? = m["to"] {
            to = PortRef(parsing: t)
            if let ref = to, ref.isGraphInput { to = nil }
            if to == nil { error(path + ".to", "\(JSON.quote(t)) is not \"node.port\"") }
        } else {
            error(path, "edge has no \"to\" string (\"node.port\")")
        }
        guard let from, let to else {
            if let from { unreadSources.append(from) }
            if let to { unreadTargets.append(to) }
            return nil
        }
        return GraphEdge(from: from, to: to, index: index)
    }
}

/// Node ids: `[A-Za-z_][A-Za-z0-9_-]*`.
public enum NodeID {
    public static func isValid(_ s: String) -> Bool {
        var first = true
        for b in s.utf8 {
            let letter = (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95
            let digit = b >= 48 && b <= 57
            if !(letter || (!first && (digit || b == 45))) { return false }
            first = false
        }
        return !first
    }
}

/// "Did you mean" for short lists.
enum EditDistanceHint {
    static func closest(_ word: String, _ candidates: [String]) -> String? {
        EditDistance.closest(to: word, among: candidates, limit: 1).first
    }
}

/// Nodes and edges of the common shapes, read straight from the parser
/// without building their JSON objects: a node with only `id`, `type`,
/// `label`, `inputs` and `params`, an edge with only `from` and `to`. Each
/// gives exactly what decoding the parsed object would give, or nil — with
/// the parser back where it started — for anything else, including any
/// error, which the general path then reports.
enum PlainShapes {
    static func node(_ p: inout JSONParser, index: Int) -> GraphNode? {
        let start = (p.pos, p.depth)
        var id: String?, type: String?, label: String?
        var params: [(name: String, value: WeftValue)]?, constants: [(port: String, value: WeftValue)]?
        let ok = members(&p) { key, p throws(JSONSyntaxError) -> Bool in
            switch key {
            case "id" where id == nil: id = try stringValue(&p); return id != nil
            case "type" where type == nil: type = try stringValue(&p); return type != nil
            case "label" where label == nil: label = try stringValue(&p); return label != nil
            case "inputs" where constants == nil: constants = try entries(&p); return constants != nil
            case "params" where params == nil: params = try entries(&p); return params != nil
            default: return false
            }
        }
        guard ok, let id, let type, NodeID.isValid(id) else {
            (p.pos, p.depth) = start
            return nil
        }
        return GraphNode(id: id, type: type, label: label, params: params ?? [], constants: constants ?? [],
                         strategy: nil, join: .all, maxIterations: nil, carry: [], index: index)
    }

    static func edge(_ p: inout JSONParser, index: Int) -> GraphEdge? {
        let start = (p.pos, p.depth)
        var from: String?, to: String?
        let ok = members(&p) { key, p throws(JSONSyntaxError) -> Bool in
            switch key {
            case "from" where from == nil: from = try stringValue(&p); return from != nil
            case "to" where to == nil: to = try stringValue(&p); return to != nil
            default: return false
            }
        }
        guard ok, let from, let to, let f = PortRef(parsing: from), let t = PortRef(parsing: to), !t.isGraphInput else {
            (p.pos, p.depth) = start
            return nil
        }
        return GraphEdge(from: f, to: t, index: index)
    }

    /// Reads an object member by member, `member(key, &p)` reading each
    /// value; false as soon as `member` does, or on anything unexpected.
    private static func members(_ p: inout JSONParser,
                                _ member: (String, inout JSONParser) throws(JSONSyntaxError) -> Bool) -> Bool {
        do {
            guard p.peek == UInt8(ascii: "{") else { return false }
            try p.enter()
            p.pos += 1
            p.skipSpace()
            if p.peek == UInt8(ascii: "}") { p.pos += 1; p.depth -= 1; return true }
            while true {
                p.skipSpace()
                guard p.peek == UInt8(ascii: "\"") else { return false }
                let key = try p.string()
                p.skipSpace()
                guard p.peek == UInt8(ascii: ":") else { return false }
                p.pos += 1
                p.skipSpace()
                guard try member(key, &p) else { return false }
                p.skipSpace()
                switch p.peek {
                case UInt8(ascii: ","): p.pos += 1
                case UInt8(ascii: "}"): p.pos += 1; p.depth -= 1; return true
                default: return false
                }
            }
        } catch {
            return false
        }
    }

    /// A string value, or nil (not a string).
    private static func stringValue(_ p: inout JSONParser) throws(JSONSyntaxError) -> String? {
        guard p.peek == UInt8(ascii: "\"") else { return nil }
        return try p.string()
    }

    /// An object's entries in order, or nil (not an object, or a key twice).
    private static func entries(_ p: inout JSONParser) throws(JSONSyntaxError) -> [(String, WeftValue)]? {
        var out: [(String, WeftValue)] = []
        var duplicate = false
        let ok = members(&p) { key, p throws(JSONSyntaxError) -> Bool in
            if out.contains(where: { $0.0 == key }) { duplicate = true; return false }
            out.append((key, try p.value()))
            return true
        }
        return ok && !duplicate ? out : nil
    }
}

/// A list built one element at a time whose final array has exactly its
/// length: elements gather in chunks (about 1.5 MB each for nodes), and
/// `take` moves them into one array of the right capacity, freeing each
/// chunk once moved. An array grown by doubling ends with up to twice the
/// room it needs and briefly holds its old and new buffers together; for a
/// million nodes that is hundreds of megabytes. (An allocator that maps
/// blocks of a chunk's size on their own, as glibc does by default, gives
/// each chunk back to the kernel as it is freed; the CLI asks for that
/// while it decodes.)
struct ChunkedList<Element> {
    private var chunks: [UnsafeMutablePointer<Element>] = []
    /// Elements in the last chunk.
    private var filled = 0
    private(set) var count = 0
    private static var chunkSize: Int { 16_384 }

    mutating func append(_ element: Element) {
        if chunks.isEmpty || filled == Self.chunkSize {
            chunks.append(.allocate(capacity: Self.chunkSize))
            filled = 0
        }
        (chunks[chunks.count - 1] + filled).initialize(to: element)
        filled += 1
        count += 1
    }

    /// All elements, in order, in one array; the list is empty afterwards.
    mutating func take() -> [Element] {
        let total = count
        let all = chunks
        let lastFilled = filled
        chunks = []
        filled = 0
        count = 0
        return [Element](unsafeUninitializedCapacity: total) { buffer, initialized in
            initialized = 0
            for (i, chunk) in all.enumerated() {
                let n = i == all.count - 1 ? lastFilled : Self.chunkSize
                (buffer.baseAddress! + initialized).moveInitialize(from: chunk, count: n)
                initialized += n
                chunk.deallocate()
            }
        }
    }

    /// Drops whatever was not taken.
    mutating func discard() {
        for (i, chunk) in chunks.enumerated() {
            chunk.deinitialize(count: i == chunks.count - 1 ? filled : Self.chunkSize)
            chunk.deallocate()
        }
        chunks = []
        filled = 0
        count = 0
    }
}
