import Dispatch
import Foundation
import Testing
import WeftCore
import WeftScheduler

@Suite("Parallel strategy and mode")
struct ParallelTests {
    /// Four 150 ms sleeps fanned out from one source, joined by a format node.
    static func fanOut(strategy: String = "") -> String {
        let s = strategy.isEmpty ? "" : ", \"strategy\": \"\(strategy)\""
        return """
            {"weft": 1, "nodes": [
               {"id": "ms", "type": "std.const", "params": {"value": 150}},
               {"id": "s1", "type": "time.sleep", "inputs": {"value": 1}\(s)},
               {"id": "s2", "type": "time.sleep", "inputs": {"value": 2}\(s)},
               {"id": "s3", "type": "time.sleep", "inputs": {"value": 3}\(s)},
               {"id": "s4", "type": "time.sleep", "inputs": {"value": 4}\(s)},
               {"id": "l1", "type": "std.list_append", "inputs": {"list": []}},
               {"id": "l2", "type": "std.list_append"}, {"id": "l3", "type": "std.list_append"}, {"id": "l4", "type": "std.list_append"}],
             "edges": [
               {"from": "ms.value", "to": "s1.ms"}, {"from": "ms.value", "to": "s2.ms"},
               {"from": "ms.value", "to": "s3.ms"}, {"from": "ms.value", "to": "s4.ms"},
               {"from": "s1.value", "to": "l1.item"}, {"from": "l1.result", "to": "l2.list"}, {"from": "s2.value", "to": "l2.item"},
               {"from": "l2.result", "to": "l3.list"}, {"from": "s3.value", "to": "l3.item"},
               {"from": "l3.result", "to": "l4.list"}, {"from": "s4.value", "to": "l4.item"}],
             "outputs": {"all": "l4.result"}}
            """
    }

    struct Interval { var id: String; var start: UInt64; var end: UInt64; var thread: Int }

    static func intervals(_ events: [RunEvent], prefix: String) -> [Interval] {
        var starts: [String: (UInt64, Int)] = [:]
        var out: [Interval] = []
        for e in events {
            switch e {
            case .nodeStarted(let t, _, let id, let thread) where id.hasPrefix(prefix): starts[id] = (t, thread)
            case .nodeFinished(let t, _, let id, _, _) where id.hasPrefix(prefix):
                if let s = starts[id] { out.append(Interval(id: id, start: s.0, end: t, thread: s.1)) }
            default: break
            }
        }
        return out.sorted { $0.id < $1.id }
    }

    /// Every pair of intervals overlaps in time.
    static func allOverlap(_ xs: [Interval]) -> Bool {
        for a in xs { for b in xs where a.id != b.id { if !(a.start < b.end && b.start < a.end) { return false } } }
        return true
    }

    @Test func parallelModeOverlapsBlockingNodes() throws {
        let recorder = EventRecorder()
        let r = try TestGraphs.run(Self.fanOut(), options: RunOptions(mode: .parallel, workers: 1, observers: [recorder]))
        #expect(r.outcome == .succeeded)
        #expect(r[output: "all"] == [1, 2, 3, 4])
        let sleeps = Self.intervals(recorder.events, prefix: "s")
        #expect(sleeps.count == 4)
        #expect(Self.allOverlap(sleeps), "blocking nodes get their own threads even with 1 worker: \(sleeps)")
        #expect(Set(sleeps.map(\.thread)).count == 4)
        #expect(!sleeps.contains { $0.thread == 0 })
    }

    @Test func parallelStrategyInASequentialRun() throws {
        let recorder = EventRecorder()
        let r = try TestGraphs.run(Self.fanOut(strategy: "parallel"), options: RunOptions(observers: [recorder]))
        #expect(r[output: "all"] == [1, 2, 3, 4])
        #expect(Self.allOverlap(Self.intervals(recorder.events, prefix: "s")))
        let lists = Self.intervals(recorder.events, prefix: "l")
        #expect(lists.allSatisfy { $0.thread == 0 }, "other nodes stay on the scheduler thread")
    }

    @Test func sequentialModeNeverOverlaps() throws {
        let recorder = EventRecorder()
        let r = try TestGraphs.run(Self.fanOut().replacingOccurrences(of: "150", with: "20"),
                                   options: RunOptions(observers: [recorder]))
        #expect(r[output: "all"] == [1, 2, 3, 4])
        let sleeps = Self.intervals(recorder.events, prefix: "s")
        for (a, b) in zip(sleeps, sleeps.dropFirst()) { #expect(a.end <= b.start) }
    }

    @Test(arguments: [1, 2, 4])
    func parallelModeGivesTheSameResults(workers: Int) throws {
        let options = RunOptions(mode: .parallel, workers: workers)
        for n: Int64 in [0, 7, 30] {
            #expect(try TestGraphs.run(LoopTests.sum, inputs: ["n": .int(n)], options: options)[output: "sum"] == .int(n * (n - 1) / 2))
        }
        #expect(try TestGraphs.run(LoopTests.collatz, inputs: ["n": 27], options: options)[output: "steps"] == 111)
        #expect(try TestGraphs.run(LoopTests.nested, inputs: ["rows": 4, "cols": 5], options: options)[output: "total"] == 20)
        for x: Int64 in [-4, 0, 9] {
            #expect(try TestGraphs.run(ConditionalTests.ifElse, inputs: ["x": .int(x)], options: options)[output: "abs"] == .int(abs(x)))
        }
    }

    @Test func failureInParallelModeWaitsForRunningNodesAndReports() throws {
        let r = try TestGraphs.run("""
            {"weft": 1, "nodes": [
               {"id": "slow", "type": "time.sleep", "inputs": {"ms": 100, "value": 1}},
               {"id": "bad", "type": "std.div", "inputs": {"a": 1, "b": 0}}]}
            """, options: RunOptions(mode: .parallel, workers: 2))
        guard case .failed(let m, let node) = r.outcome else { Issue.record("\(r.outcome)"); return }
        #expect(node == "bad" && m.contains("division by zero"))
    }

    /// Parallel mode runs cheap nodes in batches on a worker while the
    /// scheduler thread runs others: results, steps and failures must be
    /// the sequential run's, whichever thread ran a node.
    @Test func batchesOfCheapNodesGiveTheSequentialResults() throws {
        let n = 5_000
        func graph(zeroAt bad: Int? = nil) -> String {
            var nodes: [String] = [], edges: [String] = []
            for i in 0..<n {
                nodes.append(#"{"id": "d\#(i)", "type": "std.div", "inputs": {"a": \#(2 * i), "b": \#(i == bad ? 0 : 2)}}"#)
                nodes.append(#"{"id": "m\#(i)", "type": "std.add", "inputs": {"b": 1}}"#)
                edges.append(#"{"from": "d\#(i).result", "to": "m\#(i).a"}"#)
            }
            let outputs = [0, 10, 2_500, 4_000, n - 1].map { #""d\#($0)": "d\#($0).result", "m\#($0)": "m\#($0).result""# }
            return #"{"weft": 1, "nodes": [\#(nodes.joined(separator: ", "))], "edges": [\#(edges.joined(separator: ", "))], "#
                + #""outputs": {\#(outputs.joined(separator: ", "))}}"#
        }
        let compiled = try TestGraphs.compile(graph())
        let sequential = try Scheduler.run(compiled)
        #expect(sequential.outcome == .succeeded)
        #expect(sequential[output: "m4000"] == .int(4001))
        for _ in 0..<3 {
            let parallel = try Scheduler.run(compiled, options: RunOptions(mode: .parallel, workers: 2))
            #expect(parallel.outcome == .succeeded, "\(parallel.outcome)")
            #expect(parallel.steps == 2 * n)
            #expect(parallel.outputs.map(\.name) == sequential.outputs.map(\.name))
            #expect(parallel.outputs.map(\.value) == sequential.outputs.map(\.value))
        }
        // A failure inside a batch fails the run with that node's message;
        // with keep-going the rest still runs and its path goes dead.
        let failing = try TestGraphs.compile(graph(zeroAt: 4_000))
        let failed = try Scheduler.run(failing, options: RunOptions(mode: .parallel, workers: 2))
        guard case .failed(let message, let node) = failed.outcome else {
            Issue.record("a division by zero did not fail the run: \(failed.outcome)")
            return
        }
        #expect(node == "d4000")
        #expect(message.contains("division by zero"), "\(message)")
        var keepGoing = RunOptions(mode: .parallel, workers: 2)
        keepGoing.keepGoing = true
        let kept = try Scheduler.run(failing, options: keepGoing)
        #expect(kept[output: "m2500"] == .int(2501))
        #expect(kept[output: "m4000"] == nil)
        #expect(kept.missingOutputs.contains("m4000"))
        #expect(kept.steps == 2 * n - 1, "every node but the skipped m4000 ran")
    }

    /// With nothing else to run, the scheduler thread takes chunks of the
    /// worker's batch itself (and delivers them at once); the worker's
    /// chunks are delivered when the batch is done. Either way the outputs
    /// are the sequential ones. Whether the scheduler helps in a given run
    /// depends on the worker's timing, so the graph runs until it has
    /// (at the tail of a run the batches are small and it nearly always
    /// does), at most 100 times.
    @Test func theSchedulerHelpsWithABatchAndTheResultsStayTheSame() throws {
        let n = 3_000
        var nodes: [String] = [], edges: [String] = [], outputs: [String] = []
        for i in 0..<n {
            nodes.append(#"{"id": "a\#(i)", "type": "std.add", "inputs": {"a": \#(i), "b": 1}}"#)
            nodes.append(#"{"id": "b\#(i)", "type": "std.mul", "inputs": {"b": 3}}"#)
            edges.append(#"{"from": "a\#(i).result", "to": "b\#(i).a"}"#)
            if i % 97 == 0 { outputs.append(#""b\#(i)": "b\#(i).result""#) }
        }
        let compiled = try TestGraphs.compile(#"{"weft": 1, "nodes": [\#(nodes.joined(separator: ", "))], "#
                                              + #""edges": [\#(edges.joined(separator: ", "))], "#
                                              + #""outputs": {\#(outputs.joined(separator: ", "))}}"#)
        let sequential = try Scheduler.run(compiled)
        #expect(sequential[output: "b97"] == .int(294))
        // Unforced, whether the scheduler thread helps depends on timing;
        // forced, its first chunk is its own and the answers stay the same.
        for claimsFirst in [false, true] {
            var options = RunOptions(mode: .parallel, workers: 2)
            options.schedulerClaimsFirst = claimsFirst
            let parallel = try Scheduler.run(compiled, options: options)
            #expect(parallel.outcome == .succeeded, "\(parallel.outcome)")
            #expect(parallel.steps == 2 * n)
            #expect(parallel.outputs.map(\.value) == sequential.outputs.map(\.value))
            if claimsFirst { #expect(parallel.helpedChunks > 0, "the scheduler thread ran no chunk of a batch") }
        }
    }
}

@Suite("Cancellation")
struct CancellationTests {
    /// Signals a semaphore when a loop reaches a given iteration.
    final class IterationWatch: RunObserver, @unchecked Sendable {
        let semaphore = DispatchSemaphore(value: 0)
        let at: Int
        init(at: Int) { self.at = at }
        func receive(_ event: RunEvent) {
            if case .loopIteration(_, _, _, let i) = event, i == at { semaphore.signal() }
        }
    }

    static let endless = """
        {"weft": 1, "nodes": [
           {"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}, "max_iterations": 1000000},
           {"id": "nap", "type": "time.sleep", "inputs": {"ms": 2}},
           {"id": "yes", "type": "std.eq"},
           {"id": "inc", "type": "std.add", "inputs": {"b": 1}}],
         "edges": [
           {"from": "loop.i", "to": "nap.value"}, {"from": "nap.value", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
           {"from": "loop.i", "to": "yes.a"}, {"from": "loop.i", "to": "yes.b"}, {"from": "yes.result", "to": "loop.continue"}],
         "outputs": {"i": "loop.done_i"}}
        """

    @Test(arguments: [RunMode.sequential, .parallel])
    func cancelFromAnotherThreadEndsTheRun(mode: RunMode) throws {
        let graph = try TestGraphs.compile(Self.endless)
        let watch = IterationWatch(at: 5)
        let recorder = EventRecorder()
        let token = CancellationToken()
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        DispatchQueue.global().async {
            box.result = try? Scheduler.run(graph, options: RunOptions(mode: mode, observers: [watch, recorder]), cancellation: token)
            done.signal()
        }
        try #require(watch.semaphore.wait(timeout: .now() + 30) == .success, "the loop never reached iteration 5")
        token.cancel()
        try #require(done.wait(timeout: .now() + 30) == .success, "the run did not end after cancel")
        let r = try #require(box.result)
        #expect(r.outcome == .cancelled)
        #expect(r.outputs.isEmpty)
        let iterations = recorder.events.filter { if case .loopIteration = $0 { true } else { false } }.count
        #expect(iterations >= 6 && iterations < 100)
        #expect(recorder.events.last.map { if case .runFinished(_, .cancelled, _) = $0 { true } else { false } } == true)
    }

    final class ResultBox: @unchecked Sendable { var result: RunResult? }
}
