import Foundation
import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

@Suite("Run observers: Chrome trace and event log")
struct ObserverTests {
    /// A parallel run: overlapping nodes on workers 1 and 2, a failure, a
    /// skip, a loop with two iterations whose finish has no start, and a
    /// failure reported after its node finished.
    static let events: [RunEvent] = [
        .runStarted(time: 0, nodes: 7, mode: .parallel, workers: 2),
        .nodeStarted(time: 1_000, node: 0, id: "a", thread: 0),
        .nodeFinished(time: 3_500, node: 0, id: "a", thread: 0, duration: 2_500),
        .nodeStarted(time: 4_000, node: 1, id: "b", thread: 1),
        .nodeStarted(time: 4_500, node: 2, id: "c", thread: 2),
        .nodeFinished(time: 9_000, node: 1, id: "b", thread: 1, duration: 5_000),
        .nodeFailed(time: 10_250, node: 2, id: "c", thread: 2, message: "boom: \"quoted\"\nsecond line"),
        .nodeSkipped(time: 11_000, node: 3, id: "d"),
        .loopIteration(time: 12_000, node: 4, id: "loop", iteration: 0),
        .nodeStarted(time: 12_500, node: 5, id: "body", thread: 1),
        .nodeFinished(time: 13_000, node: 5, id: "body", thread: 1, duration: 500),
        .loopIteration(time: 13_500, node: 4, id: "loop", iteration: 1),
        .nodeStarted(time: 14_000, node: 5, id: "body", thread: 2),
        .nodeFinished(time: 15_000, node: 5, id: "body", thread: 2, duration: 1_000),
        .nodeFinished(time: 16_000, node: 4, id: "loop", thread: 0, duration: 4_500),
        .nodeStarted(time: 16_100, node: 6, id: "pick", thread: 0),
        .nodeFinished(time: 16_300, node: 6, id: "pick", thread: 0, duration: 200),
        .nodeFailed(time: 16_400, node: 6, id: "pick", thread: 0, message: "fired no output"),
        .runFinished(time: 17_000, outcome: .failed(message: "node 'c': boom", node: "c"), steps: 6),
    ]

    struct Slice: Equatable, CustomStringConvertible {
        var name: String
        var ts: Double
        var dur: Double
        var tid: Int64
        var error: String?
        var description: String { "\(name)@\(tid) \(ts)+\(dur)\(error.map { " error \($0)" } ?? "")" }
    }

    static func number(_ v: WeftValue?) -> Double? {
        switch v {
        case .int(let i)?: Double(i)
        case .double(let d)?: d
        default: nil
        }
    }

    static func int(_ v: WeftValue?) -> Int64? {
        if case .int(let i)? = v { return i }
        return nil
    }

    static func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// Parses a trace file and checks the fields every event must have.
    static func traceEvents(_ path: String) throws -> [WeftValue] {
        let doc = try JSON.parse(try read(path))
        #expect(doc["displayTimeUnit"] == "ms")
        let events = try #require(doc["traceEvents"]?.listItems)
        for e in events {
            let ph = try #require(e["ph"]?.stringValue)
            #expect(["X", "i", "M"].contains(ph))
            #expect(e["pid"] == .int(1))
            #expect(int(e["tid"]) != nil)
            #expect(e["name"]?.stringValue != nil)
            if ph != "M" { #expect(number(e["ts"]) != nil) }
            if ph == "X" { #expect(number(e["dur"]) != nil) }
            if ph == "i" { #expect(e["s"] == "t") }
        }
        return events
    }

    static func slices(_ events: [WeftValue]) -> [Slice] {
        events.filter { $0["ph"] == "X" && $0["cat"] != "run" }.map {
            Slice(name: $0["name"]?.stringValue ?? "?", ts: number($0["ts"]) ?? -1, dur: number($0["dur"]) ?? -1,
                  tid: int($0["tid"]) ?? -1, error: $0["args"]?["error"]?.stringValue)
        }
    }

    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }

    @Test func chromeTraceHasOneSlicePerExecution() throws {
        let dir = try TestPaths.scratch("trace")
        let path = dir + "/trace.json"
        let writer = try ChromeTraceWriter(path: path)
        for e in Self.events { writer.receive(e) }
        // Written when the run finishes, before close.
        #expect(try JSON.parse(try Self.read(path))["traceEvents"] != nil)
        try writer.close()
        try writer.close()  // closing twice is harmless

        let events = try Self.traceEvents(path)
        let expected = [
            Slice(name: "a", ts: 1, dur: 2.5, tid: 0),
            Slice(name: "b", ts: 4, dur: 5, tid: 1),
            Slice(name: "c", ts: 4.5, dur: 5.75, tid: 2, error: "boom: \"quoted\"\nsecond line"),
            Slice(name: "body", ts: 12.5, dur: 0.5, tid: 1),
            Slice(name: "body", ts: 14, dur: 1, tid: 2),
            Slice(name: "loop", ts: 11.5, dur: 4.5, tid: 0),
            Slice(name: "pick", ts: 16.1, dur: 0.2, tid: 0),
        ]
        let got = Self.slices(events)
        #expect(got.count == expected.count, "slices: \(got)")
        for want in expected {
            let matches = got.filter {
                $0.name == want.name && $0.tid == want.tid && Self.close($0.ts, want.ts) && Self.close($0.dur, want.dur) && $0.error == want.error
            }
            #expect(matches.count == 1, "want \(want) once in \(got)")
        }

        // The run as a whole.
        let runs = events.filter { $0["ph"] == "X" && $0["cat"] == "run" }
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(Self.number(run["ts"]) == 0 && Self.close(Self.number(run["dur"]) ?? 0, 17))
        #expect(run["tid"] == .int(0))
        #expect(run["args"]?["outcome"] == "failed")
        #expect(run["args"]?["mode"] == "parallel")
        #expect(run["args"]?["steps"] == .int(6))

        // Instants: the skip, both iterations, and the late failure.
        let instants = events.filter { $0["ph"] == "i" }
        #expect(instants.compactMap { $0["name"]?.stringValue } == ["d skipped", "loop iteration 0", "loop iteration 1", "pick failed"])
        #expect(instants.map { Self.int($0["tid"]) } == [0, 0, 0, 0])
        #expect(instants[1]["args"]?["iteration"] == .int(0) && instants[2]["args"]?["iteration"] == .int(1))
        #expect(instants[3]["args"]?["error"] == "fired no output")
        #expect(Self.close(Self.number(instants[0]["ts"]) ?? 0, 11))

        // Thread names.
        var names: [Int64: String] = [:]
        for e in events where e["ph"] == "M" && e["name"] == "thread_name" {
            if let tid = Self.int(e["tid"]), let name = e["args"]?["name"]?.stringValue { names[tid] = name }
        }
        #expect(names == [0: "scheduler", 1: "worker 1", 2: "worker 2"])
        #expect(events.contains { $0["ph"] == "M" && $0["name"] == "process_name" && $0["args"]?["name"] == "weft" })
    }

    @Test func chromeTraceWithoutRunFinishedIsCompleteAtClose() throws {
        let path = try TestPaths.scratch("trace-open") + "/trace.json"
        let writer = try ChromeTraceWriter(path: path)
        for e in Self.events.prefix(5) { writer.receive(e) }  // b and c still running
        try writer.close()
        writer.receive(.runFinished(time: 99_000, outcome: .succeeded, steps: 1))  // after close: dropped
        let events = try Self.traceEvents(path)
        let got = Self.slices(events)
        #expect(got.map(\.name).sorted() == ["a", "b", "c"])
        let open = events.filter { $0["args"]?["unfinished"] == true }
        #expect(open.compactMap { $0["name"]?.stringValue }.sorted() == ["b", "c"])
        let run = try #require(events.first { $0["cat"] == "run" })
        #expect(run["args"]?["outcome"] == "unfinished")
        #expect(Self.close(Self.number(run["dur"]) ?? 0, 4.5))
    }

    /// A long run is streamed: before it finishes, the file is already
    /// complete JSON holding all but the last moments of it (not kept in
    /// memory until the end), and the run's event comes at the end.
    @Test func chromeTraceIsAppendedAndCompleteWhileTheRunGoesOn() throws {
        let path = try TestPaths.scratch("trace-stream") + "/trace.json"
        let writer = try ChromeTraceWriter(path: path)
        writer.receive(.runStarted(time: 0, nodes: 1, mode: .sequential, workers: 1))
        let executions = 5_000
        for i in 0..<executions {  // 1 ms apart: 5 s of run time
            let t = UInt64(i) * 1_000_000
            writer.receive(.nodeStarted(time: t, node: 0, id: "n", thread: 0))
            writer.receive(.nodeFinished(time: t + 500_000, node: 0, id: "n", thread: 0, duration: 500_000))
        }
        let during = Self.slices(try Self.traceEvents(path))
        // Appended at least every 100 ms of run time: at most that much is pending.
        #expect(during.count > executions - 101 && during.count <= executions, "\(during.count) slices")
        #expect(during.allSatisfy { $0.name == "n" })
        writer.receive(.runFinished(time: 5_000_000_000, outcome: .succeeded, steps: executions))
        try writer.close()
        let events = try Self.traceEvents(path)
        #expect(Self.slices(events).count == executions)
        #expect(events.last?["cat"] == "run")
    }

    @Test func eventLogHasOneLinePerEvent() throws {
        let path = try TestPaths.scratch("log") + "/events.jsonl"
        let writer = try EventLogWriter(path: path)
        for e in Self.events { writer.receive(e) }
        // Flushed at runFinished, before close.
        #expect(try Self.read(path).split(separator: "\n").count == Self.events.count)
        try writer.close()

        let text = try Self.read(path)
        #expect(text.hasSuffix("\n"))
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == Self.events.count)
        let names: [String] = Self.events.map {
            switch $0 {
            case .runStarted: "run_started"
            case .nodeStarted: "node_started"
            case .nodeFinished: "node_finished"
            case .nodeFailed: "node_failed"
            case .nodeRecovered: "node_recovered"
            case .cacheHit: "cache_hit"
            case .nodeRestored: "node_restored"
            case .itemFailed: "item_failed"
            case .nodeRetry: "node_retry"
            case .nodeSkipped: "node_skipped"
            case .flowState: "flow_state"
            case .loopIteration: "loop_iteration"
            case .runFinished: "run_finished"
            case .waveStarted: "wave_started"
            case .waveFinished: "wave_finished"
            case .eventDropped: "event_dropped"
            case .sourceFinished: "source_finished"
            }
        }
        for (line, (event, name)) in zip(lines, zip(Self.events, names)) {
            let value = try JSON.parse(String(line))
            #expect(value["event"]?.stringValue == name)
            #expect(value == event.jsonValue)
            // The same text, too (node events are written from their fields).
            #expect(String(line) == JSON.encode(event.jsonValue))
        }
        #expect(try JSON.parse(String(lines[6]))["message"] == "boom: \"quoted\"\nsecond line")
    }

    @Test func unopenableFilesNameThePathAndReason() throws {
        let path = try TestPaths.scratch("bad") + "/no/such/dir/out.json"
        for make in [{ _ = try ChromeTraceWriter(path: path) }, { _ = try EventLogWriter(path: path) }] {
            do {
                try make()
                Issue.record("opening \(path) should fail")
            } catch {
                let text = "\(error)"
                #expect(text.contains(path))
                #expect(text.contains("No such file or directory"))
            }
        }
    }

    /// A real parallel run through both writers: the trace has an X slice for
    /// every node_finished/node_failed the log has.
    @Test func realRunMatchesBetweenTraceAndLog() throws {
        let dir = try TestPaths.scratch("real")
        let trace = try ChromeTraceWriter(path: dir + "/trace.json")
        let log = try EventLogWriter(path: dir + "/events.jsonl")
        let recorder = EventRecorder()
        let graph = """
            {"weft": 1, "inputs": {"n": {"type": "int", "default": 4}},
             "nodes": [
               {"id": "l", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}},
               {"id": "more", "type": "std.lt"}, {"id": "next", "type": "std.add", "inputs": {"b": 1}}],
             "edges": [
               {"from": "l.i", "to": "more.a"}, {"from": "$n", "to": "more.b"}, {"from": "more.result", "to": "l.continue"},
               {"from": "l.i", "to": "next.a"}, {"from": "next.result", "to": "l.next_i"}],
             "outputs": {"i": "l.done_i"}}
            """
        let result = try TestGraphs.run(graph, options: RunOptions(mode: .parallel, workers: 2, observers: [trace, log, recorder]))
        try trace.close()
        try log.close()
        #expect(result.outputs.first?.value == .int(4))

        let finishes = recorder.events.filter {
            switch $0 {
            case .nodeFinished, .nodeFailed: true
            default: false
            }
        }
        let slices = Self.slices(try Self.traceEvents(dir + "/trace.json"))
        #expect(slices.count == finishes.count)
        #expect(slices.filter { $0.name == "l" }.count == 1)
        #expect(slices.filter { $0.name == "more" }.count == 5)
        let lines = try Self.read(dir + "/events.jsonl").split(separator: "\n")
        #expect(lines.count == recorder.events.count)
        #expect(try lines.map { try JSON.parse(String($0))["event"]?.stringValue } == recorder.events.map { $0.jsonValue["event"]?.stringValue })
    }
}
