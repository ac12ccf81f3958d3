import Foundation
import Testing
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C (SIGINT) while an isolated node hangs: `weft run` started as
/// a real process group leader, signalled the way a terminal does
/// (`kill(-pgid, SIGINT)`) or only itself, with a plugin that tells on
/// stderr when its call is under way (crashy.echo with x = -3).
@Suite("weft run interrupted")
struct InterruptCommandTests {
    static let graph = """
        {"weft": 1, "inputs": {"x": "int"},
         "nodes": [{"id": "a", "type": "crashy.echo"}],
         "edges": [{"from": "$x", "to": "a.x"}],
         "outputs": {"y": "a.y"}}
        """

    /// The pid in "crashy.echo: hanging (pid N)" once the child's stderr
    /// shows it, waiting at most `seconds`.
    func hangingWorker(_ child: ChildProcess, seconds: Double = 60) -> pid_t? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let text = child.stderr
            if let r = text.range(of: "crashy.echo: hanging (pid "),
               let end = text[r.upperBound...].firstIndex(of: ")") {
                return pid_t(text[r.upperBound..<end])
            }
            usleep(10_000)
        }
        return nil
    }

    /// A `SigBlk:`/`SigIgn:` mask of /proc/PID/status.
    func signalMask(_ pid: pid_t, _ field: String) -> UInt64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
            return UInt64(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return nil
    }

    /// True once `pid` is gone (or a zombie), waiting at most `seconds`.
    func isGone(_ pid: pid_t, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            if let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] == "Z" { return true }
            usleep(10_000)
        }
        return false
    }

    func bit(_ sig: Int32) -> UInt64 { 1 << UInt64(sig - 1) }

    @Test func ctrlCToTheProcessGroupStopsAHungIsolatedNode() throws {
        let g = try TestPaths.scratch("interrupt-graph") + "/g.json"
        try Self.graph.write(toFile: g, atomically: true, encoding: .utf8)
        let child = try ChildProcess.weft(["run", g, "--input", "x=-3", "--isolate", "crashy", "-q",
                                            "--plugins", try IsolateCommandTests.folder.get()])
        guard let worker = hangingWorker(child) else {
            _ = child.waitForExit(seconds: 0)
            Issue.record("the isolated node never started its hang: \(child.stderr)")
            return
        }
        // The worker can be interrupted: nothing blocked or ignored that stops it.
        let blocked = signalMask(worker, "SigBlk"), ignored = signalMask(worker, "SigIgn")
        #expect(blocked.map { $0 & (bit(SIGINT) | bit(SIGTERM)) } == 0, "worker SigBlk \(String(blocked ?? 0, radix: 16))")
        #expect(ignored.map { $0 & (bit(SIGINT) | bit(SIGTERM)) } == 0, "worker SigIgn \(String(ignored ?? 0, radix: 16))")

        kill(-child.pid, SIGINT)  // what a terminal's Ctrl-C does
        let status = child.waitForExit(seconds: 30)
        #expect(status != nil, "weft did not end after Ctrl-C: \(child.stderr)")
        if let status {
            #expect(ChildProcess.exitCode(status) == 130, "wait status \(status): \(child.stderr)")
        }
        // The worker died of the same Ctrl-C; weft says so and still exits 130.
        #expect(child.stderr.contains("interrupted (while stopping: node 'a' (crashy.echo): its isolated worker process "
                                          + "(pid \(worker)) crashed with SIGINT (Interrupt) during the call"), "\(child.stderr)")
        #expect(isGone(worker, seconds: 10), "the isolated worker \(worker) outlived weft")
    }

    @Test func sigintThenATimeoutKillStillExits130() throws {
        // SIGINT to weft alone: the worker does not get it, its node goes on
        // hanging until timeout_ms kills it, and that failure ends the run.
        let g = try TestPaths.scratch("interrupt-graph") + "/g.json"
        try Self.graph.replacingOccurrences(of: #""type": "crashy.echo""#, with: #""type": "crashy.echo", "isolate": true, "timeout_ms": 1500"#)
            .write(toFile: g, atomically: true, encoding: .utf8)
        let child = try ChildProcess.weft(["run", g, "--input", "x=-3", "-q", "--plugins", try IsolateCommandTests.folder.get()])
        guard hangingWorker(child) != nil else {
            _ = child.waitForExit(seconds: 0)
            Issue.record("the isolated node never started its hang: \(child.stderr)")
            return
        }
        kill(child.pid, SIGINT)
        let status = child.waitForExit(seconds: 60)
        #expect(status != nil, "weft did not end: \(child.stderr)")
        if let status {
            #expect(ChildProcess.exitCode(status) == 130, "wait status \(status): \(child.stderr)")
        }
        #expect(child.stderr.contains("interrupted (while stopping: node 'a' (crashy.echo): did not finish within its timeout_ms of 1500 ms"),
                "\(child.stderr)")
        #expect(!child.stderr.contains("error: run failed"), "\(child.stderr)")
    }
}
