import Testing
import WeftCore
import WeftNative
import WeftScheduler
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Crash and hang isolation with real crashing plugins
/// (Tests/Fixtures/plugins/crashy.c) and the real worker (`weft
/// isolate-worker`): the host survives, the node fails with a message, the
/// rest of the graph runs on with keep-going, the worker restarts.
@Suite("Isolation")
struct IsolationTests {
    /// The std plugins, the crashy plugin, and the built weft as worker.
    static let registry: NodeRegistry = {
        let r = NodeRegistry()
        let loader = PluginLoader(registry: r)
        _ = loader.load(searchPath: .standard(environment: false, executableDirectory: TestPaths.binDir))
        if let crashy = try? Fixtures.build("crashy.c", name: "crashy") { _ = try? loader.load(file: crashy) }
        r.isolationPolicy = IsolationPolicy(workerExecutable: TestPaths.weft)
        return r
    }()

    static func compile(_ json: String, registry: NodeRegistry = registry) throws -> CompiledGraph {
        try CompiledGraph(plan: try GraphValidator.load(text: json, catalog: registry), registry: registry)
    }

    /// `a` (crashy.echo, isolated per `extra`) feeds `b`; `q` stands alone.
    static func graph(_ extra: String = "\"isolate\": true") -> String {
        """
        {"weft": 1, "inputs": {"x": "int"},
         "nodes": [
          {"id": "a", "type": "crashy.echo", \(extra)},
          {"id": "b", "type": "std.add", "inputs": {"b": 1}},
          {"id": "q", "type": "std.add", "inputs": {"a": 1, "b": 2}}
         ],
         "edges": [{"from": "$x", "to": "a.x"}, {"from": "a.y", "to": "b.a"}],
         "outputs": {"y": "b.result", "calls": "a.calls", "q": "q.result"}}
        """
    }

    static var keepGoing: RunOptions {
        var o = RunOptions()
        o.keepGoing = true
        return o
    }

    @Test(arguments: [(Int64(-11), "crashed with SIGSEGV"), (-6, "crashed with SIGABRT"), (-2, "exited with code 3")])
    func crashFailsTheNodeAndTheRestRuns(x: Int64, how: String) throws {
        let g = try Self.compile(Self.graph())
        let r = try Scheduler.run(g, inputs: ["x": .int(x)], options: Self.keepGoing)
        guard case .failed(let message, let node) = r.outcome else {
            Issue.record("expected a failed run, got \(r.outcome)")
            return
        }
        #expect(node == "a")
        #expect(message.hasPrefix("node 'a' (crashy.echo): its isolated worker process (pid "), "\(message)")
        #expect(message.contains(how), "\(message)")
        #expect(message.contains("plugin 'crashy' from ") && message.contains("the worker restarts at the next call"), "\(message)")
        // The node that does not depend on the crash ran; the one after it did not.
        #expect(r[output: "q"] == .int(3))
        #expect(r[output: "y"] == nil)
        #expect(r.missingOutputs.contains("y"))
    }

    @Test func withoutKeepGoingTheRunStopsAtTheCrash() throws {
        let g = try Self.compile(Self.graph())
        let r = try Scheduler.run(g, inputs: ["x": -11])
        guard case .failed(let message, _) = r.outcome else {
            Issue.record("expected a failed run, got \(r.outcome)")
            return
        }
        #expect(message.contains("SIGSEGV"))
    }

    @Test func hangIsKilledAtTheTimeout() throws {
        let g = try Self.compile(Self.graph("\"isolate\": true, \"timeout_ms\": 300"))
        let t0 = MonotonicClock.now()
        let r = try Scheduler.run(g, inputs: ["x": -1], options: Self.keepGoing)
        let seconds = Double(MonotonicClock.now() - t0) / 1e9
        guard case .failed(let message, _) = r.outcome else {
            Issue.record("expected a failed run, got \(r.outcome)")
            return
        }
        #expect(message.contains("did not finish within its timeout_ms of 300 ms"), "\(message)")
        #expect(message.contains("was killed"), "\(message)")
        #expect(r[output: "q"] == .int(3))
        // The worker sleeps forever: only the kill can have ended the call.
        #expect(seconds < 30, "took \(seconds) s")
    }

    @Test func workerRestartsAndCreatesTheNodeAgain() throws {
        let g = try Self.compile(Self.graph())
        // State lives in the worker: the second call of one instance counts 2.
        var r = try Scheduler.run(g, inputs: ["x": 5])
        #expect(r[output: "y"] == .int(6) && r[output: "calls"] == .int(1))
        r = try Scheduler.run(g, inputs: ["x": 7])
        #expect(r[output: "y"] == .int(8) && r[output: "calls"] == .int(2))
        // A crash loses that state; the next call runs in a new worker,
        // where the node was created again.
        r = try Scheduler.run(g, inputs: ["x": -11])
        #expect(r.outcome != .succeeded)
        r = try Scheduler.run(g, inputs: ["x": 9])
        #expect(r.outcome == .succeeded)
        #expect(r[output: "y"] == .int(10) && r[output: "calls"] == .int(1))
    }

    @Test func timeoutDoesNotFireForAQuickCall() throws {
        let g = try Self.compile(Self.graph("\"isolate\": true, \"timeout_ms\": 60000"))
        let r = try Scheduler.run(g, inputs: ["x": 41])
        #expect(r.outcome == .succeeded)
        #expect(r[output: "y"] == .int(42))
    }

    @Test func pluginPolicyIsolatesWithoutTouchingTheGraph() throws {
        let json = """
            {"weft": 1, "nodes": [{"id": "p", "type": "crashy.pid"}], "outputs": {"pid": "p.n"}}
            """
        let here = Int64(getpid())
        // Not isolated: the node runs in this process.
        var r = try Scheduler.run(try Self.compile(json))
        #expect(r[output: "pid"] == .int(here))
        // The policy names the plugin: the node runs in a worker.
        let isolating = NodeRegistry()
        _ = PluginLoader(registry: isolating).load(searchPath: .standard(environment: false, executableDirectory: TestPaths.binDir))
        _ = try PluginLoader(registry: isolating).load(file: try Fixtures.build("crashy.c", name: "crashy"))
        isolating.isolationPolicy = IsolationPolicy(plugins: ["crashy"], workerExecutable: TestPaths.weft)
        r = try Scheduler.run(try Self.compile(json, registry: isolating))
        guard case .int(let pid)? = r[output: "pid"] else {
            Issue.record("no pid: \(r.outcome)")
            return
        }
        #expect(pid != here && pid > 0)
    }

    /// Values cross the process boundary exactly (bytes, NULs, nesting,
    /// int vs double, map order).
    @Test func valuesAreCopiedExactly() throws {
        let json = """
            {"weft": 1, "inputs": {"v": "any"},
             "nodes": [{"id": "p", "type": "crashy.pass", "isolate": true}],
             "edges": [{"from": "$v", "to": "p.value"}], "outputs": {"v": "p.value"}}
            """
        let g = try Self.compile(json)
        let values: [WeftValue] = [
            .null, true, .int(Int64.min), .double(-0.5), .double(1.0), "a\u{0}b ✓",
            .bytes([0, 255, 10]), [1, [2, [3, "x"]], .object([("z", 1), ("a", [.null])])],
        ]
        for v in values {
            let r = try Scheduler.run(g, inputs: ["v": v])
            #expect(r[output: "v"] == v, "\(v)")
        }
    }

    @Test func aMissingWorkerFailsTheCreateWithTheFix() throws {
        let r = NodeRegistry()
        _ = try PluginLoader(registry: r).load(file: try Fixtures.build("crashy.c", name: "crashy"))
        r.isolationPolicy = IsolationPolicy(workerExecutable: "/nonexistent/weft")
        let json = #"{"weft": 1, "nodes": [{"id": "p", "type": "crashy.pid", "isolate": true}]}"#
        #expect {
            _ = try Self.compile(json, registry: r)
        } throws: { error in
            let m = "\(error)"
            return m.contains("node 'p' (crashy.pid)") && m.contains("cannot start the isolated worker process '/nonexistent/weft'")
                && m.contains("No such file or directory") && m.contains("WEFT_WORKER")
        }
    }

    @Test func onlyPluginNodesCanBeIsolated() throws {
        let json = """
            {"weft": 1, "nodes": [{"id": "f", "type": "ffi", "isolate": true, "timeout_ms": 100,
              "params": {"library": "libm.so.6", "symbol": "cos", "signature": "double(double)"}}]}
            """
        let diags = (try? GraphValidator.load(text: json, catalog: Self.registry)) == nil
        #expect(diags)
        do {
            _ = try GraphValidator.load(text: json, catalog: Self.registry)
        } catch {
            #expect(error.diagnostics.contains { $0.path == "$.nodes[0].isolate" && $0.message.contains("cannot be isolated") },
                    "\(error.diagnostics)")
        }
    }

    @Test(arguments: [("\"isolate\": 1", "$.nodes[0].isolate", "isolate must be true or false"),
                      ("\"timeout_ms\": 0", "$.nodes[0].timeout_ms", "timeout_ms must be a whole number of milliseconds"),
                      ("\"timeout_ms\": 2.5", "$.nodes[0].timeout_ms", "timeout_ms must be a whole number of milliseconds")])
    func badIsolationFields(field: String, path: String, message: String) throws {
        let json = #"{"weft": 1, "nodes": [{"id": "p", "type": "crashy.pid", "# + field + "}]}"
        do {
            _ = try GraphValidator.load(text: json, catalog: Self.registry)
            Issue.record("validated")
        } catch {
            #expect(error.diagnostics.contains { $0.path == path && $0.message.hasPrefix(message) }, "\(error.diagnostics)")
        }
    }

    /// Keep-going without isolation: an ordinary failing node.
    @Test func keepGoingCountsEveryFailure() throws {
        let json = """
            {"weft": 1, "inputs": {"x": "int"},
             "nodes": [
              {"id": "d1", "type": "std.div", "inputs": {"a": 1}},
              {"id": "d2", "type": "std.div", "inputs": {"a": 2}},
              {"id": "after", "type": "std.add", "inputs": {"b": 1}},
              {"id": "ok", "type": "std.add", "inputs": {"a": 1, "b": 1}}
             ],
             "edges": [{"from": "$x", "to": "d1.b"}, {"from": "$x", "to": "d2.b"}, {"from": "d1.result", "to": "after.a"}],
             "outputs": {"after": "after.result", "ok": "ok.result"}}
            """
        let r = try Scheduler.run(try Self.compile(json), inputs: ["x": 0], options: Self.keepGoing)
        guard case .failed(let message, let node) = r.outcome else {
            Issue.record("expected failure, got \(r.outcome)")
            return
        }
        #expect(node == "d1")
        #expect(message.hasPrefix("node 'd1' (std.div): "), "\(message)")
        #expect(message.hasSuffix("(and 1 more node failure)"), "\(message)")
        #expect(r[output: "ok"] == .int(2))
        #expect(r[output: "after"] == nil)
    }
}
