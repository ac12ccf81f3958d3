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
}
