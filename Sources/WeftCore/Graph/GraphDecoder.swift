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
            d.transitions = edges.transitions
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

    static let topKeys = ["weft", "description", "error_strategy", "retry", "hooks", "observers", "inputs", "outputs", "nodes", "edges"]
    static let nodeKeys = ["id", "type", "label", "params", "inputs", "strategy", "join", "max_iterations", "carry",
                           "isolate", "timeout_ms", "max_events", "on_error", "retry", "map", "concurrency",
                           "on_item_error", "start", "max_cycles", "before", "after", "cache"]
    static let edgeKeys = ["from", "to", "when"]
    static let inputKeys = ["type", "default", "description"]
}
