public import WeftCore

/// What recording a run, the queue and the server need of a run store.
/// Two implementations: `RunStore` (SQLite: one file, one host) and
/// `PostgresRunStore` (module WeftPostgres: one database, many hosts).
/// `RecordedRun`, `StoreRecorder`, `StoreCheckpoints`, `RunControlWatcher`
/// and the server speak only this. Every method may block (I/O); none may
/// be called on a Swift concurrency thread (use a thread pool).
public protocol RunJournal: AnyObject, Sendable {
    /// Where it is (a path, or a database URL without its password).
    var location: String { get }

    // MARK: recording a run

    /// Records a new run (state running, this process); its id.
    func begin(graphJSON: String, graphPath: String?, inputs: WeftValue, mode: String, options: WeftValue?) throws(StoreError) -> Int64
    /// A block of run `id`'s events: `count` JSON lines from `firstSeq`.
    func appendEvents(_ id: Int64, firstSeq: Int64, count: Int, lines: String) throws(StoreError)
    /// Node completions of run `id`, with their outputs (one transaction).
    func keepCompletions(_ id: Int64, _ rows: [StoredCompletion]) throws(StoreError)
    /// Run `id` ended: its state, steps, outputs and error.
    func finish(_ id: Int64, state: String, steps: Int, outputs: WeftValue, error: String?, errorNode: String?) throws(StoreError)
    /// Where run `id`'s records go on from.
    func journalPoint(_ id: Int64) throws(StoreError) -> ResumePoint
    /// Marks a resumable run running again in this process; where its records go on from.
    func resume(_ id: Int64) throws(StoreError) -> ResumePoint
    /// Run `id`'s kept node outputs: per node, its completions in order.
    func checkpoints(of id: Int64) throws(StoreError) -> [String: [[WeftValue?]]]
    /// Run `id`'s events as JSON lines, in order.
    func events(_ id: Int64, _ body: (String) -> Void) throws(StoreError)
    /// What was asked of run `id` (`pause`, `cancel`), if anything.
    func requested(_ id: Int64) throws(StoreError) -> String?
    /// Asks running run `id` to `pause` or `cancel`; false if it is not running.
    func request(_ id: Int64, _ what: String) throws(StoreError) -> Bool
    /// Sets run `id`'s state when it is in one of `from`; whether it was.
    func setState(_ id: Int64, to state: String, from: [String]) throws(StoreError) -> Bool
    /// This object's writes for run `id` are refused unless the run's
    /// fencing token is still `token` (nil: no check).
    func fence(_ id: Int64, token: Int64?)

    // MARK: reading

    func run(_ id: Int64) throws(StoreError) -> StoredRun?
    /// Runs, newest first, in `state` if given.
    func runs(state: String?, limit: Int) throws(StoreError) -> [StoredRun]
    /// Per node: completions, total and longest duration, most attempts.
    func nodeTable(_ id: Int64) throws(StoreError) -> [(node: String, calls: Int, totalNs: Int64, maxNs: Int64, attempts: Int)]
    /// Run `id`'s event lines from number `from` on.
    func eventLines(_ id: Int64, from: Int64) throws(StoreError) -> [(seq: Int64, line: String)]
    /// Run `id`'s node completions from number `from` on.
    func completionRows(_ id: Int64, from: Int64) throws(StoreError) -> [CompletionRow]
    /// A stored graph's text, by id (its hash).
    func graph(_ hash: String) throws(StoreError) -> String?
    /// Stores a graph; its id.
    @discardableResult func storeGraph(_ json: String) throws(StoreError) -> String

    // MARK: the queue

    func enqueue(graphJSON: String, inputs: WeftValue, mode: String, priority: Int, tags: [String],
                 timeout: Double?) throws(StoreError) -> Int64
    /// Claims the best queued run (or one whose lease ran out); nil if none.
    func claim(worker: String, lease: Double, maxAttempts: Int) throws(StoreError) -> ClaimedRun?
    /// Renews a claim's lease and reads what was asked of the run.
    func heartbeat(_ id: Int64, fence: Int64, lease: Double) throws(StoreError) -> Heartbeat
    /// Puts a run back in the queue (a resumable one; or, with `fence`, one this worker holds).
    func requeue(_ id: Int64, fence: Int64?) throws(StoreError) -> Bool
    func queueDepth() throws(StoreError) -> Int
    func countsByState() throws(StoreError) -> [(state: String, count: Int)]
    /// Median seconds of the last `limit` succeeded runs of a graph, and how many.
    func pastDurations(graphHash: String, limit: Int) throws(StoreError) -> (median: Double, count: Int)?
    /// Calls `wake` when a run is queued by any process, if the store can
    /// tell (PostgreSQL's NOTIFY); otherwise workers look every so often.
    func watchQueue(_ wake: @escaping @Sendable () -> Void)
}

/// The SQLite store is one. (Its workers look for queued runs every 0.25 s.)
extension RunStore: RunJournal {
    public func watchQueue(_ wake: @escaping @Sendable () -> Void) {}
}

extension RunJournal {
    /// Event runs: per source, how many of its first events had their
    /// waves end (succeeded or failed) in run `id` — across its resumes
    /// (each process numbers its waves from 1; events keep their source's
    /// numbering). What a resumed event run skips.
    public func eventsDone(of id: Int64) throws(StoreError) -> [String: Int] {
        var waves: [Int64: (source: String, event: Int64)] = [:]
        var done: [String: Set<Int64>] = [:]
        func int(_ v: WeftValue?) -> Int64? {
            if case .int(let n)? = v { return n }
            return nil
        }
        try events(id) { line in
            guard let e = try? JSON.parse(line), case .string(let kind)? = e["event"] else { return }
            switch kind {
            case "run_started":
                waves = [:]
            case "wave_started":
                if let w = int(e["wave"]), let s = e["source"]?.stringValue, let n = int(e["source_event"]) { waves[w] = (s, n) }
            case "wave_finished":
                if let w = int(e["wave"]), let started = waves[w] { done[started.source, default: []].insert(started.event) }
            default:
                break
            }
        }
        return done.mapValues { events in
            var k = 0
            while events.contains(Int64(k + 1)) { k += 1 }
            return k
        }
    }
}
