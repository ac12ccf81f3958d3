import CWeftShims
#if canImport(Glibc)
import Glibc
#endif

/// Starts POSIX threads running Swift closures: the one place Weft creates
/// a thread. Real threads, not Swift's cooperative pool: node code is C and
/// may block. A new thread inherits the creating thread's signal mask, and
/// (once the CLI's crash reporter is installed) gets an alternate signal
/// stack, so a stack overflow in a node on that thread is reported too.
package enum POSIXThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts a detached thread running `body`; false if it could not be
    /// started (`body` is then released without running).
    @discardableResult
    package static func spawn(_ body: @escaping @Sendable () -> Void) -> Bool {
        guard let tid = spawnJoinable(body) else { return false }
        pthread_detach(tid)
        return true
    }

    /// Starts a joinable thread running `body` (the caller joins it with
    /// `pthread_join`), or nil if it could not be started.
    package static func spawnJoinable(_ body: @escaping @Sendable () -> Void) -> pthread_t? {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            guard let arg else { return nil }
            let stack = weft_shim_thread_altstack_begin()
            Unmanaged<Box>.fromOpaque(arg).takeRetainedValue().body()
            weft_shim_thread_altstack_end(stack)
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
            return nil
        }
        return tid
    }

    /// Number of online CPUs.
    package static var cpuCount: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }
}
