import Testing
import WeftCore
import WeftNative
import WeftScheduler
import WeftTestSupport

/// Where a parallel run calls a node: a type declared `WEFT_NODE_CHEAP`
/// starts on the scheduler thread (events' `thread` 0) and is moved to the
/// pool only when measured at or above `PlacementPolicy.inlineBelowNs`; any
/// other type starts on the pool (`thread` >= 1) and is moved by
/// measurement; `WEFT_NODE_PURE` plays no part. The same C code is loaded
/// twice to compare like with like: `fixture` (its `add`, `counter`, … are
/// CHEAP) and `notcheap` (the fixture built with `-DFIXTURE_NOT_CHEAP`).
@Suite("Placement")
struct PlacementTests {
    static let registry: NodeRegistry = {
        let r = NodeRegistry()
        let loader = PluginLoader(registry: r)
        _ = loader.load(searchPath: .standard(environment: false, executableDirectory: TestPaths.binDir))
        if let fixture = try? Fixtures.fixture() { _ = try? loader.load(file: fixture) }
        if let notCheap = try? Fixtures.build("fixture.c", name: "notcheap",
                                              flags: ["-DFIXTURE_NAME=\"notcheap\"", "-DFIXTURE_NOT_CHEAP"]) {
            _ = try? loader.load(file: notCheap)
        }
        r.isolationPolicy = IsolationPolicy(workerExecutable: TestPaths.weft)
        return r
    }()

    /// Runs `json` in parallel mode (2 workers), observed; the result and
    /// the thread each node started on.
    static func run(_ json: String, placement: PlacementPolicy = PlacementPolicy(),
                    forcedPath: RunOptions.ForcedPath = .automatic) throws -> (result: RunResult, thread: [String: Int]) {
        let compiled = try CompiledGraph(plan: try GraphValidator.load(text: json, catalog: registry), registry: registry)
        let recorder = EventRecorder()
        var options = RunOptions(mode: .parallel, workers: 2, observers: [recorder])
        options.placement = placement
        options.forcedPath = forcedPath
        let result = try Scheduler.run(compiled, options: options)
        var thread: [String: Int] = [:]
        for case .nodeStarted(_, _, let id, let t) in recorder.events { thread[id] = t }
        return (result, thread)
    }

    /// `x1` → `x2` → `x3`, each adding 1 to the one before, of `type`.
    static func chain(of type: String) -> String {
        """
        {"weft": 1, "nodes": [
           {"id": "x1", "type": "\(type)", "inputs": {"a": 1, "b": 1}},
           {"id": "x2", "type": "\(type)", "inputs": {"b": 1}},
           {"id": "x3", "type": "\(type)", "inputs": {"b": 1}}],
         "edges": [{"from": "x1.sum", "to": "x2.a"}, {"from": "x2.sum", "to": "x3.a"}],
         "outputs": {"sum": "x3.sum"}}
        """
    }

    /// Both `add`s are PURE and do the same work; only the CHEAP one is
    /// called on the scheduler thread first. `fixture.counter` is CHEAP
    /// and not PURE: inline too. Blocking nodes always go to the pool.
    @Test func aCheapTypeStartsOnTheSchedulerThreadATypeWithoutItOnThePool() throws {
        let (r, thread) = try Self.run("""
            {"weft": 1, "nodes": [
               {"id": "cheap", "type": "fixture.add", "inputs": {"a": 1, "b": 2}},
               {"id": "plain", "type": "notcheap.add", "inputs": {"a": 1, "b": 2}},
               {"id": "count", "type": "fixture.counter"},
               {"id": "sleep", "type": "time.sleep", "inputs": {"ms": 1, "value": 1}}],
             "outputs": {"cheap": "cheap.sum", "plain": "plain.sum", "count": "count.n", "sleep": "sleep.value"}}
            """)
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r[output: "cheap"] == 3 && r[output: "plain"] == 3 && r[output: "count"] == 0 && r[output: "sleep"] == 1)
        #expect(thread["cheap"] == 0, "CHEAP: on the scheduler thread from its first call (\(thread))")
        #expect(thread["count"] == 0, "CHEAP without PURE: on the scheduler thread too (\(thread))")
        #expect(thread["plain"].map { $0 >= 1 } == true, "PURE without CHEAP: measured on the pool first (\(thread))")
        #expect(thread["sleep"].map { $0 >= 1 } == true, "blocking: on the pool (\(thread))")
    }

    /// Measurement moves types both ways. With a threshold no call can get
    /// under, a CHEAP type stays inline until its cost window is full (one
    /// cold call does not move it), then goes to the pool: with a window
    /// of one call, its first call is inline and the next ones (after it
    /// was measured) on the pool. With a threshold every call gets under, a
    /// type without CHEAP has its first call on the pool and the next
    /// ones inline.
    @Test func measurementDemotesACheapTypeAndPromotesAnother() throws {
        var never = PlacementPolicy()
        never.inlineBelowNs = 0
        let unfilled = try Self.run(Self.chain(of: "fixture.add"), placement: never)
        #expect(unfilled.result[output: "sum"] == 4)
        #expect(unfilled.thread == ["x1": 0, "x2": 0, "x3": 0], "3 calls, a window of \(never.costWindow)")
        never.costWindow = 1
        let demoted = try Self.run(Self.chain(of: "fixture.add"), placement: never)
        #expect(demoted.result[output: "sum"] == 4)
        #expect(demoted.thread["x1"] == 0, "\(demoted.thread)")
        #expect(demoted.thread["x2"].map { $0 >= 1 } == true && demoted.thread["x3"].map { $0 >= 1 } == true,
                "measured at or above inlineBelowNs: moved to the pool (\(demoted.thread))")

        var always = PlacementPolicy()
        always.inlineBelowNs = .max
        let promoted = try Self.run(Self.chain(of: "notcheap.add"), placement: always)
        #expect(promoted.result[output: "sum"] == 4)
        #expect(promoted.thread["x1"].map { $0 >= 1 } == true, "\(promoted.thread)")
        #expect(promoted.thread["x2"] == 0 && promoted.thread["x3"] == 0,
                "measured below inlineBelowNs: moved to the scheduler thread (\(promoted.thread))")
        // And a CHEAP type that stays under the threshold stays inline.
        let kept = try Self.run(Self.chain(of: "fixture.add"), placement: always)
        #expect(kept.thread == ["x1": 0, "x2": 0, "x3": 0])
    }

    /// The forced paths (for tests) win over the hint: `.pool` sends a
    /// CHEAP type to the pool, `.batches` keeps a type without it inline.
    @Test func forcedPathsOverrideTheHint() throws {
        let pool = try Self.run(Self.chain(of: "fixture.add"), forcedPath: .pool)
        #expect(pool.result[output: "sum"] == 4)
        #expect(["x1", "x2", "x3"].allSatisfy { pool.thread[$0].map { $0 >= 1 } == true }, "\(pool.thread)")
        let batches = try Self.run(Self.chain(of: "notcheap.add"), forcedPath: .batches)
        #expect(batches.result[output: "sum"] == 4)
        #expect(batches.thread == ["x1": 0, "x2": 0, "x3": 0])
    }

    /// An isolated node's call is a round trip to its worker process,
    /// however cheap the node: it starts on the pool.
    @Test func anIsolatedCheapTypeStartsOnThePool() throws {
        let (r, thread) = try Self.run("""
            {"weft": 1, "nodes": [
               {"id": "far", "type": "fixture.add", "inputs": {"a": 1, "b": 2}, "isolate": true},
               {"id": "near", "type": "fixture.add", "inputs": {"a": 2, "b": 2}}],
             "outputs": {"far": "far.sum", "near": "near.sum"}}
            """)
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r[output: "far"] == 3 && r[output: "near"] == 4)
        #expect(thread["far"].map { $0 >= 1 } == true, "\(thread)")
        #expect(thread["near"] == 0, "\(thread)")
    }
}
