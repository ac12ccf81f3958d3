import Testing
import WeftCore
import WeftNative
import WeftScheduler
import WeftTestSupport

/// A sequential run of a graph whose nodes are all plain (no loop, no
/// event source, no conditional or join-any node) runs the graph's
/// top-level program — the same compiled program loop bodies go round —
/// instead of the ready queue. It must make the queue's calls in the
/// queue's order, with the queue's answers and events, whatever stops it
/// on the way: a failure (with and without keep-going), `max_steps`, a
/// dead path, a boxed value, a step of a type that is not cheap (run by
/// the host between runs of C).
@Suite("Top-level program")
struct TopProgramTests {
    /// The queue's order, made visible by `fixture.ticket` (one counter all
    /// ticket nodes share): `c` is completed by the graph input, then the
    /// nodes with no input edge in file order (`b`, `e`), then each as its
    /// last input arrives (`a` after `b`, `d` after `a`). File order or a
    /// plain topological order would differ.
    @Test func callsAreMadeInTheQueuesOrder() throws {
        let graph = """
            {"weft": 1, "inputs": {"x": "int"}, "nodes": [
               {"id": "a", "type": "fixture.ticket"},
               {"id": "b", "type": "fixture.ticket"},
               {"id": "c", "type": "fixture.ticket"},
               {"id": "d", "type": "fixture.ticket"},
               {"id": "e", "type": "fixture.ticket"}],
             "edges": [{"from": "b.n", "to": "a.after"}, {"from": "$x", "to": "c.after"}, {"from": "a.n", "to": "d.after"}],
             "outputs": {"a": "a.n", "b": "b.n", "c": "c.n", "d": "d.n", "e": "e.n"}}
            """
        func ranks(_ r: RunResult) -> [Int] {
            let tickets = ["a", "b", "c", "d", "e"].map { name -> Int64 in
                if case .int(let t)? = r[output: name] { t } else { -1 }
            }
            // Ranks, not differences: other tests take tickets meanwhile.
            let sorted = tickets.sorted()
            return tickets.map { sorted.firstIndex(of: $0)! }
        }
        let compiled = try TestGraphs.run(graph, inputs: ["x": 1])
        var queue = RunOptions()
        queue.forcedPath = .queue
        let queued = try TestGraphs.run(graph, inputs: ["x": 1], options: queue)
        #expect(compiled.compiledPasses == 1, "the top-level program ran")
        #expect(queued.compiledPasses == 0)
        #expect(ranks(compiled) == ranks(queued))
        #expect(ranks(compiled) == [3, 1, 0, 4, 2])  // c, b, e, a, d
    }

    /// Random graphs of plain nodes (arithmetic, gates that leave paths
    /// dead, sometimes a string where an int belongs): every path and mode
    /// agree (`PathEquivalenceTests.expectSameEverywhere`: outcome,
    /// outputs, steps, and the sequential observers' events), and the
    /// quiet sequential run went through the top-level program.
    @Test(arguments: 0..<120)
    func randomPlainGraphs(seed: Int) throws {
        let g = RandomGraph(seed: UInt64(seed), plainOnly: true)
        let r = try PathEquivalenceTests.expectSameEverywhere(g.json, "plain seed \(seed)",
                                                                oneFailurePoint: g.failurePoints <= 1)
        #expect(r.compiledPasses == 1, "seed \(seed): the top-level program ran")
        if g.failurePoints == 0 { #expect(r.outcome == .succeeded, "seed \(seed): \(r.outcome)\n\(g.json)") }
    }

    /// The same with keep-going (a failed node's readers are skipped and
    /// the rest runs) and with a step limit that stops the run part way.
    @Test(arguments: 0..<40)
    func randomPlainGraphsKeepingGoingOrLimited(seed: Int) throws {
        let g = RandomGraph(seed: UInt64(1_000 + seed), plainOnly: true)
        let keptGoing = try PathEquivalenceTests.expectSameEverywhere(
            g.json, "keep-going seed \(seed)", oneFailurePoint: g.failurePoints <= 1) { $0.keepGoing = true }
        #expect(keptGoing.compiledPasses == 1)
        let limit = max(1, keptGoing.steps / 2)
        let limited = try PathEquivalenceTests.expectSameEverywhere(
            g.json, "max_steps \(limit) seed \(seed)", oneFailurePoint: false) { $0.maxSteps = limit }
        #expect(limited.steps <= limit)
        if keptGoing.steps > limit { #expect(limited.outcome.name == "failed", "seed \(seed): \(limited.outcome)") }
    }

    /// A chain longer than a window of the program (`StepProgram.topWindow`
    /// steps are made at a time), with a node at a window's edge that C
    /// hands to the host (it gets a string, so it fails): every path
    /// agrees, with and without keep-going.
    @Test(arguments: [false, true])
    func aChainAcrossWindowsAgreesWithTheQueue(keepGoing: Bool) throws {
        let n = 9_000
        let bad = 4_096
        var nodes = [#"{"id": "oops", "type": "std.const", "params": {"value": "oops"}}"#]
        var edges: [String] = []
        for i in 0..<n {
            let inputs = i == 0 ? #"{"a": 0, "b": 1}"# : i == bad ? "{}" : #"{"b": 1}"#
            nodes.append(#"{"id": "n\#(i)", "type": "std.add", "inputs": \#(inputs)}"#)
            if i > 0 { edges.append(#"{"from": "n\#(i - 1).result", "to": "n\#(i).a"}"#) }
        }
        for graph in ["good", "bad"] {
            var e = edges
            if graph == "bad" { e.append(#"{"from": "oops.value", "to": "n\#(bad).b"}"#) } else {
                e.append(#"{"from": "n0.result", "to": "n\#(bad).b"}"#)
            }
            let json = #"{"weft": 1, "nodes": [\#(nodes.joined(separator: ","))], "edges": [\#(e.joined(separator: ","))], "#
                + #""outputs": {"before": "n\#(bad - 1).result", "at": "n\#(bad).result", "last": "n\#(n - 1).result"}}"#
            let r = try PathEquivalenceTests.expectSameEverywhere(json, "\(graph) chain, keep-going \(keepGoing)") {
                $0.keepGoing = keepGoing
            }
            #expect(r.compiledPasses == 1)
            if graph == "good" {
                #expect(r[output: "last"] == .int(Int64(n)))
            } else {
                #expect(r.outcome.name == "failed")
                #expect(r[output: "before"] == .int(Int64(bad)))
                // oops, n0 ... n4096; with keep-going the rest is skipped (a dead path).
                #expect(r.steps == bad + 2)
            }
        }
    }

    /// Steps of a type that is not known to be cheap (`notcheap.add`, the
    /// fixture built without `WEFT_NODE_CHEAP`) run on the host, timed,
    /// between runs of C for the cheap ones; observed, the events are the
    /// queue's, and each not-cheap call is timed on its own.
    @Test func stepsOfTypesNotKnownCheapRunOnTheHostBetweenRunsOfC() throws {
        let registry = PlacementTests.registry
        var nodes: [String] = []
        var edges: [String] = []
        for i in 0..<9 {
            let type = i % 3 == 1 ? "notcheap.add" : "fixture.add"
            nodes.append(#"{"id": "x\#(i)", "type": "\#(type)", "inputs": {"b": 1\#(i == 0 ? #", "a": 0"# : "")}}"#)
            if i > 0 { edges.append(#"{"from": "x\#(i - 1).sum", "to": "x\#(i).a"}"#) }
        }
        let json = #"{"weft": 1, "nodes": [\#(nodes.joined(separator: ","))], "edges": [\#(edges.joined(separator: ","))], "outputs": {"sum": "x8.sum"}}"#
        func run(_ path: RunOptions.ForcedPath) throws -> (RunResult, [RunEvent]) {
            let compiled = try CompiledGraph(plan: try GraphValidator.load(text: json, catalog: registry), registry: registry)
            let recorder = EventRecorder()
            var options = RunOptions(observers: [recorder])
            options.forcedPath = path
            return (try Scheduler.run(compiled, options: options), recorder.events)
        }
        let (program, seen) = try run(.automatic)
        let (queue, queueSeen) = try run(.queue)
        #expect(program[output: "sum"] == .int(9))
        #expect(queue[output: "sum"] == .int(9))
        #expect(program.compiledPasses == 1)
        #expect(seen.map(PathEquivalenceTests.signature) == queueSeen.map(PathEquivalenceTests.signature))
        // A not-cheap call is timed on its own: its start comes before its
        // call, so its duration is at most the time between its events.
        var startedAt: [String: UInt64] = [:]
        var timed = 0
        for e in seen {
            if case .nodeStarted(let t, _, let id, _) = e { startedAt[id] = t }
            if case .nodeFinished(let t, _, let id, _, let d) = e, ["x1", "x4", "x7"].contains(id) {
                #expect(d <= t - startedAt[id]!)
                timed += 1
            }
        }
        #expect(timed == 3)
    }
}
