import Logging
import PostgresNIO
import WeftCore
import WeftNative
import WeftStore
#if canImport(Glibc)
import Glibc
#endif

/// The run store in a PostgreSQL database (postgres-nio), for a queue that
/// workers on many hosts share: the same records as the SQLite store
/// (`RunStore`) in tables named `weft_*`, made on first use. Claims take
/// the best queued run with `FOR UPDATE SKIP LOCKED` (the run itself goes
/// on outside the transaction); leases are judged by the database's clock,
/// so the hosts' clocks need not agree; every write of a claimed run checks
/// its fencing token in the same transaction; `NOTIFY weft_queue` wakes
/// idle workers (`watchQueue`).
///
/// The methods block the calling thread while the query runs on
/// postgres-nio's event loops: call them from plain threads (the run's
/// writer threads, the server's thread pool), never from a Swift
/// concurrency thread.
public final class PostgresRunStore: RunJournal, @unchecked Sendable {
    public let location: String
    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    private let fences = Locked<[Int64: Int64]>([:])
    private var listener: Task<Void, Never>?

    /// Whether `location` names a PostgreSQL database.
    public static func isURL(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`,
    /// or `postgres://USER@/DATABASE?host=/run/postgresql` for a Unix
    /// socket folder) and makes the tables if needed.
    public init(url: String, logger: Logger = Logger(label: "weft.postgres")) throws(StoreError) {
        let parsed = try Self.parse(url)
        location = parsed.display
        self.logger = logger
        client = PostgresClient(configuration: parsed.configuration)
        let client = self.client
        runner = Task { await client.run() }
        do {
            try wait { [self] in try await migrate() }
        } catch {
            runner.cancel()
            throw error
        }
    }

    deinit {
        listener?.cancel()
        runner.cancel()
    }

    // MARK: the bridge from threads to postgres-nio

    /// Runs `body` (async, on Swift's executors) and waits for it on this thread.
    func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws(StoreError) -> T {
        let result = Locked<Result<T, any Error>?>(nil)
        let lock = ConditionLock()
        Task {
            let r: Result<T, any Error>
            do { r = .success(try await body()) } catch { r = .failure(error) }
            lock.withLock {
                result.withLock { $0 = r }
                lock.broadcast()
            }
        }
        lock.withLock { while result.withLock({ $0 }) == nil { lock.wait() } }
        switch result.withLock({ $0 })! {
        case .success(let v): return v
        case .failure(let e as StoreError): throw e
        case .failure(let e): throw StoreError("PostgreSQL \(location): \(String(reflecting: e))")
        }
    }

    /// The rows of `query`, each as a random-access row.
    func rows(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> [PostgresRandomAccessRow] {
        let sequence = if let connection { try await connection.query(query, logger: logger) } else { try await client.query(query, logger: logger) }
        var out: [PostgresRandomAccessRow] = []
        for try await row in sequence { out.append(row.makeRandomAccess()) }
        return out
    }

    /// Runs `body` in a transaction. A process that stops in the middle of
    /// one (frozen, or its host gone quiet) would keep its row locks and
    /// so keep other workers from taking its runs over: the server ends
    /// such a transaction after 5 s.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) async throws -> T) throws(StoreError) -> T {
        try wait { [self] in
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SET LOCAL idle_in_transaction_session_timeout = 5000", logger: logger)
                return try await body(connection)
            }
        }
    }

    static let now = "extract(epoch from clock_timestamp())::double precision"

    // MARK: schema

    static let schema = """
        CREATE TABLE IF NOT EXISTS weft_graphs (hash TEXT PRIMARY KEY, json TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS weft_runs (
            id BIGSERIAL PRIMARY KEY, graph_hash TEXT NOT NULL REFERENCES weft_graphs(hash), graph_path TEXT,
            inputs TEXT NOT NULL, mode TEXT NOT NULL, state TEXT NOT NULL, pid BIGINT NOT NULL DEFAULT 0,
            started_at DOUBLE PRECISION NOT NULL, finished_at DOUBLE PRECISION, steps BIGINT, outputs TEXT, error TEXT,
            error_node TEXT, options TEXT, resumes BIGINT NOT NULL DEFAULT 0, requested TEXT,
            priority BIGINT NOT NULL DEFAULT 0, tags TEXT, timeout DOUBLE PRECISION, created_at DOUBLE PRECISION,
            worker TEXT, lease_until DOUBLE PRECISION, fence BIGINT NOT NULL DEFAULT 0, attempts BIGINT NOT NULL DEFAULT 0);
        CREATE INDEX IF NOT EXISTS weft_runs_queue ON weft_runs (state, priority DESC, id);
        CREATE TABLE IF NOT EXISTS weft_completions (
            run_id BIGINT NOT NULL REFERENCES weft_runs(id) ON DELETE CASCADE, seq BIGINT NOT NULL, node TEXT NOT NULL,
            occurrence BIGINT NOT NULL, wave BIGINT NOT NULL, attempt BIGINT NOT NULL, duration_ns BIGINT, outputs TEXT,
            PRIMARY KEY (run_id, seq));
        CREATE TABLE IF NOT EXISTS weft_event_blocks (
            run_id BIGINT NOT NULL REFERENCES weft_runs(id) ON DELETE CASCADE, first_seq BIGINT NOT NULL,
            count BIGINT NOT NULL, lines TEXT NOT NULL, PRIMARY KEY (run_id, first_seq));
        """

    private func migrate() async throws {
        // One process at a time (workers starting together).
        try await client.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(20261206)", logger: logger)
            for statement in Self.schema.split(separator: ";") where !String(statement).trimmedSpace.isEmpty {
                try await c.query(PostgresQuery(unsafeSQL: String(statement)), logger: logger)
            }
        }
    }

    // MARK: recording a run

    public func begin(graphJSON: String, graphPath: String?, inputs: WeftValue, mode: String,
                      options: WeftValue?) throws(StoreError) -> Int64 {
        let hash = RunStore.hash(graphJSON)
        let (inputsText, optionsText, pid) = (JSON.encode(inputs), options.map { JSON.encode($0) }, Int64(getpid()))
        return try transaction { [self] c in
            try await c.query("INSERT INTO weft_graphs (hash, json) VALUES (\(hash), \(graphJSON)) ON CONFLICT DO NOTHING", logger: logger)
            let r = try await rows("""
                INSERT INTO weft_runs (graph_hash, graph_path, inputs, mode, state, pid, started_at, created_at, options)
                VALUES (\(hash), \(graphPath), \(inputsText), \(mode), 'running', \(pid), \(unescaped: Self.now), \(unescaped: Self.now),
                \(optionsText)) RETURNING id
                """, on: c)
            return try r[0]["id"].decode(Int64.self)
        }
    }

    /// (In a transaction.) Refuses the write when run `id` was claimed by
    /// someone else since this worker claimed it.
    private func checkFence(_ id: Int64, _ c: PostgresConnection) async throws {
        guard let token = fences.withLock({ $0[id] }) else { return }
        let r = try await rows("SELECT fence FROM weft_runs WHERE id = \(id) FOR SHARE", on: c)
        let now = try r.first?["fence"].decode(Int64.self) ?? -1
        if now != token {
            throw StoreError("run \(id) was claimed by another worker (fencing token \(now), this worker's \(token)): "
                                 + "this worker's lease ran out, so it stops the run and writes nothing more of it")
        }
    }

    public func fence(_ id: Int64, token: Int64?) {
        fences.withLock { $0[id] = token }
    }

    public func appendEvents(_ id: Int64, firstSeq: Int64, count: Int, lines: String) throws(StoreError) {
        guard count > 0 else { return }
        let n = Int64(count)
        try transaction { [self] c in
            try await checkFence(id, c)
            try await c.query("""
                INSERT INTO weft_event_blocks (run_id, first_seq, count, lines) VALUES (\(id), \(firstSeq), \(n), \(lines))
                """, logger: logger)
        }
    }

    public func keepCompletions(_ id: Int64, _ rows: [StoredCompletion]) throws(StoreError) {
        guard !rows.isEmpty else { return }
        let seqs = rows.map(\.seq), nodes = rows.map(\.node), occurrences = rows.map { Int64($0.occurrence) }
        let waves = rows.map { Int64($0.wave) }, attempts = rows.map { Int64($0.attempt) }
        let durations = rows.map { $0.durationNs.map { Int64(clamping: $0) } ?? -1 }, outputs = rows.map(\.outputs)
        try transaction { [self] c in
            try await checkFence(id, c)
            try await c.query("""
                INSERT INTO weft_completions (run_id, seq, node, occurrence, wave, attempt, duration_ns, outputs)
                SELECT \(id), s, n, o, w, a, NULLIF(d, -1), out
                FROM unnest(\(seqs)::bigint[], \(nodes)::text[], \(occurrences)::bigint[], \(waves)::bigint[], \(attempts)::bigint[],
                            \(durations)::bigint[], \(outputs)::text[]) AS t(s, n, o, w, a, d, out)
                """, logger: logger)
        }
    }

    public func finish(_ id: Int64, state: String, steps: Int, outputs: WeftValue, error: String?, errorNode: String?) throws(StoreError) {
        let (n, text) = (Int64(steps), JSON.encode(outputs))
        try transaction { [self] c in
            try await checkFence(id, c)
            try await c.query("""
                UPDATE weft_runs SET state = \(state), finished_at = \(unescaped: Self.now), steps = \(n), outputs = \(text),
                error = \(error), error_node = \(errorNode), lease_until = NULL WHERE id = \(id)
                """, logger: logger)
        }
    }

    public func journalPoint(_ id: Int64) throws(StoreError) -> ResumePoint {
        try wait { [self] in
            let e = try await rows("SELECT COALESCE(MAX(first_seq + count), 0) AS n FROM weft_event_blocks WHERE run_id = \(id)")
            let c = try await rows("SELECT COALESCE(MAX(seq) + 1, 0) AS n FROM weft_completions WHERE run_id = \(id)")
            return ResumePoint(eventSeq: try e[0]["n"].decode(Int64.self), completionSeq: try c[0]["n"].decode(Int64.self))
        }
    }

    public func resume(_ id: Int64) throws(StoreError) -> ResumePoint {
        guard let run = try run(id) else { throw StoreError("no run \(id) in \(location)") }
        guard run.isResumable else { throw StoreError("run \(id) is \(run.state); only a paused, failed, cancelled or interrupted run resumes") }
        let pid = Int64(getpid())
        _ = try transaction { [self] c in
            try await c.query("""
                UPDATE weft_runs SET state = 'running', pid = \(pid), resumes = resumes + 1, finished_at = NULL, steps = NULL,
                outputs = NULL, error = NULL, error_node = NULL, requested = NULL WHERE id = \(id)
                """, logger: logger)
        }
        return try journalPoint(id)
    }

    public func checkpoints(of id: Int64) throws(StoreError) -> [String: [[WeftValue?]]] {
        try wait { [self] in
            var out: [String: [[WeftValue?]]] = [:]
            for r in try await rows("""
                SELECT node, occurrence, outputs FROM weft_completions WHERE run_id = \(id) AND wave = 0 AND outputs IS NOT NULL
                ORDER BY node, occurrence
                """) {
                let node = try r["node"].decode(String.self)
                guard try Int(r["occurrence"].decode(Int64.self)) == out[node, default: []].count,
                      let values = StoredOutputs.decode(try r["outputs"].decode(String.self)) else { continue }
                out[node, default: []].append(values)
            }
            return out
        }
    }

    public func events(_ id: Int64, _ body: (String) -> Void) throws(StoreError) {
        let blocks = try wait { [self] in
            try await rows("SELECT lines FROM weft_event_blocks WHERE run_id = \(id) ORDER BY first_seq").map { try $0["lines"].decode(String.self) }
        }
        for block in blocks {
            for line in block.split(separator: "\n", omittingEmptySubsequences: true) { body(String(line)) }
        }
    }

    public func requested(_ id: Int64) throws(StoreError) -> String? {
        try wait { [self] in try await rows("SELECT requested FROM weft_runs WHERE id = \(id)").first?["requested"].decode(String?.self) ?? nil }
    }

    public func request(_ id: Int64, _ what: String) throws(StoreError) -> Bool {
        try wait { [self] in
            !(try await rows("UPDATE weft_runs SET requested = \(what) WHERE id = \(id) AND state = 'running' RETURNING id").isEmpty)
        }
    }

    public func setState(_ id: Int64, to state: String, from: [String]) throws(StoreError) -> Bool {
        try wait { [self] in
            !(try await rows("""
                UPDATE weft_runs SET state = \(state), finished_at = COALESCE(finished_at, \(unescaped: Self.now))
                WHERE id = \(id) AND state = ANY(\(from)::text[]) RETURNING id
                """).isEmpty)
        }
    }

    // MARK: reading

    static let columns = """
        id, graph_hash, graph_path, inputs, mode, state, pid, started_at, finished_at, steps, outputs, error, error_node, options, \
        resumes, priority, tags, timeout, created_at, worker, lease_until, fence, attempts, \(now) AS db_now
        """

    static func storedRun(_ r: PostgresRandomAccessRow) throws -> StoredRun {
        var run = StoredRun(id: try r["id"].decode(Int64.self), graphHash: try r["graph_hash"].decode(String.self),
                            inputs: try r["inputs"].decode(String.self), mode: try r["mode"].decode(String.self),
                            state: try r["state"].decode(String.self), startedAt: try r["started_at"].decode(Double.self))
        run.graphPath = try r["graph_path"].decode(String?.self)
        run.pid = Int32(truncatingIfNeeded: try r["pid"].decode(Int64.self))
        run.finishedAt = try r["finished_at"].decode(Double?.self)
        run.steps = try r["steps"].decode(Int64?.self).map { Int($0) }
        run.outputs = try r["outputs"].decode(String?.self)
        run.error = try r["error"].decode(String?.self)
        run.errorNode = try r["error_node"].decode(String?.self)
        run.options = try r["options"].decode(String?.self).flatMap { try? JSON.parse($0) }
        run.resumes = Int(try r["resumes"].decode(Int64.self))
        run.priority = Int(try r["priority"].decode(Int64.self))
        run.tags = try r["tags"].decode(String?.self).flatMap { try? JSON.parse($0) }?.listItems?.compactMap { $0.stringValue } ?? []
        run.timeout = try r["timeout"].decode(Double?.self)
        run.createdAt = try r["created_at"].decode(Double?.self) ?? run.startedAt
        run.worker = try r["worker"].decode(String?.self)
        run.leaseUntil = try r["lease_until"].decode(Double?.self)
        run.fence = try r["fence"].decode(Int64.self)
        run.attempts = Int(try r["attempts"].decode(Int64.self))
        // A claimed run whose lease ran out (by the database's clock) is interrupted.
        if run.state == "running", let lease = run.leaseUntil, lease < (try r["db_now"].decode(Double.self)) { run.state = "interrupted" }
        return run
    }

    public func run(_ id: Int64) throws(StoreError) -> StoredRun? {
        try wait { [self] in try await rows("SELECT \(unescaped: Self.columns) FROM weft_runs WHERE id = \(id)").first.map(Self.storedRun) }
    }

    public func runs(state: String?, limit: Int) throws(StoreError) -> [StoredRun] {
        let stored = state == "interrupted" ? "running" : state
        let n = Int64(limit)
        return try wait { [self] in
            let found = if let stored {
                try await rows("SELECT \(unescaped: Self.columns) FROM weft_runs WHERE state = \(stored) ORDER BY id DESC LIMIT \(n)")
            } else {
                try await rows("SELECT \(unescaped: Self.columns) FROM weft_runs ORDER BY id DESC LIMIT \(n)")
            }
            return try found.map(Self.storedRun).filter { state == nil || $0.state == state }
        }
    }

    public func nodeTable(_ id: Int64) throws(StoreError) -> [(node: String, calls: Int, totalNs: Int64, maxNs: Int64, attempts: Int)] {
        try wait { [self] in
            try await rows("""
                SELECT node, COUNT(*) AS calls, COALESCE(SUM(duration_ns), 0)::bigint AS total, COALESCE(MAX(duration_ns), 0) AS longest,
                MAX(attempt) AS attempts FROM weft_completions WHERE run_id = \(id) GROUP BY node ORDER BY MIN(seq)
                """).map { r in
                (try r["node"].decode(String.self), Int(try r["calls"].decode(Int64.self)), try r["total"].decode(Int64.self),
                 try r["longest"].decode(Int64.self), Int(try r["attempts"].decode(Int64.self)))
            }
        }
    }

    public func eventLines(_ id: Int64, from: Int64) throws(StoreError) -> [(seq: Int64, line: String)] {
        try wait { [self] in
            var out: [(seq: Int64, line: String)] = []
            for r in try await rows("""
                SELECT first_seq, lines FROM weft_event_blocks WHERE run_id = \(id) AND first_seq + count > \(from) ORDER BY first_seq
                """) {
                var seq = try r["first_seq"].decode(Int64.self)
                for line in try r["lines"].decode(String.self).split(separator: "\n", omittingEmptySubsequences: true) {
                    if seq >= from { out.append((seq, String(line))) }
                    seq += 1
                }
            }
            return out
        }
    }

    public func completionRows(_ id: Int64, from: Int64) throws(StoreError) -> [CompletionRow] {
        try wait { [self] in
            try await rows("""
                SELECT seq, node, occurrence, wave, attempt, duration_ns FROM weft_completions
                WHERE run_id = \(id) AND seq >= \(from) ORDER BY seq
                """).map { r in
                CompletionRow(seq: try r["seq"].decode(Int64.self), node: try r["node"].decode(String.self),
                              occurrence: Int(try r["occurrence"].decode(Int64.self)), wave: Int(try r["wave"].decode(Int64.self)),
                              attempt: Int(try r["attempt"].decode(Int64.self)), durationNs: try r["duration_ns"].decode(Int64?.self))
            }
        }
    }

    public func graph(_ hash: String) throws(StoreError) -> String? {
        try wait { [self] in try await rows("SELECT json FROM weft_graphs WHERE hash = \(hash)").first?["json"].decode(String.self) }
    }

    @discardableResult
    public func storeGraph(_ json: String) throws(StoreError) -> String {
        let hash = RunStore.hash(json)
        _ = try wait { [self] in
            try await client.query("INSERT INTO weft_graphs (hash, json) VALUES (\(hash), \(json)) ON CONFLICT DO NOTHING", logger: logger)
        }
        return hash
    }

    // MARK: the queue

    public func enqueue(graphJSON: String, inputs: WeftValue, mode: String, priority: Int, tags: [String],
                        timeout: Double?) throws(StoreError) -> Int64 {
        let hash = RunStore.hash(graphJSON)
        let (inputsText, tagsText, p) = (JSON.encode(inputs), JSON.encode(.list(tags.map { .string($0) })), Int64(priority))
        return try transaction { [self] c in
            try await c.query("INSERT INTO weft_graphs (hash, json) VALUES (\(hash), \(graphJSON)) ON CONFLICT DO NOTHING", logger: logger)
            let r = try await rows("""
                INSERT INTO weft_runs (graph_hash, inputs, mode, state, pid, started_at, created_at, priority, tags, timeout)
                VALUES (\(hash), \(inputsText), \(mode), 'queued', 0, \(unescaped: Self.now), \(unescaped: Self.now), \(p), \(tagsText),
                \(timeout)) RETURNING id
                """, on: c)
            try await c.query("NOTIFY weft_queue", logger: logger)
            return try r[0]["id"].decode(Int64.self)
        }
    }

    public func claim(worker: String, lease: Double, maxAttempts: Int) throws(StoreError) -> ClaimedRun? {
        let (pid, most) = (Int64(getpid()), Int64(maxAttempts))
        return try transaction { [self] c -> ClaimedRun? in
            while true {
                let candidates = try await rows("""
                    SELECT id, attempts, state FROM weft_runs
                    WHERE state = 'queued' OR (state = 'running' AND lease_until IS NOT NULL AND lease_until < \(unescaped: Self.now))
                    ORDER BY state = 'running' DESC, priority DESC, id LIMIT 1 FOR UPDATE SKIP LOCKED
                    """, on: c)
                guard let row = candidates.first else { return nil }
                let (id, attempts, state) = (try row["id"].decode(Int64.self), try row["attempts"].decode(Int64.self),
                                             try row["state"].decode(String.self))
                if state == "running" && attempts >= most {
                    let message = "run \(id) was claimed \(attempts) times and each time its worker stopped before it ended "
                        + "(max attempts \(maxAttempts)): a node may crash or hang the worker; the worker logs say more. "
                        + "Resume it to try again."
                    try await c.query("""
                        UPDATE weft_runs SET state = 'failed', finished_at = \(unescaped: Self.now), lease_until = NULL, error = \(message)
                        WHERE id = \(id)
                        """, logger: logger)
                    continue
                }
                let r = try await rows("""
                    UPDATE weft_runs SET state = 'running', worker = \(worker), pid = \(pid), lease_until = \(unescaped: Self.now) + \(lease),
                    fence = fence + 1, attempts = attempts + 1, resumes = resumes + (CASE WHEN attempts > 0 THEN 1 ELSE 0 END),
                    started_at = CASE WHEN attempts = 0 AND resumes = 0 THEN \(unescaped: Self.now) ELSE started_at END,
                    finished_at = NULL, steps = NULL, outputs = NULL, error = NULL, error_node = NULL
                    WHERE id = \(id) RETURNING \(unescaped: Self.columns)
                    """, on: c)
                let run = try Self.storedRun(r[0])
                return ClaimedRun(run: run, fence: run.fence)
            }
        }
    }

    public func heartbeat(_ id: Int64, fence: Int64, lease: Double) throws(StoreError) -> Heartbeat {
        try wait { [self] in
            let r = try await rows("""
                UPDATE weft_runs SET lease_until = \(unescaped: Self.now) + \(lease)
                WHERE id = \(id) AND fence = \(fence) AND state = 'running' RETURNING requested
                """)
            guard let row = r.first else { return .lost }
            return .held(requested: try row["requested"].decode(String?.self))
        }
    }

    public func requeue(_ id: Int64, fence: Int64?) throws(StoreError) -> Bool {
        if let fence {
            return try wait { [self] in
                let done = !(try await rows("""
                    UPDATE weft_runs SET state = 'queued', lease_until = NULL, worker = NULL, requested = NULL
                    WHERE id = \(id) AND fence = \(fence) AND state = 'running' RETURNING id
                    """).isEmpty)
                if done { try await client.query("NOTIFY weft_queue", logger: logger) }
                return done
            }
        }
        guard let run = try run(id), run.isResumable else { return false }
        let was = run.state == "interrupted" ? "running" : run.state
        return try wait { [self] in
            let done = !(try await rows("""
                UPDATE weft_runs SET state = 'queued', lease_until = NULL, worker = NULL, requested = NULL, attempts = 0,
                resumes = resumes + 1, finished_at = NULL, error = NULL, error_node = NULL WHERE id = \(id) AND state = \(was)
                RETURNING id
                """).isEmpty)
            if done { try await client.query("NOTIFY weft_queue", logger: logger) }
            return done
        }
    }

    public func queueDepth() throws(StoreError) -> Int {
        try wait { [self] in Int(try await rows("SELECT COUNT(*) AS n FROM weft_runs WHERE state = 'queued'")[0]["n"].decode(Int64.self)) }
    }

    public func countsByState() throws(StoreError) -> [(state: String, count: Int)] {
        try wait { [self] in
            try await rows("SELECT state, COUNT(*) AS n FROM weft_runs GROUP BY state ORDER BY state").map { r in
                (try r["state"].decode(String.self), Int(try r["n"].decode(Int64.self)))
            }
        }
    }

    public func pastDurations(graphHash: String, limit: Int) throws(StoreError) -> (median: Double, count: Int)? {
        let n = Int64(limit)
        let values = try wait { [self] in
            try await rows("""
                SELECT finished_at - started_at AS d FROM weft_runs
                WHERE graph_hash = \(graphHash) AND state = 'succeeded' AND finished_at IS NOT NULL ORDER BY id DESC LIMIT \(n)
                """).map { try $0["d"].decode(Double.self) }.sorted()
        }
        return values.isEmpty ? nil : (values[values.count / 2], values.count)
    }

    /// Calls `wake` whenever a run is queued (LISTEN weft_queue), until
    /// this store is released. Reconnects after a lost connection.
    public func watchQueue(_ wake: @escaping @Sendable () -> Void) {
        let (client, logger) = (self.client, self.logger)
        listener = Task {
            while !Task.isCancelled {
                do {
                    try await client.withConnection { c in
                        try await c.listen(on: "weft_queue") { notifications in
                            for try await _ in notifications { wake() }
                        }
                    }
                } catch {
                    logger.warning("LISTEN weft_queue: \(String(reflecting: error)); listening again in 1 s")
                }
                try? await Task.sleep(nanoseconds: 1_000_000_000)
            }
        }
    }
}

extension String {
    var trimmedSpace: Substring {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}

extension PostgresRunStore {
    /// `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?host=SOCKET_FOLDER]`:
    /// the client's configuration, and the URL without its password (for
    /// messages). Percent-escapes in the user and password are decoded.
    static func parse(_ url: String) throws(StoreError) -> (configuration: PostgresClient.Configuration, display: String) {
        func refuse(_ why: String) -> StoreError {
            StoreError("--store \(url.replacing(/:[^:@\/]*@/, with: ":…@")): \(why); the form is "
                           + "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (or ?host=/run/postgresql for a Unix socket)")
        }
        guard let scheme = url.firstRange(of: "://"), isURL(url) else { throw refuse("not a postgres:// URL") }
        var rest = Substring(url[scheme.upperBound...])
        var query: [String: String] = [:]
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                query[String(kv[0])] = kv.count > 1 ? percentDecoded(kv[1]) : ""
            }
            rest = rest[..<q]
        }
        guard let at = rest.lastIndex(of: "@") else { throw refuse("no user (USER@HOST)") }
        let credentials = rest[..<at]
        let user = percentDecoded(credentials.split(separator: ":", maxSplits: 1).first ?? "")
        let password = credentials.contains(":") ? percentDecoded(credentials.split(separator: ":", maxSplits: 1)[1]) : nil
        let hostPart = rest[rest.index(after: at)...]
        guard let slash = hostPart.firstIndex(of: "/") else { throw refuse("no database (HOST/DATABASE)") }
        let database = String(hostPart[hostPart.index(after: slash)...])
        guard !user.isEmpty, !database.isEmpty else { throw refuse("no user or no database") }
        let hostPort = hostPart[..<slash]
        var host = String(hostPort), port = 5432
        if let colon = hostPort.lastIndex(of: ":"), let p = Int(hostPort[hostPort.index(after: colon)...]) {
            host = String(hostPort[..<colon])
            port = p
        }
        let display = "postgres://\(user)@\(hostPort)/\(database)" + (query["host"].map { "?host=\($0)" } ?? "")
        if let socketFolder = query["host"] {
            return (.init(unixSocketPath: socketFolder + "/.s.PGSQL.\(port)", username: user, password: password, database: database), display)
        }
        guard !host.isEmpty else { throw refuse("no host (give one, or ?host=SOCKET_FOLDER)") }
        if let mode = query["sslmode"], mode != "disable" {
            throw refuse("sslmode=\(mode) is not supported yet (only plain connections: keep the database on a private network)")
        }
        return (.init(host: host, port: port, username: user, password: password, database: database, tls: .disable), display)
    }

    static func percentDecoded(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        var i = s.utf8.startIndex
        let u = s.utf8
        while i < u.endIndex {
            if u[i] == UInt8(ascii: "%"), let a = u.index(i, offsetBy: 1, limitedBy: u.endIndex), a < u.endIndex,
               let b = u.index(a, offsetBy: 1, limitedBy: u.endIndex), b < u.endIndex,
               let v = UInt8(String(decoding: [u[a], u[b]], as: UTF8.self), radix: 16) {
                bytes.append(v)
                i = u.index(after: b)
            } else {
                bytes.append(u[i])
                i = u.index(after: i)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
