import Foundation
import Synchronization
import Testing
import WeftCore
import WeftNative
import WeftScheduler
import WeftTestSupport

/// Async nodes (ABI v4): a `run` that defers its call and returns
/// WEFT_PENDING holds no thread; the plugin ends the call later from its
/// own thread. `fixture.later` gives y = 2x after `ms` on a thread of its
/// own (ms -1: ended before its run returned; -2: deferred, then WEFT_OK).
@Suite("Async nodes")
struct AsyncTests {
    static let modes: [RunMode] = [.sequential, .parallel]

    /// `count` later nodes at once, each x = i, summed by a chain of adds.
    static func fanOut(_ count: Int, ms: Int) -> String {
        var nodes: [String] = [], edges: [String] = []
        for i in 0..<count {
            nodes.append(#"{"id": "w\#(i)", "type": "fixture.later", "inputs": {"x": \#(i), "ms": \#(ms)}}"#)
            nodes.append(#"{"id": "s\#(i)", "type": "std.add"\#(i == 0 ? #", "inputs": {"a": 0}"# : "")}"#)
            edges.append(#"{"from": "w\#(i).y", "to": "s\#(i).b"}"#)
            if i > 0 { edges.append(#"{"from": "s\#(i - 1).result", "to": "s\#(i).a"}"#) }
        }
        return #"{"weft": 1, "nodes": [\#(nodes.joined(separator: ","))], "edges": [\#(edges.joined(separator: ","))], "#
            + #""outputs": {"sum": "s\#(count - 1).result"}}"#
    }

    @Test(arguments: modes)
    func callsThatEndLaterDeliverTheirOutputs(mode: RunMode) throws {
        for observed in [false, true] {
            let recorder = EventRecorder()
            var options = RunOptions(mode: mode, workers: 2)
            if observed { options.observers = [recorder] }
            let r = try TestGraphs.run(Self.fanOut(40, ms: 20), options: options)
            #expect(r.outcome == .succeeded)
            #expect(r[output: "sum"] == .int(2 * (0..<40).reduce(0, +)))
            #expect(r.steps == 80)
            if observed {
                let shapes = recorder.events.map(\.shape)
                // Each deferred call starts, then finishes when it ends.
                for i in [0, 39] {
                    let started = try #require(shapes.firstIndex { $0.hasPrefix("started w\(i) ") })
                    let finished = try #require(shapes.firstIndex { $0.hasPrefix("finished w\(i) ") })
                    #expect(started < finished)
                }
            }
        }
    }

    @Test(arguments: modes)
    func aCallEndedBeforeItsRunReturnedIsDelivered(mode: RunMode) throws {
        let r = try TestGraphs.run(Self.fanOut(5, ms: -1), options: RunOptions(mode: mode, workers: 2))
        #expect(r.outcome == .succeeded)
        #expect(r[output: "sum"] == .int(20))
    }

    static let one = """
        {"weft": 1, "inputs": {"ms": {"type": "int", "default": 5}, "fail": {"type": "bool", "default": false}},
         "nodes": [{"id": "w", "type": "fixture.later", "inputs": {"x": 21}}],
         "edges": [{"from": "$ms", "to": "w.ms"}, {"from": "$fail", "to": "w.fail"}],
         "outputs": {"y": "w.y"}}
        """

    @Test(arguments: modes)
    func failuresTakeTheUsualRoutes(mode: RunMode) throws {
        let options = RunOptions(mode: mode, workers: 2)
        for ms in [5, -1] {
            let failed = try TestGraphs.run(Self.one, inputs: ["ms": .int(Int64(ms)), "fail": true], options: options)
            guard case .failed(let message, let node) = failed.outcome else {
                Issue.record("expected a failure, got \(failed.outcome)")
                continue
            }
            #expect(node == "w")
            #expect(message == "node 'w' (fixture.later): fixture.later: told to fail")
        }
        // on_error route and retry work on a call that failed later.
        let routed = Self.one.replacingOccurrences(of: #""inputs": {"x": 21}}"#, with: #""inputs": {"x": 21}, "on_error": "route"}"#)
            .replacingOccurrences(of: #""outputs": {"y": "w.y"}"#, with: #""outputs": {"y": "w.y", "error": "w.error"}"#)
        let r = try TestGraphs.run(routed, inputs: ["fail": true], options: options)
        #expect(r.outcome == .succeeded)
        #expect(r[output: "error"]?["message"] == "fixture.later: told to fail")
        let recorder = EventRecorder()
        var observed = options
        observed.observers = [recorder]
        let retried = Self.one.replacingOccurrences(of: #""inputs": {"x": 21}}"#,
                                                    with: #""inputs": {"x": 21}, "retry": {"max_attempts": 3, "backoff_ms": 1}}"#)
        let again = try TestGraphs.run(retried, inputs: ["fail": true], options: observed)
        #expect(again.outcome != .succeeded)
        #expect(recorder.events.map(\.shape).filter { $0.hasPrefix("retry w") }.count == 2)
    }

    @Test func deferringAndReturningOKIsReportedAsAPluginBug() throws {
        let r = try TestGraphs.run(Self.one, inputs: ["ms": -2])
        guard case .failed(let message, _) = r.outcome else {
            Issue.record("expected a failure, got \(r.outcome)")
            return
        }
        #expect(message.contains("called defer_call but returned WEFT_OK; return WEFT_PENDING after defer_call"))
    }

    @Test func anAsyncNodeInALoopBodyEndsEachPass() throws {
        let graph = """
            {"weft": 1,
             "nodes": [
              {"id": "loop", "type": "loop", "carry": {"i": "int", "acc": "int"}, "inputs": {"i": 0, "acc": 0}},
              {"id": "more", "type": "std.lt", "inputs": {"b": 4}},
              {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
              {"id": "w", "type": "fixture.later", "inputs": {"ms": 1}},
              {"id": "add", "type": "std.add"}],
             "edges": [
              {"from": "loop.i", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"},
              {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
              {"from": "loop.i", "to": "w.x"}, {"from": "loop.acc", "to": "add.a"}, {"from": "w.y", "to": "add.b"},
              {"from": "add.result", "to": "loop.next_acc"}],
             "outputs": {"acc": "loop.done_acc"}}
            """
        // Passes i = 0…3 add 2i; the fifth pass (i = 4) stops.
        #expect(try TestGraphs.run(graph)[output: "acc"] == .int(12))
    }

    /// Cancels the run once node `w` has started.
    final class CancelOnStart: RunObserver, @unchecked Sendable {
        let token: CancellationToken
        init(_ token: CancellationToken) { self.token = token }
        func receive(_ event: RunEvent) {
            if case .nodeStarted(_, _, let id, _) = event, id == "w" { token.cancel() }
        }
    }

    @Test(arguments: modes)
    func aCancelledRunGivesUpItsPendingCallsWithoutWaiting(mode: RunMode) throws {
        let token = CancellationToken()
        var options = RunOptions(mode: mode, workers: 2)
        options.observers = [CancelOnStart(token)]
        let t0 = Date()
        let r = try Scheduler.run(try TestGraphs.compile(Self.one), inputs: ["ms": 30_000], options: options, cancellation: token)
        #expect(r.outcome == .cancelled)
        // The 30 s call was cancelled, not waited for (the bound is loose: any wait would be 30 s).
        #expect(Date().timeIntervalSince(t0) < 20)
    }

    @Test func whatCannotWaitIsRefusedAtValidation() throws {
        func messages(_ graph: String) -> [String] { TestGraphs.diagnostics(graph).map(\.message) }
        #expect(messages(#"{"weft": 1, "nodes": [{"id": "w", "type": "fixture.later", "isolate": true, "inputs": {"x": 1}}]}"#)
                    .contains("node 'w' (fixture.later) is async (its calls end later) and cannot be isolated"))
    }

    @Test func theDescriptorIsChecked() throws {
        let later = try #require(TestGraphs.registry.node(named: "fixture.later"))
        #expect(later.spec.flags.contains(.async))
        #expect(later.spec.flags.names.contains("async"))
    }

    // MARK: async batches (a mapped async node)

    static func batch(_ xs: [Int], ms: Int, concurrency: Int, group: Int = 0, extra: String = "", fail: [Bool]? = nil) -> String {
        let failing = fail.map { #", "fail""# + ($0.isEmpty ? "" : "") } ?? ""
        let failList = fail.map { #", {"from": "$fail", "to": "w.fail"}"# + ($0.isEmpty ? "" : "") } ?? ""
        return """
            {"weft": 1, "inputs": {"xs": "list"\(fail != nil ? #", "fail": "list""# : "")},
             "nodes": [{"id": "w", "type": "fixture.later", "map": ["x"\(failing)], "concurrency": \(concurrency),
                        "inputs": {"ms": \(ms), "group": \(group)}\(extra)},
                       {"id": "n", "type": "std.list_length"}],
             "edges": [{"from": "$xs", "to": "w.x"}\(failList), {"from": "w.y", "to": "n.list"}],
             "outputs": {"ys": "w.y", "count": "n.result"\(extra.contains("collect") ? #", "errors": "w.errors""# : "")}}
            """
    }

    /// An async batch: the items' calls wait at once (up to concurrency),
    /// no thread waits for them, and the outputs are in item order on
    /// every path.
    @Test(arguments: [(RunMode.sequential, 1), (.sequential, 4), (.parallel, 3), (.parallel, 64)])
    func aMappedAsyncNodeIsAnAsyncBatch(mode: RunMode, concurrency: Int) throws {
        let xs = Array(0..<20)
        let r = try TestGraphs.run(Self.batch(xs, ms: 5, concurrency: concurrency), inputs: ["xs": .list(xs.map { .int(Int64($0)) })],
                                   options: RunOptions(mode: mode, workers: 2))
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r[output: "ys"] == .list(xs.map { .int(Int64(2 * $0)) }))
        #expect(r[output: "count"] == 20)
        #expect(r.steps == 21)
    }

    /// At most `concurrency` items pend at once, and that many do.
    @Test func concurrencyBoundsThePendingItems() throws {
        let xs = Array(0..<12)
        for (group, concurrency) in [(11, 1), (12, 3), (13, 12)] {
            let r = try TestGraphs.run(Self.batch(xs, ms: 30, concurrency: concurrency, group: group),
                                       inputs: ["xs": .list(xs.map { .int(Int64($0)) })])
            #expect(r.outcome == .succeeded, "\(r.outcome)")
            let peak = try TestGraphs.run(#"{"weft": 1, "nodes": [{"id": "p", "type": "fixture.later_peak", "inputs": {"group": \#(group)}}], "#
                                          + #""outputs": {"p": "p.n"}}"#)
            #expect(peak[output: "p"] == .int(Int64(concurrency)), "concurrency \(concurrency)")
        }
    }

    /// Failed items: on_item_error applies as to any mapped node.
    @Test(arguments: modes)
    func failedItemsAreCollectedSkippedOrFailTheNode(mode: RunMode) throws {
        let inputs: [String: WeftValue] = ["xs": [1, 2, 3, 4], "fail": [false, true, false, true]]
        let options = RunOptions(mode: mode, workers: 2)
        let collected = try TestGraphs.run(Self.batch([], ms: 3, concurrency: 2, extra: #", "on_item_error": "collect""#, fail: []),
                                           inputs: inputs, options: options)
        #expect(collected[output: "ys"] == [2, .null, 6, .null])
        #expect(collected[output: "errors"]?.listItems?.map { $0["message"] ?? .null }
                    == [.null, "fixture.later: told to fail", .null, "fixture.later: told to fail"])
        let skipped = try TestGraphs.run(Self.batch([], ms: 3, concurrency: 2, extra: #", "on_item_error": "skip""#, fail: []),
                                         inputs: inputs, options: options)
        #expect(skipped[output: "ys"] == [2, 6])
        let failed = try TestGraphs.run(Self.batch([], ms: 3, concurrency: 2, fail: []), inputs: inputs, options: options)
        guard case .failed(let message, _) = failed.outcome else {
            Issue.record("\(failed.outcome)")
            return
        }
        #expect(message == "node 'w' (fixture.later): item 1: fixture.later: told to fail", "\(message)")
    }

    /// A cancel gives up the pending items: the run ends without them.
    @Test func aCancelGivesUpAPendingBatch() throws {
        let token = CancellationToken()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.2) { token.cancel() }
        let t0 = Date()
        let r = try Scheduler.run(try TestGraphs.compile(Self.batch([], ms: 30_000, concurrency: 4)),
                                  inputs: ["xs": [1, 2, 3, 4, 5, 6]], cancellation: token)
        #expect(r.outcome == .cancelled, "\(r.outcome)")
        // (Loose: any wait for the items would be 30 s.)
        #expect(Date().timeIntervalSince(t0) < 20)
    }
}
