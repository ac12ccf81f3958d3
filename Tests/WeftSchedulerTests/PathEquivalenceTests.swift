import Foundation
import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// The same graph through every way the scheduler makes calls gives the
/// same answers, and (sequential) the same events to its observers: quiet or observed, sequential or parallel, the ready
/// queue's general path, plain nodes straight from the run loop, compiled
/// loop passes, the worker pool, batches (`RunOptions.forcedPath` forces a
/// path; `RunOptions.placement` at its extremes moves every type to the
/// pool or keeps every one inline), a graph's top-level program; runs that
/// hand each completion to checkpoints (as a recorded run does), and a run
/// resumed from all a first one kept. Compared: the outcome always (in parallel mode only that it
/// failed, when a graph can fail at two independent nodes: which comes
/// first is then a matter of timing); outputs, missing outputs and steps
/// for every run that succeeds and for every sequential run (a parallel
/// run that fails may have run more or fewer independent nodes by then).
/// Graphs: the shipped examples, graphs of the other suites, and random
/// graphs with branches, join-any merges, loops fed from outside their
/// body, and now and then a value of the wrong type.
@Suite("Path equivalence")
struct PathEquivalenceTests {
    struct Config: CustomStringConvertible {
        var mode: RunMode
        var path: RunOptions.ForcedPath
        var observed: Bool
        var placement = PlacementPolicy()
        /// Each completion handed to checkpoints (`RunOptions.checkpoints`),
        /// as a recorded run does.
        var checkpointed = false
        /// Run again from everything a checkpointed run kept.
        var resumed = false
        var description: String {
            "\(mode) \(path)\(observed ? " observed" : "")\(checkpointed ? " checkpointed" : "")\(resumed ? " resumed" : "")"
                + "\(placement == PlacementPolicy() ? "" : " \(placement)")"
        }
    }

    /// Checkpoints in memory: what a run handed over, and what a second
    /// run is given to restore.
    final class MemoryCheckpoints: RunCheckpoints, @unchecked Sendable {
        let lock = NSLock()
        var kept: [String: [[WeftValue?]]] = [:]
        let restoring: [String: [[WeftValue?]]]
        var restoredCount = 0

        init(restoring: [String: [[WeftValue?]]] = [:]) { self.restoring = restoring }

        func restored(node id: String, occurrence: Int) -> [WeftValue?]? {
            guard let r = restoring[id], occurrence < r.count else { return nil }
            lock.withLock { restoredCount += 1 }
            return r[occurrence]
        }

        func completed(_ c: NodeCompletion) -> Bool {
            lock.withLock {
                // (A resumed run counts the restored completions too; a
                // failure passed over with keep-going leaves a gap.)
                #expect(c.occurrence >= kept[c.node, default: []].count, "\(c.node) occurrence \(c.occurrence): completions counted in order")
                kept[c.node, default: []].append(c.outputs)
            }
            return true
        }

        var failure: String? { nil }
    }

    /// Placement thresholds at their extremes: every type timed on every
    /// call and sent to the pool, batches from two ready nodes on; or every
    /// type inline, never a batch.
    static let toThePool: PlacementPolicy = {
        var p = PlacementPolicy()
        p.inlineBelowNs = 0
        p.batchMin = 2
        p.sampleEvery = 1
        p.costWindow = 1
        return p
    }()
    static let allInline: PlacementPolicy = {
        var p = PlacementPolicy()
        p.inlineBelowNs = .max
        p.batchMin = .max
        return p
    }()

    static let configs: [Config] = [
        Config(mode: .sequential, path: .automatic, observed: false),
        Config(mode: .sequential, path: .automatic, observed: true),
        Config(mode: .sequential, path: .queue, observed: false),
        Config(mode: .sequential, path: .queue, observed: true),
        Config(mode: .sequential, path: .automatic, observed: false, placement: allInline),
        Config(mode: .sequential, path: .automatic, observed: true, placement: allInline),
        Config(mode: .parallel, path: .automatic, observed: false),
        Config(mode: .parallel, path: .automatic, observed: true),
        Config(mode: .parallel, path: .queue, observed: false),
        Config(mode: .parallel, path: .pool, observed: false),
        Config(mode: .parallel, path: .batches, observed: false),
        Config(mode: .parallel, path: .automatic, observed: false, placement: toThePool),
        Config(mode: .parallel, path: .automatic, observed: false, placement: allInline),
        Config(mode: .sequential, path: .automatic, observed: false, checkpointed: true),
        Config(mode: .sequential, path: .automatic, observed: true, checkpointed: true),
        Config(mode: .parallel, path: .automatic, observed: false, checkpointed: true),
    ]

    /// Runs `json` in every configuration and checks the answers agree
    /// with the first (sequential, quiet, automatic). Returns that one.
    @discardableResult
    static func expectSameEverywhere(_ json: String, inputs: [String: WeftValue] = [:], _ note: String,
                                     oneFailurePoint: Bool = true, sameEvents: Bool = true,
                                     adjust: (inout RunOptions) -> Void = { _ in }) throws -> RunResult {
        var results: [(Config, RunResult)] = []
        // Sequential observed runs: what their observers saw.
        var seen: [(Config, [String])] = []
        for c in configs {
            var o = RunOptions(mode: c.mode, workers: 2)
            o.forcedPath = c.path
            o.placement = c.placement
            adjust(&o)
            let recorder = EventRecorder()
            if c.observed { o.observers = [recorder] }
            let checkpoints = MemoryCheckpoints()
            if c.checkpointed { o.checkpoints = checkpoints }
            results.append((c, try TestGraphs.run(json, inputs: inputs, options: o)))
            if c.observed && c.mode == .sequential && !c.checkpointed { seen.append((c, recorder.events.map(signature))) }
            // A run resumed from everything a sequential run kept: the same
            // answers, with every kept completion restored instead of called.
            if c.checkpointed && c.mode == .sequential && !c.observed {
                var again = RunOptions(mode: .sequential, workers: 2)
                adjust(&again)
                let restoring = MemoryCheckpoints(restoring: checkpoints.kept)
                again.checkpoints = restoring
                let resumed = try TestGraphs.run(json, inputs: inputs, options: again)
                results.append((Config(mode: .sequential, path: .queue, observed: false, checkpointed: true, resumed: true), resumed))
                #expect(checkpoints.kept.isEmpty || restoring.restoredCount > 0, "\(note): a resumed run restored nothing")
            }
        }
        let base = results[0].1
        // Observing a run does not change its path: the same passes go round
        // compiled (compared where placement does not hang on measured
        // times: every type counts as cheap once measured). And every path
        // tells its observers the same story: the same events in the same
        // order (times aside).
        let measuredAlike = results.filter { $0.0.mode == .sequential && $0.0.placement == allInline }
        #expect(measuredAlike.count == 2 && measuredAlike[0].1.compiledPasses == measuredAlike[1].1.compiledPasses,
                "\(note): compiled passes quiet vs observed")
        for (c, events) in seen.dropFirst() where sameEvents {
            // (The first difference only: a big graph has thousands of events.)
            if events != seen[0].1 {
                let first = (0..<min(events.count, seen[0].1.count)).first { events[$0] != seen[0].1[$0] } ?? min(events.count, seen[0].1.count)
                Issue.record("\(note): events of \(c) vs \(seen[0].0) (\(events.count) vs \(seen[0].1.count)): first difference at event \(first): \(events.dropFirst(first).prefix(3)) vs \(seen[0].1.dropFirst(first).prefix(3))")
            }
        }
        for (c, r) in results.dropFirst() {
            let what: Comment = "\(note): \(c) vs \(configs[0])"
            // The forced paths never go round compiled.
            if c.path != .automatic { #expect(r.compiledPasses == 0, what) }
            if c.mode == .parallel && !oneFailurePoint, case .failed = base.outcome {
                #expect(r.outcome.name == "failed", what)
            } else {
                #expect(r.outcome == base.outcome, what)
            }
            guard base.outcome == .succeeded || c.mode == .sequential else { continue }
            #expect(r.outputs.map(\.name) == base.outputs.map(\.name), what)
            #expect(r.outputs.map(\.value) == base.outputs.map(\.value), what)
            #expect(r.missingOutputs == base.missingOutputs, what)
            // (A resumed run restores a retried node's success: its failed attempts are not steps again.)
            if !c.resumed { #expect(r.steps == base.steps, what) }
        }
        return base
    }

    /// An event without its times (and threads).
    static func signature(_ e: RunEvent) -> String {
        switch e {
        case .runStarted(_, let nodes, let mode, _): "run_started \(nodes) \(mode)"
        case .nodeStarted(_, _, let id, _): "started \(id)"
        case .nodeFinished(_, _, let id, _, _): "finished \(id)"
        case .nodeFailed(_, _, let id, _, let message): "failed \(id): \(message)"
        case .nodeSkipped(_, _, let id): "skipped \(id)"
        case .flowState(_, _, let id, let state, let cycle, let action): "state \(id) \(cycle) \(state) \(action)"
        case .nodeRecovered(_, _, let id, let how): "recovered \(id) \(how)"
        case .cacheHit(_, _, let id): "cache hit \(id)"
        case .nodeRestored(_, _, let id): "restored \(id)"
        case .itemFailed(_, _, let id, let item, let message): "item failed \(id) \(item): \(message)"
        case .nodeRetry(_, _, let id, let attempt, _, let message): "retry \(id) \(attempt): \(message)"
        case .loopIteration(_, _, let id, let i): "iteration \(id) \(i)"
        case .runFinished(_, let outcome, let steps): "run_finished \(outcome) \(steps)"
        default: "\(e)"
        }
    }

    /// The shipped examples that run to an end by themselves (no event
    /// sources), with inputs that keep them short.
    @Test(arguments: [("arithmetic", [:]), ("collatz", ["n": 27]), ("count-loop", ["n": 5]), ("fan-out", ["ms": 1]),
                      ("ffi-math", [:]), ("if-else", ["x": -4]), ("if-else", ["x": 9]), ("nested-loop", [:]),
                      ("safe-divide", [:]), ("safe-divide", ["x": 0]), ("map-batch", [:])]
                     as [(String, [String: WeftValue])])
    func examples(name: String, inputs: [String: WeftValue]) throws {
        let text = try String(contentsOfFile: TestPaths.repoRoot + "/examples/\(name).json", encoding: .utf8)
        let r = try Self.expectSameEverywhere(text, inputs: inputs, name)
        #expect(r.outcome == .succeeded, "\(name): \(r.outcome)")
    }

    /// Graphs the other suites use for particular paths.
    @Test func graphsOfOtherSuites() throws {
        for n in [0, 1, 7, 70] {
            let r = try Self.expectSameEverywhere(CompiledPassTests.gated, inputs: ["n": .int(Int64(n))], "gated loop n=\(n)")
            #expect(r.compiledPasses == n + 1, "the quiet sequential run went round compiled")
        }
        for (graph, message) in RunTimeTypeTests.refusals { try Self.expectSameEverywhere(graph, message) }
        try Self.expectSameEverywhere(RunTimeTypeTests.fanOut(badAt: 150), "fan-out with a bad value")
        try Self.expectSameEverywhere(RunTimeTypeTests.bodyGetsAString, "loop body gets a string")
        try Self.expectSameEverywhere(RunTimeTypeTests.carrying("double"), "double carry")
        try Self.expectSameEverywhere(RunTimeTypeTests.carrying("int", next: "half.result"), "int carry gets a double")
    }

    /// The execution models of issue 18 on every path: retries, error
    /// routing, flows, async calls and batches, hooks, mapped subgraphs,
    /// time limits and observer plugins give the same answers (and, for
    /// sequential runs, the same events) whichever way calls are made.
    @Test func executionModelsOnEveryPath() throws {
        let recorderFile = try TestPaths.scratch("paths") + "/events.txt"
        let graphs: [(String, String, [String: WeftValue])] = [
            ("retry", RetryTests.flaky(failTimes: 2, retry: #"{"max_attempts": 3}"#), [:]),
            ("retry, then routed", RetryTests.flaky(failTimes: 5, retry: #"{"max_attempts": 2}"#, onError: #", "on_error": "route""#), [:]),
            ("flow", mapStore(FlowTests.agent()), [:]),
            ("flow with a failing state", mapStore(FlowTests.agent(actFailAt: 1)), [:]),
            // (Async calls end in whatever order their timers fire: their
            // answers are compared, their events not.)
            ("async calls", AsyncTests.fanOut(6, ms: 1), [:]),
            ("async batch", AsyncTests.batch([], ms: 1, concurrency: 3), ["xs": [5, 6, 7, 8, 9]]),
            ("hooks", HookTests.graph(before: HookTests.clamp, after: #""fixture.double_hook""#), ["a": 3, "b": 50]),
            ("batch flow", SubgraphTests.mapped(concurrency: 2), ["xs": [1, 2, 3, 4]]),
            ("time limit", TimeoutTests.slow(ms: 2, timeout: 10_000), [:]),
            ("observer plugin", ObserverPluginTests.graph(observers: ObserverPluginTests.recorder(recorderFile)), ["n": 3]),
        ]
        func mapStore(_ g: String) -> String {
            g.replacingOccurrences(of: #""q": {"type": "string", "default": "why"}"#, with: #""q": {"type": "map", "default": {"question": "why"}}"#)
        }
        for (note, json, inputs) in graphs {
            let r = try Self.expectSameEverywhere(json, inputs: inputs, note, sameEvents: !note.hasPrefix("async"))
            if !note.contains("failing") { #expect(r.outcome == .succeeded, "\(note): \(r.outcome)") }
        }
    }

    /// Random graphs with divisions whose failures their `on_error`
    /// handles: every path recovers the same way, and the run succeeds
    /// unless the generator knows it may fail elsewhere.
    @Test(arguments: 0..<80)
    func randomGraphsWithErrorHandling(seed: Int) throws {
        let g = RandomGraph(seed: UInt64(5_000 + seed), errorHandling: true)
        let r = try Self.expectSameEverywhere(g.json, "error handling seed \(seed)", oneFailurePoint: g.failurePoints <= 1)
        if g.failurePoints == 0 { #expect(r.outcome == .succeeded, "seed \(seed): \(r.outcome)\n\(g.json)") }
    }

    /// Random graphs: every one through every path.
    @Test(arguments: 0..<200)
    func randomGraphs(seed: Int) throws {
        let g = RandomGraph(seed: UInt64(seed))
        let r = try Self.expectSameEverywhere(g.json, "seed \(seed)", oneFailurePoint: g.failurePoints <= 1)
        // The generator's graphs fail only where it knows they may.
        if g.failurePoints == 0 { #expect(r.outcome == .succeeded, "seed \(seed): \(r.outcome)\n\(g.json)") }
    }
}

/// A random graph of int arithmetic: plain nodes, if/else merged by a
/// join-any node, gates that leave a path dead, loops whose body reads a
/// value from outside it, and (sometimes) a string where an int belongs.
/// Deterministic for a seed.
struct RandomGraph {
    private(set) var nodes: [String] = []
    private(set) var edges: [String] = []
    private(set) var outputs: [String] = []
    /// Places where a run may fail (the same way on every path): a string
    /// where an int belongs; a branch whose value may be dead (it then
    /// passes null, which the next node refuses); a loop whose body reads a
    /// value that may be dead (continue is true but its next value got
    /// none).
    private(set) var failurePoints = 0
    private var rng: UInt64
    /// Int-valued ports to read from; the second field: may be dead.
    private var ports: [(String, Bool)] = [("$x", false)]
    private var count = 0

    /// `plainOnly`: no if/else (its merge joins any) and no loop — a
    /// graph of plain nodes, which a sequential run runs as its top-level
    /// program.
    /// `errorHandling`: also integer divisions that may divide by zero,
    /// each with an `on_error` ("route", its error map a graph output, or
    /// a default result).
    init(seed: UInt64, plainOnly: Bool = false, errorHandling: Bool = false) {
        rng = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let blocks = 4 + next(14)
        for _ in 0..<blocks {
            let kind = next(10)
            switch plainOnly && (kind == 5 || kind == 6 || kind > 7) ? next(5) : kind {
            case 0, 1: binary("std.add")
            case 2: binary("std.sub")
            case 3: binary(next(2) == 0 ? "std.max" : "std.min")
            case 4: unary()
            case 5, 6: ifElse()
            case 7: gate()
            default: loop()
            }
        }
        if next(8) == 0 { badValue() }
        if errorHandling { for _ in 0..<(1 + next(3)) { division() } }
    }

    /// a / b, which fails when b is 0; its failure handled by its
    /// `on_error`: routed (its `error` map becomes a graph output, its
    /// result is then dead) or a default result of 0.
    private mutating func division() {
        let (d, after) = (id("div"), id("n"))
        let a = pick(), b = pick()
        let route = next(2) == 0
        // Half of them divide by a constant 0.
        let byZero = next(2) == 0
        let onError = route ? #""route""# : #"{"default": {"result": 0}}"#
        nodes += [#"{"id": "\#(d)", "type": "std.div", \#(byZero ? #""inputs": {"b": 0}, "# : "")"on_error": \#(onError)}"#,
                  #"{"id": "\#(after)", "type": "std.add", "inputs": {"b": 1}}"#]
        edge(a.0, d + ".a")
        if !byZero { edge(b.0, d + ".b") }
        edge(d + ".result", after + ".a")
        if route { outputs.append(#""o\#(outputs.count)": "\#(d).error""#) }
        produced(after + ".result", dead: a.1 || (!byZero && b.1) || route)
    }

    var json: String {
        """
        {"weft": 1, "inputs": {"x": {"type": "int", "default": 3}},
         "nodes": [\(nodes.joined(separator: ",\n  "))],
         "edges": [\(edges.joined(separator: ",\n  "))],
         "outputs": {\(outputs.joined(separator: ", "))}}
        """
    }

    private mutating func next(_ n: Int) -> Int {
        rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((rng >> 33) % UInt64(n))
    }

    private mutating func id(_ prefix: String) -> String {
        count += 1
        return "\(prefix)\(count)"
    }

    private mutating func pick() -> (String, Bool) { ports[next(ports.count)] }

    private mutating func edge(_ from: String, _ to: String) { edges.append(#"{"from": "\#(from)", "to": "\#(to)"}"#) }

    private mutating func produced(_ port: String, dead: Bool) {
        ports.append((port, dead))
        outputs.append(#""o\#(outputs.count)": "\#(port)""#)
    }

    private mutating func binary(_ type: String) {
        let n = id("n")
        let a = pick()
        if next(3) == 0 {
            nodes.append(#"{"id": "\#(n)", "type": "\#(type)", "inputs": {"b": \#(next(7) - 3)}}"#)
            edge(a.0, n + ".a")
            produced(n + ".result", dead: a.1)
        } else {
            let b = pick()
            nodes.append(#"{"id": "\#(n)", "type": "\#(type)"}"#)
            edge(a.0, n + ".a")
            edge(b.0, n + ".b")
            produced(n + ".result", dead: a.1 || b.1)
        }
    }

    private mutating func unary() {
        let n = id("neg")
        let a = pick()
        nodes.append(#"{"id": "\#(n)", "type": "std.neg"}"#)
        edge(a.0, n + ".a")
        produced(n + ".result", dead: a.1)
    }

    /// if x < c then -y else y + c, merged.
    private mutating func ifElse() {
        let (test, split, yes, no, merge) = (id("lt"), id("if"), id("then"), id("else"), id("merge"))
        let x = pick(), y = pick(), c = next(9) - 4
        nodes += [#"{"id": "\#(test)", "type": "std.lt", "inputs": {"b": \#(c)}}"#,
                  #"{"id": "\#(split)", "type": "std.branch", "strategy": "conditional"}"#,
                  #"{"id": "\#(yes)", "type": "std.neg"}"#,
                  #"{"id": "\#(no)", "type": "std.add", "inputs": {"b": \#(c)}}"#,
                  #"{"id": "\#(merge)", "type": "std.identity", "join": "any"}"#]
        edge(x.0, test + ".a")
        edge(test + ".result", split + ".cond")
        edge(y.0, split + ".value")
        edge(split + ".true", yes + ".a")
        edge(split + ".false", no + ".a")
        edge(yes + ".result", merge + ".value")
        edge(no + ".result", merge + ".value")
        if y.1 && !x.1 { failurePoints += 1 }
        produced(merge + ".value", dead: x.1 || y.1)
    }

    /// y passes only when x < c: the path behind it may be dead.
    private mutating func gate() {
        let (test, split) = (id("lt"), id("gate"))
        let x = pick(), y = pick()
        nodes += [#"{"id": "\#(test)", "type": "std.lt", "inputs": {"b": \#(next(9) - 4)}}"#,
                  #"{"id": "\#(split)", "type": "std.branch"}"#]
        edge(x.0, test + ".a")
        edge(test + ".result", split + ".cond")
        edge(y.0, split + ".value")
        // Every reader of the gate's output may then get null: count it as
        // more than one place.
        if y.1 && !x.1 { failurePoints += 2 }
        ports.append((split + ".true", true))
    }

    /// acc starts at a, and k times adds y, read from outside the body.
    private mutating func loop() {
        let (l, inc, sum, more) = (id("loop"), id("inc"), id("sum"), id("more"))
        let a = pick(), y = pick()
        nodes += [#"{"id": "\#(l)", "type": "loop", "carry": {"i": "int", "acc": "int"}, "inputs": {"i": 0}}"#,
                  #"{"id": "\#(inc)", "type": "std.add", "inputs": {"b": 1}}"#,
                  #"{"id": "\#(sum)", "type": "std.add"}"#,
                  #"{"id": "\#(more)", "type": "std.lt", "inputs": {"b": \#(1 + next(6))}}"#]
        edge(a.0, l + ".acc")
        edge(l + ".i", inc + ".a")
        edge(l + ".acc", sum + ".a")
        edge(y.0, sum + ".b")
        edge(inc + ".result", l + ".next_i")
        edge(sum + ".result", l + ".next_acc")
        edge(inc + ".result", more + ".a")
        edge(more + ".result", l + ".continue")
        if y.1 && !a.1 { failurePoints += 1 }
        produced(l + ".done_acc", dead: a.1 || y.1)
    }

    /// A string into an int's place: the node that gets it fails.
    private mutating func badValue() {
        let (c, n) = (id("oops"), id("n"))
        nodes += [#"{"id": "\#(c)", "type": "std.const", "params": {"value": "oops"}}"#,
                  #"{"id": "\#(n)", "type": "std.add", "inputs": {"b": 1}}"#]
        edge(c + ".value", n + ".a")
        outputs.append(#""o\#(outputs.count)": "\#(n).result""#)
        failurePoints += 1
    }
}
