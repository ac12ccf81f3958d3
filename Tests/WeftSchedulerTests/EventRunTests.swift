import Foundation
import Testing
import WeftCore
import WeftNative
import WeftScheduler
import WeftTestSupport

/// A source for the tests: emits `values` (ints) and finishes. With
/// `in_start` it emits them all inside `start`, before the run's driver
/// takes the first one, so queue policies can be tested without timing.
final class BurstSource: EventSource, @unchecked Sendable {
    let values: [Int64]
    let inStart: Bool
    private let lock = NSLock()
    private var thread: Thread?
    private var stopping = false

    init(values: [Int64], inStart: Bool) {
        self.values = values
        self.inStart = inStart
    }

    func start(_ emitter: EventEmitter) throws(EventSourceError) {
        if inStart {
            for v in values { emitter.emit([.int(v)]) }
            emitter.finish()
            return
        }
        let t = Thread { [self] in
            for v in values {
                if lock.withLock({ stopping }) { return }
                guard emitter.emit([.int(v)]) else { return }
            }
            emitter.finish()
        }
        lock.withLock { thread = t }
        t.start()
    }

    func stop() {
        lock.withLock { stopping = true }
        while let t = lock.withLock({ thread }), !t.isFinished { usleep(1000) }
    }
}

enum EventGraphs {
    static let registry: NodeRegistry = {
        let r = NodeRegistry()
        BuiltinSources.register(into: r)
        let loader = PluginLoader(registry: r)
        _ = loader.load(searchPath: .standard(environment: false, executableDirectory: TestPaths.binDir))
        if let src = try? Fixtures.build("source.c", name: "src") { _ = try? loader.load(file: src) }
        let burst = NodeType(
            sourceSpec: NodeSpec(namespace: "test", name: "burst", summary: "Emits values.", inputs: [],
                                 outputs: [PortSpec(name: "value", type: .int)],
                                 params: [PortSpec(name: "values", type: .list),
                                          PortSpec(name: "in_start", type: .bool, defaultValue: .bool(false))]),
            make: { instance in
                var values: [Int64] = []
                if case .list(let items)? = instance.params[0] {
                    for case .int(let v) in items { values.append(v) }
                }
                let inStart = instance.params[1] == .bool(true)
                return .success(BurstSource(values: values, inStart: inStart))
            })
        r.registerBuiltin(namespace: "test", [burst])
        return r
    }()

    static func run(_ json: String, options: RunOptions = RunOptions(),
                    cancellation: CancellationToken = CancellationToken()) throws -> RunResult {
        let plan = try GraphValidator.load(text: json, catalog: registry)
        return try Scheduler.run(try CompiledGraph(plan: plan, registry: registry), options: options, cancellation: cancellation)
    }

    static func diagnostics(_ json: String) -> [String] {
        do {
            _ = try GraphValidator.load(text: json, catalog: registry)
            return []
        } catch {
            return error.diagnostics.map { "\($0.path): \($0.message)" }
        }
    }

    /// A burst source feeding `body` (nodes and edges after the source).
    static func burst(_ values: [Int], inStart: Bool = false, extra: String = "", nodes: String, edges: String,
                      outputs: String = "{}") -> String {
        """
        {"weft": 1, "nodes": [{"id": "src", "type": "test.burst", "params": {"values": \(values), "in_start": \(inStart)}\(extra)}, \(nodes)],
         "edges": [\(edges)], "outputs": \(outputs)}
        """
    }
}

extension RunEvent {
    var waveEvent: (wave: Int, source: String, event: Int)? {
        if case .waveStarted(_, let w, let s, let e) = self { return (w, s, e) }
        return nil
    }
}

@Suite("event runs (waves)")
struct EventRunTests {
    @Test func timerFiresCountTimesInOrder() throws {
        let recorder = EventRecorder()
        let result = try EventGraphs.run("""
            {"weft": 1, "nodes": [{"id": "t", "type": "event.timer", "params": {"interval_ms": 5, "count": 5}},
                                  {"id": "add", "type": "std.add", "inputs": {"b": 100}}],
             "edges": [{"from": "t.tick", "to": "add.a"}], "outputs": {"sum": "add.result"}}
            """, options: RunOptions(observers: [recorder]))
        #expect(result.outcome == .succeeded)
        #expect(result[output: "sum"] == 105)
        let waves = try #require(result.waves)
        #expect(waves.events == 5 && waves.waves == 5 && waves.failedWaves == 0 && waves.dropped == 0)
        #expect(waves.stopReason == .finished)
        #expect(recorder.events.compactMap(\.waveEvent).map(\.event) == [1, 2, 3, 4, 5])
        #expect(result.steps == 5)
    }

    @Test func aWaveRunsOnlyWhatItsSourceReaches() throws {
        let recorder = EventRecorder()
        let result = try EventGraphs.run("""
            {"weft": 1, "nodes": [{"id": "a", "type": "test.burst", "params": {"values": [1, 2], "in_start": true}},
                                  {"id": "b", "type": "test.burst", "params": {"values": [10], "in_start": true}},
                                  {"id": "fromA", "type": "std.add", "inputs": {"b": 0}},
                                  {"id": "fromB", "type": "std.add", "inputs": {"b": 0}}],
             "edges": [{"from": "a.value", "to": "fromA.a"}, {"from": "b.value", "to": "fromB.a"}],
             "outputs": {"a": "fromA.result"}}
            """, options: RunOptions(observers: [recorder]))
        #expect(result.waves?.waves == 3)
        let started = recorder.events.compactMap { if case .nodeStarted(_, _, let id, _) = $0 { id } else { nil } }
        #expect(started.filter { $0 == "fromA" }.count == 2)
        #expect(started.filter { $0 == "fromB" }.count == 1)
        let skipped = recorder.events.compactMap { if case .nodeSkipped(_, _, let id) = $0 { id } else { nil } }
        #expect(skipped.filter { $0 == "fromB" }.count == 2 && skipped.filter { $0 == "fromA" }.count == 1)
        // Events in order: a's two (queued first), then b's.
        #expect(recorder.events.compactMap(\.waveEvent).map { "\($0.source)\($0.event)" } == ["a1", "a2", "b1"])
    }

    @Test(arguments: [EventOptions.QueuePolicy.dropNewest, .dropOldest])
    func aFullQueueDropsByItsPolicy(policy: EventOptions.QueuePolicy) throws {
        var options = RunOptions(observers: [EventRecorder()])
        options.events.queueCapacity = 2
        options.events.queuePolicy = policy
        let recorder = options.observers[0] as! EventRecorder
        let result = try EventGraphs.run(EventGraphs.burst(Array(1...10), inStart: true,
                                                           nodes: #"{"id": "add", "type": "std.add", "inputs": {"b": 0}}"#,
                                                           edges: #"{"from": "src.value", "to": "add.a"}"#,
                                                           outputs: #"{"last": "add.result"}"#), options: options)
        let waves = try #require(result.waves)
        #expect(waves.events == 10 && waves.dropped == 8 && waves.waves == 2)
        let ran = recorder.events.compactMap(\.waveEvent).map(\.event)
        #expect(ran == (policy == .dropNewest ? [1, 2] : [9, 10]))
        #expect(result[output: "last"] == (policy == .dropNewest ? 2 : 10))
        let drops = recorder.events.compactMap { if case .eventDropped(_, _, let n) = $0 { n } else { nil } }
        #expect(drops == Array(1...8))
    }

    @Test func blockLosesNothingAndKeepsOrder() throws {
        let recorder = EventRecorder()
        var options = RunOptions(observers: [recorder])
        options.events.queueCapacity = 1
        let result = try EventGraphs.run(EventGraphs.burst(Array(1...200),
                                                           nodes: #"{"id": "add", "type": "std.add", "inputs": {"b": 0}}"#,
                                                           edges: #"{"from": "src.value", "to": "add.a"}"#), options: options)
        #expect(result.waves?.waves == 200 && result.waves?.dropped == 0)
        #expect(recorder.events.compactMap(\.waveEvent).map(\.event) == Array(1...200))
    }

    @Test func maxEventsStopsTheSource() throws {
        let result = try EventGraphs.run(EventGraphs.burst(Array(1...10), extra: #", "max_events": 3"#,
                                                           nodes: #"{"id": "add", "type": "std.add", "inputs": {"b": 0}}"#,
                                                           edges: #"{"from": "src.value", "to": "add.a"}"#,
                                                           outputs: #"{"last": "add.result"}"#))
        #expect(result.waves?.events == 3 && result.waves?.waves == 3)
        #expect(result[output: "last"] == 3)
    }

    @Test func maxEventsReachedOnAFullBlockingQueueDoesNotDeadlock() throws {
        // The source's thread waits for room with its last event while the
        // run stops the source: the stop must not hold up the queue.
        var options = RunOptions()
        options.events.queueCapacity = 1
        let result = try EventGraphs.run(EventGraphs.burst(Array(1...6), extra: #", "max_events": 3"#,
                                                           nodes: #"{"id": "nap", "type": "time.sleep", "inputs": {"ms": 30}}"#,
                                                           edges: #"{"from": "src.value", "to": "nap.value"}"#,
                                                           outputs: #"{"last": "nap.value"}"#), options: options)
        #expect(result.waves?.events == 3 && result.waves?.waves == 3)
        #expect(result[output: "last"] == 3)
    }

    @Test func maxStepsCountsEveryWave() throws {
        // Two node executions per wave; a budget of 5 runs out in the third wave.
        var options = RunOptions(maxSteps: 5)
        options.events.stopOnError = false
        let result = try EventGraphs.run(EventGraphs.burst(Array(1...10), inStart: true, nodes: """
            {"id": "one", "type": "std.add", "inputs": {"b": 1}}, {"id": "two", "type": "std.add", "inputs": {"b": 1}}
            """, edges: #"{"from": "src.value", "to": "one.a"}, {"from": "one.result", "to": "two.a"}"#), options: options)
        let message = "node 'two' (std.add): the run reached max_steps (5 node executions over all waves) in wave 3 at node 'two'; "
            + "raise it with --max-steps, or limit the events (max_events, --duration)"
        #expect(result.outcome == .failed(message: message, node: "two"))
        #expect(result.waves?.waves == 3 && result.waves?.stopReason == .error && result.waves?.discarded == 7)
        // The wave's own line names the run's limit (it used to name what
        // was left of it when the wave started), and steps stop at it.
        #expect(result.waves?.failures == ["wave 3 (src event 3): " + message])
        #expect(result.steps == 5)
    }

    /// `max_steps` N over all waves allows exactly N executions (it used to
    /// fail as soon as the count reached N), with one wave at a time or
    /// several at once.
    @Test(arguments: [1, 3])
    func maxStepsAllowsExactlyTheLimitOverAllWaves(lanes: Int) throws {
        let graph = EventGraphs.burst(Array(1...10), inStart: true, nodes: """
            {"id": "one", "type": "std.add", "inputs": {"b": 1}}, {"id": "two", "type": "std.add", "inputs": {"b": 1}}
            """, edges: #"{"from": "src.value", "to": "one.a"}, {"from": "one.result", "to": "two.a"}"#)
        var options = RunOptions(maxSteps: 20)
        options.events.maxConcurrentWaves = lanes
        let exact = try EventGraphs.run(graph, options: options)
        #expect(exact.outcome == .succeeded, "\(exact.outcome)")
        #expect(exact.steps == 20 && exact.waves?.waves == 10)
        options.maxSteps = 19
        options.events.stopOnError = false
        let short = try EventGraphs.run(graph, options: options)
        #expect(short.steps == 19, "never more than the limit, whatever the lanes")
        guard case .failed(let message, _) = short.outcome else {
            Issue.record("\(short.outcome)")
            return
        }
        #expect(message.contains("the run reached max_steps (19 node executions over all waves) in wave "), "\(message)")
    }

    static let divide = EventGraphs.burst([5, 0, 2], inStart: true,
                                          nodes: #"{"id": "div", "type": "std.div", "inputs": {"a": 10}}"#,
                                          edges: #"{"from": "src.value", "to": "div.b"}"#, outputs: #"{"q": "div.result"}"#)

    @Test func aFailingWaveIsReportedAndTheRunGoesOn() throws {
        let result = try EventGraphs.run(Self.divide)
        let waves = try #require(result.waves)
        #expect(result.outcome == .succeeded)
        #expect(waves.waves == 3 && waves.failedWaves == 1)
        #expect(waves.failures.count == 1 && waves.failures[0].contains("wave 2 (src event 2)"))
        #expect(waves.failures[0].contains("division by zero"))
        #expect(result[output: "q"] == 5)
    }

    /// A run whose waves keep failing keeps the first messages, counts the
    /// rest: its memory does not grow with every failure.
    @Test func failureMessagesAreKeptUpToALimitAndTheRestCounted() throws {
        let failing = WaveSummary.keptFailures + 150
        let result = try EventGraphs.run(EventGraphs.burst(
            Array(repeating: 0, count: failing), nodes: #"{"id": "div", "type": "std.div", "inputs": {"a": 10}}"#,
            edges: #"{"from": "src.value", "to": "div.b"}"#))
        let waves = try #require(result.waves)
        #expect(result.outcome == .succeeded)
        #expect(waves.waves == failing && waves.failedWaves == failing)
        #expect(waves.failures.count == WaveSummary.keptFailures && waves.omittedFailures == 150)
        #expect(waves.failures.first?.hasPrefix("wave 1 (src event 1): ") == true)
        #expect(waves.failures.last?.hasPrefix("wave \(WaveSummary.keptFailures) (src event ") == true)
        // Only failed waves: no "source errors" in the summary line.
        #expect(waves.line == "events \(failing), waves \(failing), failed \(failing), dropped 0")
    }

    @Test func stopOnErrorStopsAtTheFirstFailedWave() throws {
        var options = RunOptions()
        options.events.stopOnError = true
        let result = try EventGraphs.run(Self.divide, options: options)
        let waves = try #require(result.waves)
        guard case .failed(let message, _) = result.outcome else {
            Issue.record("expected a failed run, got \(result.outcome)")
            return
        }
        #expect(message.contains("division by zero"))
        #expect(waves.waves == 2 && waves.discarded == 1 && waves.stopReason == .error)
    }

    @Test func durationStopsAnEndlessTimer() throws {
        var options = RunOptions()
        options.events.duration = 0.2
        let result = try EventGraphs.run("""
            {"weft": 1, "nodes": [{"id": "t", "type": "event.timer", "params": {"interval_ms": 10}},
                                  {"id": "add", "type": "std.add", "inputs": {"b": 0}}],
             "edges": [{"from": "t.tick", "to": "add.a"}]}
            """, options: options)
        #expect(result.outcome == .succeeded)
        #expect(result.waves?.stopReason == .duration)
        #expect((result.waves?.waves ?? 0) >= 1)
    }

    @Test func cancelFromAnotherThreadStopsTheRun() throws {
        let token = CancellationToken()
        final class CancelAfterFirstWave: RunObserver, @unchecked Sendable {
            let token: CancellationToken
            init(_ token: CancellationToken) { self.token = token }
            func receive(_ event: RunEvent) {
                if case .waveFinished = event { Thread { self.token.cancel() }.start() }
            }
        }
        let result = try EventGraphs.run("""
            {"weft": 1, "nodes": [{"id": "t", "type": "event.timer", "params": {"interval_ms": 5}},
                                  {"id": "add", "type": "std.add", "inputs": {"b": 0}}],
             "edges": [{"from": "t.tick", "to": "add.a"}]}
            """, options: RunOptions(observers: [CancelAfterFirstWave(token)]), cancellation: token)
        #expect(result.outcome == .cancelled)
        #expect(result.waves?.stopReason == .interrupted)
    }

    @Test func afterTheGraceTheWaveInFlightIsCancelled() throws {
        let recorder = EventRecorder()
        var options = RunOptions(observers: [recorder])
        options.events.duration = 0.05
        options.events.grace = 0
        let result = try EventGraphs.run(EventGraphs.burst([300], inStart: true, nodes: """
            {"id": "first", "type": "time.sleep"}, {"id": "second", "type": "time.sleep"}
            """, edges: """
            {"from": "src.value", "to": "first.ms"}, {"from": "src.value", "to": "first.value"},
            {"from": "src.value", "to": "second.ms"}, {"from": "first.value", "to": "second.value"}
            """), options: options)
        let started = recorder.events.compactMap { if case .nodeStarted(_, _, let id, _) = $0 { id } else { nil } }
        #expect(started == ["first"], "the second sleep must not start once the wave is cancelled")
        #expect(result.waves?.stopReason == .duration)
        #expect(recorder.events.contains { if case .waveFinished(_, 1, .cancelled, _) = $0 { true } else { false } })
    }

    @Test func concurrentWavesOverlap() throws {
        let recorder = EventRecorder()
        var options = RunOptions(observers: [recorder])
        options.events.maxConcurrentWaves = 2
        let result = try EventGraphs.run(EventGraphs.burst([200, 200], inStart: true,
                                                           nodes: #"{"id": "nap", "type": "time.sleep"}"#,
                                                           edges: #"{"from": "src.value", "to": "nap.ms"}, {"from": "src.value", "to": "nap.value"}"#),
                                         options: options)
        #expect(result.waves?.waves == 2)
        let shapes = recorder.events.map(\.shape)
        let secondStarts = try #require(shapes.firstIndex { $0.hasPrefix("wave 2 src") })
        let firstEnds = try #require(shapes.firstIndex { $0.hasPrefix("wave 1 succeeded") })
        #expect(secondStarts < firstEnds, "wave 2 must start while wave 1 sleeps")
    }

    @Test func aSourceThatCannotStartFailsTheRunNamingIt() throws {
        let result = try EventGraphs.run("""
            {"weft": 1, "nodes": [{"id": "watch", "type": "event.files", "params": {"path": "/nonexistent/weft-test"}},
                                  {"id": "p", "type": "std.identity"}],
             "edges": [{"from": "watch.path", "to": "p.value"}]}
            """)
        guard case .failed(let message, let node) = result.outcome else {
            Issue.record("expected a failed run, got \(result.outcome)")
            return
        }
        #expect(node == "watch")
        #expect(message.hasPrefix("node 'watch' (event.files): ") && message.contains("/nonexistent/weft-test"))
    }

    @Test func fileChangesTriggerWaves() throws {
        let dir = try TestPaths.scratch("watch")
        let report = try TestPaths.scratch("report") + "/report.txt"
        let graph = """
            {"weft": 1, "nodes": [{"id": "watch", "type": "event.files",
                                   "params": {"path": "\(dir)", "pattern": "*.txt", "debounce_ms": 20}},
                                  {"id": "line", "type": "std.format", "inputs": {"template": "{} {}"}},
                                  {"id": "pair", "type": "std.list_append", "inputs": {"list": []}},
                                  {"id": "pair2", "type": "std.list_append"},
                                  {"id": "log", "type": "io.append_line", "inputs": {"path": "\(report)"}}],
             "edges": [{"from": "watch.kind", "to": "pair.item"}, {"from": "pair.result", "to": "pair2.list"},
                       {"from": "watch.path", "to": "pair2.item"}, {"from": "pair2.result", "to": "line.args"},
                       {"from": "line.result", "to": "log.line"}]}
            """
        let done = DispatchSemaphore(value: 0)
        let token = CancellationToken()
        nonisolated(unsafe) var result: RunResult?
        Thread {
            result = try? EventGraphs.run(graph, cancellation: token)
            done.signal()
        }.start()
        func write(_ name: String, _ text: String) {
            // In place (open, write, close): Foundation's writers may replace the file by renaming.
            let fd = open(dir + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
            close(fd)
        }
        func readLines() -> [String] {
            ((try? String(contentsOfFile: report, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        func wait(until condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if condition() { return true }
                usleep(20_000)
            }
            return false
        }
        // Until the watcher is up, probe files go unseen: write them until one is reported.
        var probe = 0
        #expect(wait {
            if readLines().contains(where: { $0.hasPrefix("created") && $0.contains("probe-") }) { return true }
            if probe % 10 == 0 { write("probe-\(probe / 10).txt", "p") }
            probe += 1
            return false
        })
        write("a.txt", "one")
        write("ignored.log", "x")
        #expect(wait { readLines().contains("created \(dir)/a.txt") })
        write("a.txt", "one two")
        #expect(wait { readLines().contains("modified \(dir)/a.txt") })
        try FileManager.default.removeItem(atPath: dir + "/a.txt")
        #expect(wait { readLines().contains("deleted \(dir)/a.txt") })
        let lines = readLines()
        token.cancel()
        #expect(done.wait(timeout: .now() + 20) == .success, "cancel ends the run")
        #expect(lines.filter { $0.contains("a.txt") } == ["created \(dir)/a.txt", "modified \(dir)/a.txt", "deleted \(dir)/a.txt"])
        #expect(!lines.contains { $0.contains("ignored.log") })
        #expect(result?.waves?.waves == lines.count)
        try? FileManager.default.removeItem(atPath: report)
    }
}

@Suite("event sources from plugins")
struct PluginSourceTests {
    static func run(_ type: String, params: String = "{}") throws -> RunResult {
        try EventGraphs.run("""
            {"weft": 1, "nodes": [{"id": "s", "type": "\(type)", "params": \(params)},
                                  {"id": "add", "type": "std.add", "inputs": {"b": 0}}, {"id": "t", "type": "std.concat", "inputs": {"b": "!"}}],
             "edges": [{"from": "s.n", "to": "add.a"}, {"from": "s.text", "to": "t.a"}],
             "outputs": {"n": "add.result", "text": "t.result"}}
            """)
    }

    @Test func aPluginSourceEmitsFromItsOwnThread() throws {
        let result = try Self.run("src.counter", params: #"{"count": 5}"#)
        #expect(result.outcome == .succeeded)
        #expect(result.waves?.waves == 5)
        #expect(result[output: "n"] == 5 && result[output: "text"] == "event 5!")
    }

    @Test func misusedEmittersAndStaleEventCtxAreRefused() throws {
        let result = try Self.run("src.misuse")
        #expect(result.waves?.waves == 1, "the discarded event never runs")
        #expect(result[output: "n"] == 3, "made-up emitter, NULL ctx and stale ctx all refused")
    }

    @Test func aSourceEndingWithAnErrorIsReported() throws {
        let result = try Self.run("src.broken", params: #"{"count": 2}"#)
        #expect(result.outcome == .succeeded)
        #expect(result.waves?.waves == 2)
        #expect(result.waves?.failures == ["node 's' (src.broken): sensor unplugged"])
    }

    @Test func aSourceWhoseStartFailsFailsTheRun() throws {
        let result = try Self.run("src.refuses")
        #expect(result.outcome == .failed(message: "node 's' (src.refuses): start failed: returned WEFT_ERR_FAILED", node: "s"))
        #expect(result.waves?.waves == 0)
    }

    @Test func validationKnowsSources() throws {
        func errors(_ node: String) -> [String] {
            EventGraphs.diagnostics(#"{"weft": 1, "nodes": ["# + node + #"]}"#)
        }
        #expect(errors(#"{"id": "c", "type": "event.cron", "params": {"schedule": "61 * * * *"}}"#)
                    == ["$.nodes[0].params.schedule: node 'c' (event.cron): cron expression '61 * * * *': minute '61' is out of range 0-59"])
        #expect(errors(#"{"id": "c", "type": "event.cron", "params": {"schedule": "0 * * * *", "tz": "Mars/Olympus"}}"#).first?
                    .hasPrefix("$.nodes[0].params.tz: node 'c' (event.cron): time zone 'Mars/Olympus'") == true)
        #expect(errors(#"{"id": "t", "type": "event.timer", "params": {"interval_ms": 0}}"#)
                    == ["$.nodes[0].params.interval_ms: node 't' (event.timer): interval_ms must be at least 1 (milliseconds)"])
        #expect(errors(#"{"id": "a", "type": "std.add", "max_events": 3}"#).first
                    == #"$.nodes[0].max_events: "max_events" is for event sources only ('std.add' is not one)"#)
        #expect(errors(#"{"id": "a", "type": "std.add", "strategy": "event"}"#).first?
                    .hasPrefix(#"$.nodes[0].strategy: strategy "event" belongs to event sources"#) == true)
        #expect(errors(#"{"id": "s", "type": "src.counter", "isolate": true}"#).first?
                    .contains("is an event source; sources cannot be isolated") == true)
        #expect(errors(#"{"id": "s", "type": "event.signal", "params": {"signal": "SIGKILL"}}"#).first
                    == "$.nodes[0].params.signal: node 's' (event.signal): signal 'SIGKILL' cannot be watched; use SIGHUP, SIGUSR1, SIGUSR2")
    }
}
