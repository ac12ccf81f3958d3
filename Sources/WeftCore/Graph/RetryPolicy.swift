/// How often a failed node is called again, and how long the run waits
/// before each new attempt (`"retry"` of a node, or of the graph as the
/// default of its nodes). Only failures of the node's call are retried:
/// not limits (`max_steps`, `max_iterations`) and not a cancel.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included (1 = no retry).
    public var maxAttempts: Int
    /// The wait before the second attempt, in ms.
    public var backoffMs: Int = 0
    /// Each later wait is the one before times this.
    public var multiplier: Double = 2
    /// No wait is longer than this, in ms.
    public var maxBackoffMs: Int = 60_000
    /// 0 to 1: each wait is shortened by a random fraction of it, up to
    /// this (0: waits exactly as computed; 1: anywhere from 0 to it).
    public var jitter: Double = 0

    public init(maxAttempts: Int, backoffMs: Int = 0, multiplier: Double = 2, maxBackoffMs: Int = 60_000,
                jitter: Double = 0) {
        self.maxAttempts = maxAttempts
        self.backoffMs = backoffMs
        self.multiplier = multiplier
        self.maxBackoffMs = maxBackoffMs
        self.jitter = jitter
    }

    /// The wait after failed attempt `attempt` (1-based), in ms, before
    /// jitter: `backoff_ms × multiplier^(attempt − 1)`, at most
    /// `max_backoff_ms`.
    public func delayMs(after attempt: Int) -> Double {
        var d = Double(backoffMs)
        for _ in 1..<max(1, attempt) {
            d *= multiplier
            if d >= Double(maxBackoffMs) { break }
        }
        return min(d, Double(maxBackoffMs))
    }

    /// The fields of a `"retry"` object, as the file spells them.
    public static let keys = ["max_attempts", "backoff_ms", "multiplier", "max_backoff_ms", "jitter"]
}
