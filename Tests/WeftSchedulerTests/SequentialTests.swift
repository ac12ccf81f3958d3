import Testing
import WeftCore
import WeftScheduler

@Suite("Sequential strategy")
struct SequentialTests {
    static let pipeline = """
        {
          "weft": 1,
          "description": "(x + y) * 2 - 1",
          "inputs": {"x": "int", "y": {"type": "int", "default": 4}},
          "nodes": [
            {"id": "sum", "type": "std.add"},
            {"id": "double", "type": "std.mul", "inputs": {"b": 2}},
            {"id": "minus", "type": "std.sub", "inputs": {"b": 1}}
          ],
          "edges": [
            {"from": "$x", "to": "sum.a"}, {"from": "$y", "to": "sum.b"},
            {"from": "sum.result", "to": "double.a"},
            {"from": "double.result", "to": "minus.a"}
          ],
          "outputs": {"result": "minus.result", "sum": "sum.result"}
        }
        """

    @Test func arithmeticPipeline() throws {
        let r = try TestGraphs.run(Self.pipeline, inputs: ["x": 3])
        #expect(r.outcome == .succeeded)
        #expect(r[output: "result"] == .int(13))
        #expect(r[output: "sum"] == .int(7))
        #expect(r.outputs.map(\.name) == ["result", "sum"])
        #expect(r.steps == 3)
        #expect(try TestGraphs.run(Self.pipeline, inputs: ["x": 1, "y": 1])[output: "result"] == .int(3))
    }

    @Test func inputsAreChecked() throws {
        let graph = try TestGraphs.compile(Self.pipeline)
        #expect(throws: RunInputError.self) { try Scheduler.run(graph) }
        do {
            _ = try Scheduler.run(graph, inputs: ["x": "three", "z": 1])
            Issue.record("bad inputs accepted")
        } catch {
            #expect(error.messages == ["unknown graph input 'z'; it declares: x, y", "input 'x' must be int, got string \"three\""])
        }
    }

    @Test func sameEventOrderEveryRun() throws {
        let graph = """
            {"weft": 1, "nodes": [
              {"id": "a", "type": "std.const", "params": {"value": 1}},
              {"id": "b", "type": "std.const", "params": {"value": 2}},
              {"id": "c", "type": "std.add"}, {"id": "d", "type": "std.add"}, {"id": "e", "type": "std.add"}],
             "edges": [{"from": "a.value", "to": "c.a"}, {"from": "b.value", "to": "c.b"},
                       {"from": "a.value", "to": "d.a"}, {"from": "c.result", "to": "d.b"},
                       {"from": "c.result", "to": "e.a"}, {"from": "d.result", "to": "e.b"}],
             "outputs": {"e": "e.result"}}
            """
        var orders: [[String]] = []
        for _ in 0..<5 {
            let recorder = EventRecorder()
            let r = try TestGraphs.run(graph, options: RunOptions(observers: [recorder]))
            #expect(r[output: "e"] == .int(7))
            orders.append(recorder.events.map(\.shape))
        }
        #expect(Set(orders.map { $0.joined(separator: "|") }).count == 1)
        #expect(orders[0] == ["start 5 sequential 1", "started a 0", "finished a 0", "started b 0", "finished b 0",
                              "started c 0", "finished c 0", "started d 0", "finished d 0", "started e 0", "finished e 0",
                              "finished succeeded 5"])
    }

    @Test func nodeFailureFailsTheRunNamingTheNode() throws {
        let r = try TestGraphs.run("""
            {"weft": 1, "nodes": [{"id": "bad", "type": "std.div", "inputs": {"a": 1, "b": 0}},
                                  {"id": "after", "type": "std.identity"}],
             "edges": [{"from": "bad.result", "to": "after.value"}]}
            """)
        guard case .failed(let message, let node) = r.outcome else {
            Issue.record("\(r.outcome)")
            return
        }
        #expect(node == "bad")
        #expect(message.hasPrefix("node 'bad' (std.div): "))
        #expect(message.contains("division by zero"))
        #expect(r.steps == 1, "nothing runs after the failure")
    }

    @Test func maxStepsStopsTheRun() throws {
        let r = try TestGraphs.run(Self.pipeline, inputs: ["x": 1], options: RunOptions(maxSteps: 2))
        #expect(r.outcome == .failed(message: "node 'minus' (std.sub): the run reached max_steps (2 node executions) at node 'minus'; raise it with --max-steps, or check for a loop that never ends", node: "minus"))
        #expect(r.steps == 2, "the execution that would pass the limit is not made")
    }

    /// `max_steps` N allows exactly N executions, in either mode.
    @Test(arguments: [RunMode.sequential, .parallel])
    func maxStepsAllowsExactlyTheLimit(mode: RunMode) throws {
        let exact = try TestGraphs.run(Self.pipeline, inputs: ["x": 1], options: RunOptions(mode: mode, maxSteps: 3))
        #expect(exact.outcome == .succeeded, "\(exact.outcome)")
        #expect(exact.steps == 3)
        let short = try TestGraphs.run(Self.pipeline, inputs: ["x": 1], options: RunOptions(mode: mode, maxSteps: 2))
        #expect(short.steps == 2)
        #expect(short.outcome.name == "failed")
    }

    @Test func compiledGraphKeepsNodeStateAcrossRuns() throws {
        let graph = try TestGraphs.compile("""
            {"weft": 1, "nodes": [{"id": "c", "type": "std.counter", "params": {"start": 1}}], "outputs": {"n": "c.count"}}
            """)
        #expect(try Scheduler.run(graph)[output: "n"] == .int(1))
        #expect(try Scheduler.run(graph)[output: "n"] == .int(2))
    }

    /// Slots hold numbers and bools as they are and every other value
    /// beside them: each kind must come out of a chain of nodes unchanged,
    /// sequentially and in parallel mode, and a loop must carry a string.
    @Test func everyKindOfValueFlowsThroughSlots() throws {
        let values: [(String, WeftValue)] = [
            ("null", .null), ("t", .bool(true)), ("f", .bool(false)), ("i", .int(-7)), ("d", .double(2.5)),
            ("s", .string("héllo")), ("l", .list([.int(1), .string("x"), .list([])])),
            ("m", .object([("k", .double(1)), ("j", .null)])), ("b", .bytes([0, 255])),
        ]
        let inputs = values.map { #""\#($0.0)": "any""# }.joined(separator: ", ")
        let nodes = values.flatMap { [#"{"id": "\#($0.0)1", "type": "std.identity"}"#, #"{"id": "\#($0.0)2", "type": "std.identity"}"#] }
        let edges = values.flatMap { [#"{"from": "$\#($0.0)", "to": "\#($0.0)1.value"}"#, #"{"from": "\#($0.0)1.value", "to": "\#($0.0)2.value"}"#] }
        let outputs = values.map { #""\#($0.0)": "\#($0.0)2.value""# }.joined(separator: ", ")
        let graph = #"{"weft": 1, "inputs": {\#(inputs)}, "nodes": [\#(nodes.joined(separator: ", "))], "#
            + #""edges": [\#(edges.joined(separator: ", "))], "outputs": {\#(outputs)}}"#
        for mode in [RunMode.sequential, .parallel] {
            let r = try TestGraphs.run(graph, inputs: Dictionary(uniqueKeysWithValues: values), options: RunOptions(mode: mode))
            #expect(r.outcome == .succeeded, "\(r.outcome)")
            for (name, value) in values { #expect(r[output: name] == value, "\(name) in \(mode)") }
        }
        let loop = """
            {"weft": 1, "nodes": [
              {"id": "loop", "type": "loop", "carry": {"s": "string", "i": "int"}, "inputs": {"s": "", "i": 0}},
              {"id": "more", "type": "std.lt", "inputs": {"b": 3}},
              {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
              {"id": "grow", "type": "std.concat", "inputs": {"b": "x"}}],
             "edges": [{"from": "loop.i", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"},
                       {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
                       {"from": "loop.s", "to": "grow.a"}, {"from": "grow.result", "to": "loop.next_s"}],
             "outputs": {"s": "loop.done_s", "i": "loop.done_i"}}
            """
        let r = try TestGraphs.run(loop)
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r[output: "s"] == .string("xxx"))
        #expect(r[output: "i"] == .int(3))
    }
}

