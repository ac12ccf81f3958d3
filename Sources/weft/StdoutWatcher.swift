import Synchronization
import WeftNative
import WeftScheduler
#if canImport(Glibc)
import Glibc
#endif

/// Notices standard output closed by its reader (`weft run g.json | head -1`).
///
/// `weft` ignores SIGPIPE (`Weft.main`), so a write to a pipe nobody reads
/// fails with `EPIPE` instead of killing the process before it can complete
/// its `--events` and `--trace` files. When stdout is a pipe or a socket, a
/// thread waits (`poll`) for its reader to go and then cancels the run once;
/// the command reports `cannot write to stdout: Broken pipe` once and exits 1.
///
/// Threading: `isBroken` and `isClosedByReader` may be read from any thread.
final class StdoutWatcher: @unchecked Sendable {
    private let broken = Atomic<Bool>(false)

    /// The one message for a stdout closed by its reader.
    static let message = "error: cannot write to stdout: Broken pipe"

    /// Starts the watcher thread if stdout is a pipe or a socket (a file or
    /// a terminal has no reader to lose); it cancels `token` when the
    /// reader is gone.
    init(cancelling token: CancellationToken) {
        guard Self.isPipeOrSocket else { return }
        POSIXThread.spawn { [self] in
            // No events asked for: poll returns only on POLLERR (a pipe
            // without readers) or POLLHUP (a socket whose peer closed).
            var fd = pollfd(fd: 1, events: 0, revents: 0)
            while true {
                let n = poll(&fd, 1, -1)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { return }
                if n > 0 && fd.revents & Int16(POLLERR | POLLHUP) != 0 { break }
            }
            broken.store(true, ordering: .releasing)
            token.cancel()
        }
    }

    /// Whether the watcher has seen the reader go (and cancelled the run),
    /// or stdout is closed by its reader now.
    var isBroken: Bool { broken.load(ordering: .acquiring) || Self.isClosedByReader }

    /// Whether stdout is a pipe or socket whose reader is gone, so any write
    /// fails with `EPIPE`. One `poll` that does not wait.
    static var isClosedByReader: Bool {
        guard isPipeOrSocket else { return false }
        var fd = pollfd(fd: 1, events: 0, revents: 0)
        return poll(&fd, 1, 0) == 1 && fd.revents & Int16(POLLERR | POLLHUP) != 0
    }

    private static var isPipeOrSocket: Bool {
        var st = stat()
        guard fstat(1, &st) == 0 else { return false }
        let kind = st.st_mode & S_IFMT
        return kind == S_IFIFO || kind == S_IFSOCK
    }

    private nonisolated(unsafe) static var reported = false

    /// Flushes the output streams; if that fails, or stdout's reader is
    /// gone (an earlier write failed), prints why once (`cannot write to
    /// stdout: Broken pipe` for a closed pipe) and returns false. Call on
    /// the main thread.
    static func flush() -> Bool {
        let failed = fflush(nil) != 0
        let code = errno
        guard failed || isClosedByReader else { return true }
        if !reported {
            reported = true
            Stderr.write(isClosedByReader || code == EPIPE
                             ? message : "error: cannot write to stdout: \(String(cString: strerror(code)))")
        }
        return false
    }

    /// Prints the broken-pipe message unless `flush` already printed one.
    /// Call on the main thread.
    static func reportBroken() {
        guard !reported else { return }
        reported = true
        Stderr.write(message)
    }
}
