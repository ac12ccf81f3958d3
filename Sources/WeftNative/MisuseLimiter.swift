#if canImport(Glibc)
import Glibc
#endif

/// Rate-limits the host's warnings about refused host calls, per plugin.
///
/// A plugin that misuses the API in a loop would otherwise log one line per
/// call (54,000 lines a second). Per key (a plugin's name, or "" when the
/// calling plugin is not known): the first `burst` warnings are logged, then
/// at most one per `interval`, carrying the number suppressed since the last
/// logged one; `drain` hands out what is left to report (at unload, engine
/// destroy, the CLI's exit). Every refused call is counted exactly once:
/// logged, or in a suppressed count.
///
/// Thread-safe (refused calls come from any thread); costs one lock only on
/// a refused call, nothing otherwise.
final class MisuseLimiter: @unchecked Sendable {
    struct Bucket {
        var logged = 0
        /// Suppressed since the last logged warning (or drain).
        var suppressed = 0
        /// When the last warning was logged (monotonic ns).
        var lastLogged: UInt64 = 0
    }

    /// Warnings logged in full before limiting starts.
    let burst: Int
    /// Nanoseconds between logged warnings once limited.
    let interval: UInt64
    // A pthread mutex (not Synchronization.Mutex): ThreadSanitizer sees it.
    private let lock = ConditionLock()
    private var buckets: [String: Bucket] = [:]

    init(burst: Int = 10, interval: UInt64 = 1_000_000_000) {
        self.burst = burst
        self.interval = interval
    }

    /// One refused call for `key` at `now`: the number of warnings
    /// suppressed before it (to mention in its line) if it is to be logged,
    /// nil if it is suppressed (and counted).
    func admit(_ key: String, now: UInt64) -> Int? {
        lock.withLock { () -> Int? in
            var b = buckets[key, default: Bucket()]
            defer { buckets[key] = b }
            if b.logged < burst || now &- b.lastLogged >= interval {
                let before = b.suppressed
                b.logged += 1
                b.suppressed = 0
                b.lastLogged = now
                return before
            }
            b.suppressed += 1
            return nil
        }
    }

    /// The warnings of `key` suppressed and not yet reported; resets them.
    func drain(_ key: String) -> Int {
        lock.withLock {
            guard let n = buckets[key]?.suppressed, n > 0 else { return 0 }
            buckets[key]?.suppressed = 0
            return n
        }
    }

    /// Every key with warnings suppressed and not yet reported, sorted by
    /// key; resets them.
    func drainAll() -> [(key: String, count: Int)] {
        lock.withLock {
            var out: [(key: String, count: Int)] = []
            for (k, b) in buckets where b.suppressed > 0 {
                out.append((k, b.suppressed))
                buckets[k]?.suppressed = 0
            }
            return out.sorted { $0.key < $1.key }
        }
    }

    /// The monotonic clock in nanoseconds.
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
