import WeftCore
import WeftNative
import Synchronization
import WeftScheduler
#if canImport(Glibc)
import Glibc
#endif

/// A node's outputs as the store keeps them (checkpoints, the cache): a
/// JSON list with, per output, `[true, value]` (fired) or `[false]` (did
/// not fire) — so a fired null is not a missing output.
package enum StoredOutputs {
    package static func encode(_ outputs: [WeftValue?]) -> String {
        JSON.encode(.list(outputs.map { $0.map { .list([.bool(true), $0]) } ?? .list([.bool(false)]) }))
    }

    package static func decode(_ text: String) -> [WeftValue?]? {
        guard case .list(let items)? = try? JSON.parse(text) else { return nil }
        return items.map { item -> WeftValue? in
            guard case .list(let pair) = item, pair.first == .bool(true), pair.count == 2 else { return nil }
            return pair[1]
        }
    }
}

/// Where a resumed run goes on from: the numbers its records continue.
public struct ResumePoint: Sendable {
    /// The next event's and node completion's sequence numbers.
    public var eventSeq: Int64
    public var completionSeq: Int64

    public init(eventSeq: Int64, completionSeq: Int64) {
        self.eventSeq = eventSeq
        self.completionSeq = completionSeq
    }
}

extension RunStore {
    /// Node completions of run `id`, in one transaction.
    public func keepCompletions(_ id: Int64, _ rows: [StoredCompletion]) throws(StoreError) {
        guard !rows.isEmpty else { return }
        try locked { () throws(StoreError) in
            try db.transaction { () throws(StoreError) in
                try checkFence(id)
                let s = try db.prepare("""
                    INSERT INTO completions (run_id, seq, node, occurrence, wave, attempt, duration_ns, outputs)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                s.bind(1, id)
                for r in rows {
                    s.bind(2, r.seq)
                    s.bind(3, r.node)
                    s.bind(4, Int64(r.occurrence))
                    s.bind(5, Int64(r.wave))
                    s.bind(6, Int64(r.attempt))
                    s.bind(7, r.durationNs.map { Int64(clamping: $0) })
                    s.bind(8, r.outputs)
                    try s.runAgain()
                }
            }
        }
    }

    /// Run `id`'s kept node outputs (not its waves'): per node, its
    /// completions in order (up to the first gap).
    public func checkpoints(of id: Int64) throws(StoreError) -> [String: [[WeftValue?]]] {
        try locked { () throws(StoreError) -> [String: [[WeftValue?]]] in
            let s = try db.prepare("""
                SELECT node, occurrence, outputs FROM completions WHERE run_id = ? AND wave = 0 AND outputs IS NOT NULL
                ORDER BY node, occurrence
                """).bind([.int(id)])
            var out: [String: [[WeftValue?]]] = [:]
            while try s.step() {
                let node = s.text(0) ?? ""
                guard Int(s.int(1)) == out[node, default: []].count, let values = StoredOutputs.decode(s.text(2) ?? "") else { continue }
                out[node, default: []].append(values)
            }
            return out
        }
    }

    /// The runs of the graph file `graphPath` that kept node outputs,
    /// newest first (at most `limit`).
    public func runsKeepingOutputs(graphPath: String?, limit: Int = 20) throws(StoreError) -> [Int64] {
        try locked { () throws(StoreError) -> [Int64] in
            let s = try db.prepare("""
                SELECT id FROM runs WHERE graph_path IS ? AND EXISTS (SELECT 1 FROM completions WHERE run_id = runs.id AND outputs IS NOT NULL)
                ORDER BY id DESC LIMIT ?
                """).bind([graphPath.map { .text($0) } ?? .null, .int(Int64(limit))])
            var ids: [Int64] = []
            while try s.step() { ids.append(s.int(0)) }
            return ids
        }
    }

    /// Where run `id`'s records go on from (its journal's end).
    public func journalPoint(_ id: Int64) throws(StoreError) -> ResumePoint {
        try locked { () throws(StoreError) -> ResumePoint in try journalEnd(id) }
    }

    /// (Under the lock.) `journalPoint`.
    private func journalEnd(_ id: Int64) throws(StoreError) -> ResumePoint {
        let e = try db.prepare("SELECT COALESCE(MAX(first_seq + count), 0) FROM event_blocks WHERE run_id = ?").bind([.int(id)])
        _ = try e.step()
        let c = try db.prepare("SELECT COALESCE(MAX(seq) + 1, 0) FROM completions WHERE run_id = ?").bind([.int(id)])
        _ = try c.step()
        return ResumePoint(eventSeq: e.int(0), completionSeq: c.int(0))
    }

    /// Marks run `id` running again in this process (one resume more)
    /// and gives the numbers its records go on from. Only a run that
    /// `isResumable` is taken; the check and the mark are one transaction,
    /// so two resumes of the same run cannot both start.
    public func resume(_ id: Int64) throws(StoreError) -> ResumePoint {
        try locked { () throws(StoreError) -> ResumePoint in
            try db.transaction { () throws(StoreError) -> ResumePoint in
                let r = try db.prepare("SELECT \(StoredRun.columns) FROM runs WHERE id = ?").bind([.int(id)])
                guard try r.step() else { throw StoreError("no run \(id) in \(path); weft runs list shows the runs there") }
                let run = StoredRun(r)
                guard run.isResumable else {
                    throw StoreError(run.state == "running"
                        ? "run \(id) is running (process \(run.pid)); pause it first (weft runs pause \(id))"
                        : "run \(id) \(run.state); there is nothing to resume (weft runs show \(id) shows its outputs)")
                }
                try db.prepare("""
                    UPDATE runs SET state = 'running', pid = ?, resumes = resumes + 1, finished_at = NULL, steps = NULL,
                    outputs = NULL, error = NULL, error_node = NULL, requested = NULL WHERE id = ?
                    """).bind([.int(Int64(getpid())), .int(id)]).run()
                return try journalEnd(id)
            }
        }
    }

    /// Asks running run `id` to `pause` or `cancel` (its process sees it
    /// through `RunControlWatcher`); false if it is not running.
    public func request(_ id: Int64, _ what: String) throws(StoreError) -> Bool {
        try locked { () throws(StoreError) -> Bool in
            try db.prepare("UPDATE runs SET requested = ? WHERE id = ? AND state = 'running'").bind([.text(what), .int(id)]).run()
            return db.changes > 0
        }
    }

    /// What was asked of run `id` (`pause`, `cancel`), if anything.
    public func requested(_ id: Int64) throws(StoreError) -> String? {
        try locked { () throws(StoreError) -> String? in
            let s = try db.prepare("SELECT requested FROM runs WHERE id = ?").bind([.int(id)])
            return try s.step() ? s.text(0) : nil
        }
    }

    /// Sets run `id`'s state (`paused`, `cancelled`) when it is in one of
    /// `from`; whether it was.
    public func setState(_ id: Int64, to state: String, from: [String]) throws(StoreError) -> Bool {
        try locked { () throws(StoreError) -> Bool in
            let marks = from.map { _ in "?" }.joined(separator: ", ")
            try db.prepare("UPDATE runs SET state = ?, finished_at = COALESCE(finished_at, ?) WHERE id = ? AND state IN (\(marks))")
                .bind([.text(state), .double(Self.now()), .int(id)] + from.map { .text($0) }).run()
            return db.changes > 0
        }
    }
}

/// A node completion as the store keeps it (`completions`).
public struct StoredCompletion: Sendable {
    public var seq: Int64
    public var node: String
    public var occurrence: Int
    public var wave: Int
    public var attempt: Int
    public var durationNs: UInt64?
    /// `StoredOutputs` text.
    public var outputs: String
}

/// A run's node completions in the store (`RunCheckpoints`), each with
/// its outputs. They are written in groups (one transaction each) by a
/// writer thread of its own, so the run goes on while they are written: a
/// group every `batch` nodes or `flushEveryNs`; and after a node whose call
/// took `expensiveNs` or more (a call that is not timed is a cheap one:
/// `NodeCompletion.durationNs`), the run waits until that node and what
/// came before it are written — so a run killed later keeps it. A crash
/// loses at most the cheap completions of the last few milliseconds,
/// which a resumed run makes again. `close` writes the rest and ends the
/// writer. A resumed or partial run is given the outputs kept before
/// (`restoring`), which its nodes take instead of a call. Thread-safe (an
/// event run's waves may complete nodes at once).
public final class StoreCheckpoints: RunCheckpoints, @unchecked Sendable {
    public let store: any RunJournal
    public let runId: Int64
    let restoring: [String: [[WeftValue?]]]
    let restoringEvents: [String: Int]
    let batch: Int
    let flushEveryNs: UInt64
    let expensiveNs: UInt64
    /// Guards everything below; signalled when groups are queued or written.
    private let lock = ConditionLock()
    private var rows: [StoredCompletion] = []
    /// Groups handed to the writer, oldest first; one being written.
    private var queue: [[StoredCompletion]] = []
    private var writing = false
    private var writerStarted = false
    private var writerDone = false
    private var closed = false
    private var seq: Int64
    private var lastFlush = MonotonicClock.now()
    private var restoredNodes = 0
    private var failed: String?

    public init(store: any RunJournal, runId: Int64, restoring: [String: [[WeftValue?]]] = [:], eventsDone: [String: Int] = [:],
                firstSeq: Int64 = 0, batch: Int = 4096, flushEveryNs: UInt64 = 2_000_000, expensiveNs: UInt64 = 1_000_000) {
        self.store = store
        self.runId = runId
        self.restoring = restoring
        self.restoringEvents = eventsDone
        self.seq = firstSeq
        self.batch = batch
        self.flushEveryNs = flushEveryNs
        self.expensiveNs = expensiveNs
        rows.reserveCapacity(min(batch, 4096))
    }

    /// Nodes that took their outputs from `restoring`.
    public var restoredCount: Int { lock.withLock { restoredNodes } }

    public var failure: String? { lock.withLock { failed } }

    public func restored(node id: String, occurrence: Int) -> [WeftValue?]? {
        guard let kept = restoring[id], occurrence < kept.count else { return nil }
        lock.withLock { restoredNodes += 1 }
        return kept[occurrence]
    }

    public func eventsDone(source id: String) -> Int { restoringEvents[id] ?? 0 }

    public func completed(_ c: NodeCompletion) -> Bool {
        let text = StoredOutputs.encode(c.outputs)
        return lock.withLock { () -> Bool in
            guard failed == nil else { return false }
            rows.append(StoredCompletion(seq: seq, node: c.node, occurrence: c.occurrence, wave: c.wave, attempt: c.attempt,
                                         durationNs: c.durationNs, outputs: text))
            seq += 1
            if (c.durationNs ?? 0) >= expensiveNs {
                handOver(wait: true)
            } else if rows.count >= batch || MonotonicClock.now() &- lastFlush >= flushEveryNs {
                handOver(wait: false)
            }
            return failed == nil
        }
    }

    /// Writes everything so far, and returns when it is written.
    public func flush() { lock.withLock { handOver(wait: true) } }

    /// `flush`, then ends the writer thread (later completions are refused).
    public func close() {
        lock.withLock {
            handOver(wait: true)
            closed = true
            lock.broadcast()
            while writerStarted && !writerDone { lock.wait() }
        }
    }

    /// (Under the lock.) Queues `rows` for the writer; with `wait`, until
    /// the queue is written.
    private func handOver(wait: Bool) {
        if !rows.isEmpty && failed == nil && !closed {
            queue.append(rows)
            rows = []
            rows.reserveCapacity(min(batch, 4096))
            if !writerStarted {
                writerStarted = true
                if !POSIXThread.spawn({ [self] in writeQueued() }) {
                    writerDone = true
                    failed = "cannot start the run store's writer thread"
                }
            }
            lock.broadcast()
        }
        lastFlush = MonotonicClock.now()
        if wait { while (!queue.isEmpty || writing) && !writerDone { lock.wait() } }
    }

    /// The writer thread: writes each queued group in a transaction of its own.
    private func writeQueued() {
        lock.lock()
        while true {
            while queue.isEmpty && !closed { lock.wait() }
            if queue.isEmpty { break }
            let group = queue.removeFirst()
            writing = true
            lock.unlock()
            var error: StoreError?
            do { try store.keepCompletions(runId, group) } catch let e { error = e }
            lock.lock()
            writing = false
            if let error, failed == nil {
                failed = "\(error)"
                queue.removeAll()
            }
            lock.broadcast()
        }
        writerDone = true
        lock.broadcast()
        lock.unlock()
    }
}

/// Watches the store for a pause or cancel asked of a run (`weft runs
/// pause|cancel`, `RunStore.request`) and calls `onRequest` when one comes:
/// a thread that reads the run's row every `intervalNs` — no signal, so it
/// works for any process that can open the store. For a run claimed from
/// the queue (`lease`: the claim's fencing token and lease seconds) it is
/// also the heartbeat: it renews the lease every `lease / 5` seconds, and
/// calls `onRequest` when the lease went to another worker.
public final class RunControlWatcher: @unchecked Sendable {
    private let done = Atomic<Bool>(false)
    private let pause = Atomic<Bool>(false)
    private let lost = Atomic<Bool>(false)

    public init(store: any RunJournal, runId: Int64, intervalNs: UInt64 = 100_000_000, lease: (fence: Int64, seconds: Double)? = nil,
                onRequest: @escaping @Sendable () -> Void) {
        let beatEvery = lease.map { UInt64(max(0.05, $0.seconds / 5) * 1e9) } ?? 0
        POSIXThread.spawn { [self] in
            var lastBeat = MonotonicClock.now()
            while !done.load(ordering: .acquiring) {
                var nap = timespec(tv_sec: Int(intervalNs / 1_000_000_000), tv_nsec: Int(intervalNs % 1_000_000_000))
                nanosleep(&nap, nil)
                guard !done.load(ordering: .acquiring) else { return }
                var asked: String?
                if let lease, MonotonicClock.now() &- lastBeat >= beatEvery {
                    lastBeat = MonotonicClock.now()
                    switch try? store.heartbeat(runId, fence: lease.fence, lease: lease.seconds) {
                    case .lost?:
                        lost.store(true, ordering: .releasing)
                        onRequest()
                        return
                    case .held(let requested)?:
                        asked = requested
                    case nil:
                        continue
                    }
                } else {
                    asked = try? store.requested(runId)
                }
                guard let asked else { continue }
                if asked == "pause" { pause.store(true, ordering: .releasing) }
                onRequest()
                return
            }
        }
    }

    /// A pause was asked (and `onRequest` called).
    public var pauseRequested: Bool { pause.load(ordering: .acquiring) }

    /// The claimed run's lease went to another worker (and `onRequest` was called).
    public var leaseLost: Bool { lost.load(ordering: .acquiring) }

    /// Stops watching (the run ended).
    public func stop() { done.store(true, ordering: .releasing) }
}
