import Foundation
import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A loop whose body is all plain nodes goes round as *compiled passes*
/// (no ready queue: a fixed program of calls and slot writes), observed or
/// not. The ready queue alone (`RunOptions.forcedPath = .queue`) must give
/// the same outcome, outputs and steps — and the same order of calls,
/// which the `fixture.ticket` nodes (one counter shared by all) make
/// visible, and the same events to an observer.
@Suite("Compiled loop passes")
struct CompiledPassTests {
    /// Runs `json` quiet (compiled passes where they apply) and through the
    /// ready queue alone, observed; both results. Also runs it observed
    /// with compiled passes: observing changes neither the path (as many
    /// compiled passes as quiet) nor what the observer sees (the queue's
    /// events).
    static func both(_ json: String, inputs: [String: WeftValue] = [:], options: RunOptions = RunOptions())
        throws -> (quiet: RunResult, observed: RunResult) {
        let quiet = try TestGraphs.run(json, inputs: inputs, options: options)
        var observedOptions = options
        let compiledRecorder = EventRecorder()
        observedOptions.observers = [compiledRecorder]
        let compiledObserved = try TestGraphs.run(json, inputs: inputs, options: observedOptions)
        let queueRecorder = EventRecorder()
        observedOptions.observers = [queueRecorder]
        observedOptions.forcedPath = .queue
        let observed = try TestGraphs.run(json, inputs: inputs, options: observedOptions)
        if options.mode == .sequential {
            #expect(compiledRecorder.events.map(PathEquivalenceTests.signature)
                        == queueRecorder.events.map(PathEquivalenceTests.signature))
            // Where placement does not hang on measured times (every type
            // cheap once measured), observed or not, as many compiled passes.
            var alike = options
            alike.placement = PathEquivalenceTests.allInline
            let a = try TestGraphs.run(json, inputs: inputs, options: alike)
            alike.observers = [EventRecorder()]
            let b = try TestGraphs.run(json, inputs: inputs, options: alike)
            #expect(a.compiledPasses == b.compiledPasses)
        }
        #expect(compiledObserved.steps == observed.steps)
        return (quiet, observed)
    }

    /// Same outcome, outputs (values too, unless `values` is false),
    /// steps; the queue run made no compiled pass.
    static func expectSame(_ r: (quiet: RunResult, observed: RunResult), values: Bool = true, _ note: Comment? = nil) {
        #expect(r.quiet.outcome == r.observed.outcome, note)
        #expect(r.quiet.outputs.map(\.name) == r.observed.outputs.map(\.name), note)
        if values { #expect(r.quiet.outputs.map(\.value) == r.observed.outputs.map(\.value), note) }
        #expect(r.quiet.missingOutputs == r.observed.missingOutputs, note)
        #expect(r.quiet.steps == r.observed.steps, note)
        #expect(r.observed.compiledPasses == 0, note)
    }

    /// A body with a gate: on the last pass the gate's `true` output is
    /// dead, so `acc` is skipped and `next_total` is dead (fine: continue
    /// is false).
    static let gated = """
        {"weft": 1, "inputs": {"n": "int"},
         "nodes": [
           {"id": "loop", "type": "loop", "carry": {"i": "int", "total": "int"}, "inputs": {"i": 0, "total": 0}},
           {"id": "more", "type": "std.lt"},
           {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
           {"id": "gate", "type": "std.branch"},
           {"id": "acc", "type": "std.add"}
         ],
         "edges": [
           {"from": "loop.i", "to": "more.a"}, {"from": "$n", "to": "more.b"},
           {"from": "more.result", "to": "loop.continue"},
           {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
           {"from": "more.result", "to": "gate.cond"}, {"from": "loop.total", "to": "gate.value"},
           {"from": "gate.true", "to": "acc.a"}, {"from": "inc.result", "to": "acc.b"},
           {"from": "acc.result", "to": "loop.next_total"}
         ],
         "outputs": {"i": "loop.done_i", "total": "loop.done_total"}}
        """

    @Test(arguments: [0, 1, 7, 300])
    func passesAgreeWithTheQueue(n: Int) throws {
        let r = try Self.both(Self.gated, inputs: ["n": .int(Int64(n))])
        Self.expectSame(r)
        #expect(r.quiet.outcome == .succeeded, "\(r.quiet.outcome)")
        #expect(r.quiet[output: "total"] == .int(Int64(n * (n + 1) / 2)))
        // Every pass (n go-rounds and the last one) ran compiled.
        #expect(r.quiet.compiledPasses == n + 1)
        // 4 body nodes per pass, but the last pass skips `acc`.
        #expect(r.quiet.steps == 4 * (n + 1) - 1)
    }

    /// In parallel mode a pass runs compiled while every body type is
    /// measured cheap enough to run on the scheduler thread; CHEAP types
    /// start out that way, so at least the first pass does. (How many more
    /// depends on measured costs: under a sanitizer a call can cost more
    /// than the threshold and the loop goes on through the queue.)
    @Test func parallelModeGoesRoundCompiledToo() throws {
        let r = try Self.both(Self.gated, inputs: ["n": 50], options: RunOptions(mode: .parallel, workers: 2))
        Self.expectSame(r)
        #expect(r.quiet[output: "total"] == .int(1275))
        #expect(r.quiet.compiledPasses >= 1 && r.quiet.compiledPasses <= 51)
    }

    /// Nested loops: the outer body holds a loop (so it is not compiled);
    /// the inner body is plain.
    @Test(arguments: [(1, 1), (3, 4), (5, 0)])
    func innerLoopsRunCompiledInsideAnOuterQueue(rows: Int, cols: Int) throws {
        let r = try Self.both(LoopTests.nested, inputs: ["rows": .int(Int64(rows)), "cols": .int(Int64(cols))])
        Self.expectSame(r)
        let expected = rows * cols
        #expect(r.quiet.outcome == .succeeded, "\(r.quiet.outcome)")
        #expect(r.quiet[output: "total"] == .int(Int64(expected)))
        // Only the inner loop's passes: cols + 1 for each row.
        #expect(r.quiet.compiledPasses == rows * (cols + 1))
    }

    /// A body node reading a value from outside that arrives after the
    /// loop started: pass 0 waits for it in the queue; once it has
    /// arrived, the remaining passes run compiled.
    @Test func aLateInputFromOutsideKeepsThePassInTheQueue() throws {
        let graph = """
            {"weft": 1, "inputs": {"n": "int"},
             "nodes": [
               {"id": "x1", "type": "std.add", "inputs": {"b": 0}},
               {"id": "x2", "type": "std.add", "inputs": {"b": 0}},
               {"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}},
               {"id": "more", "type": "std.lt"},
               {"id": "inc", "type": "std.add", "inputs": {"b": 1}}
             ],
             "edges": [
               {"from": "$n", "to": "x1.a"}, {"from": "x1.result", "to": "x2.a"},
               {"from": "loop.i", "to": "more.a"}, {"from": "x2.result", "to": "more.b"},
               {"from": "more.result", "to": "loop.continue"},
               {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"}
             ],
             "outputs": {"i": "loop.done_i"}}
            """
        let r = try Self.both(graph, inputs: ["n": 5])
        Self.expectSame(r)
        #expect(r.quiet[output: "i"] == .int(5))
        #expect(r.quiet.compiledPasses == 5)  // passes 1 to 5; pass 0 went through the queue
    }

    /// The order of calls within a pass is the queue's: tickets taken by
    /// four body nodes (two fed by the loop, one fed by another ticket, one
    /// by the condition) carried out of the last pass.
    @Test func passesCallNodesInTheQueuesOrder() throws {
        let graph = """
            {"weft": 1, "nodes": [
               {"id": "loop", "type": "loop", "carry": {"i": "int", "a": "int", "b": "int", "c": "int", "d": "int"},
                "inputs": {"i": 0, "a": 0, "b": 0, "c": 0, "d": 0}},
               {"id": "more", "type": "std.lt", "inputs": {"b": 3}},
               {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
               {"id": "t1", "type": "fixture.ticket"},
               {"id": "t2", "type": "fixture.ticket"},
               {"id": "t3", "type": "fixture.ticket"},
               {"id": "t4", "type": "fixture.ticket"}
             ],
             "edges": [
               {"from": "loop.i", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"},
               {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
               {"from": "more.result", "to": "t4.after"}, {"from": "t1.n", "to": "t2.after"},
               {"from": "loop.d", "to": "t3.after"}, {"from": "loop.a", "to": "t1.after"},
               {"from": "t1.n", "to": "loop.next_a"}, {"from": "t2.n", "to": "loop.next_b"},
               {"from": "t3.n", "to": "loop.next_c"}, {"from": "t4.n", "to": "loop.next_d"}
             ],
             "outputs": {"a": "loop.done_a", "b": "loop.done_b", "c": "loop.done_c", "d": "loop.done_d"}}
            """
        let r = try Self.both(graph)
        Self.expectSame(r, values: false)  // tickets differ from run to run; their order must not
        func order(_ result: RunResult) -> [Int64] {
            let tickets = ["a", "b", "c", "d"].compactMap { name -> Int64? in
                if case .int(let t)? = result[output: name] { t } else { nil }
            }
            // Ranks, not differences: other tests take tickets meanwhile.
            let sorted = tickets.sorted()
            return tickets.map { Int64(sorted.firstIndex(of: $0)!) }
        }
        #expect(r.quiet.compiledPasses == 4)
        // The tickets of the pass before the last (next_* of the last pass are discarded).
        #expect(order(r.quiet) == order(r.observed))
        // The queue's order: more, inc, t1 and t3 as the loop's values
        // arrive; then t4 (after more) and t2 (after t1). A plain
        // topological order (t1, t2, t3, t4) would differ.
        #expect(order(r.quiet) == [0, 3, 1, 2])
    }

    /// A failing body node: the run fails with the queue's message, or with
    /// keep-going its outputs go dead (its reader is skipped) and the loop
    /// goes on to its end.
    @Test(arguments: [false, true])
    func aFailingBodyNodeFailsAsInTheQueue(keepGoing: Bool) throws {
        // 12 / (i - 2) fails on pass 2.
        let graph = """
            {"weft": 1, "nodes": [
               {"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}},
               {"id": "more", "type": "std.lt", "inputs": {"b": 4}},
               {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
               {"id": "minus2", "type": "std.sub", "inputs": {"b": 2}},
               {"id": "div", "type": "std.div", "inputs": {"a": 12}},
               {"id": "keep", "type": "std.max", "inputs": {"b": 0}}
             ],
             "edges": [
               {"from": "loop.i", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"},
               {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
               {"from": "loop.i", "to": "minus2.a"}, {"from": "minus2.result", "to": "div.b"},
               {"from": "div.result", "to": "keep.a"}
             ],
             "outputs": {"i": "loop.done_i"}}
            """
        var options = RunOptions()
        options.keepGoing = keepGoing
        let r = try Self.both(graph, options: options)
        Self.expectSame(r)
        guard case .failed(let message, let node) = r.quiet.outcome else {
            Issue.record("the division by zero should fail the run: \(r.quiet.outcome)")
            return
        }
        #expect(node == "div")
        #expect(message.contains("'div'"), "\(message)")
        if keepGoing {
            #expect(r.quiet[output: "i"] == .int(4))
            #expect(r.quiet.compiledPasses == 5)
            #expect(r.quiet.steps == 5 * 5 - 1)  // keep skipped on pass 2
        } else {
            #expect(r.quiet.compiledPasses == 3)
        }
    }

    @Test func maxStepsStopsACompiledPassWithTheQueuesMessage() throws {
        let r = try Self.both(Self.gated, inputs: ["n": 100], options: RunOptions(maxSteps: 50))
        Self.expectSame(r)
        guard case .failed(let message, _) = r.quiet.outcome else {
            Issue.record("\(r.quiet.outcome)")
            return
        }
        #expect(message.contains("max_steps (50 node executions)"), "\(message)")
        #expect(r.quiet.steps == 50)  // the call that would pass the limit is not made, as in the queue
    }

    @Test func maxIterationsStopsCompiledPasses() throws {
        let graph = Self.gated.replacingOccurrences(of: #""inputs": {"i": 0, "total": 0}"#,
                                                    with: #""inputs": {"i": 0, "total": 0}, "max_iterations": 9"#)
        let r = try Self.both(graph, inputs: ["n": 20])
        Self.expectSame(r)
        #expect(r.quiet.outcome == .failed(
            message: "node 'loop' (loop): loop 'loop' reached max_iterations (9) and was still continuing; raise \"max_iterations\" on the node, or check its continue condition",
            node: "loop"))
        #expect(r.quiet.compiledPasses == 10)
    }

    /// A cancel from another thread stops a loop that goes round in C (it
    /// is checked whenever C returns: at least every 64 passes, and after
    /// every pass with a step C leaves to the host, as `std.identity`'s
    /// value handle makes it here). The test
    /// cancels once the fixture's ticket counter has moved by 200, so the
    /// passes are under way (other tests running meanwhile take a few
    /// dozen tickets at most, hence the looser bound on the passes).
    @Test(.timeLimit(.minutes(1)))
    func aCancelStopsCompiledPasses() throws {
        let endless = """
            {"weft": 1, "nodes": [
               {"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}, "max_iterations": 2000000000},
               {"id": "yes", "type": "std.le"},
               {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
               {"id": "t", "type": "fixture.ticket"},
               {"id": "same", "type": "std.identity"}
             ],
             "edges": [
               {"from": "loop.i", "to": "yes.a"}, {"from": "loop.i", "to": "yes.b"}, {"from": "yes.result", "to": "loop.continue"},
               {"from": "loop.i", "to": "t.after"}, {"from": "t.n", "to": "same.value"}, {"from": "same.value", "to": "inc.a"},
               {"from": "inc.result", "to": "loop.next_i"}
             ],
             "outputs": {"i": "loop.done_i"}}
            """
        let graph = try TestGraphs.compile(endless)  // (loads the fixture plugin)
        let handle = try #require(dlopen(try Fixtures.fixture(), RTLD_NOW | RTLD_NOLOAD), "the fixture plugin is loaded")
        defer { dlclose(handle) }
        let symbol = try #require(dlsym(handle, "fixture_tickets"))
        let tickets = unsafeBitCast(symbol, to: (@convention(c) () -> Int64).self)
        let token = CancellationToken()
        let done = DispatchSemaphore(value: 0)
        let box = CancellationTests.ResultBox()
        let start = tickets()
        DispatchQueue.global().async {
            box.result = try? Scheduler.run(graph, options: RunOptions(maxSteps: Int.max), cancellation: token)
            done.signal()
        }
        while tickets() < start + 200 { usleep(100) }
        token.cancel()
        try #require(done.wait(timeout: .now() + 30) == .success, "the run did not end after cancel")
        let r = try #require(box.result)
        #expect(r.outcome == .cancelled)
        #expect(r.compiledPasses >= 100)
    }
}
