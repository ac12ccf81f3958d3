import Testing
@testable import WeftCore

/// `GraphDecoder.decode(bytes:)` decodes nodes and edges while the parser
/// reaches them instead of building the JSON tree first; it must give the
/// same document and the same diagnostics, in the same order, as decoding
/// the parsed tree (`decode(_:)`).
@Suite("Graph decoder")
struct GraphDecoderTests {
    /// Both paths: (document or diagnostics) as text, for comparing.
    func bothWays(_ text: String) throws -> (streamed: String, tree: String) {
        func describe(_ r: Result<GraphDocument, GraphError>) -> String {
            switch r {
            case .success(let d):
                return "ok nodes=\(d.nodes.map { "\($0.id):\($0.type):\($0.constants.map(\.port))@\($0.path)" }) "
                    + "edges=\(d.edges.map { "\($0.from)->\($0.to)@\($0.path)" }) outputs=\(d.outputs.map(\.name))"
            case .failure(let e):
                return e.diagnostics.map { "\($0.path): \($0.message)" }.joined(separator: "\n")
            }
        }
        let streamed = Result { () throws(GraphError) in try GraphDecoder.decode(bytes: Array(text.utf8)) }
        let tree: Result<GraphDocument, GraphError>
        do {
            let value = try JSON.parse(text)
            tree = Result { () throws(GraphError) in try GraphDecoder.decode(value) }
        } catch {
            tree = .failure(GraphError([Diagnostic(path: "$", "not valid JSON: \(error)")]))
        }
        return (describe(streamed), describe(tree))
    }

    @Test func aValidGraphDecodesTheSameBothWays() throws {
        let text = #"""
        {"edges": [{"from": "a.result", "to": "b.a"}], "weft": 1,
         "nodes": [{"id": "a", "type": "std.add", "inputs": {"a": 1, "b": 2}}, {"id": "b", "type": "std.add", "inputs": {"b": 3}}],
         "outputs": {"sum": "b.result"}}
        """#
        let (streamed, tree) = try bothWays(text)
        #expect(streamed == tree)
        #expect(streamed.hasPrefix("ok nodes=[\"a:std.add:[\\\"a\\\", \\\"b\\\"]@$.nodes[0]\""))
        #expect(streamed.contains("a.result->b.a@$.edges[0]"))
    }

    @Test func diagnosticsComeInTheSameOrderWhereverTheListsAre() throws {
        // Edges before nodes, an unknown top-level field after them, and
        // problems in both lists: the order is the tree decoder's (fields,
        // then nodes, then edges), not the file's.
        let text = #"""
        {"edges": [{"from": "a.result"}, 7, {"from": "a", "to": "b.x"}],
         "nodes": [{"type": "std.add"}, {"id": "9bad", "type": "std.add"}, {"id": "ok", "type": 3}, "node"],
         "weft": 1, "extra": true}
        """#
        let (streamed, tree) = try bothWays(text)
        #expect(streamed == tree)
        let lines = streamed.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("$.extra: unknown field 'extra'") == true, "\(lines)")
        #expect(lines.firstIndex { $0.hasPrefix("$.nodes[0]") }! < lines.firstIndex { $0.hasPrefix("$.edges[0]") }!)
        #expect(lines.contains("$.nodes[3]: a node must be an object with \"id\" and \"type\""))
        #expect(lines.contains("$.edges[1]: an edge must be an object {\"from\": \"node.port\", \"to\": \"node.port\"}"))
    }

    /// Nodes and edges of the plain shapes are read without a JSON tree;
    /// near misses must fall back and come out exactly as the tree decoder
    /// gives them.
    @Test func plainShapesAndNearMissesDecodeTheSameBothWays() throws {
        let cases = [
            #"{"weft": 1, "nodes": [{"id": "a", "type": "t.t", "label": "A", "params": {"p": [1, {"q": null}]}, "inputs": {"x": {"deep": [1, 2.5]}}}]}"#,
            #"{"weft": 1, "nodes": [{"type": "t.t", "id": "a"}, {"id": "b", "type": "t.t", "inputs": {}}], "edges": [{"to": "b.x", "from": "a.y"}, {"from": "$in", "to": "b.y"}]}"#,
            #"{"weft": 1, "nodes": [{"id": "a", "type": "t.t", "inputs": {"x": 1, "x": 2}}]}"#,
            #"{"weft": 1, "nodes": [{"id": "a", "type": "t.t", "label": 5}]}"#,
            #"{"weft": 1, "nodes": [{"id": "a", "type": "t.t", "strategy": "parallel", "join": "any"}]}"#,
            #"{"weft": 1, "nodes": [{"id": "a", "type": "t.t", "id": "b"}]}"#,
            #"{"weft": 1, "nodes": [{"id": "a.b", "type": "t.t"}, {"id": "c", "type": "t.t", "inputs": [1]}]}"#,
            #"{"weft": 1, "nodes": [], "edges": [{"from": "a.b", "to": "$x"}, {"from": "a", "to": "b.c"}, {"from": "a.b", "to": "c.d", "via": 1}]}"#,
            #"{"weft": 1, "nodes": [], "edges": [{"from": "a.b", "to": "c.d", "to": "e.f"}]}"#,
            #"{"weft": 1, "nodes": [{"id": "a", "type": "t.t", "inputs": {"x": tru}}]}"#,
        ]
        for text in cases {
            let (streamed, tree) = try bothWays(text)
            #expect(streamed == tree, "\(text)")
        }
    }

    @Test func listsOfTheWrongShapeAreReportedAsBefore() throws {
        for text in [#"{"weft": 1, "nodes": {"a": 1}}"#, #"{"weft": 1, "nodes": [], "edges": "none"}"#,
                     #"[{"id": "a"}]"#, #"{"weft": 1}"#, #"{"weft": 1, "nodes": [[]], "edges": [[]]}"#] {
            let (streamed, tree) = try bothWays(text)
            #expect(streamed == tree, "\(text)")
            #expect(!streamed.hasPrefix("ok"), "\(text)")
        }
    }

    @Test func aSyntaxErrorAfterSomeNodesGivesOnlyTheSyntaxError() throws {
        let text = #"{"weft": 1, "nodes": [{"id": "a", "type": "std.add"}, {"id": 5}, {"id": "c", "type": }]}"#
        let (streamed, tree) = try bothWays(text)
        #expect(streamed == tree)
        #expect(streamed.hasPrefix("$: not valid JSON: line 1, column"), "\(streamed)")
        #expect(!streamed.contains("\n"), "no structural diagnostics beside the syntax error")
        // A second "nodes" key is a duplicate, even though the first was streamed.
        let dup = try bothWays(#"{"weft": 1, "nodes": [], "nodes": [{"id": "a", "type": "t.t"}]}"#)
        #expect(dup.streamed == dup.tree)
        #expect(dup.streamed.contains("duplicate key \"nodes\""), "\(dup.streamed)")
    }

    /// Issue 16 item 3: `decodePartial` goes on past a problem, keeping
    /// what it can and marking what it could not read, the same whether the
    /// lists are streamed or decoded from the tree.
    @Test func decodePartialKeepsWhatItCanAndMarksTheRest() throws {
        let text = #"""
        {"weft": 1, "inputs": {"x": "integer", "y": {"type": "int", "default": "3"}, "z": 5},
         "nodes": [{"id": "a", "type": "t.t", "join": "some"}, {"id": "b", "type": 3}, {"id": "c.d", "type": "t.t"},
                   {"id": "e", "type": "t.t", "parms": {}}, {"id": "f", "type": "t.t", "colour": 1}, {"type": "t.t"},
                   {"id": "g", "type": "loop", "carry": {"i": "integer"}}, {"id": "h", "type": "t.t", "inputs": [1]}],
         "edges": [{"from": "a", "to": "b.x"}, {"from": "a.result"}, {"from": "a.result", "to": "e.in"}, 7],
         "outputs": {"bad name": "a.result"},
         "edgs": []}
        """#
        let streamed = try GraphDecoder.decodePartial(bytes: Array(text.utf8))
        let tree = GraphDecoder.decodePartial(try JSON.parse(text))
        #expect(streamed == tree)
        let doc = streamed
        #expect(doc.nodes.map(\.id) == ["a", "b", "c.d", "e", "f", "g", "h"], "only the node without an id is left out")
        #expect(doc.nodes.map(\.unread) == [.join, .type, .inputs, .params, [], .carry, .inputs])
        #expect(doc.inputs.map(\.name) == ["x", "y", "z"])
        #expect(doc.inputs.map(\.type) == [.any, .int, .any])
        #expect(doc.inputs[1].defaultValue == nil)
        #expect(doc.edges.map(\.path) == ["$.edges[2]"])
        #expect(doc.unreadEdgeTargets == [PortRef(node: "b", port: "x")])
        #expect(doc.unreadEdgeSources == [PortRef(node: "a", port: "result")])
        #expect(doc.outputs.map(\.name) == ["bad name"], "kept: what it reads is still checked")
        #expect(doc.unread == [], "\"edges\" is there: \"edgs\" is only an unknown field")
        #expect(doc.diagnostics.map(\.path) == [
            "$.edgs", "$.inputs.x", "$.inputs.y.default", "$.inputs.z", "$.nodes[0].join", "$.nodes[1]", "$.nodes[2].id",
            "$.nodes[3].parms", "$.nodes[4].colour", "$.nodes[5]", "$.nodes[6].carry.i", "$.nodes[7].inputs",
            "$.edges[0].from", "$.edges[1]", "$.edges[3]", "$.outputs.bad name",
        ])
        // `decode` throws those same diagnostics.
        #expect(throws: GraphError.self) { try GraphDecoder.decode(bytes: Array(text.utf8)) }
        do {
            _ = try GraphDecoder.decode(bytes: Array(text.utf8))
        } catch {
            #expect(error.diagnostics == doc.diagnostics)
        }
        // A list of the wrong shape is unread; only JSON syntax throws.
        let shapes = try GraphDecoder.decodePartial(text: #"{"weft": 1, "nodes": {"a": 1}, "edges": 3, "inputs": [], "outputs": 1}"#)
        #expect(shapes.unread == [.nodes, .edges, .inputs, .outputs])
        // A misspelt section that is missing is unread; a far name is not.
        #expect(try GraphDecoder.decodePartial(text: #"{"weft": 1, "nodes": [], "edgs": []}"#).unread == .edges)
        #expect(try GraphDecoder.decodePartial(text: #"{"weft": 1, "nodes": [], "zzzzzzzz": []}"#).unread == [])
        #expect(throws: GraphError.self) { try GraphDecoder.decodePartial(text: #"{"weft": 1, "nodes": ["#) }
    }

    /// Issue 16 item 4: text diagnostics escape control characters from
    /// names as JSON does, so a NUL no longer ends the line there.
    @Test func textDiagnosticsEscapeControlCharacters() {
        let d = Diagnostic(path: "$.nodes[0].a\u{0}b", node: "n", "unknown field 'a\u{0}b' in node 'n\u{1b}[31m'; tab\there")
        #expect(d.description == #"$.nodes[0].a\u0000b: error: unknown field 'a\u0000b' in node 'n\u001b[31m'; tab\there"#)
        #expect(!d.description.utf8.contains(0))
        // The JSON form is unchanged (the JSON encoder escapes).
        #expect(JSON.encode(d.jsonValue).contains(#""message":"unknown field 'a\u0000b'"#))
        // A message that spans lines by design keeps its line breaks; a path never has one.
        let multi = Diagnostic(path: "$.inputs.a\nb", "bad signature at column 3\n    int(\n      ^")
        #expect(multi.description == "$.inputs.a\\nb: error: bad signature at column 3\n    int(\n      ^")
        #expect(Diagnostic.escaped("plain 'text'") == "plain 'text'")
    }

    /// A chain of `n` nodes, the edges listed in `order`.
    static func chain(_ n: Int, edgeOrder order: [Int]? = nil) -> String {
        let nodes = (0..<n).map { #"{"id": "n\#($0)", "type": "std.add", "inputs": {"b": 1}}"# }
        let edges = (order ?? Array(1..<n)).map { #"{"from": "n\#($0 - 1).result", "to": "n\#($0).a"}"# }
        return #"{"weft": 1, "nodes": ["# + nodes.joined(separator: ", ") + #"], "edges": ["# + edges.joined(separator: ", ") + "]}"
    }

    /// More nodes and edges than one chunk of the decoder's lists (16,384):
    /// every node and edge arrives, in file order, exactly as the tree
    /// decoder gives them.
    @Test func aGraphLargerThanOneChunkKeepsEveryNodeInOrder() throws {
        let n = 40_000
        let text = Self.chain(n)
        let doc = try GraphDecoder.decode(bytes: Array(text.utf8))
        #expect(doc.nodes.count == n)
        #expect(doc.edges.count == n - 1)
        #expect(doc.nodes.enumerated().allSatisfy { $0.element.id == "n\($0.offset)" && $0.element.index == $0.offset })
        #expect(doc.edges.enumerated().allSatisfy { $0.element.to.node == "n\($0.offset + 1)" && $0.element.index == $0.offset })
        #expect(doc.nodes[n - 1].constants.map(\.port) == ["b"])
        let (streamed, tree) = try bothWays(text)
        #expect(streamed == tree)
    }

    /// `decode(buffer:progress:)` reports offsets that only grow and stay
    /// inside the buffer, once per node and edge.
    @Test func progressOffsetsOnlyGrow() throws {
        let bytes = Array(Self.chain(500).utf8)
        var offsets: [Int] = []
        let doc = try bytes.withUnsafeBufferPointer { buffer throws(GraphError) in
            try GraphDecoder.decode(buffer: buffer) { offsets.append($0) }
        }
        #expect(doc.nodes.count == 500)
        #expect(offsets.count == 500 + 499)
        #expect(offsets == offsets.sorted())
        #expect(offsets.allSatisfy { $0 > 0 && $0 < bytes.count })
    }

    /// Nodes keep rarely set fields in a shared box: changing a copy must
    /// not change the original, and the fields read back as written.
    @Test func changingACopyOfANodeLeavesTheOriginal() throws {
        var a = GraphNode(id: "a", type: "std.add", label: "first", params: [("p", .int(1))],
                          constants: [("b", .int(2))], index: 3)
        let original = a
        var b = a
        b.label = "second"
        b.params = []
        b.timeoutMs = 50
        b.constants = [("a", .int(1)), ("b", .int(2))]
        #expect(a == original)
        #expect(a.label == "first" && a.params.map(\.name) == ["p"] && a.timeoutMs == nil && a.constants.count == 1)
        #expect(b.label == "second" && b.params.isEmpty && b.timeoutMs == 50 && b.constants.map(\.port) == ["a", "b"])
        #expect(b.index == 3 && b.path == "$.nodes[3]")
        a.isolate = true
        #expect(a.isolate && !original.isolate && !b.isolate)
        // A node with nothing rare set reads the defaults.
        let plain = GraphNode(id: "p", type: "std.add", index: 0)
        #expect(plain.label == nil && plain.params.isEmpty && plain.strategy == nil && plain.maxIterations == nil
                    && plain.carry.isEmpty && !plain.isolate && plain.timeoutMs == nil && plain.maxEvents == nil)
    }
}

