import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// `weft run`'s output streams as a child process: the `--trace` file is
/// written as the run goes (valid JSON whenever it is read, and however the
/// process ends), and a stdout closed by its reader stops the run with one
/// message and complete `--events`/`--trace` files.
@Suite("weft run: trace streaming and a closed stdout")
struct RunOutputTests {
    static let endlessTimer = """
        {"weft": 1, "nodes": [{"id": "t", "type": "event.timer", "params": {"interval_ms": 10}},
                              {"id": "line", "type": "std.format", "inputs": {"template": "tick {}"}}, {"id": "p", "type": "io.print"}],
         "edges": [{"from": "t.tick", "to": "line.args"}, {"from": "line.result", "to": "p.value"}]}
        """

    func write(_ text: String) throws -> String {
        let path = try TestPaths.scratch("runout") + "/g.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The trace's events if the file is complete JSON now, else nil.
    static func traceEvents(_ path: String) -> [WeftValue]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let doc = try? JSON.parse(text) else { return nil }
        return doc["traceEvents"]?.listItems
    }

    static func waves(_ events: [WeftValue]) -> Int { events.filter { $0["cat"] == "wave" }.count }

    /// Waits (at most `seconds`) for `p` to exit; kills it and returns false if it does not.
    static func waitForExit(_ p: Process, seconds: Double = 30) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { usleep(10_000) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            return false
        }
        p.waitUntilExit()
        return true
    }

    /// While an endless event run goes on, its trace file is already
    /// complete JSON holding finished waves (before, the trace was held in
    /// memory and written only at the end: the file stayed empty). After
    /// SIGINT/SIGTERM it is complete with the run's event; after SIGKILL it
    /// still parses and keeps the waves written before.
    @Test(arguments: [SIGINT, SIGTERM, SIGKILL])
    func traceIsWrittenDuringTheRunAndValidHoweverItEnds(signal: Int32) throws {
        let dir = try TestPaths.scratch("tracestream")
        let trace = dir + "/t.json"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestPaths.weft)
        p.arguments = ["run", try write(Self.endlessTimer), "--trace", trace, "--quiet"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }

        // Bounded wait for a parseable file with a few waves, written while the run goes on.
        var seen: [WeftValue] = []
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let events = Self.traceEvents(trace), Self.waves(events) >= 3 {
                seen = events
                break
            }
            usleep(20_000)
        }
        #expect(p.isRunning, "the run is endless; it must still be running")
        #expect(Self.waves(seen) >= 3, "the trace file never held 3 waves while the run went on")
        #expect(!seen.contains { $0["cat"] == "run" }, "the run's own event comes at the end")

        kill(p.processIdentifier, signal)
        #expect(Self.waitForExit(p))
        let final = try #require(Self.traceEvents(trace), "the trace file is not valid JSON after \(signal)")
        #expect(Self.waves(final) >= Self.waves(seen))
        if signal == SIGKILL {
            #expect(p.terminationReason == .uncaughtSignal)
        } else {
            #expect(p.terminationStatus == 130)
            let run = try #require(final.first { $0["cat"] == "run" })
            #expect(run["args"]?["outcome"] == "cancelled")
        }
    }

    /// A loop that prints 50,000 lines, far more than a pipe holds.
    static let printingLoop = """
        {"weft": 1, "nodes": [
           {"id": "l", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}, "max_iterations": 100000},
           {"id": "more", "type": "std.lt", "inputs": {"b": 50000}}, {"id": "next", "type": "std.add", "inputs": {"b": 1}},
           {"id": "p", "type": "io.print"}],
         "edges": [
           {"from": "l.i", "to": "more.a"}, {"from": "more.result", "to": "l.continue"},
           {"from": "l.i", "to": "next.a"}, {"from": "next.result", "to": "l.next_i"}, {"from": "l.i", "to": "p.value"}],
         "outputs": {"i": "l.done_i"}}
        """

    /// `weft run … | head -1`: the reader leaves after one line. weft is not
    /// killed by SIGPIPE (it was: exit 141, the events file cut, the trace
    /// empty); it says `cannot write to stdout: Broken pipe` once, exits 1,
    /// and both files are complete — for an endless event run (whose failed
    /// waves are not reported one by one) and for a plain run.
    @Test(arguments: ["event", "plain"])
    func closedStdoutStopsTheRunWithOneMessageAndCompleteFiles(kind: String) throws {
        let dir = try TestPaths.scratch("sigpipe")
        let graph = try write(kind == "event" ? Self.endlessTimer : Self.printingLoop)
        let events = dir + "/e.jsonl", trace = dir + "/t.json", err = dir + "/err.txt"
        // timeout: a weft that never notices the closed pipe fails the test instead of hanging it.
        let r = try Shell.bash("""
            timeout -s KILL 30 "\(TestPaths.weft)" run "\(graph)" --events "\(events)" --trace "\(trace)" 2>"\(err)" | head -1
            echo "rc=${PIPESTATUS[0]}"
            """)
        let stderr = try String(contentsOfFile: err, encoding: .utf8)
        #expect(r.stdout == (kind == "event" ? "tick 1\n" : "0\n") + "rc=1\n", "stderr: \(stderr)")
        #expect(stderr.components(separatedBy: "cannot write to stdout: Broken pipe").count == 2, "\(stderr)")
        #expect(stderr.hasSuffix("error: cannot write to stdout: Broken pipe\n"), "\(stderr)")
        #expect(!stderr.contains("error: wave") && !stderr.contains("run failed"), "\(stderr)")
        if kind == "event" { #expect(stderr.contains("summary: events ") && stderr.contains(" (stdout closed)\n"), "\(stderr)") }

        let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").map { try JSON.parse(String($0)) }
        #expect(lines.first?["event"] == "run_started")
        #expect(lines.last?["event"] == "run_finished")
        let final = try #require(Self.traceEvents(trace), "the trace is not valid JSON")
        #expect(final.contains { $0["cat"] == "run" })
    }
}
