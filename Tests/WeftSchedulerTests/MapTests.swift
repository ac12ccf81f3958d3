import Foundation
import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// `"map"`: a node runs once per item of its mapped input lists (zipped)
/// and each output becomes the list of the items' values, in item order;
/// `concurrency` runs items on lanes of the pool; `on_item_error` says
/// what a failed item does (fail, skip, collect). Each item is a step.
@Suite("Map")
struct MapTests {
    /// 0..<n squared (a and b zipped), 12 / each (a failure at 0), and the
    /// same with `policy` and `concurrency`.
    static func graph(policy: String = "fail", concurrency: Int = 1, n: Int = 5, squaresConcurrency: Int? = nil) -> String {
        """
        {"weft": 1, "inputs": {"n": {"type": "int", "default": \(n)}},
         "nodes": [
          {"id": "nums", "type": "std.range", "inputs": {"start": 0}},
          {"id": "sq", "type": "std.mul", "map": ["a", "b"], "concurrency": \(squaresConcurrency ?? concurrency)},
          {"id": "inv", "type": "std.div", "inputs": {"a": 12}, "map": "b", "on_item_error": "\(policy)",
           "concurrency": \(concurrency)}],
         "edges": [{"from": "$n", "to": "nums.stop"}, {"from": "nums.result", "to": "sq.a"},
                   {"from": "nums.result", "to": "sq.b"}, {"from": "nums.result", "to": "inv.b"}],
         "outputs": {"squares": "sq.result", "inverse": "inv.result"\(policy == "collect" ? #", "errors": "inv.errors""# : "")}}
        """
    }

    @Test(arguments: [1, 2, 7])
    func eachItemRunsOnceAndTheOutputsAreListsInItemOrder(concurrency: Int) throws {
        for mode in [RunMode.sequential, .parallel] {
            let r = try TestGraphs.run(Self.graph(policy: "skip", concurrency: concurrency, n: 50),
                                       options: RunOptions(mode: mode, workers: 2))
            #expect(r.outcome == .succeeded)
            #expect(r[output: "squares"] == .list((0..<50).map { .int(Int64($0 * $0)) }))
            #expect(r[output: "inverse"] == .list((1..<50).map { .int(12 / Int64($0)) }))
            #expect(r.steps == 1 + 50 + 50, "the range, then one step per item of each map")
        }
    }

    @Test func aFailedItemFailsTheNodeByDefault() throws {
        let r = try TestGraphs.run(Self.graph())
        #expect(r.outcome == .failed(message: "node 'inv' (std.div): item 0: std.div: division by zero (a=12, b=0)", node: "inv"))
    }

    @Test(arguments: [1, 3])
    func collectKeepsThePlacesAndListsTheErrors(concurrency: Int) throws {
        let recorder = EventRecorder()
        let r = try TestGraphs.run(Self.graph(policy: "collect", concurrency: concurrency),
                                   options: RunOptions(observers: [recorder]))
        #expect(r.outcome == .succeeded)
        #expect(r[output: "inverse"] == [.null, 12, 6, 4, 3])
        let error: WeftValue = ["item": 0, "message": "std.div: division by zero (a=12, b=0)"]
        #expect(r[output: "errors"] == [error, .null, .null, .null, .null])
        #expect(recorder.events.map(\.shape).contains("item failed inv 0"))
    }

    /// A routed failure of the whole node (its first failed item).
    @Test func onErrorHandlesTheNodesFailure() throws {
        let json = Self.graph().replacingOccurrences(of: #""map": "b", "on_item_error": "fail""#,
                                                     with: #""map": "b", "on_item_error": "fail", "on_error": "route""#)
            .replacingOccurrences(of: #""inverse": "inv.result""#, with: #""error": "inv.error""#)
        let r = try TestGraphs.run(json)
        #expect(r.outcome == .succeeded)
        #expect(r[output: "error"]?["message"] == .string("item 0: std.div: division by zero (a=12, b=0)"))
    }

    @Test func everyPathMapsAlike() throws {
        for policy in ["fail", "skip", "collect"] {
            for concurrency in [1, 2] {
                // (One map on the pool at a time: two would finish in either
                // order, and the events with them.)
                try PathEquivalenceTests.expectSameEverywhere(Self.graph(policy: policy, concurrency: concurrency, squaresConcurrency: 1),
                                                              "map \(policy) × \(concurrency)")
            }
        }
        // A map inside a loop body: its lists are the loop's.
        let loop = """
            {"weft": 1, "nodes": [
               {"id": "loop", "type": "loop", "carry": {"i": "int", "sum": "int"}, "inputs": {"i": 0, "sum": 0}},
               {"id": "more", "type": "std.lt", "inputs": {"b": 3}},
               {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
               {"id": "items", "type": "std.range", "inputs": {"start": 0}},
               {"id": "twice", "type": "std.mul", "inputs": {"b": 2}, "map": "a"},
               {"id": "n", "type": "std.list_length"},
               {"id": "add", "type": "std.add"}],
             "edges": [
               {"from": "loop.i", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"},
               {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
               {"from": "inc.result", "to": "items.stop"}, {"from": "items.result", "to": "twice.a"},
               {"from": "twice.result", "to": "n.list"},
               {"from": "loop.sum", "to": "add.a"}, {"from": "n.result", "to": "add.b"},
               {"from": "add.result", "to": "loop.next_sum"}],
             "outputs": {"sum": "loop.done_sum"}}
            """
        let r = try PathEquivalenceTests.expectSameEverywhere(loop, "a map in a loop body")
        #expect(r[output: "sum"] == .int(1 + 2 + 3))
    }

    /// Each item is a node execution: max_steps stops a long map.
    @Test(arguments: [1, 2])
    func itemsCountTowardMaxSteps(concurrency: Int) throws {
        var o = RunOptions()
        o.maxSteps = 30
        let r = try TestGraphs.run(Self.graph(policy: "skip", concurrency: concurrency, n: 100), options: o)
        guard case .failed(let message, _) = r.outcome else {
            Issue.record("expected max_steps, got \(r.outcome)")
            return
        }
        #expect(message.contains("max_steps"))
        #expect(r.steps <= 30)
    }

    @Test func mappedListsMustBeOneLength() throws {
        let json = """
            {"weft": 1, "nodes": [
               {"id": "a", "type": "std.range", "inputs": {"start": 0, "stop": 3}},
               {"id": "b", "type": "std.range", "inputs": {"start": 0, "stop": 4}},
               {"id": "m", "type": "std.add", "map": ["a", "b"]}],
             "edges": [{"from": "a.result", "to": "m.a"}, {"from": "b.result", "to": "m.b"}],
             "outputs": {"sums": "m.result"}}
            """
        let r = try TestGraphs.run(json)
        #expect(r.outcome == .failed(message: "node 'm' (std.add): its mapped inputs must be lists of one length "
                                         + "(zipped item by item): 'a' has 3, 'b' has 4", node: "m"))
    }

    @Test func badMapsAreRefusedWithTheirPlace() {
        let d = TestGraphs.diagnostics("""
            {"weft": 1, "nodes": [
              {"id": "a", "type": "std.add", "inputs": {"b": 1}, "map": "x"},
              {"id": "b", "type": "std.add", "inputs": {"a": 1, "b": 2}, "concurrency": 2},
              {"id": "c", "type": "std.add", "inputs": {"a": 5, "b": 1}, "map": "a"},
              {"id": "d", "type": "std.add", "inputs": {"b": 1}, "map": "a", "retry": {"max_attempts": 2}},
              {"id": "e", "type": "std.add", "inputs": {"b": 1}, "map": 7},
              {"id": "f", "type": "std.add", "inputs": {"b": 1}, "map": "a", "concurrency": 0}],
             "edges": [], "outputs": {}}
            """).filter { $0.severity == .error }.map { "\($0.path): \($0.message)" }
        #expect(d.contains("$.nodes[0].map: node 'a' (std.add) has no input 'x' to map over; it has: a, b"))
        #expect(d.contains { $0.hasPrefix("$.nodes[1].concurrency: concurrency is for mapped nodes") })
        #expect(d.contains("$.nodes[2].inputs.a: input 'a' of node 'c' takes list, not int 5"))
        #expect(d.contains { $0.hasPrefix("$.nodes[3].retry: retry does not apply to a mapped node") })
        #expect(d.contains { $0.hasPrefix("$.nodes[4].map: map must name the input port") })
        #expect(d.contains { $0.hasPrefix("$.nodes[5].concurrency: concurrency must be a whole number from 1 to 1024") })
    }
}
