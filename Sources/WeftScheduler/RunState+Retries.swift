import WeftCore
import WeftNative
import HeapModule

// Retries: a node whose call failed is called again after a wait, up to
// its `retry` policy's attempts. The wait holds no thread: the retry waits
// in `retries` while the run loop does other work, and the loop sleeps
// only when nothing else is left (a cancel wakes it at once).
/// A retry waiting for its time: in a heap by `due` (many nodes may wait
/// at once: each retry costs log n, not n).
struct PendingRetry: Comparable {
    var due: UInt64
    var order: Int
    var node: Int
    static func < (a: PendingRetry, b: PendingRetry) -> Bool { (a.due, a.order) < (b.due, b.order) }
}

extension RunState {
    /// Node `n` failed with `error`: true if it will be called again (the
    /// retry is scheduled; `node_failed` and `node_retry` recorded), false
    /// if this was its last attempt (or the run is cancelled).
    func retryAfterFailure(_ n: Int, _ error: NodeError) -> Bool {
        guard let policy = graph.retryPolicies[n], !cancellation.isCancelled else { return false }
        let attempt = (attempts[n] ?? 0) + 1
        guard attempt < policy.maxAttempts else { return false }
        attempts[n] = attempt
        var delay = policy.delayMs(after: attempt)
        if policy.jitter > 0 { delay *= 1 - policy.jitter * Double.random(in: 0..<1) }
        let ns = UInt64(delay * 1_000_000)
        let now = events.now()
        log?.event(.nodeFailed(time: now, node: n, id: graph.ids[n], thread: lane, message: error.message))
        log?.event(.nodeRetry(time: now, node: n, id: graph.ids[n], attempt: attempt, delayNs: ns, message: error.message))
        retries.insert(PendingRetry(due: MonotonicClock.now() &+ ns, order: retriesScheduled, node: n))
        retriesScheduled += 1
        return true
    }

    /// How many attempts node `n` has made, the one that just ended
    /// included; its count is cleared (it succeeded or failed for good).
    func attemptsMade(_ n: Int) -> Int {
        guard !attempts.isEmpty, let failed = attempts.removeValue(forKey: n) else { return 1 }
        return failed + 1
    }

    /// Calls again the first node whose wait is over, if any (true).
    func retryDue() -> Bool {
        let now = MonotonicClock.now()
        guard let first = retries.min, first.due <= now else { return false }
        let n = retries.removeMin().node
        // The next attempt's events come after its wait, even untimed ones.
        if observing { record { $0.mark(events.now()) } }
        // Its inputs are still in its slots: nothing clears them while the
        // node has not completed.
        graph.strategy(n).start(n, self)
        return true
    }

    /// How long until the next retry is due, or a timed call's deadline
    /// (ns; at most 50 ms).
    func retryWait() -> UInt64 {
        let next = min(retries.min?.due ?? .max, timedCalls.map(\.deadline).min() ?? .max)
        guard next != .max, case let due = next else { return 50_000_000 }
        let now = MonotonicClock.now()
        return due > now ? min(due - now, 50_000_000) : 0
    }

    /// Nothing else to do: sleeps until the next retry is due, a worker
    /// reports or the run is cancelled.
    func waitForRetry() {
        let wait = retryWait()
        guard wait > 0 else { return }
        log?.flush(urgent: true)
        completionLock.lock()
        if completions.isEmpty && !cancellation.isCancelled { completionLock.wait(nanoseconds: wait) }
        completionLock.unlock()
    }
}
