// PlainShapes: the fast path that reads common nodes and edges straight from the JSON parser.

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
