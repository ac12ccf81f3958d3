import Testing
import Foundation
import WeftCore
import WeftScheduler

/// Every validator error: its JSON path, its node and its message.
@Suite("Graph validator")
struct ValidatorTests {
    func single(_ json: String) -> Diagnostic? {
        let d = TestGraphs.diagnostics(json).filter { $0.severity == .error }
        #expect(d.count == 1, "\(d)")
        return d.first
    }

    @Test(arguments: [
        ("[1, 2]", "$", "a graph file must be a JSON object, not list"),
        (#"{"nodes": []}"#, "$", "missing \"weft\": 1 (the graph format version)"),
        (#"{"weft": 2, "nodes": []}"#, "$.weft", "graph format version 2 is not supported; this Weft reads version 1"),
        (#"{"weft": 1}"#, "$", "missing \"nodes\": a graph needs a list of nodes"),
        (#"{"weft": 1, "nodes": [], "edgs": []}"#, "$.edgs", "unknown field 'edgs' in the graph; did you mean 'edges'?"),
        (#"{"weft": 1, "nodes": [{"type": "std.add"}]}"#, "$.nodes[0]", "node has no \"id\""),
        (#"{"weft": 1, "nodes": [{"id": "a.b", "type": "std.add"}]}"#, "$.nodes[0].id",
         "node id \"a.b\" is not valid: use letters, digits, _ and -, starting with a letter or _ (no dots: edges use node.port)"),
        (#"{"weft": 1, "nodes": [{"id": "a", "type": "std.const", "parms": {}}]}"#, "$.nodes[0].parms",
         "unknown field 'parms' in node 'a'; did you mean 'params'?"),
        (#"{"weft": 1, "nodes": [{"id": "a", "type": "std.const", "params": {"value": 1}, "join": "some"}]}"#, "$.nodes[0].join",
         "join must be \"all\" or \"any\""),
        (#"{"weft": 1, "nodes": [{"id": "a", "type": "std.const", "params": {"value": 1}, "strategy": "fast"}]}"#,
         "$.nodes[0].strategy", "strategy must be one of: sequential, conditional, loop, parallel, event"),
        (#"{"weft": 1, "inputs": {"x": "integer"}, "nodes": []}"#, "$.inputs.x",
         "unknown type \"integer\"; use one of: any, null, bool, int, double, string, bytes, list, map, number"),
        (#"{"weft": 1, "inputs": {"x": {"type": "int", "default": "3"}}, "nodes": []}"#, "$.inputs.x.default",
         "default \"3\" is string, but input 'x' is int"),
        (#"{"weft": 1, "nodes": [], "edges": [{"from": "a", "to": "b.x"}]}"#, "$.edges[0].from", "\"a\" is not \"node.port\" or \"$input\""),
        ("{\"weft\": 1, \"nodes\": [", "$", "not valid JSON: line 1, column 23: unexpected end of input: expected a value"),
    ])
    func structuralErrors(json: String, path: String, message: String) {
        let d = single(json)
        #expect(d?.path == path)
        #expect(d?.message == message)
    }

    @Test func unknownNodeTypeSuggestsNearNames() {
        let d = single(#"{"weft": 1, "nodes": [{"id": "a", "type": "std.ad", "inputs": {"a": 1, "b": 2}}]}"#)
        #expect(d?.path == "$.nodes[0].type")
        #expect(d?.node == "a")
        #expect(d?.message.hasPrefix("unknown node type 'std.ad'; did you mean 'std.add'") == true, "\(String(describing: d))")
        let far = single(#"{"weft": 1, "nodes": [{"id": "a", "type": "zzz.qqqq"}]}"#)
        #expect(far?.message == "unknown node type 'zzz.qqqq'; run `weft plugins` to list the node types, or load the plugin with --plugins DIR")
    }

    @Test func duplicateIds() {
        let d = single(#"{"weft": 1, "nodes": [{"id": "a", "type": "std.const", "params": {"value": 1}}, {"id": "a", "type": "std.const", "params": {"value": 2}}]}"#)
        #expect(d?.path == "$.nodes[1].id")
        #expect(d?.message == "duplicate node id 'a'; node ids must be unique")
    }

    static let two = #"{"id": "a", "type": "std.const", "params": {"value": 1}}, {"id": "b", "type": "std.neg"}"#

    @Test(arguments: [
        (#"{"from": "a.value", "to": "c.a"}"#, "$.edges[0].to", "edge goes to unknown node 'c'"),
        (#"{"from": "x.value", "to": "b.a"}"#, "$.edges[0].from", "edge comes from unknown node 'x'"),
        (#"{"from": "a.valu", "to": "b.a"}"#, "$.edges[0].from", "node 'a' (std.const) has no output 'valu'; did you mean 'value'?"),
        (#"{"from": "a.value", "to": "b.x"}"#, "$.edges[0].to", "node 'b' (std.neg) has no input 'x'; it has: a"),
        (#"{"from": "$nope", "to": "b.a"}"#, "$.edges[0].from", "unknown graph input '$nope'; declare it under \"inputs\""),
    ])
    func badEdges(edge: String, path: String, prefix: String) {
        let d = TestGraphs.diagnostics(#"{"weft": 1, "nodes": [\#(Self.two)], "edges": [\#(edge)]}"#)
        #expect(d.contains { $0.path == path && $0.message.hasPrefix(prefix) }, "\(d)")
    }

    @Test func typeMismatch() {
        let d = single("""
            {"weft": 1, "nodes": [{"id": "s", "type": "std.const", "params": {"value": 1}}, {"id": "u", "type": "std.upper"},
                                  {"id": "n", "type": "std.not"}, {"id": "c", "type": "std.concat", "inputs": {"a": "x"}}],
             "edges": [{"from": "s.value", "to": "u.text"}, {"from": "u.result", "to": "n.a"}, {"from": "u.result", "to": "c.b"}]}
            """)
        #expect(d?.path == "$.edges[1]")
        #expect(d?.node == "n")
        #expect(d?.message == "type mismatch: u.result is string but n.a takes bool")
    }

    @Test func requiredInputsMustBeConnected() {
        let d = single(#"{"weft": 1, "nodes": [{"id": "b", "type": "std.add", "inputs": {"a": 1}}]}"#)
        #expect(d?.path == "$.nodes[0]")
        #expect(d?.message == "required input 'b' (number) of node 'b' is not connected; add an edge to b.b or bind a constant under \"inputs\"")
    }

    @Test func twoEdgesIntoOneInput() {
        let d = single("""
            {"weft": 1, "nodes": [\(Self.two), {"id": "c", "type": "std.const", "params": {"value": 2}}],
             "edges": [{"from": "a.value", "to": "b.a"}, {"from": "c.value", "to": "b.a"}]}
            """)
        #expect(d?.path == "$.edges[1]")
        #expect(d?.message.contains("has 2 incoming edges but takes one value") == true)
        #expect(d?.message.contains("\"join\": \"any\"") == true)
        let both = single("""
            {"weft": 1, "nodes": [{"id": "a", "type": "std.const", "params": {"value": 1}}, {"id": "b", "type": "std.neg", "inputs": {"a": 5}}],
             "edges": [{"from": "a.value", "to": "b.a"}]}
            """)
        #expect(both?.message == "input 'a' of node 'b' is bound to a constant and also connected by an edge; keep one")
    }

    @Test func cycleWithoutLoop() {
        let d = TestGraphs.diagnostics("""
            {"weft": 1, "nodes": [{"id": "a", "type": "std.neg"}, {"id": "b", "type": "std.neg"}, {"id": "c", "type": "std.neg"}],
             "edges": [{"from": "a.result", "to": "b.a"}, {"from": "b.result", "to": "c.a"}, {"from": "c.result", "to": "a.a"}]}
            """)
        #expect(d.count == 1)
        #expect(d.first?.message == "cycle a → b → c → a passes through no loop; cycles are allowed only into a loop node's next_* and continue inputs")
    }

    @Test func paramsAreChecked() {
        let unknown = single(#"{"weft": 1, "nodes": [{"id": "c", "type": "std.counter", "params": {"stat": 1}}]}"#)
        #expect(unknown?.path == "$.nodes[0].params.stat")
        #expect(unknown?.message == "node 'c' (std.counter) has no param 'stat'; did you mean 'start'?")
        let wrong = single(#"{"weft": 1, "nodes": [{"id": "c", "type": "std.counter", "params": {"start": "one"}}]}"#)
        #expect(wrong?.message == "param 'start' of node 'c' must be int, not string \"one\"")
        let missing = single(#"{"weft": 1, "nodes": [{"id": "c", "type": "std.const"}]}"#)
        #expect(missing?.message == "node 'c' (std.const) needs param 'value' (any)")
    }

    @Test func outputsMustNameExistingPorts() {
        let d = TestGraphs.diagnostics(#"{"weft": 1, "nodes": [\#(Self.two)], "edges": [{"from": "a.value", "to": "b.a"}], "outputs": {"r": "b.reslt", "q": "zz.x"}}"#)
        #expect(d.map(\.message) == ["output 'r': node 'b' (std.neg) has no output 'reslt'; did you mean 'result'?",
                                     "output 'q' names unknown node 'zz'; the nodes are: a, b"])
        #expect(d.map(\.path) == ["$.outputs.r", "$.outputs.q"])
    }

    @Test func unreachableAndUnusedAreWarnings() throws {
        let plan = try TestGraphs.plan("""
            {"weft": 1, "inputs": {"unused": "int"},
             "nodes": [\(Self.two), {"id": "lonely", "type": "std.const", "params": {"value": 0}}],
             "edges": [{"from": "a.value", "to": "b.a"}]}
            """)
        #expect(plan.warnings.map(\.message) == ["node 'lonely' is not connected to anything; it runs on its own",
                                                 "graph input 'unused' is not used by any edge"])
        #expect(plan.warnings.allSatisfy { $0.severity == .warning })
    }

    @Test func loopBodiesAreClosed() throws {
        // Everything the loop's current values reach is its body and runs each
        // iteration; a graph output cannot read inside a loop.
        let leak = TestGraphs.diagnostics("""
            {"weft": 1, "nodes": [
               {"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}},
               {"id": "more", "type": "std.lt", "inputs": {"b": 3}}, {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
               {"id": "outside", "type": "std.neg"}],
             "edges": [{"from": "loop.i", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"},
                       {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
                       {"from": "inc.result", "to": "outside.a"}],
             "outputs": {"o": "outside.result"}}
            """)
        #expect(leak.map(\.message) == ["output 'o' reads 'outside' inside loop 'loop'; read the loop's done_* output instead"])
        let back = TestGraphs.diagnostics("""
            {"weft": 1, "nodes": [
               {"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}},
               {"id": "t", "type": "std.const", "params": {"value": false}}, {"id": "inc", "type": "std.add", "inputs": {"b": 1}}],
             "edges": [{"from": "t.value", "to": "loop.continue"}, {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"}]}
            """)
        #expect(back.first?.message.hasPrefix("loop 'loop': back edge from t, which is not in the loop's body") == true, "\(back)")
        let noCarry = single(#"{"weft": 1, "nodes": [{"id": "l", "type": "loop"}]}"#)
        #expect(noCarry?.message == "loop 'l' needs \"carry\": the variables it carries, e.g. {\"i\": \"int\"}")
    }

    @Test func joinAnyTakesOneInputPortAndNotOnLoops() {
        let multi = single("""
            {"weft": 1, "nodes": [{"id": "a", "type": "std.const", "params": {"value": 1}},
                                  {"id": "s", "type": "std.add", "join": "any"}],
             "edges": [{"from": "a.value", "to": "s.a"}, {"from": "a.value", "to": "s.b"}]}
            """)
        #expect(multi?.path == "$.nodes[1].join")
        #expect(multi?.message.hasPrefix("node 's' has \"join\": \"any\" but edges into 2 inputs (a, b)") == true)
        let loop = TestGraphs.diagnostics(LoopTests.sum.replacingOccurrences(of: "\"max_iterations\": 100", with: "\"max_iterations\": 100, \"join\": \"any\""))
        #expect(loop.map(\.message) == ["a loop node waits for all its initial values; remove \"join\": \"any\""])
    }

    @Test func outputCannotReadALoopsCurrentValue() {
        let d = TestGraphs.diagnostics(LoopTests.sum.replacingOccurrences(of: "\"i\": \"loop.done_i\"", with: "\"i\": \"loop.i\""))
        #expect(d.map(\.message) == ["output 'i' reads 'loop.i', the loop's value inside its body; read 'loop.done_i' for the final value"])
    }

    @Test func loopParamsAndInputDescriptions() {
        let params = TestGraphs.diagnostics(#"{"weft": 1, "nodes": [{"id": "l", "type": "loop", "carry": {"x": "int"}, "params": {"y": 1}}]}"#)
        #expect(params.filter { $0.message.contains("param") }.map(\.message) == ["a loop node takes no params"])
        let desc = single(#"{"weft": 1, "inputs": {"x": {"type": "int", "description": 5}}, "nodes": []}"#)
        #expect(desc?.path == "$.inputs.x.description")
    }

    @Test func everyErrorIsReportedAtOnce() {
        let d = TestGraphs.diagnostics("""
            {"weft": 1, "nodes": [{"id": "a", "type": "std.ad"}, {"id": "b", "type": "std.neg"}, {"id": "b", "type": "std.neg"}],
             "edges": [{"from": "b.result", "to": "q.a"}], "outputs": {"o": "b.nope"}}
            """)
        #expect(d.count >= 4, "\(d)")
        #expect(Set(d.map(\.path)).isSuperset(of: ["$.nodes[0].type", "$.nodes[2].id", "$.edges[0].to", "$.outputs.o"]))
    }

    /// Issue 16 item 3: a problem the decoder finds (an unknown field, a bad
    /// "join", a graph input of an unknown type, an edge with no "to")
    /// does not hide the validator's checks of the rest of the graph.
    @Test func decoderProblemsDoNotHideTheOtherChecks() {
        let d = TestGraphs.diagnostics("""
            {"weft": 1, "inputs": {"x": "integer"},
             "nodes": [{"id": "a", "type": "std.neg", "colour": "red", "inputs": {"a": 1}},
                       {"id": "b", "type": "std.ad", "inputs": {"a": 1, "b": 2}},
                       {"id": "c", "type": "std.neg", "join": "some"}, {"id": "c", "type": "std.neg"}],
             "edges": [{"from": "$x", "to": "c.a"}, {"from": "a.result", "to": "q.a"}, {"from": "a.reslt", "to": "c.a"},
                       {"from": "a.result"}],
             "outputs": {"o": "c.nope"}}
            """)
        let errors = d.filter { $0.severity == .error }
        // The decoder's, in its order, then the validator's.
        #expect(errors.map(\.path) == ["$.inputs.x", "$.nodes[0].colour", "$.nodes[2].join", "$.edges[3]",
                                       "$.nodes[1].type", "$.nodes[3].id", "$.edges[1].to", "$.edges[2].from", "$.outputs.o"],
                "\(d)")
        #expect(errors.last?.message.hasPrefix("output 'o': node 'c' (std.neg) has no output 'nope'") == true)
        // No follow-on: $x (of an unknown type) is declared, c.a is fed.
        #expect(!d.contains { $0.message.contains("unknown graph input") || $0.message.contains("is not connected") }, "\(d)")
    }

    /// Issue 16 item 3: what follows from a problem already reported is not
    /// reported again.
    @Test(arguments: [
        // An input fed by an edge from an unknown node, an unknown graph
        // input, or a node whose type is unknown is connected.
        (#""nodes": [{"id": "b", "type": "std.neg"}], "edges": [{"from": "zz.value", "to": "b.a"}]"#, ["$.edges[0].from"]),
        (#""nodes": [{"id": "b", "type": "std.neg"}], "edges": [{"from": "$nope", "to": "b.a"}]"#, ["$.edges[0].from"]),
        (#""nodes": [{"id": "a", "type": "std.nosuch"}, {"id": "b", "type": "std.neg"}], "edges": [{"from": "a.x", "to": "b.a"}]"#,
         ["$.nodes[0].type"]),
        // ... or by an edge the decoder left out (its "from" is not node.port).
        (#""nodes": [{"id": "b", "type": "std.neg"}, {"id": "c", "type": "std.nosuch"}], "edges": [{"from": "a", "to": "b.a"}]"#,
         ["$.edges[0].from", "$.nodes[1].type"]),
        // A graph input feeding a node whose type is unknown is used; so is
        // one feeding a node input that does not exist.
        (#""inputs": {"x1": "int"}, "nodes": [{"id": "a", "type": "std.nosuch"}], "edges": [{"from": "$x1", "to": "a.a"}]"#,
         ["$.nodes[0].type"]),
        (#""inputs": {"x1": "int"}, "nodes": [{"id": "a", "type": "std.neg", "inputs": {"a": 1}}, {"id": "c", "type": "std.nosuch"}], "edges": [{"from": "$x1", "to": "a.nope"}]"#,
         ["$.nodes[1].type", "$.edges[0].to"]),
        // Nodes at the ends of a wrong edge are connected (no warnings).
        (#""nodes": [{"id": "a", "type": "std.const", "params": {"value": 1}}, {"id": "b", "type": "std.neg", "inputs": {"a": 1}}], "edges": [{"from": "a.value", "to": "b.nope"}]"#,
         ["$.edges[0].to"]),
        // A misspelt field stands for the one it looks like: no "needs
        // param", no "not connected"; a misspelt "edges" likewise.
        (#""nodes": [{"id": "a", "type": "std.const", "parms": {"value": 1}}, {"id": "b", "type": "std.add", "inptus": {"a": 1}}, {"id": "c", "type": "std.nosuch"}]"#,
         ["$.nodes[0].parms", "$.nodes[1].inptus", "$.nodes[2].type"]),
        (#""nodes": [{"id": "b", "type": "std.neg"}, {"id": "c", "type": "std.nosuch"}], "edgs": [{"from": "$x", "to": "b.a"}]"#,
         ["$.edgs", "$.nodes[1].type"]),
        // A bad "join" may have been "any": two edges into one input are
        // not reported; a graph input of an unknown type is still declared.
        (#""inputs": {"x": "integer"}, "nodes": [{"id": "a", "type": "std.const", "params": {"value": 1}}, {"id": "b", "type": "std.neg", "join": "anyy"}, {"id": "c", "type": "std.nosuch"}], "edges": [{"from": "a.value", "to": "b.a"}, {"from": "$x", "to": "b.a"}]"#,
         ["$.inputs.x", "$.nodes[1].join", "$.nodes[2].type"]),
    ])
    func noFollowOnMessages(graph: String, paths: [String]) {
        let d = TestGraphs.diagnostics(#"{"weft": 1, \#(graph)}"#)
        #expect(d.map(\.path) == paths, "\(d)")
        #expect(d.allSatisfy { $0.severity == .error }, "\(d)")
    }

    /// Big graphs: node ids are found whatever order the edges come in (the
    /// validator tries the node after the last edge's target before its id
    /// table), and a duplicate id far down a long list is still caught.
    @Test func edgesResolveInAnyOrderAndLateDuplicatesAreCaught() throws {
        let n = 3_000
        func graph(edgeOrder: [Int], extraNode: String = "") -> String {
            let nodes = (0..<n).map { #"{"id": "n\#($0)", "type": "std.add", "inputs": {"b": 1}}"# }
            let edges = edgeOrder.map { #"{"from": "n\#($0 - 1).result", "to": "n\#($0).a"}"# }
            return #"{"weft": 1, "nodes": [{"id": "start", "type": "std.const", "params": {"value": 0}}, "#
                + nodes.joined(separator: ", ") + extraNode
                + #"], "edges": [{"from": "start.value", "to": "n0.a"}, "# + edges.joined(separator: ", ")
                + #"], "outputs": {"last": "n\#(n - 1).result"}}"#
        }
        var shuffled = Array(1..<n)
        var rng = SystemRandomNumberGenerator()
        shuffled.shuffle(using: &rng)
        for order in [Array(1..<n), Array((1..<n).reversed()), shuffled] {
            let r = try TestGraphs.run(graph(edgeOrder: order))
            #expect(r.outcome == .succeeded, "\(r.outcome)")
            #expect(r[output: "last"] == .int(Int64(n)))
        }
        let d = TestGraphs.diagnostics(graph(edgeOrder: Array(1..<n), extraNode: #", {"id": "n17", "type": "std.add"}"#))
            .filter { $0.severity == .error }
        #expect(d.map(\.path) == ["$.nodes[\(n + 1)].id"])
        #expect(d.first?.message == "duplicate node id 'n17'; node ids must be unique")
        let unknown = TestGraphs.diagnostics(graph(edgeOrder: [5, n + 7].map { $0 }))
            .filter { $0.severity == .error }
        #expect(unknown.contains { $0.message.hasPrefix("edge goes to unknown node 'n\(n + 7)'") })
    }
}

