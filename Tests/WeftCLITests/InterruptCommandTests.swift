import Foundation
import Testing
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Ctrl-C and SIGTERM while an isolated node hangs: `weft run` started as
/// a real process group leader, signalled the way a terminal does
/// (`kill(-pgid, SIGINT)`) or only itself, with a plugin that tells on
/// stderr when its call is under way (crashy.echo with x = -3).
@Suite("weft run interrupted")
struct InterruptCommandTests {
    /// A weft process started by `spawn`, with its stderr in a file.
    struct Child {
        var pid: pid_t
        var stderrPath: String
        var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    }

    static let graph = """
        {"weft": 1, "inputs": {"x": "int"},
         "nodes": [{"id": "a", "type": "crashy.echo"}],
         "edges": [{"from": "$x", "to": "a.x"}],
         "outputs": {"y": "a.y"}}
        """

    /// Starts weft in a process group of its own (pgid = its pid), stdout
    /// to /dev/null, stderr to a file.
    func spawn(_ args: [String]) throws -> Child {
        let dir = try TestPaths.scratch("interrupt")
        let err = dir + "/stderr.txt"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        let all = [TestPaths.weft] + args
        let argv: [UnsafeMutablePointer<CChar>?] = all.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, TestPaths.weft, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw BuildError(description: "posix_spawn weft: \(String(cString: strerror(rc)))") }
        return Child(pid: pid, stderrPath: err)
    }

    /// The pid in "crashy.echo: hanging (pid N)" once the child's stderr
    /// shows it, waiting at most `seconds`.
    func hangingWorker(_ child: Child, seconds: Double = 60) -> pid_t? {
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

    /// The child's wait status once it has ended, waiting at most
    /// `seconds`; nil if it is still running then (it is killed, with its
    /// process group).
    func waitForExit(_ child: Child, seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while Date() < deadline {
            let r = waitpid(child.pid, &status, WNOHANG)
            if r == child.pid { return status }
            usleep(10_000)
        }
        kill(-child.pid, SIGKILL)
        while waitpid(child.pid, &status, 0) < 0 && errno == EINTR {}
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
        let child = try spawn(["run", g, "--input", "x=-3", "--isolate", "crashy", "-q",
                               "--plugins", try IsolateCommandTests.folder.get()])
        guard let worker = hangingWorker(child) else {
            _ = waitForExit(child, seconds: 0)
            Issue.record("the isolated node never started its hang: \(child.stderr)")
            return
        }
        // The worker can be interrupted: nothing blocked or ignored that stops it.
        let blocked = signalMask(worker, "SigBlk"), ignored = signalMask(worker, "SigIgn")
        #expect(blocked.map { $0 & (bit(SIGINT) | bit(SIGTERM)) } == 0, "worker SigBlk \(String(blocked ?? 0, radix: 16))")
        #expect(ignored.map { $0 & (bit(SIGINT) | bit(SIGTERM)) } == 0, "worker SigIgn \(String(ignored ?? 0, radix: 16))")

        kill(-child.pid, SIGINT)  // what a terminal's Ctrl-C does
        let status = waitForExit(child, seconds: 30)
        #expect(status != nil, "weft did not end after Ctrl-C: \(child.stderr)")
        if let status {
            #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 130, "wait status \(status): \(child.stderr)")
        }
        #expect(child.stderr.contains("interrupted"), "\(child.stderr)")
        #expect(isGone(worker, seconds: 10), "the isolated worker \(worker) outlived weft")
    }

    @Test func sigintThenATimeoutKillStillExits130() throws {
        // SIGINT to weft alone: the worker does not get it, its node goes on
        // hanging until timeout_ms kills it, and that failure ends the run.
        let g = try TestPaths.scratch("interrupt-graph") + "/g.json"
        try Self.graph.replacingOccurrences(of: #""type": "crashy.echo""#, with: #""type": "crashy.echo", "timeout_ms": 1500"#)
            .write(toFile: g, atomically: true, encoding: .utf8)
        let child = try spawn(["run", g, "--input", "x=-3", "-q", "--plugins", try IsolateCommandTests.folder.get()])
        guard hangingWorker(child) != nil else {
            _ = waitForExit(child, seconds: 0)
            Issue.record("the isolated node never started its hang: \(child.stderr)")
            return
        }
        kill(child.pid, SIGINT)
        let status = waitForExit(child, seconds: 60)
        #expect(status != nil, "weft did not end: \(child.stderr)")
        if let status {
            #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 130, "wait status \(status): \(child.stderr)")
        }
        #expect(child.stderr.contains("interrupted (while stopping: node 'a' (crashy.echo): did not finish within its timeout_ms of 1500 ms"),
                "\(child.stderr)")
        #expect(!child.stderr.contains("error: run failed"), "\(child.stderr)")
    }
}
