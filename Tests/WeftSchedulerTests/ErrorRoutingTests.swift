import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// A node's `on_error` handles its own failure: "route" fires its `error`
/// output (a map) and makes its other outputs dead; a default gives fixed
/// outputs. The run goes on and succeeds; observers see `node_failed` then
/// `node_recovered`. The graph's `error_strategy: continue` is keep-going.
@Suite("Error routing")
struct ErrorRoutingTests {
    /// 10 / x, its result + 100 and its error passed on.
    static let routed = """
        {"weft": 1, "inputs": {"x": "int"},
         "nodes": [
          {"id": "div", "type": "std.div", "inputs": {"a": 10}, "on_error": "route"},
          {"id": "ok", "type": "std.add", "inputs": {"b": 100}},
          {"id": "why", "type": "std.identity"}],
         "edges": [{"from": "$x", "to": "div.b"}, {"from": "div.result", "to": "ok.a"},
                   {"from": "div.error", "to": "why.value"}],
         "outputs": {"sum": "ok.result", "error": "why.value"}}
        """

    @Test(arguments: [RunMode.sequential, .parallel])
    func routeFiresTheErrorOutputOnlyWhenTheNodeFails(mode: RunMode) throws {
        let options = RunOptions(mode: mode, workers: 2)
        let fine = try TestGraphs.run(Self.routed, inputs: ["x": 2], options: options)
        #expect(fine.outcome == .succeeded)
        #expect(fine[output: "sum"] == .int(105))
        #expect(fine.missingOutputs == ["error"])

        let recorder = EventRecorder()
        var observed = options
        observed.observers = [recorder]
        let failed = try TestGraphs.run(Self.routed, inputs: ["x": 0], options: observed)
        #expect(failed.outcome == .succeeded)
        #expect(failed.missingOutputs == ["sum"])  // ok was skipped: div's result is dead
        let expected: WeftValue = ["node": "div", "type": "std.div",
                                   "message": "std.div: division by zero (a=10, b=0)", "attempt": 1]
        #expect(failed[output: "error"] == expected)
        let shapes = recorder.events.map(\.shape)
        let failedAt = try #require(shapes.firstIndex { $0.hasPrefix("failed div") })
        #expect(shapes[failedAt + 1] == "recovered div route")
        #expect(shapes.contains("skipped ok"))
    }

    @Test(arguments: [RunMode.sequential, .parallel])
    func aDefaultGivesItsOutputsAndTheRunGoesOn(mode: RunMode) throws {
        let graph = """
            {"weft": 1, "inputs": {"x": "int"},
             "nodes": [
              {"id": "div", "type": "std.div", "inputs": {"a": 10}, "on_error": {"default": {"result": -1}}},
              {"id": "ok", "type": "std.add", "inputs": {"b": 100}}],
             "edges": [{"from": "$x", "to": "div.b"}, {"from": "div.result", "to": "ok.a"}],
             "outputs": {"sum": "ok.result"}}
            """
        let options = RunOptions(mode: mode, workers: 2)
        #expect(try TestGraphs.run(graph, inputs: ["x": 5], options: options)[output: "sum"] == .int(102))
        let recovered = try TestGraphs.run(graph, inputs: ["x": 0], options: options)
        #expect(recovered.outcome == .succeeded)
        #expect(recovered[output: "sum"] == .int(99))
        #expect(recovered.steps == 2)
    }

    /// In a loop body (which then goes through the queue, not compiled
    /// passes): 12 / (i - 2) summed for i = 0 ... 3, the failure at i = 2
    /// defaulting to 0: -6 - 12 + 0 + 12 = -6 (the pass with i = 4 ends the
    /// loop, and its next values are dropped).
    @Test func aDefaultInsideALoopBodyKeepsTheLoopGoing() throws {
        let graph = """
            {"weft": 1, "nodes": [
               {"id": "loop", "type": "loop", "carry": {"i": "int", "sum": "int"}, "inputs": {"i": 0, "sum": 0}},
               {"id": "more", "type": "std.lt", "inputs": {"b": 4}},
               {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
               {"id": "less", "type": "std.sub", "inputs": {"b": 2}},
               {"id": "div", "type": "std.div", "inputs": {"a": 12}, "on_error": {"default": {"result": 0}}},
               {"id": "add", "type": "std.add"}],
             "edges": [
               {"from": "loop.i", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"},
               {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
               {"from": "loop.i", "to": "less.a"}, {"from": "less.result", "to": "div.b"},
               {"from": "loop.sum", "to": "add.a"}, {"from": "div.result", "to": "add.b"},
               {"from": "add.result", "to": "loop.next_sum"}],
             "outputs": {"sum": "loop.done_sum"}}
            """
        let r = try PathEquivalenceTests.expectSameEverywhere(graph, "a default in a loop body")
        #expect(r.outcome == .succeeded)
        #expect(r[output: "sum"] == .int(-6))
    }

    /// `"error_strategy": "continue"` gives what keep-going gives.
    @Test func errorStrategyContinueIsKeepGoing() throws {
        let graph = { (strategy: String) in
            """
            {"weft": 1\(strategy), "nodes": [
               {"id": "bad", "type": "std.div", "inputs": {"a": 1, "b": 0}},
               {"id": "after", "type": "std.add", "inputs": {"b": 1}},
               {"id": "fine", "type": "std.add", "inputs": {"a": 1, "b": 2}}],
             "edges": [{"from": "bad.result", "to": "after.a"}],
             "outputs": {"fine": "fine.result", "after": "after.result"}}
            """
        }
        var keepGoing = RunOptions()
        keepGoing.keepGoing = true
        let byOption = try TestGraphs.run(graph(""), options: keepGoing)
        let byGraph = try TestGraphs.run(graph(#", "error_strategy": "continue""#))
        let failFast = try TestGraphs.run(graph(#", "error_strategy": "fail_fast""#))
        #expect(byGraph.outcome == byOption.outcome)
        #expect(byGraph.outputs.map(\.value) == [.int(3)])
        #expect(byGraph.outputs.map(\.value) == byOption.outputs.map(\.value))
        #expect(byGraph.steps == byOption.steps)
        #expect(failFast.outcome.name == "failed")
        #expect(failFast.steps < byGraph.steps)
    }

    /// Each mistake is reported at its place, with the fix.
    @Test func badErrorPoliciesAreRefusedWithTheirPlace() {
        let d = TestGraphs.diagnostics("""
            {"weft": 1, "error_strategy": "sometimes",
             "nodes": [
              {"id": "a", "type": "std.div", "inputs": {"a": 1, "b": 0}, "on_error": "retry"},
              {"id": "b", "type": "std.div", "inputs": {"a": 1, "b": 0}, "on_error": {"default": {"reslt": 1}}},
              {"id": "c", "type": "std.div", "inputs": {"a": 1, "b": 0}, "on_error": {"default": {"result": "x"}}},
              {"id": "d", "type": "std.div", "inputs": {"a": 1, "b": 0}, "on_error": {"fallback": 1}}],
             "edges": [], "outputs": {}}
            """).filter { $0.severity == .error }.map { "\($0.path): \($0.message)" }
        #expect(d.contains { $0.hasPrefix("$.error_strategy: error_strategy must be one of") })
        #expect(d.contains { $0.hasPrefix("$.nodes[0].on_error: on_error must be \"fail\", \"route\"") })
        #expect(d.contains("$.nodes[1].on_error.default.reslt: node 'b' (std.div) has no output 'reslt'; did you mean 'result'?"))
        #expect(d.contains("$.nodes[2].on_error.default.result: output 'result' of node 'c' is number, not string \"x\""))
        #expect(d.contains { $0.hasPrefix("$.nodes[3].on_error: on_error must be") })
        let loop = TestGraphs.diagnostics("""
            {"weft": 1, "nodes": [
               {"id": "l", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}, "on_error": "route"},
               {"id": "inc", "type": "std.add", "inputs": {"b": 1}}, {"id": "more", "type": "std.lt", "inputs": {"b": 3}}],
             "edges": [{"from": "l.i", "to": "inc.a"}, {"from": "inc.result", "to": "l.next_i"},
                       {"from": "inc.result", "to": "more.a"}, {"from": "more.result", "to": "l.continue"}],
             "outputs": {}}
            """).map { "\($0.path): \($0.message)" }
        #expect(loop.contains { $0.hasPrefix("$.nodes[0].on_error: on_error is for nodes that run a call; 'l' is a loop") })
    }

    /// The random graphs of `PathEquivalenceTests.randomGraphsWithErrorHandling`
    /// do divide by zero: both policies recover in many of them.
    @Test func theRandomErrorGraphsReallyFail() throws {
        var recovered: [String: Int] = [:]
        for seed in 0..<80 {
            let recorder = EventRecorder()
            _ = try TestGraphs.run(RandomGraph(seed: UInt64(5_000 + seed), errorHandling: true).json,
                                   options: RunOptions(observers: [recorder]))
            for case .nodeRecovered(_, _, _, let how) in recorder.events { recovered[how, default: 0] += 1 }
        }
        #expect(recovered["route", default: 0] >= 5, "\(recovered)")
        #expect(recovered["default", default: 0] >= 5, "\(recovered)")
    }
}
