import Testing
import Foundation
import WeftCore
import WeftScheduler

/// Branches, dead-path elimination and `join: any`.
@Suite("Conditional strategy and dead paths")
struct ConditionalTests {
    /// |x| via if/else: negative → neg, else identity; merged with join any.
    static let ifElse = """
        {"weft": 1, "inputs": {"x": "int"},
         "nodes": [
           {"id": "isneg", "type": "std.lt", "inputs": {"b": 0}},
           {"id": "split", "type": "std.branch", "strategy": "conditional"},
           {"id": "negate", "type": "std.neg"},
           {"id": "keep", "type": "std.identity"},
           {"id": "merge", "type": "std.identity", "join": "any"},
           {"id": "label", "type": "std.format", "inputs": {"template": "abs = {}"}}
         ],
         "edges": [
           {"from": "$x", "to": "isneg.a"}, {"from": "isneg.result", "to": "split.cond"}, {"from": "$x", "to": "split.value"},
           {"from": "split.true", "to": "negate.a"}, {"from": "split.false", "to": "keep.value"},
           {"from": "negate.result", "to": "merge.value"}, {"from": "keep.value", "to": "merge.value"},
           {"from": "merge.value", "to": "label.args"}
         ],
         "outputs": {"abs": "merge.value", "text": "label.result", "negated": "negate.result"}}
        """

    @Test(arguments: [(-5, 5), (7, 7), (0, 0)])
    func ifElseMergesTheBranchThatFired(x: Int64, expected: Int64) throws {
        let recorder = EventRecorder()
        let r = try TestGraphs.run(Self.ifElse, inputs: ["x": .int(x)], options: RunOptions(observers: [recorder]))
        #expect(r.outcome == .succeeded)
        #expect(r[output: "abs"] == .int(expected))
        #expect(r[output: "text"] == .string("abs = \(expected)"))
        let skipped = recorder.events.compactMap { if case .nodeSkipped(_, _, let id) = $0 { id } else { nil } }
        #expect(skipped == [x < 0 ? "keep" : "negate"])
        #expect(r.missingOutputs == (x < 0 ? [] : ["negated"]))
    }

    @Test(arguments: [(-3, "neg"), (0, "zero"), (4, "pos")])
    func nestedIfElsePropagatesDeadPaths(x: Int64, expected: String) throws {
        let graph = """
            {"weft": 1, "inputs": {"x": "int"},
             "nodes": [
               {"id": "isneg", "type": "std.lt", "inputs": {"b": 0}},
               {"id": "b1", "type": "std.branch"},
               {"id": "iszero", "type": "std.eq", "inputs": {"b": 0}},
               {"id": "b2", "type": "std.branch"},
               {"id": "t_neg", "type": "std.const", "params": {"value": "neg:"}},
               {"id": "t_zero", "type": "std.const", "params": {"value": "zero:"}},
               {"id": "t_pos", "type": "std.const", "params": {"value": "pos:"}},
               {"id": "s_neg", "type": "std.to_string"}, {"id": "s_zero", "type": "std.to_string"}, {"id": "s_pos", "type": "std.to_string"},
               {"id": "pick_neg", "type": "std.concat"}, {"id": "pick_zero", "type": "std.concat"}, {"id": "pick_pos", "type": "std.concat"},
               {"id": "out", "type": "std.identity", "join": "any"}
             ],
             "edges": [
               {"from": "$x", "to": "isneg.a"}, {"from": "isneg.result", "to": "b1.cond"}, {"from": "$x", "to": "b1.value"},
               {"from": "b1.true", "to": "s_neg.value"},
               {"from": "b1.false", "to": "iszero.a"}, {"from": "iszero.result", "to": "b2.cond"}, {"from": "b1.false", "to": "b2.value"},
               {"from": "b2.true", "to": "s_zero.value"}, {"from": "b2.false", "to": "s_pos.value"},
               {"from": "t_neg.value", "to": "pick_neg.a"}, {"from": "s_neg.result", "to": "pick_neg.b"},
               {"from": "t_zero.value", "to": "pick_zero.a"}, {"from": "s_zero.result", "to": "pick_zero.b"},
               {"from": "t_pos.value", "to": "pick_pos.a"}, {"from": "s_pos.result", "to": "pick_pos.b"},
               {"from": "pick_neg.result", "to": "out.value"}, {"from": "pick_zero.result", "to": "out.value"},
               {"from": "pick_pos.result", "to": "out.value"}
             ],
             "outputs": {"sign": "out.value"}}
            """
        // pick_* have a live constant on `a` and a dead path on the required `b`:
        // a dead required input skips the node although another input holds a value.
        let recorder = EventRecorder()
        let r = try TestGraphs.run(graph, inputs: ["x": .int(x)], options: RunOptions(observers: [recorder]))
        #expect(r.outcome == .succeeded)
        #expect(r[output: "sign"] == .string("\(expected):\(x)"))
        let ran = recorder.events.compactMap { if case .nodeFinished(_, _, let id, _, _) = $0 { id } else { nil } }
        #expect(ran.filter { $0.hasPrefix("pick_") } == ["pick_\(expected)"])
        let skipped = recorder.events.compactMap { if case .nodeSkipped(_, _, let id) = $0 { id } else { nil } }
        #expect(skipped.count == (x < 0 ? 6 : 4), "\(skipped)")
    }

    @Test func nodeWhoseInputsAreAllDeadIsSkipped() throws {
        let r = try TestGraphs.run("""
            {"weft": 1, "nodes": [
               {"id": "b", "type": "std.branch", "inputs": {"cond": false, "value": 1}},
               {"id": "x", "type": "std.identity"}, {"id": "y", "type": "std.identity"}],
             "edges": [{"from": "b.true", "to": "x.value"}, {"from": "x.value", "to": "y.value"}],
             "outputs": {"y": "y.value"}}
            """)
        #expect(r.outcome == .succeeded)
        #expect(r.outputs.isEmpty && r.missingOutputs == ["y"])
        #expect(r.steps == 1)
    }

    @Test func joinAnyRunsOnTheFirstArrival() throws {
        let recorder = EventRecorder()
        let r = try TestGraphs.run("""
            {"weft": 1, "nodes": [
               {"id": "a", "type": "std.const", "params": {"value": "first"}},
               {"id": "slow", "type": "std.identity", "inputs": {"value": "second"}},
               {"id": "b", "type": "std.identity"},
               {"id": "j", "type": "std.identity", "join": "any"}],
             "edges": [{"from": "a.value", "to": "j.value"}, {"from": "slow.value", "to": "b.value"}, {"from": "b.value", "to": "j.value"}],
             "outputs": {"j": "j.value"}}
            """, options: RunOptions(observers: [recorder]))
        #expect(r[output: "j"] == "first")
        let finished = recorder.events.compactMap { if case .nodeFinished(_, _, let id, _, _) = $0 { id } else { nil } }
        #expect(finished.filter { $0 == "j" }.count == 1, "j runs once, on the first value")
    }

    @Test(arguments: [(0, "conditional node fired 0 outputs; it must fire exactly one"),
                      (2, "conditional node fired 2 outputs (a, b); it must fire exactly one")])
    func conditionalMustFireExactlyOne(fire: Int64, message: String) throws {
        let graph = """
            {"weft": 1, "nodes": [{"id": "c", "type": "fixture.multi", "strategy": "conditional", "params": {"fire": \(fire)}}]}
            """
        #expect(try TestGraphs.run(graph).outcome == .failed(message: "node 'c' (fixture.multi): \(message)", node: "c"))
        let one = graph.replacingOccurrences(of: "\"fire\": \(fire)", with: "\"fire\": 1")
        #expect(try TestGraphs.run(one).outcome == .succeeded)
        // Without the conditional strategy, firing several outputs is fine.
        let plain = graph.replacingOccurrences(of: "\"strategy\": \"conditional\", ", with: "")
        #expect(try TestGraphs.run(plain).outcome == .succeeded)
    }

    @Test func nodeWithoutOptionalOutputsCannotBeConditional() {
        let d = TestGraphs.diagnostics("""
            {"weft": 1, "nodes": [{"id": "c", "type": "std.add", "strategy": "conditional", "inputs": {"a": 1, "b": 2}}]}
            """)
        #expect(d.map(\.message) == ["node 'c' (std.add) cannot be conditional: it has no optional outputs to choose between"])
        #expect(d.map(\.path) == ["$.nodes[0].strategy"])
    }
}
