import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A `weft` process started with `posix_spawn` (rather than Foundation's
/// `Process`) when a test needs what `Process` hides: a process group of
/// its own, to signal it as a terminal does, and the raw wait status, to
/// tell "died of SIGSEGV" from "exited with 11". Its stdout goes to
/// /dev/null and its stderr to a file that can be read while it runs.
public struct ChildProcess: Sendable {
    public var pid: pid_t
    public var stderrPath: String

    /// What the child has written to stderr so far.
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

    /// Starts `weft ARGS`, in a process group of its own (pgid = its pid)
    /// when `ownGroup`. The environment is the test's without
    /// `WEFT_PLUGIN_PATH` and `SWIFT_BACKTRACE` (no backtrace after a crash).
    public static func weft(_ args: [String], ownGroup: Bool = true, environment extra: [String: String] = [:]) throws -> ChildProcess {
        let err = try TestPaths.scratch("child") + "/stderr.txt"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if ownGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([TestPaths.weft] + args).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        let environment = ProcessInfo.processInfo.environment
            .filter { $0.key != "WEFT_PLUGIN_PATH" && $0.key != "SWIFT_BACKTRACE" }.merging(extra) { $1 }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, TestPaths.weft, &actions, &attributes, argv, envp)
        guard rc == 0 else { throw BuildError(description: "posix_spawn weft: \(String(cString: strerror(rc)))") }
        return ChildProcess(pid: pid, stderrPath: err)
    }

    /// The wait status once the child has ended, waiting at most
    /// `seconds`; nil if it is still running then (it is then killed, with
    /// its process group, and reaped).
    public func waitForExit(seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        repeat {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return status }
            usleep(10_000)
        } while Date() < deadline
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return nil
    }

    /// The exit code of a wait status, or nil if the process died of a signal.
    public static func exitCode(_ status: Int32) -> Int32? { status & 0x7f == 0 ? (status >> 8) & 0xff : nil }

    /// The signal a wait status died of, or nil if the process exited.
    public static func signal(_ status: Int32) -> Int32? {
        let sig = status & 0x7f
        return sig != 0 && sig != 0x7f ? sig : nil
    }
}
