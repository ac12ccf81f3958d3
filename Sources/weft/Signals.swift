import Synchronization
import WeftNative
import WeftScheduler
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGINT/SIGTERM into a cancellation: the signals are blocked in every
/// thread and a dedicated thread waits for them with `sigwait`, so no Swift
/// code runs in a signal handler.
final class InterruptWatcher: @unchecked Sendable {
    private let signal = Atomic<Int32>(0)

    /// Blocks SIGINT and SIGTERM (call before any other thread starts) and
    /// starts the watcher thread, which cancels `token` on the first signal.
    init(cancelling token: CancellationToken) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let frozen = set
        // The thread inherits the mask set above (this thread's), so the two
        // signals wait for sigwait there. It keeps the watcher for the process.
        POSIXThread.spawn { [self] in
            var s = frozen
            var sig: Int32 = 0
            sigwait(&s, &sig)
            record(sig)
            token.cancel()
        }
    }

    private func record(_ s: Int32) { signal.store(s, ordering: .releasing) }

    /// The signal received, or 0. A signal the watcher thread has not
    /// taken yet counts too (it is pending): a Ctrl-C reaches an isolated
    /// worker as well, and the run may see that worker die, and end,
    /// before the watcher thread is scheduled.
    var received: Int32 {
        let seen = signal.load(ordering: .acquiring)
        if seen != 0 { return seen }
        var pending = sigset_t()
        guard sigpending(&pending) == 0 else { return 0 }
        for sig in [SIGINT, SIGTERM] where sigismember(&pending, sig) == 1 { return sig }
        return 0
    }
}
