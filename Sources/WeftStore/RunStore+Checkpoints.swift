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
enum StoredOutputs {
    static func encode(_ outputs: [WeftValue?]) -> String {
        JSON.encode(.list(outputs.map { $0.map { .list([.bool(true), $0]) } ?? .list([.bool(false)]) }))
    }

    static func decode(_ text: String) -> [WeftValue?]? {
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
    /// Per node: completions recorded so far.
    public var completions: [String: Int64]
}

extension RunStore {
    /// Keeps node outputs of run `id` (node, occurrence, encoded outputs), in one transaction.
    func keepCheckpoints(_ id: Int64, _ rows: [(node: String, occurrence: Int, outputs: String)]) throws(StoreError) {
        guard !rows.isEmpty else { return }
        try locked { () throws(StoreError) in
            try db.transaction { () throws(StoreError) in
                let s = try db.prepare("INSERT OR REPLACE INTO checkpoints (run_id, node, occurrence, outputs) VALUES (?, ?, ?, ?)")
                for r in rows { try s.bind([.int(id), .text(r.node), .int(Int64(r.occurrence)), .text(r.outputs)]).run() }
            }
        }
    }

    /// Run `id`'s kept node outputs: per node, its completions in order
    /// (up to the first gap).
    public func checkpoints(of id: Int64) throws(StoreError) -> [String: [[WeftValue?]]] {
        try locked { () throws(StoreError) -> [String: [[WeftValue?]]] in
            let s = try db.prepare("SELECT node, occurrence, outputs FROM checkpoints WHERE run_id = ? ORDER BY node, occurrence")
                .bind([.int(id)])
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
                SELECT id FROM runs WHERE graph_path IS ? AND EXISTS (SELECT 1 FROM checkpoints WHERE run_id = runs.id)
                ORDER BY id DESC LIMIT ?
                """).bind([graphPath.map { .text($0) } ?? .null, .int(Int64(limit))])
            var ids: [Int64] = []
            while try s.step() { ids.append(s.int(0)) }
            return ids
        }
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
                let e = try db.prepare("SELECT COALESCE(MAX(seq) + 1, 0) FROM events WHERE run_id = ?").bind([.int(id)])
                _ = try e.step()
                let eventSeq = e.int(0)
                let c = try db.prepare("SELECT node, COUNT(*), MAX(seq) FROM node_completions WHERE run_id = ? GROUP BY node")
                    .bind([.int(id)])
                var completions: [String: Int64] = [:]
                var completionSeq: Int64 = 0
                while try c.step() {
                    completions[c.text(0) ?? ""] = c.int(1)
                    completionSeq = max(completionSeq, c.int(2) + 1)
                }
                return ResumePoint(eventSeq: eventSeq, completionSeq: completionSeq, completions: completions)
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

/// A run's checkpoints in the store (`RunCheckpoints`): each checkpointed
/// node's outputs, written in groups (one transaction each) — at once
/// after a node whose call took `expensiveNs` or more (or an unknown
/// time), with what came before it, so a run killed later keeps it; else
/// when `flushEveryNs` has passed since the last write, every `batch`
/// nodes, and at the end (`flush`). A crash loses at most the cheap
/// completions of the last `flushEveryNs`, which a resumed run makes
/// again. A resumed or partial run is given the outputs kept before
/// (`restoring`), which its nodes take instead of a call.
public final class StoreCheckpoints: RunCheckpoints, @unchecked Sendable {
    public let store: RunStore
    public let runId: Int64
    let restoring: [String: [[WeftValue?]]]
    let batch: Int
    let flushEveryNs: UInt64
    let expensiveNs: UInt64
    private var rows: [(node: String, occurrence: Int, outputs: String)] = []
    private var lastFlush = MonotonicClock.now()
    /// Nodes that took their outputs from `restoring`.
    public private(set) var restoredCount = 0
    public private(set) var failure: String?

    public init(store: RunStore, runId: Int64, restoring: [String: [[WeftValue?]]] = [:], batch: Int = 4096,
                flushEveryNs: UInt64 = 2_000_000, expensiveNs: UInt64 = 1_000_000) {
        self.expensiveNs = expensiveNs
        self.store = store
        self.runId = runId
        self.restoring = restoring
        self.batch = batch
        self.flushEveryNs = flushEveryNs
    }

    public func restored(node id: String, occurrence: Int) -> [WeftValue?]? {
        guard let kept = restoring[id], occurrence < kept.count else { return nil }
        restoredCount += 1
        return kept[occurrence]
    }

    public func completed(node id: String, occurrence: Int, outputs: [WeftValue?], durationNs: UInt64) -> Bool {
        guard failure == nil else { return false }
        rows.append((id, occurrence, StoredOutputs.encode(outputs)))
        if durationNs >= expensiveNs || rows.count >= batch || MonotonicClock.now() &- lastFlush >= flushEveryNs { flush() }
        return failure == nil
    }

    /// Writes what is buffered (one transaction).
    public func flush() {
        defer {
            rows.removeAll(keepingCapacity: true)
            lastFlush = MonotonicClock.now()
        }
        guard failure == nil else { return }
        do {
            try store.keepCheckpoints(runId, rows)
        } catch {
            failure = "\(error)"
        }
    }
}

/// Watches the store for a pause or cancel asked of a run (`weft runs
/// pause|cancel`, `RunStore.request`) and calls `onRequest` when one comes:
/// a thread that reads the run's row every `intervalNs` — no signal, so it
/// works for any process that can open the store.
public final class RunControlWatcher: @unchecked Sendable {
    private let done = Atomic<Bool>(false)
    private let pause = Atomic<Bool>(false)

    public init(store: RunStore, runId: Int64, intervalNs: UInt64 = 100_000_000, onRequest: @escaping @Sendable () -> Void) {
        POSIXThread.spawn { [self] in
            while !done.load(ordering: .acquiring) {
                var nap = timespec(tv_sec: Int(intervalNs / 1_000_000_000), tv_nsec: Int(intervalNs % 1_000_000_000))
                nanosleep(&nap, nil)
                guard !done.load(ordering: .acquiring), let asked = try? store.requested(runId) else { continue }
                if asked == "pause" { pause.store(true, ordering: .releasing) }
                onRequest()
                return
            }
        }
    }

    /// A pause was asked (and `onRequest` called).
    public var pauseRequested: Bool { pause.load(ordering: .acquiring) }

    /// Stops watching (the run ended).
    public func stop() { done.store(true, ordering: .releasing) }
}
