import Foundation
import Testing
import WeftCore
import WeftStore
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `weft runs resume`, `pause` and `cancel`: a recorded run keeps each
/// node's outputs as it completes; a resumed run restores them instead of
/// calling the nodes again.
@Suite("Resuming runs from the CLI", .serialized)
struct ResumeCommandTests {
    func weft(_ args: [String]) throws -> ProcessResult { try Shell.run(TestPaths.weft, args) }

    /// A plugin folder of its own holding the fixture plugin (the folder
    /// the fixtures are built in holds others, some made to fail).
    static func plugins() throws -> String {
        let dir = try TestPaths.scratch("resume-plugins")
        try FileManager.default.copyItem(atPath: try Fixtures.fixture(), toPath: dir + "/libfixture.so")
        return dir
    }

    /// Waits (at most 30 s) until `tally` has `lines` lines.
    static func waitForTallies(_ tally: String, _ lines: Int) {
        var waited = 0
        while tallies(tally).lines < lines && waited < 3000 {
            usleep(10_000)
            waited += 1
        }
    }

    /// A graph of `fixture.tally` nodes (each appends its id to `tally`
    /// and sleeps `ms`): a fan-out and a join, a loop of 6 iterations whose
    /// body is a tally node, and a chain after it.
    static func graph(in dir: String, tally: String, ms: Int) throws -> String {
        func t(_ id: String) -> String {
            #"{"id": "\#(id)", "type": "fixture.tally", "params": {"path": "\#(tally)", "label": "\#(id)", "ms": \#(ms)}}"#
        }
        let path = dir + "/tally.json"
        try """
            {"weft": 1,
             "inputs": {"seed": {"type": "int", "default": 1}},
             "nodes": [\(["a0", "a1", "a2", "a3", "a4"].map(t).joined(separator: ", ")),
               {"id": "join", "type": "std.add"},
               {"id": "loop", "type": "loop", "carry": {"x": "int", "i": "int"}, "inputs": {"i": 0}, "max_iterations": 100},
               \(t("body")), {"id": "step", "type": "std.add", "inputs": {"b": 1}}, {"id": "more", "type": "std.lt", "inputs": {"b": 6}},
               {"id": "small", "type": "std.mod", "inputs": {"b": 1000}},
               \(["z0", "z1", "z2"].map(t).joined(separator: ", "))],
             "edges": [
               {"from": "$seed", "to": "a0.x"}, {"from": "a0.y", "to": "a1.x"}, {"from": "a0.y", "to": "a2.x"},
               {"from": "a1.y", "to": "a3.x"}, {"from": "a2.y", "to": "a4.x"},
               {"from": "a3.y", "to": "join.a"}, {"from": "a4.y", "to": "join.b"}, {"from": "join.result", "to": "loop.x"},
               {"from": "loop.x", "to": "small.a"}, {"from": "small.result", "to": "body.x"}, {"from": "body.y", "to": "loop.next_x"},
               {"from": "loop.i", "to": "step.a"}, {"from": "step.result", "to": "loop.next_i"},
               {"from": "step.result", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"},
               {"from": "loop.done_x", "to": "z0.x"}, {"from": "z0.y", "to": "z1.x"}, {"from": "z1.y", "to": "z2.x"}],
             "outputs": {"last": "z2.y", "joined": "join.result", "looped": "loop.done_x"}}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Lines of the tally file from line `from` on, counted per node.
    static func tallies(_ path: String, from: Int = 0) -> (counts: [String: Int], lines: Int) {
        let lines = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        var counts: [String: Int] = [:]
        for l in lines.dropFirst(from) { counts[l, default: 0] += 1 }
        return (counts, lines.count)
    }

    /// Completions kept per node in the store (`checkpoints`).
    static func kept(_ db: String, _ id: Int64 = 1) throws -> [String: Int] {
        guard FileManager.default.fileExists(atPath: db) else { return [:] }
        return try RunStore(path: db).checkpoints(of: id).mapValues(\.count)
    }

    /// Kill -9 at random points, then resume, again and again until a
    /// process finishes the run: at least 50 kills over several runs, in
    /// both modes. Each process calls only nodes whose completion was not
    /// kept before it (beyond those it kept itself, at most one node per
    /// worker was running when it was killed), and the final outputs and
    /// per-node completions are those of an uninterrupted run.
    @Test func randomKillsThenResumeRunEachCompletedNodeOnce() throws {
        let dir = try TestPaths.scratch("resume-kill")
        let plugins = try Self.plugins()
        let baselineTally = dir + "/baseline.log"
        let baselineGraph = try Self.graph(in: try TestPaths.scratch("resume-base"), tally: baselineTally, ms: 4)
        let started = Date()
        let baseline = try weft(["run", baselineGraph, "--plugins", plugins, "--json", "-q"])
        // Kills come at random within about one uninterrupted run (slower
        // under a sanitizer: the points scale with it).
        let wholeRun = max(Date().timeIntervalSince(started), 0.05)
        let killWindow = UInt32(wholeRun * 100_000)...UInt32(wholeRun * 1_100_000)
        #expect(baseline.status == 0, "\(baseline.stderr)")
        let expected = try JSON.parse(baseline.stdout)
        let expectedCounts = Self.tallies(baselineTally).counts
        #expect(expectedCounts["body"] == 6 && expectedCounts["a0"] == 1 && expectedCounts.count == 9)

        var generator = SystemRandomNumberGenerator()
        var kills = 0
        var runs = 0
        while kills < 50 && runs < 60 {
            runs += 1
            let parallel = runs % 2 == 0
            let runDir = try TestPaths.scratch("resume-kill-run")
            let tally = runDir + "/tally.log"
            let graph = try Self.graph(in: runDir, tally: tally, ms: 4)
            let db = runDir + "/runs.db"
            let mode = parallel ? ["--mode", "parallel", "--workers", "2"] : []
            var args = ["run", graph, "--plugins", plugins, "--store", db, "--json", "-q"] + mode
            var finished = false
            var segments = 0
            while !finished {
                segments += 1
                #expect(segments < 200, "the run never finished")
                if segments >= 200 { return }
                let before = try Self.kept(db)
                let linesBefore = Self.tallies(tally).lines
                let child = try ChildProcess.weft(args, ownGroup: true)
                usleep(UInt32.random(in: killWindow, using: &generator))
                var status: Int32 = 0
                if waitpid(child.pid, &status, WNOHANG) == child.pid {
                    #expect(status == 0, "\(child.stderr)")
                    finished = true
                } else {
                    kill(-child.pid, SIGKILL)
                    waitpid(child.pid, &status, 0)
                    kills += 1
                    // (Killed as it exited, the run recorded as succeeded.)
                    if try FileManager.default.fileExists(atPath: db) && RunStore(path: db).run(1)?.state == "succeeded" { finished = true }
                }
                // (A kill while writing leaves the file whole.)
                if FileManager.default.fileExists(atPath: db) { #expect(try RunStore(path: db).integrityCheck() == "ok") }
                let after = try Self.kept(db)
                let calls = Self.tallies(tally, from: linesBefore).counts
                // Calls beyond what this process kept: nodes running when it was killed.
                var extra = 0
                for (node, n) in calls {
                    let added = after[node, default: 0] - before[node, default: 0]
                    #expect(n >= added, "\(node): \(added) completions kept, \(n) calls")
                    extra += n - added
                }
                #expect(extra <= (status & 0x7f == 0 ? 0 : parallel ? 2 : 1), "calls of nodes already kept: \(calls) \(before) → \(after)")
                // (A process killed before it recorded the run is started again.)
                if try FileManager.default.fileExists(atPath: db) && RunStore(path: db).run(1) != nil {
                    args = ["runs", "resume", "1", "--store", db]
                }
            }
            // The finished process printed nothing (-q, stdout to /dev/null): read the run.
            let show = try JSON.parse(try weft(["runs", "show", "1", "--store", db, "--json"]).stdout)
            #expect(show["state"] == "succeeded")
            #expect(show["outputs"] == expected, "run \(runs): \(show["outputs"] ?? .null) vs \(expected)")
            #expect(try Self.kept(db).filter { expectedCounts[$0.key] != nil } == expectedCounts)
        }
        #expect(kills >= 50, "only \(kills) kills in \(runs) runs")
    }

    /// `weft runs pause` stops a running run after its node in flight (exit
    /// 3, state paused); `weft runs resume` finishes it, calling each node
    /// once in all; `weft runs cancel` of an ended run is refused.
    @Test func pauseThenResumeCallsEachNodeOnce() throws {
        let dir = try TestPaths.scratch("resume-pause")
        let plugins = try Self.plugins()
        let tally = dir + "/tally.log"
        let graph = try Self.graph(in: dir, tally: tally, ms: 30)
        let db = dir + "/runs.db"
        let child = try ChildProcess.weft(["run", graph, "--plugins", plugins, "--store", db, "--json"])
        // Wait until the run is recorded and has called a few nodes.
        Self.waitForTallies(tally, 3)
        let pause = try weft(["runs", "pause", "1", "--store", db])
        #expect(pause.status == 0 && pause.stdout == "paused run 1 (weft runs resume 1 continues it)\n", "\(pause.stdout)\(pause.stderr)")
        let status = child.waitForExit(seconds: 30)
        #expect(status.map { $0 >> 8 } == 3, "exit status \(String(describing: status)): \(child.stderr)")
        #expect(child.stderr.contains("paused: run 1 (weft runs resume 1 continues it)"), "\(child.stderr)")
        let paused = try JSON.parse(try weft(["runs", "list", "--store", db, "--state", "paused", "--json"]).stdout)
        #expect(paused.listItems?.count == 1)
        let keptAtPause = try Self.kept(db).values.reduce(0, +)
        // (The tally nodes: the std ones in between write no line.)
        let tallyKept = try Self.kept(db).filter { $0.key.hasPrefix("a") || $0.key.hasPrefix("z") || $0.key == "body" }.values.reduce(0, +)
        #expect(tallyKept == Self.tallies(tally).lines, "every node called before the pause finished and was kept")
        #expect(tallyKept < 14)

        let resumed = try weft(["runs", "resume", "1", "--store", db])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("resumed: \(keptAtPause) node completions restored from run 1"), "\(resumed.stderr)")
        let counts = Self.tallies(tally).counts
        #expect(counts == ["a0": 1, "a1": 1, "a2": 1, "a3": 1, "a4": 1, "body": 6, "z0": 1, "z1": 1, "z2": 1], "\(counts)")
        let show = try weft(["runs", "show", "1", "--store", db])
        #expect(show.stdout.contains("state    succeeded") && show.stdout.contains("resumed  1 time"), "\(show.stdout)")

        let again = try weft(["runs", "resume", "1", "--store", db])
        #expect(again.status == 2 && again.stderr.contains("run 1 succeeded; there is nothing to resume"), "\(again.stderr)")
        let cancel = try weft(["runs", "cancel", "1", "--store", db])
        #expect(cancel.status == 2 && cancel.stderr.contains("run 1 already ended (succeeded)"))
        let pauseEnded = try weft(["runs", "pause", "1", "--store", db])
        #expect(pauseEnded.status == 2 && pauseEnded.stderr.contains("run 1 is succeeded, not running"))
    }

    /// An event run killed half-way: resumed, it skips the lines of its
    /// `event.lines` source whose waves had ended, so each line's wave runs
    /// once in all (the one running at the kill aside).
    @Test func aResumedEventRunSkipsTheEventsWhoseWavesEnded() throws {
        let dir = try TestPaths.scratch("resume-events")
        let plugins = try Self.plugins()
        let tally = dir + "/tally.log"
        try (1...30).map(String.init).joined(separator: "\n").appending("\n").write(toFile: dir + "/lines.txt", atomically: true, encoding: .utf8)
        let graph = dir + "/lines.json"
        try """
            {"weft": 1, "nodes": [
              {"id": "src", "type": "event.lines", "params": {"path": "\(dir)/lines.txt"}},
              {"id": "work", "type": "fixture.tally", "params": {"path": "\(tally)", "label": "w", "ms": 30, "with_x": true}}],
             "edges": [{"from": "src.number", "to": "work.x"}],
             "outputs": {"y": "work.y"}}
            """.write(toFile: graph, atomically: true, encoding: .utf8)
        let db = dir + "/runs.db"
        let child = try ChildProcess.weft(["run", graph, "--plugins", plugins, "--store", db])
        Self.waitForTallies(tally, 10)
        kill(-child.pid, SIGKILL)
        _ = child.waitForExit(seconds: 10)
        let before = Self.tallies(tally).lines
        let resumed = try weft(["runs", "resume", "1", "--store", db])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout == "y = 91\n")
        let counts = Self.tallies(tally).counts
        #expect(counts.count == 30, "every line's wave ran: \(counts.keys.sorted())")
        let twice = counts.filter { $0.value > 1 }
        #expect(twice.count <= 1 && twice.values.allSatisfy { $0 == 2 }, "waves run again: \(twice)")
        // The summary counts the lines skipped: those done before the kill.
        let done = before - twice.count
        #expect(resumed.stderr.contains("done before \(done)"), "\(resumed.stderr) (\(before) lines before the kill)")
    }

    /// A run resumes with the graph it ran: a changed file is refused,
    /// naming the fix; a killed run can be cancelled, and still resumed.
    @Test func aChangedGraphIsRefusedAndAKilledRunCanBeCancelled() throws {
        let dir = try TestPaths.scratch("resume-changed")
        let plugins = try Self.plugins()
        let tally = dir + "/tally.log"
        let graph = try Self.graph(in: dir, tally: tally, ms: 20)
        let db = dir + "/runs.db"
        let child = try ChildProcess.weft(["run", graph, "--plugins", plugins, "--store", db, "-q"])
        Self.waitForTallies(tally, 2)
        kill(-child.pid, SIGKILL)
        _ = child.waitForExit(seconds: 10)
        let list = try weft(["runs", "list", "--store", db])
        #expect(list.stdout.hasPrefix("1  interrupted  "), "\(list.stdout)")

        let original = try String(contentsOfFile: graph, encoding: .utf8)
        try original.replacingOccurrences(of: "\"default\": 1", with: "\"default\": 2").write(toFile: graph, atomically: true, encoding: .utf8)
        let refused = try weft(["runs", "resume", "1", "--store", db])
        #expect(refused.status == 2 && refused.stderr.contains("has changed since run 1 started")
                    && refused.stderr.contains("weft runs show 1 --graph prints it"), "\(refused.stderr)")
        let stored = try weft(["runs", "show", "1", "--store", db, "--graph"])
        #expect(stored.stdout == original + "\n")
        try stored.stdout.dropLast().write(toFile: graph, atomically: true, encoding: .utf8)

        let cancelled = try weft(["runs", "cancel", "1", "--store", db])
        #expect(cancelled.status == 0 && cancelled.stdout == "cancelled run 1\n", "\(cancelled.stderr)")
        let resumed = try weft(["runs", "resume", "1", "--store", db])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try JSON.parse(try weft(["runs", "show", "1", "--store", db, "--json"]).stdout)["state"] == "succeeded")
    }
}
