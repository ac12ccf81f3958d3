import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// A value whose type is known only when it arrives (from an `any` or
/// `number` port, or into a loop's carried variable) is converted or
/// refused as graph-format.md says — ints widen to double, nothing else
/// converts, a refusal fails the node with `input 'b' must be int, got
/// string` — and the answer is the same on every path a call can take:
/// quiet or observed (events make the scheduler take its general path),
/// sequential or parallel (inline, on the pool, in batches), through the
/// ready queue or compiled loop passes.
@Suite("Run-time types")
struct RunTimeTypeTests {
    /// The ways a graph is run; each takes other paths through the scheduler.
    enum Path: String, CaseIterable, CustomTestStringConvertible {
        case quietSequential, observedSequential, quietParallel, observedParallel
        var testDescription: String { rawValue }

        func options(keepGoing: Bool = false) -> RunOptions {
            var o = RunOptions(mode: self == .quietParallel || self == .observedParallel ? .parallel : .sequential,
                               workers: 2)
            o.keepGoing = keepGoing
            if self == .observedSequential || self == .observedParallel { o.observers = [EventRecorder()] }
            return o
        }
    }

    static func run(_ json: String, _ path: Path, keepGoing: Bool = false) throws -> RunResult {
        try TestGraphs.run(json, options: path.options(keepGoing: keepGoing))
    }

    /// One node fed by a constant through an `any` port.
    static func fed(_ type: String, port: String, value: String, output: String = "result", extra: String = "") -> String {
        """
        {"weft": 1, "nodes": [
           {"id": "c", "type": "std.const", "params": {"value": \(value)}},
           {"id": "n", "type": "\(type)"\(extra)},
           {"id": "k", "type": "std.const", "params": {"value": 42}}],
         "edges": [{"from": "c.value", "to": "n.\(port)"}],
         "outputs": {"out": "n.\(output)", "k": "k.value"}}
        """
    }

    static let refusals: [(graph: String, message: String)] = [
        (fed("std.neg", port: "a", value: "\"hello\""), "node 'n' (std.neg): input 'a' must be number, got string"),
        (fed("std.range", port: "stop", value: "2.5"), "node 'n' (std.range): input 'stop' must be int, got double"),
        (fed("std.branch", port: "cond", value: "1", output: "true"), "node 'n' (std.branch): input 'cond' must be bool, got int"),
        (fed("std.not", port: "a", value: "null"), "node 'n' (std.not): input 'a' must be bool, got null"),
        (fed("std.concat", port: "a", value: "[1]", extra: #", "inputs": {"b": "x"}"#), "node 'n' (std.concat): input 'a' must be string, got list"),
    ]

    /// Before the fix an observed run delivered the previous call's outputs
    /// as this node's (`out = 42`, exit 0), and a quiet one failed with
    /// only "failed".
    @Test(arguments: Path.allCases)
    func aValueOfTheWrongTypeFailsTheNodeWithItsMessage(path: Path) throws {
        for (graph, message) in Self.refusals {
            let r = try Self.run(graph, path)
            #expect(r.outcome == .failed(message: message, node: "n"), "\(path): \(message)")
            #expect(r[output: "out"] == nil, "\(path): \(message)")
        }
    }

    /// The fixture node reports the types its inputs arrived as; it is not
    /// cheap, so in parallel mode it runs on the pool (its own conversion
    /// path). `from` says which constant feeds each input.
    static func kinds(_ from: [String: String] = [:]) -> String {
        let feeds = ["i": "i", "d": "i", "b": "b", "n": "x"].merging(from) { $1 }
        let edges = ["i", "d", "b", "n"].map { #"{"from": "\#(feeds[$0]!).value", "to": "k.\#($0)"}"# }
        return """
            {"weft": 1, "nodes": [
               {"id": "i", "type": "std.const", "params": {"value": 7}},
               {"id": "b", "type": "std.const", "params": {"value": true}},
               {"id": "x", "type": "std.const", "params": {"value": 2.5}},
               {"id": "k", "type": "fixture.kinds"}],
             "edges": [\(edges.joined(separator: ", "))],
             "outputs": {"kinds": "k.kinds"}}
            """
    }

    @Test(arguments: Path.allCases)
    func anIntArrivingAtADoublePortIsWidened(path: Path) throws {
        let r = try Self.run(Self.kinds(), path)
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r[output: "kinds"] == .string("int double bool double"))
    }

    @Test(arguments: Path.allCases)
    func nothingElseIsConverted(path: Path) throws {
        for (from, port, type, got) in [("b", "i", "int", "bool"), ("x", "i", "int", "double"),
                                         ("b", "d", "double", "bool"), ("i", "b", "bool", "int"), ("b", "n", "number", "bool")] {
            let r = try Self.run(Self.kinds([port: from]), path)
            #expect(r.outcome == .failed(message: "node 'k' (fixture.kinds): input '\(port)' must be \(type), got \(got)", node: "k"),
                    "\(path) \(port)")
        }
    }

    /// 200 nodes ready at once (in parallel mode: batches on a worker and
    /// chunks run by the scheduler thread) and one bad value among them.
    static func fanOut(badAt bad: Int) -> String {
        var nodes = [#"{"id": "c", "type": "std.const", "params": {"value": 3}}"#,
                     #"{"id": "s", "type": "std.const", "params": {"value": "three"}}"#]
        var edges: [String] = []
        var outputs: [String] = []
        for i in 0..<200 {
            nodes.append(#"{"id": "n\#(i)", "type": "std.neg"}"#)
            edges.append(#"{"from": "\#(i == bad ? "s" : "c").value", "to": "n\#(i).a"}"#)
            outputs.append(#""o\#(i)": "n\#(i).result""#)
        }
        return #"{"weft": 1, "nodes": [\#(nodes.joined(separator: ", "))], "edges": [\#(edges.joined(separator: ", "))], "#
            + #""outputs": {\#(outputs.joined(separator: ", "))}}"#
    }

    @Test(arguments: Path.allCases)
    func aBadValueInABatchFailsLikeAnywhereElse(path: Path) throws {
        for bad in [0, 150, 199] {
            let graph = Self.fanOut(badAt: bad)
            let r = try Self.run(graph, path)
            #expect(r.outcome == .failed(message: "node 'n\(bad)' (std.neg): input 'a' must be number, got string", node: "n\(bad)"),
                    "\(path) bad at \(bad)")
            let kept = try Self.run(graph, path, keepGoing: true)
            #expect(kept.outcome == .failed(message: "node 'n\(bad)' (std.neg): input 'a' must be number, got string", node: "n\(bad)"))
            #expect(kept.outputs.count == 199)
            #expect(kept.missingOutputs == ["o\(bad)"])
            #expect(kept.outputs.allSatisfy { $0.value == .int(-3) })
        }
    }

    /// A loop body whose node gets a string on its second pass: the first
    /// pass runs compiled in a quiet sequential run, the second is refused.
    static let bodyGetsAString = """
        {"weft": 1, "nodes": [
           {"id": "loop", "type": "loop", "carry": {"i": "int", "v": "any"}, "inputs": {"i": 0, "v": 1}},
           {"id": "neg", "type": "std.neg"},
           {"id": "text", "type": "std.to_string"},
           {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
           {"id": "more", "type": "std.lt", "inputs": {"b": 5}}],
         "edges": [{"from": "loop.v", "to": "neg.a"}, {"from": "loop.i", "to": "text.value"},
                   {"from": "text.result", "to": "loop.next_v"},
                   {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
                   {"from": "inc.result", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"}],
         "outputs": {"i": "loop.done_i"}}
        """

    @Test(arguments: Path.allCases)
    func aLoopBodyRefusesAValueOfTheWrongType(path: Path) throws {
        let r = try Self.run(Self.bodyGetsAString, path)
        #expect(r.outcome == .failed(message: "node 'neg' (std.neg): input 'a' must be number, got string", node: "neg"))
        if path == .quietSequential || path == .observedSequential {
            // Pass 0: four calls; pass 1 fails at its third (text and
            // inc take loop.i, the first port, before neg takes loop.v).
            #expect(r.steps == 7)
        }
    }

    /// A loop: `i` counts 0, 1, 2, 3; `x` takes the same ints.
    static func carrying(_ x: String, next: String = "inc.result", initial: String = "0") -> String {
        """
        {"weft": 1, "nodes": [
           {"id": "loop", "type": "loop", "carry": {"x": "\(x)", "i": "int"}},
           {"id": "start", "type": "std.const", "params": {"value": \(initial)}},
           {"id": "zero", "type": "std.const", "params": {"value": 0}},
           {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
           {"id": "half", "type": "std.add", "inputs": {"b": 0.5}},
           {"id": "text", "type": "std.to_string"},
           {"id": "more", "type": "std.lt", "inputs": {"b": 3}}],
         "edges": [{"from": "start.value", "to": "loop.x"}, {"from": "zero.value", "to": "loop.i"},
                   {"from": "loop.i", "to": "inc.a"}, {"from": "loop.i", "to": "half.a"}, {"from": "loop.i", "to": "text.value"},
                   {"from": "inc.result", "to": "loop.next_i"}, {"from": "\(next)", "to": "loop.next_x"},
                   {"from": "inc.result", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"}],
         "outputs": {"x": "loop.done_x", "i": "loop.done_i"}}
        """
    }

    /// Before the fix `x` came out as the int 2 (passes in C and the queue
    /// alike copied carried values as they were).
    @Test(arguments: Path.allCases)
    func aDoubleVariableWidensInts(path: Path) throws {
        let r = try Self.run(Self.carrying("double"), path)
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r[output: "x"] == .double(2))
        #expect(r[output: "i"] == .int(2))
    }

    @Test(arguments: Path.allCases)
    func aCarriedValueOfTheWrongTypeFailsTheLoop(path: Path) throws {
        // next_x = i + 0.5 into an int variable (before: exit 0 with 2.5).
        let r = try Self.run(Self.carrying("int", next: "half.result"), path)
        #expect(r.outcome == .failed(message: "node 'loop' (loop): input 'next_x' must be int, got double", node: "loop"))
        // A string into a double variable, as the initial value.
        let s = try Self.run(Self.carrying("double", initial: "\"zero\""), path)
        #expect(s.outcome == .failed(message: "node 'loop' (loop): input 'x' must be double, got string", node: "loop"))
        // A number variable takes both, as they are.
        let n = try Self.run(Self.carrying("number", next: "half.result"), path)
        #expect(n.outcome == .succeeded)
        #expect(n[output: "x"] == .double(1.5))
        // A string variable takes a string.
        let t = try Self.run(Self.carrying("string", next: "text.result", initial: "\"s\""), path)
        #expect(t.outcome == .succeeded, "\(t.outcome)")
        #expect(t[output: "x"] == .string("1"))
    }
}
