import Foundation
import Testing
import WeftCore
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The shipped async nodes through `weft run`: time.after (one timer
/// thread for every wait) and proc.run (a program, its exit code and
/// output); a Ctrl-C while a program runs stops it.
@Suite("Async nodes from the CLI")
struct AsyncCommandTests {
    func weft(_ args: [String]) throws -> ProcessResult { try Shell.run(TestPaths.weft, args) }

    func write(_ name: String, _ graph: String) throws -> String {
        let path = try TestPaths.scratch("async-cli") + "/\(name).json"
        try graph.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: ["sequential", "parallel"])
    func theExampleWaitsOnceForAllItsWaits(mode: String) throws {
        let r = try weft(["run", "\(TestPaths.repoRoot)/examples/async-wait.json", "--json", "-q", "--mode", mode])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSON.parse(r.stdout)
        #expect(doc["words"] == 4)
        #expect(doc["exit_code"] == 0)
        // Each wait took its 200 ms (they ran at once: see the benchmark for how long the run took).
        if case .int(let all)? = doc["waited_ms_in_all"] { #expect(all >= 600 && all < 3000) } else { Issue.record("\(r.stdout)") }
    }

    @Test func procRunGivesTheExitCodeAndBothOutputs() throws {
        let g = try write("proc", """
            {"weft": 1, "nodes": [
              {"id": "p", "type": "proc.run", "inputs": {"argv": ["sh", "-c", "cat; echo to-err >&2; exit 3"], "stdin": "héllo"}},
              {"id": "missing", "type": "proc.run", "inputs": {"argv": ["weft-no-such-program"]}, "on_error": "route"}],
             "outputs": {"code": "p.code", "out": "p.stdout", "err": "p.stderr", "why": "missing.error"}}
            """)
        let r = try weft(["run", g, "--json", "-q"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSON.parse(r.stdout)
        #expect(doc["code"] == 3)
        #expect(doc["out"] == "héllo")
        #expect(doc["err"] == "to-err\n")
        #expect(doc["why"]?["message"] == "proc.run: cannot run 'weft-no-such-program': No such file or directory")
    }

    @Test func badArgvIsAClearFailure() throws {
        let g = try write("argv", #"{"weft": 1, "nodes": [{"id": "p", "type": "proc.run", "inputs": {"argv": []}}], "outputs": {"c": "p.code"}}"#)
        let r = try weft(["run", g])
        #expect(r.status == 1)
        #expect(r.stderr.contains("proc.run: argv must be a non-empty list of strings"))
    }

    /// Ctrl-C to `weft run` only (not to its process group): the run is
    /// cancelled, proc.run's cancel sends the program SIGTERM, and nothing
    /// is left running.
    @Test func ctrlCStopsTheProgramOfAPendingProcRun() throws {
        let dir = try TestPaths.scratch("async-ctrl-c")
        let pidFile = dir + "/pid"
        let g = try write("sleeper", """
            {"weft": 1, "nodes": [{"id": "p", "type": "proc.run",
              "inputs": {"argv": ["sh", "-c", "echo $$ > '\(pidFile)'; exec sleep 60"]}}],
             "outputs": {"c": "p.code"}}
            """)
        let child = try ChildProcess.weft(["run", g, "-q"], ownGroup: true)
        var program: pid_t?
        let deadline = Date().addingTimeInterval(30)
        while program == nil && Date() < deadline {
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let p = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
                program = p
            } else {
                usleep(10_000)
            }
        }
        let pid = try #require(program, "the program never started")
        kill(child.pid, SIGINT)
        let status = try #require(child.waitForExit(seconds: 30), "weft did not exit after SIGINT")
        #expect(ChildProcess.exitCode(status) == 130)
        // The program got SIGTERM: gone (or a zombie of nobody's) soon.
        var gone = false
        let until = Date().addingTimeInterval(10)
        while !gone && Date() < until {
            if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
               let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] != "Z" {
                usleep(10_000)
            } else {
                gone = true
            }
        }
        if !gone { kill(pid, SIGKILL) }
        #expect(gone, "the program of the cancelled proc.run is still running")
    }
}
