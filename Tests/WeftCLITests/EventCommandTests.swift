import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// `weft run` with event sources, as a child process: the event examples,
/// stopping by --duration and SIGINT, stdin lines, a signal source, a
/// failing wave, and the event flags' usage errors.
@Suite("weft run with event sources")
struct EventCommandTests {
    static func example(_ name: String) -> String { "\(TestPaths.repoRoot)/examples/\(name)" }

    func weft(_ args: [String], stdin: String? = nil, cwd: String? = nil) throws -> ProcessResult {
        try Shell.run(TestPaths.weft, args, stdin: stdin, cwd: cwd)
    }

    func write(_ text: String, name: String = "g.json") throws -> String {
        let path = try TestPaths.scratch("events") + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let endlessTimer = """
        {"weft": 1, "nodes": [{"id": "t", "type": "event.timer", "params": {"interval_ms": 20}},
                              {"id": "line", "type": "std.format", "inputs": {"template": "tick {}"}}, {"id": "p", "type": "io.print"}],
         "edges": [{"from": "t.tick", "to": "line.args"}, {"from": "line.result", "to": "p.value"}]}
        """

    @Test func heartbeatPrintsFiveLinesThenSummarises() throws {
        let r = try weft(["run", Self.example("heartbeat.json")])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == (1...5).map { "heartbeat \($0)\n" }.joined() + "last = heartbeat 5\n")
        #expect(r.stderr == "summary: events 5, waves 5, failed 0, dropped 0 (every source finished)\n")
    }

    @Test func linesFromStdinRunOneWaveEach() throws {
        let input = (1...100).map { "\($0)\n" }.joined()
        let r = try weft(["run", Self.example("lines-filter.json"), "--quiet"], stdin: input)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == stride(from: 7, through: 98, by: 7).map { "\($0)\n" }.joined())
        let three = try weft(["run", Self.example("lines-filter.json"), "--input", "divisor=3"], stdin: "3\n4\n6")
        #expect(three.stdout == "3\n6\n")
        #expect(three.stderr == "summary: events 3, waves 3, failed 0, dropped 0 (every source finished)\n")
    }

    /// Lines through a branch: `kept` fires only in waves of a line "keep".
    static let keepBranch = """
        {"weft": 1, "nodes": [{"id": "lines", "type": "event.lines"},
                              {"id": "is", "type": "std.eq", "inputs": {"b": "keep"}}, {"id": "branch", "type": "std.branch"}],
         "edges": [{"from": "lines.line", "to": "is.a"}, {"from": "is.result", "to": "branch.cond"},
                   {"from": "lines.number", "to": "branch.value"}],
         "outputs": {"kept": "branch.true", "number": "lines.number"}}
        """

    @Test func anOutputTheLastWaveLeftOutIsNamedInAWarning() throws {
        let g = try write(Self.keepBranch, name: "keep.json")
        let missed = try weft(["run", g], stdin: "keep\ndrop\n")
        #expect(missed.status == 0, "\(missed.stderr)")
        #expect(missed.stdout == "number = 2\n")
        #expect(missed.stderr == """
            summary: events 2, waves 2, failed 0, dropped 0 (every source finished)
            warning: output 'kept' did not fire in the last wave (its node was skipped or did not run)

            """)
        let none = try weft(["run", g], stdin: "")
        #expect(none.status == 0, "\(none.stderr)")
        #expect(none.stdout == "")
        #expect(none.stderr.hasSuffix("""
            warning: output 'kept' did not fire (no event came, so no wave ran)
            warning: output 'number' did not fire (no event came, so no wave ran)

            """), "\(none.stderr)")
        let fired = try weft(["run", g], stdin: "drop\nkeep\n")
        #expect(fired.stdout == "kept = 2\nnumber = 2\n")
        #expect(!fired.stderr.contains("warning"), "\(fired.stderr)")
        let quiet = try weft(["run", g, "--quiet"], stdin: "keep\ndrop\n")
        #expect(quiet.stderr == "")
    }

    @Test func inboxExampleCountsTheWordsOfNewFiles() throws {
        let dir = try TestPaths.scratch("inbox")
        try FileManager.default.createDirectory(atPath: dir + "/inbox", withIntermediateDirectories: false)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestPaths.weft)
        p.arguments = ["run", Self.example("inbox-word-count.json"), "--quiet"]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        let report = dir + "/inbox-report.txt"
        func lines() -> [String] {
            ((try? String(contentsOfFile: report, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }
        // Until the watcher is up, dropped files go unseen: drop probes until one is counted.
        var n = 0
        while !lines().contains(where: { $0.contains("probe") }) && n < 200 {
            if n % 10 == 0 { try "probe words here\n".write(toFile: "\(dir)/inbox/probe\(n).txt", atomically: false, encoding: .utf8) }
            usleep(50_000)
            n += 1
        }
        try "the quick brown fox\njumps\n".write(toFile: "\(dir)/inbox/story.txt", atomically: false, encoding: .utf8)
        try "not counted".write(toFile: "\(dir)/inbox/notes.md", atomically: false, encoding: .utf8)
        n = 0
        while !lines().contains(where: { $0.contains("story") }) && n < 400 {
            usleep(50_000)
            n += 1
        }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        #expect(lines().contains("\(dir)/inbox/story.txt: 5 words"))
        #expect(lines().allSatisfy { $0.hasSuffix("3 words") || $0.contains("story") }, "\(lines())")
        #expect(!lines().contains { $0.contains("notes.md") })
    }

    @Test func durationEndsAnEndlessRunWithExitZero() throws {
        let r = try weft(["run", try write(Self.endlessTimer), "--duration", "0.3"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.hasPrefix("tick 1\n"))
        #expect(r.stderr.hasPrefix("summary: events ") && r.stderr.hasSuffix("(--duration passed)\n"))
    }

    @Test func sigintStopsSourcesPrintsTheSummaryAndCompletesTheFiles() throws {
        let dir = try TestPaths.scratch("evsigint")
        let events = dir + "/e.jsonl", trace = dir + "/t.json", err = dir + "/err.txt"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestPaths.weft)
        p.arguments = ["run", try write(Self.endlessTimer), "--events", events, "--trace", trace]
        p.standardOutput = FileHandle.nullDevice
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        try p.run()
        var waited = 0
        while waited < 500 {
            if let text = try? String(contentsOfFile: events, encoding: .utf8), text.contains("wave_finished") { break }
            usleep(20_000)
            waited += 1
        }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        let stderr = try String(contentsOfFile: err, encoding: .utf8)
        #expect(stderr.contains("summary: events ") && stderr.contains("(interrupted)\n") && stderr.hasSuffix("interrupted\n"))
        let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").map { try JSON.parse(String($0)) }
        #expect(lines.first?["event"] == "run_started")
        #expect(lines.last?["event"] == "run_finished" && lines.last?["outcome"] == "cancelled")
        // Every wave that started finished (the one in flight was let finish).
        let started = lines.filter { $0["event"] == "wave_started" }.count
        #expect(started >= 1 && started == lines.filter { $0["event"] == "wave_finished" }.count)
        let doc = try JSON.parse(try String(contentsOfFile: trace, encoding: .utf8))
        let waves = doc["traceEvents"]?.listItems?.filter { $0["cat"] == "wave" } ?? []
        #expect(waves.count == started)
    }

    @Test func aSignalSourceFiresOnSIGUSR1() throws {
        let g = try write("""
            {"weft": 1, "nodes": [{"id": "sig", "type": "event.signal", "params": {"signal": "SIGUSR1", "count": 2}},
                                  {"id": "p", "type": "io.print"}],
             "edges": [{"from": "sig.number", "to": "p.value"}]}
            """)
        let dir = try TestPaths.scratch("evsig")
        let out = dir + "/out.txt"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestPaths.weft)
        p.arguments = ["run", g, "--quiet"]
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        // Send only once the handler is installed (SigCgt has SIGUSR1), else the default action would kill weft.
        func caught() -> Bool {
            guard let status = try? String(contentsOfFile: "/proc/\(p.processIdentifier)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
                  let mask = UInt64(line.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) else { return false }
            return mask & (1 << (UInt64(SIGUSR1) - 1)) != 0
        }
        var waited = 0
        while !caught() && waited < 500 { usleep(10_000); waited += 1 }
        #expect(caught())
        func printed() -> String { (try? String(contentsOfFile: out, encoding: .utf8)) ?? "" }
        kill(p.processIdentifier, SIGUSR1)
        waited = 0
        while printed() != "1\n" && waited < 500 { usleep(10_000); waited += 1 }
        kill(p.processIdentifier, SIGUSR1)
        waited = 0
        while p.isRunning && waited < 2000 { usleep(10_000); waited += 1 }
        #expect(!p.isRunning, "count 2 must end the run")
        if p.isRunning { p.terminate() }
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        #expect(printed() == "1\n2\n")
    }

    static let failing = """
        {"weft": 1, "nodes": [{"id": "t", "type": "event.timer", "params": {"interval_ms": 5, "count": 3}},
                              {"id": "less", "type": "std.sub", "inputs": {"b": 2}},
                              {"id": "div", "type": "std.div", "inputs": {"a": 10}}],
         "edges": [{"from": "t.tick", "to": "less.a"}, {"from": "less.result", "to": "div.b"}], "outputs": {"q": "div.result"}}
        """

    @Test func aFailingWaveIsReportedAndTheRunGoesOn() throws {
        let r = try weft(["run", try write(Self.failing)])
        #expect(r.status == 0)
        #expect(r.stdout == "q = 10\n")
        #expect(r.stderr == """
            error: wave 2 failed: node 'div' (std.div): std.div: division by zero (a=10, b=0)
            summary: events 3, waves 3, failed 1, dropped 0 (every source finished)

            """)
    }

    @Test func stopOnErrorEndsTheRunWithExitOne() throws {
        let r = try weft(["run", try write(Self.failing), "--stop-on-error"])
        #expect(r.status == 1)
        #expect(r.stderr.hasSuffix("(stopped on error)\nerror: run failed: wave 2 (t event 2): node 'div' (std.div): std.div: division by zero (a=10, b=0)\n"))
    }

    @Test(arguments: [
        (["--queue-policy", "sometimes"], "--queue-policy must be block, drop_oldest or drop_newest, not 'sometimes'"),
        (["--duration", "0"], "--duration must be more than 0 seconds"),
        (["--max-concurrent-waves", "0"], "--max-concurrent-waves must be at least 1"),
        (["--queue-size", "0"], "--queue-size must be at least 1"),
        (["--grace=-1"], "--grace must be 0 seconds or more"),
    ])
    func badEventFlagsAreUsageErrors(flags: [String], message: String) throws {
        let r = try weft(["run", Self.example("heartbeat.json")] + flags)
        #expect(r.status == 2)
        #expect(r.stderr.contains(message), "\(r.stderr)")
    }
}
