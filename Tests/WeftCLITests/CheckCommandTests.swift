import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// `weft check` as a user runs it (issue 16, items 3 and 4): every problem
/// at once, none that only follows from another, names printed whole.
@Suite("weft check")
struct CheckCommandTests {
    /// Writes `text` to a scratch graph file and runs `weft check` on it.
    func check(_ text: String, _ extra: String...) throws -> (ProcessResult, file: String) {
        let file = try TestPaths.scratch("check") + "/g.json"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return (try Shell.run(TestPaths.weft, ["check", file] + extra), file)
    }

    /// A decoder-level problem (an unknown field, a bad "join", a graph
    /// input of an unknown type) no longer hides the validator's: unknown
    /// types, duplicate ids and bad edges come out in the same run, and the
    /// false follow-ons do not.
    @Test func reportsEveryProblemAtOnce() throws {
        let (r, file) = try check(#"""
            {"weft": 1, "inputs": {"x1": "integer", "x2": "int"},
             "nodes": [{"id": "a", "type": "std.neg", "colour": "red", "inputs": {"a": 1}},
                       {"id": "b", "type": "std.ad"},
                       {"id": "c", "type": "std.neg", "join": "some"},
                       {"id": "c", "type": "std.neg"},
                       {"id": "d", "type": "std.neg"}],
             "edges": [{"from": "$x1", "to": "c.a"}, {"from": "$x2", "to": "b.a"}, {"from": "zz.result", "to": "d.a"},
                       {"from": "a.result", "to": "q.x"}]}
            """#)
        #expect(r.status == 2)
        #expect(r.stdout == "")
        let lines = r.stderr.split(separator: "\n").map { String($0.dropFirst(file.count + 1)) }
        #expect(lines == [
            #"$.inputs.x1: error: unknown type "integer"; use one of: any, null, bool, int, double, string, bytes, list, map, number"#,
            "$.nodes[0].colour: error: unknown field 'colour' in node 'a'; known fields: id, type, label, params, inputs, "
                + "strategy, join, max_iterations, carry, isolate, timeout_ms, max_events, on_error, retry, map, concurrency, on_item_error, start, max_cycles, before, after, cache",
            #"$.nodes[2].join: error: join must be "all" or "any""#,
            "$.nodes[1].type: error: unknown node type 'std.ad'; did you mean 'std.add' or 'std.and' or 'std.abs'?",
            "$.nodes[3].id: error: duplicate node id 'c'; node ids must be unique",
            "$.edges[2].from: error: edge comes from unknown node 'zz'; the nodes are: a, b, c, d",
            "$.edges[3].to: error: edge goes to unknown node 'q'; the nodes are: a, b, c, d",
        ], "\(r.stderr)")
        // Not there: "required input 'a' ... of node 'd' is not connected"
        // (an edge from the unknown 'zz' feeds it), "graph input 'x2' is
        // not used" (it feeds 'b', whose type is unknown), "unknown graph
        // input '$x1'" (declared, with a wrong type).

        // --json gives the same list.
        let json = try Shell.run(TestPaths.weft, ["check", file, "--json"])
        #expect(json.status == 2)
        let doc = try JSON.parse(json.stdout)
        #expect(doc["ok"] == false)
        #expect(doc["diagnostics"]?.listItems?.compactMap { $0["path"]?.stringValue }
                    == ["$.inputs.x1", "$.nodes[0].colour", "$.nodes[2].join", "$.nodes[1].type", "$.nodes[3].id",
                        "$.edges[2].from", "$.edges[3].to"])
    }

    /// A NUL in a name was the end of the line on stderr; it is escaped as
    /// --json escapes it, and the rest of the line follows.
    @Test func aNULInANameIsEscaped() throws {
        let (r, file) = try check(#"{"weft": 1, "nodes": [{"id": "a", "type": "std.neg", "inputs": {"a": 1}, "col\u0000our": 1}]}"#)
        #expect(r.status == 2)
        #expect(r.stderr == "\(file):$.nodes[0].col\\u0000our: error: unknown field 'col\\u0000our' in node 'a'; known fields: "
                    + "id, type, label, params, inputs, strategy, join, max_iterations, carry, isolate, timeout_ms, max_events, on_error, retry, map, concurrency, on_item_error, start, max_cycles, before, after, cache\n",
                "\(r.stderr.debugDescription)")
        let json = try Shell.run(TestPaths.weft, ["check", file, "--json"])
        #expect(json.stdout.contains(#""message": "unknown field 'col\u0000our' in node 'a'; known fields:"#), "\(json.stdout)")
        // The same in `weft run`, which prints the same diagnostics.
        let run = try Shell.run(TestPaths.weft, ["run", file])
        #expect(run.status == 2)
        #expect(run.stderr.contains("col\\u0000our' in node 'a'; known fields: id"), "\(run.stderr.debugDescription)")
    }
}
