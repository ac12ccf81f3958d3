import Foundation
import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// Subgraph nodes (`"type": "graph"`): a graph used as a node, from a file
/// (`"params": {"path": …}`, relative to the file that names it) or inline
/// (`"params": {"graph": {…}}`). Its graph inputs are the node's inputs
/// (edges, constants, or the inputs' defaults), its graph outputs the
/// node's outputs. Validated on its own, then inlined: events name its
/// nodes `node.inner`.
@Suite("Subgraphs")
struct SubgraphTests {
    /// x * scale + offset, scale and offset with defaults.
    static let affine = """
        {"weft": 1, "inputs": {"x": "int", "scale": {"type": "int", "default": 2}, "offset": {"type": "int", "default": 0}},
         "nodes": [{"id": "times", "type": "std.mul"}, {"id": "plus", "type": "std.add"}],
         "edges": [{"from": "$x", "to": "times.a"}, {"from": "$scale", "to": "times.b"},
                   {"from": "times.result", "to": "plus.a"}, {"from": "$offset", "to": "plus.b"}],
         "outputs": {"y": "plus.result"}}
        """

    /// Writes `files` (name → text) into a fresh folder; its path.
    static func folder(_ files: [String: String]) throws -> String {
        let dir = try TestPaths.scratch("sub")
        for (name, text) in files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return dir
    }

    static func plan(file: String) throws(GraphError) -> GraphPlan {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return try GraphValidator.validate(try GraphDecoder.decodePartial(text: text), catalog: TestGraphs.registry,
                                           subgraphs: .files(baseDirectory: nil, maxBytes: 1 << 20), file: file)
    }

    static func errors(file: String) -> [String] {
        do {
            _ = try plan(file: file)
            return []
        } catch {
            return error.diagnostics.filter { $0.severity == .error }.map { "\($0.path): \($0.message)" }
        }
    }

    @Test func anInlineSubgraphRunsAsPartOfTheGraph() throws {
        let json = """
            {"weft": 1, "inputs": {"n": {"type": "int", "default": 5}}, "nodes": [
               {"id": "f", "type": "graph", "params": {"graph": \(Self.affine)}, "inputs": {"offset": 1}},
               {"id": "g", "type": "graph", "params": {"graph": \(Self.affine)}, "inputs": {"scale": 10}},
               {"id": "sum", "type": "std.add"}],
             "edges": [{"from": "$n", "to": "f.x"}, {"from": "f.y", "to": "g.x"}, {"from": "f.y", "to": "sum.a"},
                       {"from": "g.y", "to": "sum.b"}],
             "outputs": {"f": "f.y", "g": "g.y", "sum": "sum.result"}}
            """
        let recorder = EventRecorder()
        let r = try TestGraphs.run(json, options: RunOptions(observers: [recorder]))
        #expect(r.outcome == .succeeded)
        #expect(r[output: "f"] == .int(11))   // 5 * 2 + 1
        #expect(r[output: "g"] == .int(110))  // 11 * 10 + 0
        #expect(r[output: "sum"] == .int(121))
        let started = recorder.events.compactMap { e -> String? in if case .nodeStarted(_, _, let id, _) = e { id } else { nil } }
        #expect(Set(started) == ["f.times", "f.plus", "g.times", "g.plus", "sum"])
        try PathEquivalenceTests.expectSameEverywhere(json, "two inline subgraphs")
    }

    /// Files name files relative to themselves; a subgraph with a loop
    /// inside (the collatz example) runs as it does alone.
    @Test func filesNestAndKeepTheirLoops() throws {
        let collatz = try String(contentsOfFile: TestPaths.repoRoot + "/examples/collatz.json", encoding: .utf8)
        let dir = try Self.folder([
            "lib/collatz.json": collatz,
            "lib/pair.json": """
                {"weft": 1, "inputs": {"a": "int", "b": "int"}, "nodes": [
                   {"id": "first", "type": "graph", "params": {"path": "collatz.json"}},
                   {"id": "second", "type": "graph", "params": {"path": "collatz.json"}},
                   {"id": "both", "type": "std.add"}],
                 "edges": [{"from": "$a", "to": "first.n"}, {"from": "$b", "to": "second.n"},
                           {"from": "first.steps", "to": "both.a"}, {"from": "second.steps", "to": "both.b"}],
                 "outputs": {"steps": "both.result", "peak": "second.peak"}}
                """,
            "main.json": """
                {"weft": 1, "nodes": [{"id": "p", "type": "graph", "params": {"path": "lib/pair.json"},
                                       "inputs": {"a": 6, "b": 27}}],
                 "edges": [], "outputs": {"steps": "p.steps", "peak": "p.peak"}}
                """,
        ])
        let plan = try Self.plan(file: dir + "/main.json")
        #expect(plan.nodes.contains { $0.id == "p.first.loop" })
        let compiled = try CompiledGraph(plan: plan, registry: TestGraphs.registry)
        let r = try Scheduler.run(compiled)
        #expect(r.outcome == .succeeded)
        #expect(r[output: "steps"] == .int(8 + 111))  // collatz(6) and collatz(27)
        #expect(r[output: "peak"] == .int(9_232))
    }

    @Test func aCycleOfFilesIsRefused() throws {
        let dir = try Self.folder([
            "a.json": #"{"weft": 1, "nodes": [{"id": "b", "type": "graph", "params": {"path": "b.json"}}], "edges": [], "outputs": {}}"#,
            "b.json": #"{"weft": 1, "nodes": [{"id": "a", "type": "graph", "params": {"path": "a.json"}}], "edges": [], "outputs": {}}"#,
            "self.json": #"{"weft": 1, "nodes": [{"id": "me", "type": "graph", "params": {"path": "self.json"}}], "edges": [], "outputs": {}}"#,
        ])
        let cycle = Self.errors(file: dir + "/a.json")
        #expect(cycle.count == 1, "\(cycle)")
        #expect(cycle.first?.contains("b.json:$.nodes[0].params.path: 'a.json' is already being inlined here (a cycle of subgraph files: ") == true)
        #expect(Self.errors(file: dir + "/self.json").first?.contains("a graph cannot contain itself") == true)
    }

    /// Each problem at its place: inside the subgraph's file, or at the
    /// node and edges that use it.
    @Test func problemsAreReportedWhereTheyAre() throws {
        let dir = try Self.folder([
            "affine.json": Self.affine,
            "broken.json": #"{"weft": 1, "inputs": {"x": "int"}, "nodes": [{"id": "a", "type": "std.ad"}], "edges": [{"from": "$x", "to": "a.a"}], "outputs": {}}"#,
            "main.json": """
                {"weft": 1, "nodes": [
                   {"id": "s1", "type": "graph", "params": {"path": "affine.json"}},
                   {"id": "s2", "type": "graph", "params": {"path": "missing.json"}},
                   {"id": "s3", "type": "graph", "params": {"path": "broken.json"}, "inputs": {"x": 1}},
                   {"id": "s4", "type": "graph", "params": {"path": "affine.json"}, "inputs": {"x": 1}, "retry": {"max_attempts": 2}},
                   {"id": "s5", "type": "graph", "params": {"path": "affine.json"}, "inputs": {"x": 1, "z": 2}},
                   {"id": "use", "type": "std.neg"}],
                 "edges": [{"from": "s1.why", "to": "use.a"}], "outputs": {}}
                """,
        ])
        let e = Self.errors(file: dir + "/main.json")
        #expect(e.contains("$.nodes[0]: subgraph 's1' needs input 'x' (int): connect an edge to s1.x or bind it under \"inputs\""))
        #expect(e.contains { $0.hasPrefix("$.nodes[1].params.path: cannot open '") && $0.hasSuffix("missing.json': No such file or directory") })
        #expect(e.contains { $0.hasSuffix("broken.json:$.nodes[0].type: unknown node type 'std.ad'; did you mean 'std.add' or 'std.and' or 'std.abs'?") })
        #expect(e.contains { $0.hasPrefix("$.nodes[3]: a subgraph node takes only") })
        #expect(e.contains("$.nodes[4].inputs.z: subgraph 's5' has no input 'z'; it has: offset, scale, x"))
        #expect(e.contains("$.edges[0].from: subgraph 's1' has no output 'why'; it has: y"))
    }

    // MARK: mapped subgraphs (batch flows)

    static func mapped(_ extra: String = "", concurrency: Int = 1, sub: String = affine) -> String {
        """
        {"weft": 1, "inputs": {"xs": "list"},
         "nodes": [{"id": "each", "type": "graph", "params": {"graph": \(sub)}, "inputs": {"offset": 1}, "map": "x",
                    "concurrency": \(concurrency)\(extra)},
                   {"id": "count", "type": "std.list_length"}],
         "edges": [{"from": "$xs", "to": "each.x"}, {"from": "each.y", "to": "count.list"}],
         "outputs": {"ys": "each.y", "n": "count.result"}}
        """
    }

    /// A mapped subgraph runs its graph once per item: the same answers as
    /// the subgraph inlined and run alone per item, in order, on every
    /// path (sequential and parallel, one lane or several).
    @Test(arguments: [(RunMode.sequential, 1), (.parallel, 1), (.parallel, 3), (.sequential, 4)])
    func aMappedSubgraphRunsOncePerItem(mode: RunMode, concurrency: Int) throws {
        let xs: [Int64] = [4, -2, 0, 9, 13, 7, 1]
        let r = try TestGraphs.run(Self.mapped(concurrency: concurrency), inputs: ["xs": .list(xs.map { .int($0) })],
                                   options: RunOptions(mode: mode, workers: 2))
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        var each: [WeftValue] = []
        for x in xs {
            let one = try TestGraphs.run(#"{"weft": 1, "nodes": [{"id": "s", "type": "graph", "params": {"graph": \#(Self.affine)}, "#
                                         + #""inputs": {"x": \#(x), "offset": 1}}], "outputs": {"y": "s.y"}}"#)
            each.append(try #require(one[output: "y"]))
        }
        #expect(r[output: "ys"] == .list(each))
        #expect(r[output: "ys"] == .list(xs.map { .int($0 * 2 + 1) }))
        #expect(r[output: "n"] == .int(Int64(xs.count)))
    }

    /// An item whose subgraph fails is a failed item: on_item_error applies.
    @Test func aFailingItemIsCollectedOrFailsTheNode() throws {
        let divide = #"{"weft": 1, "inputs": {"x": "int", "offset": "int"}, "nodes": [{"id": "d", "type": "std.div", "inputs": {"a": 12}}], "#
            + #""edges": [{"from": "$x", "to": "d.b"}], "outputs": {"y": "d.result"}}"#
        let xs: WeftValue = [3, 0, 4]
        let collected = try TestGraphs.run(Self.mapped(#", "on_item_error": "collect""#, sub: divide)
            .replacingOccurrences(of: #""outputs": {"ys": "each.y", "n": "count.result"}"#,
                                  with: #""outputs": {"ys": "each.y", "errors": "each.errors"}"#), inputs: ["xs": xs])
        #expect(collected[output: "ys"] == [4, .null, 3])
        let errors = try #require(collected[output: "errors"]?.listItems)
        #expect(errors[0] == .null && errors[2] == .null)
        #expect(errors[1]["message"] == "the subgraph failed: node 'd' (std.div): std.div: division by zero (a=12, b=0)")
        let failed = try TestGraphs.run(Self.mapped(sub: divide), inputs: ["xs": xs])
        guard case .failed(let message, let node) = failed.outcome else {
            Issue.record("\(failed.outcome)")
            return
        }
        #expect(node == "each")
        #expect(message.contains("item 1") && message.contains("the subgraph failed: node 'd' (std.div)"), "\(message)")
    }

    @Test func mappedSubgraphsNestAndComeFromFiles() throws {
        let dir = try Self.folder([
            "affine.json": Self.affine,
            // A graph that maps affine over its list input, itself mapped by main.
            "rows.json": """
                {"weft": 1, "inputs": {"row": "list"},
                 "nodes": [{"id": "cells", "type": "graph", "params": {"path": "affine.json"}, "map": "x", "inputs": {"scale": 3}}],
                 "edges": [{"from": "$row", "to": "cells.x"}], "outputs": {"out": "cells.y"}}
                """,
            "main.json": """
                {"weft": 1, "inputs": {"grid": {"type": "list", "default": [[1, 2], [], [3]]}},
                 "nodes": [{"id": "rows", "type": "graph", "params": {"path": "rows.json"}, "map": "row", "concurrency": 2}],
                 "edges": [{"from": "$grid", "to": "rows.row"}], "outputs": {"grid": "rows.out"}}
                """,
        ])
        let plan = try Self.plan(file: dir + "/main.json")
        let r = try Scheduler.run(try CompiledGraph(plan: plan, registry: TestGraphs.registry), options: RunOptions(mode: .parallel, workers: 2))
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r[output: "grid"] == [[3, 6], [], [9]])
    }

    @Test func aMappedSubgraphIsCheckedLikeAnyMappedNode() throws {
        let unknown = TestGraphs.diagnostics(Self.mapped().replacingOccurrences(of: #""map": "x""#, with: #""map": "z""#))
        #expect(unknown.contains { $0.path == "$.nodes[0].map" && $0.message.contains("'z'") }, "\(unknown)")
        let retried = TestGraphs.diagnostics(Self.mapped(#", "retry": {"max_attempts": 2}"#))
        #expect(retried.contains { $0.message.hasPrefix("a subgraph node takes only") }, "\(retried)")
        let source = #"{"weft": 1, "inputs": {"x": "int", "offset": "int"}, "nodes": [{"id": "t", "type": "event.timer", "#
            + #""params": {"interval_ms": 5}}], "outputs": {"y": "t.tick"}}"#
        var withSource: [Diagnostic] = []
        do {
            // (A registry with the built-in sources.)
            _ = try GraphValidator.load(text: Self.mapped(sub: source), catalog: ObserverPluginTests.registry)
        } catch {
            withSource = error.diagnostics
        }
        #expect(withSource.map(\.path) == ["$.nodes[0].map"])
        #expect(withSource.first?.message == "a mapped subgraph cannot hold event sources ('t' is one)", "\(withSource)")
    }
}
