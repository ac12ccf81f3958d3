import WeftCore
#if canImport(Glibc)
import Glibc
#endif

/// One isolated worker process: `weft isolate-worker`, started with
/// `posix_spawn`, talking over a Unix socket pair on its fd 3.
///
/// A socket rather than pipes: `send(MSG_NOSIGNAL)` reports a dead worker as
/// `EPIPE` instead of raising SIGPIPE in the host. The worker's stdin,
/// stdout and stderr are the host's, so a plugin's output shows up as usual.
final class WorkerProcess {
    /// What went wrong with one exchange.
    enum Failure: Error {
        /// The worker died (crashed or exited) before it answered.
        case died(String)
        /// No answer within the deadline; the worker was killed.
        case timedOut
        /// Could not start, or sent something that is not a message.
        case broken(String)
    }

    let pid: pid_t
    private var socket: Int32
    private var reaped = false
    private(set) var status: Int32 = 0

    /// The fd the worker reads and writes its messages on.
    static let workerFD: Int32 = 3

    /// Signals a worker starts with at their default action (and unblocked,
    /// as every signal): the ones that stop a process when a user or a
    /// service manager asks, so that Ctrl-C reaches a hung node.
    static let defaultActionSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]

    private init(pid: pid_t, socket: Int32) {
        self.pid = pid
        self.socket = socket
    }

    deinit { stop() }

    /// Starts `executable isolate-worker`.
    static func spawn(_ executable: String) -> Result<WorkerProcess, Failure> {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            return .failure(.broken("socketpair: \(String(cString: strerror(errno)))"))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        // dup2 onto fd 3 clears close-on-exec there (glibc also when fds[1] is 3).
        posix_spawn_file_actions_adddup2(&actions, fds[1], workerFD)
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(executable), strdup("isolate-worker"), nil]
        defer { for p in argv { free(p) } }
        // The host reports a crash in one line; the Swift runtime's
        // backtrace of the worker would bury it (unless asked for).
        // A sanitizer runtime (a TSan/ASan build of weft) would catch a
        // crash and exit with its own code; the worker must die of the real
        // signal so the host can name it.
        var env: [UnsafeMutablePointer<CChar>?] = []
        var owned: [UnsafeMutablePointer<CChar>?] = []
        defer { for p in owned { free(p) } }
        let sanitizerFlags = "handle_segv=0:handle_abort=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0"
        var e = environ
        var hasBacktrace = false
        var seen = Set<String>()
        while let entry = e.pointee {
            let text = String(cString: entry)
            if text.hasPrefix("SWIFT_BACKTRACE=") { hasBacktrace = true }
            if let name = ["ASAN_OPTIONS", "TSAN_OPTIONS"].first(where: { text.hasPrefix($0 + "=") }) {
                seen.insert(name)
                owned.append(strdup(text + ":" + sanitizerFlags))
                env.append(owned.last!)
            } else {
                env.append(entry)
            }
            e += 1
        }
        for name in ["ASAN_OPTIONS", "TSAN_OPTIONS"] where !seen.contains(name) {
            owned.append(strdup("\(name)=\(sanitizerFlags)"))
            env.append(owned.last!)
        }
        if !hasBacktrace {
            owned.append(strdup("SWIFT_BACKTRACE=enable=no"))
            env.append(owned.last!)
        }
        env.append(nil)
        // weft blocks SIGINT/SIGTERM in every thread (a watcher thread
        // sigwaits them) and a child inherits the spawning thread's mask:
        // without this the worker could never be interrupted, and Ctrl-C
        // (a signal to the whole process group) would leave a hung node
        // hanging. The worker starts with nothing blocked and the stop
        // signals at their default action (die), whatever the host did.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for sig in Self.defaultActionSignals { sigaddset(&defaults, sig) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, env)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            return .failure(.broken("cannot start the isolated worker process '\(executable)': \(String(cString: strerror(rc)))"))
        }
        return .success(WorkerProcess(pid: pid, socket: fds[0]))
    }

    /// Sends one request and waits for its reply, at most `timeoutMs`.
    func exchange(_ request: WireFormat.Writer, timeoutMs: Int?) -> Result<[UInt8], Failure> {
        let deadline = timeoutMs.map { MonotonicNow.nanoseconds() &+ UInt64($0) * 1_000_000 }
        if let f = send(request.frame) { return .failure(f) }
        switch receive(4, deadline: deadline) {
        case .failure(let f): return .failure(f)
        case .success(let header):
            var r = WireFormat.Reader(header)
            let n = Int((try? r.u32()) ?? 0)
            guard n <= WireFormat.maxFrame else { return .failure(.broken("the worker sent a frame of \(n) bytes")) }
            return receive(n, deadline: deadline)
        }
    }

    /// Sends a request that has no reply (exit).
    func post(_ request: WireFormat.Writer) { _ = send(request.frame) }

    private func send(_ bytes: [UInt8]) -> Failure? {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                return .died(reap())
            }
            sent += n
        }
        return nil
    }

    private func receive(_ count: Int, deadline: UInt64?) -> Result<[UInt8], Failure> {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            if let deadline {
                let now = MonotonicNow.nanoseconds()
                guard now < deadline else { return .failure(kill()) }
                var p = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
                let ms = Int32(min((deadline - now + 999_999) / 1_000_000, UInt64(Int32.max)))
                let r = poll(&p, 1, ms)
                if r < 0 && errno != EINTR { return .failure(.broken("poll: \(String(cString: strerror(errno)))")) }
                if r <= 0 { continue }
            }
            let n = out.withUnsafeMutableBytes { recv(socket, $0.baseAddress! + got, count - got, 0) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(.died(reap()))
            }
            if n == 0 { return .failure(.died(reap())) }
            got += n
        }
        return .success(out)
    }

    /// Kills the worker (SIGKILL) after a timeout.
    private func kill() -> Failure {
        Glibc.kill(pid, SIGKILL)
        _ = reap()
        return .timedOut
    }

    /// Waits for the worker to end and describes how it ended.
    private func reap() -> String {
        if !reaped {
            var st: Int32 = 0
            while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
            status = st
            reaped = true
            close(socket)
            socket = -1
        }
        return Self.describe(status: status)
    }

    /// Ends the worker: asks it to exit, then kills it if it is still there
    /// after a second.
    func stop() {
        guard !reaped else { return }
        post({ var w = WireFormat.Writer(); w.u8(WireFormat.Op.exit.rawValue); return w }())
        guard !reaped else { return }  // it was gone already
        shutdown(socket, Int32(SHUT_WR))
        let deadline = MonotonicNow.nanoseconds() &+ 1_000_000_000
        var st: Int32 = 0
        while true {
            let r = waitpid(pid, &st, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { break }
            if MonotonicNow.nanoseconds() >= deadline {
                Glibc.kill(pid, SIGKILL)
                while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
                break
            }
            usleep(2_000)
        }
        status = st
        reaped = true
        close(socket)
        socket = -1
    }

    /// "crashed with SIGSEGV (Segmentation fault)", "exited with code 3".
    static func describe(status: Int32) -> String {
        let sig = status & 0x7f
        if sig == 0 { return "exited with code \((status >> 8) & 0xff)" }
        return "crashed with \(signalName(sig)) (\(String(cString: strsignal(sig))))"
    }

    static func signalName(_ sig: Int32) -> String {
        switch sig {
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGILL: "SIGILL"
        case SIGKILL: "SIGKILL"
        case SIGTERM: "SIGTERM"
        case SIGINT: "SIGINT"
        case SIGTRAP: "SIGTRAP"
        case SIGPIPE: "SIGPIPE"
        default: "signal \(sig)"
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds.
enum MonotonicNow {
    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
