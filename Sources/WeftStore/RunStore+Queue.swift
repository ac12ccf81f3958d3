import WeftCore
import WeftNative
#if canImport(Glibc)
import Glibc
#endif

/// A run a worker claimed from the queue (`RunStore.claim`).
public struct ClaimedRun: Sendable {
    public var run: StoredRun
    /// The claim's fencing token: the store refuses this worker's writes
    /// for the run once another claim has taken it over.
    public var fence: Int64
    public init(run: StoredRun, fence: Int64) {
        self.run = run
        self.fence = fence
    }

    /// Whether the run was claimed before (its journal is restored).
    public var reclaimed: Bool { run.attempts > 1 || run.resumes > 0 }
}

/// What a worker's heartbeat learns (`RunStore.heartbeat`).
public enum Heartbeat: Sendable, Equatable {
    /// The lease was renewed; `requested`: a pause or cancel asked of the run.
    case held(requested: String?)
    /// Another claim has the run now (this worker's lease ran out): stop it
    /// and write nothing more.
    case lost
}

/// The queue of `weft serve` and `weft worker` (Docs/server.md): queued
/// runs are rows of `runs` in state `queued`. A worker claims the best one
/// (highest priority, then oldest) in one write transaction, with a lease it
/// renews by heartbeat; a run whose lease ran out (its worker died) is
/// claimed again by another and resumed from its journal. Each claim adds
/// one to the run's fencing token, and the store refuses the writes of an
/// older claim (`fence(_:token:)`). After `maxAttempts` claims a run whose
/// worker keeps dying is failed instead.
extension RunStore {
    /// Queues a run of `graphJSON`; its id.
    public func enqueue(graphJSON: String, inputs: WeftValue, mode: String, priority: Int, tags: [String],
                        timeout: Double?) throws(StoreError) -> Int64 {
        let hash = Self.hash(graphJSON)
        return try locked { () throws(StoreError) -> Int64 in
            try db.transaction { () throws(StoreError) -> Int64 in
                try db.prepare("INSERT OR IGNORE INTO graphs (hash, json) VALUES (?, ?)").bind([.text(hash), .text(graphJSON)]).run()
                let now = Self.now()
                try db.prepare("""
                    INSERT INTO runs (graph_hash, inputs, mode, state, pid, started_at, created_at, priority, tags, timeout)
                    VALUES (?, ?, ?, 'queued', 0, ?, ?, ?, ?, ?)
                    """).bind([.text(hash), .text(JSON.encode(inputs)), .text(mode), .double(now), .double(now),
                               .int(Int64(priority)), .text(JSON.encode(.list(tags.map { .string($0) }))),
                               timeout.map { .double($0) } ?? .null]).run()
                return db.lastInsertedRow
            }
        }
    }

    /// Stores a graph (`POST /v1/graphs`); its id (the hash).
    @discardableResult
    public func storeGraph(_ json: String) throws(StoreError) -> String {
        let hash = Self.hash(json)
        try locked { () throws(StoreError) in
            try db.prepare("INSERT OR IGNORE INTO graphs (hash, json) VALUES (?, ?)").bind([.text(hash), .text(json)]).run()
        }
        return hash
    }

    /// A stored graph's text, by id.
    public func graph(_ hash: String) throws(StoreError) -> String? {
        try locked { () throws(StoreError) -> String? in
            let s = try db.prepare("SELECT json FROM graphs WHERE hash = ?").bind([.text(hash)])
            return try s.step() ? s.text(0) : nil
        }
    }

    /// Claims the best queued run for `worker`, or one whose lease ran
    /// out; nil when there is none. A run claimed `maxAttempts` times
    /// already is failed instead (and the next is looked at).
    public func claim(worker: String, lease: Double, maxAttempts: Int) throws(StoreError) -> ClaimedRun? {
        try locked { () throws(StoreError) -> ClaimedRun? in
            try db.transaction { () throws(StoreError) -> ClaimedRun? in
                while true {
                    let now = Self.now()
                    let s = try db.prepare("""
                        SELECT id, attempts, state FROM runs
                        WHERE state = 'queued' OR (state = 'running' AND lease_until IS NOT NULL AND lease_until < ?)
                        ORDER BY state = 'running' DESC, priority DESC, id LIMIT 1
                        """).bind([.double(now)])
                    guard try s.step() else { return nil }
                    let (id, attempts, state) = (s.int(0), Int(s.int(1)), s.text(2) ?? "")
                    if state == "running" && attempts >= maxAttempts {
                        try db.prepare("""
                            UPDATE runs SET state = 'failed', finished_at = ?, lease_until = NULL, error = ? WHERE id = ?
                            """).bind([.double(now), .text("run \(id) was claimed \(attempts) times and each time its worker stopped "
                                                                + "before it ended (max attempts \(maxAttempts)): a node may crash or hang "
                                                                + "the worker; the worker logs say more. Resume it to try again."),
                                       .int(id)]).run()
                        continue
                    }
                    try db.prepare("""
                        UPDATE runs SET state = 'running', worker = ?, pid = ?, lease_until = ?, fence = fence + 1,
                        attempts = attempts + 1, resumes = resumes + (CASE WHEN attempts > 0 THEN 1 ELSE 0 END),
                        started_at = CASE WHEN attempts = 0 AND resumes = 0 THEN ? ELSE started_at END,
                        finished_at = NULL, steps = NULL, outputs = NULL, error = NULL, error_node = NULL
                        WHERE id = ?
                        """).bind([.text(worker), .int(Int64(getpid())), .double(now + lease), .double(now), .int(id)]).run()
                    let r = try db.prepare("SELECT \(StoredRun.columns) FROM runs WHERE id = ?").bind([.int(id)])
                    _ = try r.step()
                    let run = StoredRun(r)
                    return ClaimedRun(run: run, fence: run.fence)
                }
            }
        }
    }

    /// Renews the lease of `id` under claim `fence` until `lease` seconds
    /// from now, and reads what was asked of the run.
    public func heartbeat(_ id: Int64, fence: Int64, lease: Double) throws(StoreError) -> Heartbeat {
        try locked { () throws(StoreError) -> Heartbeat in
            let s = try db.prepare("UPDATE runs SET lease_until = ? WHERE id = ? AND fence = ? AND state = 'running' RETURNING requested")
                .bind([.double(Self.now() + lease), .int(id), .int(fence)])
            guard try s.step() else { return .lost }
            let requested = s.text(0)
            while try s.step() {}
            return .held(requested: requested)
        }
    }

    /// Puts run `id` back in the queue: from `paused`, `failed`,
    /// `cancelled` or `interrupted` (`POST …/resume`), or — with `fence` —
    /// a run this worker holds and lets go of (a worker that drains); the
    /// next claim resumes it from its journal. False when it was in no such state.
    public func requeue(_ id: Int64, fence: Int64? = nil) throws(StoreError) -> Bool {
        try locked { () throws(StoreError) -> Bool in
            if let fence {
                try db.prepare("""
                    UPDATE runs SET state = 'queued', lease_until = NULL, worker = NULL, requested = NULL
                    WHERE id = ? AND fence = ? AND state = 'running'
                    """).bind([.int(id), .int(fence)]).run()
                return db.changes > 0
            }
            return try db.transaction { () throws(StoreError) -> Bool in
                let s = try db.prepare("SELECT \(StoredRun.columns) FROM runs WHERE id = ?").bind([.int(id)])
                guard try s.step(), StoredRun(s).isResumable else { return false }
                try db.prepare("""
                    UPDATE runs SET state = 'queued', lease_until = NULL, worker = NULL, requested = NULL, attempts = 0,
                    resumes = resumes + 1, finished_at = NULL, error = NULL, error_node = NULL WHERE id = ?
                    """).bind([.int(id)]).run()
                return true
            }
        }
    }

    /// Runs waiting in the queue.
    public func queueDepth() throws(StoreError) -> Int {
        try locked { () throws(StoreError) -> Int in
            Int(try db.integer("SELECT COUNT(*) FROM runs WHERE state = 'queued'"))
        }
    }

    /// Runs by state (`running` includes those whose process or lease is gone).
    public func countsByState() throws(StoreError) -> [(state: String, count: Int)] {
        try locked { () throws(StoreError) in
            let s = try db.prepare("SELECT state, COUNT(*) FROM runs GROUP BY state ORDER BY state")
            var out: [(state: String, count: Int)] = []
            while try s.step() { out.append((s.text(0) ?? "", Int(s.int(1)))) }
            return out
        }
    }

    /// Median duration in seconds of the last `limit` succeeded runs of a
    /// graph, and how many there were.
    public func pastDurations(graphHash: String, limit: Int = 20) throws(StoreError) -> (median: Double, count: Int)? {
        try locked { () throws(StoreError) -> (median: Double, count: Int)? in
            let s = try db.prepare("""
                SELECT finished_at - started_at FROM runs WHERE graph_hash = ? AND state = 'succeeded' AND finished_at IS NOT NULL
                ORDER BY id DESC LIMIT ?
                """).bind([.text(graphHash), .int(Int64(limit))])
            var values: [Double] = []
            while try s.step() { values.append(s.double(0)) }
            guard !values.isEmpty else { return nil }
            values.sort()
            return (values[values.count / 2], values.count)
        }
    }

    /// From now on, this store object's writes for run `id` are refused
    /// unless the run's fencing token is still `token` (the claim they
    /// belong to); nil: no check.
    public func fence(_ id: Int64, token: Int64?) {
        fences.withLock { $0[id] = token }
    }

    /// (Inside a write transaction.) Refuses the write when run `id` was
    /// claimed by someone else since this process claimed it.
    func checkFence(_ id: Int64) throws(StoreError) {
        guard let token = fences.withLock({ $0[id] }) else { return }
        let s = try db.prepare("SELECT fence FROM runs WHERE id = ?").bind([.int(id)])
        let now = try s.step() ? s.int(0) : -1
        if now != token {
            throw StoreError("run \(id) was claimed by another worker (fencing token \(now), this worker's \(token)): "
                                 + "this worker's lease ran out, so it stops the run and writes nothing more of it")
        }
    }
}

/// A node completion as `GET /v1/runs/{id}/events` sends it.
public struct CompletionRow: Sendable {
    public var seq: Int64
    public var node: String
    public var occurrence: Int
    public var wave: Int
    public var attempt: Int
    public var durationNs: Int64?

    public init(seq: Int64, node: String, occurrence: Int, wave: Int, attempt: Int, durationNs: Int64?) {
        self.seq = seq
        self.node = node
        self.occurrence = occurrence
        self.wave = wave
        self.attempt = attempt
        self.durationNs = durationNs
    }
}

extension RunStore {
    /// Run `id`'s event lines from event number `from` on (each with its number).
    public func eventLines(_ id: Int64, from: Int64) throws(StoreError) -> [(seq: Int64, line: String)] {
        try locked { () throws(StoreError) in
            let s = try db.prepare("""
                SELECT first_seq, lines FROM event_blocks WHERE run_id = ? AND first_seq + count > ? ORDER BY first_seq
                """).bind([.int(id), .int(from)])
            var out: [(seq: Int64, line: String)] = []
            while try s.step() {
                var seq = s.int(0)
                for line in (s.text(1) ?? "").split(separator: "\n", omittingEmptySubsequences: true) {
                    if seq >= from { out.append((seq, String(line))) }
                    seq += 1
                }
            }
            return out
        }
    }

    /// Run `id`'s node completions from number `from` on.
    public func completionRows(_ id: Int64, from: Int64) throws(StoreError) -> [CompletionRow] {
        try locked { () throws(StoreError) in
            let s = try db.prepare("""
                SELECT seq, node, occurrence, wave, attempt, duration_ns FROM completions WHERE run_id = ? AND seq >= ? ORDER BY seq
                """).bind([.int(id), .int(from)])
            var out: [CompletionRow] = []
            while try s.step() {
                out.append(CompletionRow(seq: s.int(0), node: s.text(1) ?? "", occurrence: Int(s.int(2)), wave: Int(s.int(3)),
                                         attempt: Int(s.int(4)), durationNs: s.isNull(5) ? nil : s.int(5)))
            }
            return out
        }
    }
}
