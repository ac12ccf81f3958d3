import Testing
import Foundation
import WeftCore
import WeftScheduler

@Suite("Loop strategy")
struct LoopTests {
    /// sum of 0..<n: carries i and sum; the body computes the condition and
    /// the next values; the final pass's next values are discarded.
    static let sum = """
        {"weft": 1, "inputs": {"n": {"type": "int", "default": 10}},
         "nodes": [
           {"id": "loop", "type": "loop", "carry": {"i": "int", "sum": "int"}, "inputs": {"i": 0, "sum": 0}, "max_iterations": 100},
           {"id": "more", "type": "std.lt"},
           {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
           {"id": "acc", "type": "std.add"}
         ],
         "edges": [
           {"from": "loop.i", "to": "more.a"}, {"from": "$n", "to": "more.b"},
           {"from": "loop.i", "to": "inc.a"},
           {"from": "loop.sum", "to": "acc.a"}, {"from": "loop.i", "to": "acc.b"},
           {"from": "more.result", "to": "loop.continue"},
           {"from": "inc.result", "to": "loop.next_i"}, {"from": "acc.result", "to": "loop.next_sum"}
         ],
         "outputs": {"i": "loop.done_i", "sum": "loop.done_sum"}}
        """

    @Test(arguments: [(0, 0), (1, 0), (10, 45), (100, 4950)])
    func loopCarriesValues(n: Int64, expected: Int64) throws {
        let recorder = EventRecorder()
        let r = try TestGraphs.run(Self.sum, inputs: ["n": .int(n)], options: RunOptions(observers: [recorder]))
        #expect(r.outcome == .succeeded)
        #expect(r[output: "sum"] == .int(expected))
        #expect(r[output: "i"] == .int(n))
        let iterations = recorder.events.compactMap { if case .loopIteration(_, _, "loop", let i) = $0 { i } else { nil } }
        #expect(iterations == Array(0...Int(n)))
        #expect(r.steps == 3 * (Int(n) + 1))
    }

    @Test func maxIterationsFailsNamingTheLoop() throws {
        let r = try TestGraphs.run(Self.sum, inputs: ["n": 1000])
        #expect(r.outcome == .failed(
            message: "node 'loop' (loop): loop 'loop' reached max_iterations (100) and was still continuing; raise \"max_iterations\" on the node, or check its continue condition",
            node: "loop"))
    }

    @Test func defaultMaxIterationsIs1000() throws {
        let graph = Self.sum.replacingOccurrences(of: ", \"max_iterations\": 100", with: "")
        #expect(try TestGraphs.run(graph, inputs: ["n": 1000]).outcome == .succeeded)
        guard case .failed(let m, _) = try TestGraphs.run(graph, inputs: ["n": 1001]).outcome else {
            Issue.record("1000 iterations should fail")
            return
        }
        #expect(m.contains("max_iterations (1000)"))
    }

    @Test func maxStepsBoundsLoops() throws {
        let r = try TestGraphs.run(Self.sum, inputs: ["n": 50], options: RunOptions(maxSteps: 20))
        guard case .failed(let m, _) = r.outcome else { Issue.record("\(r.outcome)"); return }
        #expect(m.contains("max_steps (20 node executions)"))
        #expect(r.steps == 20, "at most max_steps executions: the one past it is not made")
    }

    /// Collatz: steps until n reaches 1. The body branches (even/odd) and
    /// merges with join any; the halving/tripling happen only on the live branch.
    static let collatz = """
        {"weft": 1, "inputs": {"n": "int"},
         "nodes": [
           {"id": "loop", "type": "loop", "carry": {"n": "int", "steps": "int"}, "inputs": {"steps": 0}, "max_iterations": 1000},
           {"id": "more", "type": "std.ne", "inputs": {"b": 1}},
           {"id": "gate", "type": "std.branch"},
           {"id": "rem", "type": "std.mod", "inputs": {"b": 2}},
           {"id": "even", "type": "std.eq", "inputs": {"b": 0}},
           {"id": "parity", "type": "std.branch", "strategy": "conditional"},
           {"id": "half", "type": "std.div", "inputs": {"b": 2}},
           {"id": "triple", "type": "std.mul", "inputs": {"b": 3}},
           {"id": "plus1", "type": "std.add", "inputs": {"b": 1}},
           {"id": "merge", "type": "std.identity", "join": "any"},
           {"id": "count", "type": "std.add", "inputs": {"b": 1}}
         ],
         "edges": [
           {"from": "$n", "to": "loop.n"},
           {"from": "loop.n", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"},
           {"from": "more.result", "to": "gate.cond"}, {"from": "loop.n", "to": "gate.value"},
           {"from": "gate.true", "to": "rem.a"}, {"from": "rem.result", "to": "even.a"},
           {"from": "even.result", "to": "parity.cond"}, {"from": "gate.true", "to": "parity.value"},
           {"from": "parity.true", "to": "half.a"}, {"from": "parity.false", "to": "triple.a"},
           {"from": "triple.result", "to": "plus1.a"},
           {"from": "half.result", "to": "merge.value"}, {"from": "plus1.result", "to": "merge.value"},
           {"from": "merge.value", "to": "loop.next_n"},
           {"from": "loop.steps", "to": "count.a"}, {"from": "count.result", "to": "loop.next_steps"}
         ],
         "outputs": {"steps": "loop.done_steps"}}
        """

    @Test(arguments: [(1, 0), (6, 8), (27, 111), (97, 118)])
    func collatzStepsWithBranchesInsideTheBody(n: Int64, steps: Int64) throws {
        let r = try TestGraphs.run(Self.collatz, inputs: ["n": .int(n)])
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r[output: "steps"] == .int(steps))
    }

    /// Nested loops: outer i in 0..<rows, inner j in 0..<cols, counting cells.
    static let nested = """
        {"weft": 1, "inputs": {"rows": "int", "cols": "int"},
         "nodes": [
           {"id": "outer", "type": "loop", "carry": {"i": "int", "total": "int"}, "inputs": {"i": 0, "total": 0}},
           {"id": "outer_more", "type": "std.lt"},
           {"id": "gate", "type": "std.branch"},
           {"id": "inner", "type": "loop", "carry": {"j": "int", "acc": "int"}, "inputs": {"j": 0}},
           {"id": "inner_more", "type": "std.lt"},
           {"id": "jinc", "type": "std.add", "inputs": {"b": 1}},
           {"id": "accinc", "type": "std.add", "inputs": {"b": 1}},
           {"id": "iinc", "type": "std.add", "inputs": {"b": 1}}
         ],
         "edges": [
           {"from": "outer.i", "to": "outer_more.a"}, {"from": "$rows", "to": "outer_more.b"},
           {"from": "outer_more.result", "to": "outer.continue"},
           {"from": "outer_more.result", "to": "gate.cond"}, {"from": "outer.total", "to": "gate.value"},
           {"from": "gate.true", "to": "inner.acc"},
           {"from": "inner.j", "to": "inner_more.a"}, {"from": "$cols", "to": "inner_more.b"},
           {"from": "inner_more.result", "to": "inner.continue"},
           {"from": "inner.j", "to": "jinc.a"}, {"from": "jinc.result", "to": "inner.next_j"},
           {"from": "inner.acc", "to": "accinc.a"}, {"from": "accinc.result", "to": "inner.next_acc"},
           {"from": "inner.done_acc", "to": "outer.next_total"},
           {"from": "outer.i", "to": "iinc.a"}, {"from": "iinc.result", "to": "outer.next_i"}
         ],
         "outputs": {"total": "outer.done_total", "rows_seen": "outer.done_i"}}
        """

    @Test(arguments: [(3, 4, 12), (1, 1, 1), (0, 5, 0), (5, 0, 0), (7, 9, 63)])
    func nestedLoops(rows: Int64, cols: Int64, total: Int64) throws {
        let recorder = EventRecorder()
        let r = try TestGraphs.run(Self.nested, inputs: ["rows": .int(rows), "cols": .int(cols)],
                                   options: RunOptions(observers: [recorder]))
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r[output: "total"] == .int(total))
        #expect(r[output: "rows_seen"] == .int(rows))
        let inner = recorder.events.filter { if case .loopIteration(_, _, "inner", _) = $0 { true } else { false } }
        #expect(inner.count == Int(rows) * (Int(cols) + 1), "the inner loop runs cols+1 passes per live outer pass")
    }

    @Test func continueTrueWithADeadNextValueFails() throws {
        let r = try TestGraphs.run("""
            {"weft": 1, "nodes": [
               {"id": "loop", "type": "loop", "carry": {"x": "int"}, "inputs": {"x": 1}},
               {"id": "same", "type": "std.eq"},
               {"id": "gate", "type": "std.branch", "inputs": {"cond": false}}],
             "edges": [{"from": "loop.x", "to": "same.a"}, {"from": "loop.x", "to": "same.b"},
                       {"from": "same.result", "to": "loop.continue"},
                       {"from": "loop.x", "to": "gate.value"}, {"from": "gate.true", "to": "loop.next_x"}]}
            """)
        #expect(r.outcome == .failed(
            message: "node 'loop' (loop): loop 'loop': continue is true but 'next_x' got no value this iteration (its path was dead); connect it on every path that continues",
            node: "loop"))
    }

    @Test func loopNeedsItsBackEdges() {
        let d = TestGraphs.diagnostics("""
            {"weft": 1, "nodes": [{"id": "loop", "type": "loop", "carry": {"x": "int"}, "inputs": {"x": 1}}]}
            """)
        #expect(d.map(\.message) == [
            "loop 'loop': input 'next_x' is not connected (connect it from the loop body: a back edge)",
            "loop 'loop': input 'continue' is not connected (connect it from the loop body: a back edge)",
        ])
    }
}
