public import WeftCore
import WeftNative
#if canImport(Glibc)
import Glibc
#endif

/// The run store: every run of `weft run --store`, in one SQLite file
/// (WAL, so readers never wait for the run that writes): the run (its
/// graph, inputs, state, outcome, outputs), each node completion, and
/// every event. Safe for several processes at once (SQLite's locking,
/// with a busy timeout); one connection per store object, used by one
/// thread at a time (a lock here).
public final class RunStore: @unchecked Sendable {
    /// The schema this Weft writes (`PRAGMA user_version`).
    public static let schemaVersion: Int64 = 4
    /// Migrations: entry k takes a store from version k to k + 1.
    static let migrations: [String] = [
        """
        CREATE TABLE graphs (
            hash TEXT PRIMARY KEY,
            json TEXT NOT NULL
        ) WITHOUT ROWID;
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            graph_hash TEXT NOT NULL REFERENCES graphs(hash),
            graph_path TEXT,
            inputs TEXT NOT NULL,
            mode TEXT NOT NULL,
            state TEXT NOT NULL,
            pid INTEGER NOT NULL,
            started_at REAL NOT NULL,
            finished_at REAL,
            steps INTEGER,
            outputs TEXT,
            error TEXT,
            error_node TEXT
        );
        CREATE INDEX runs_state ON runs(state, started_at);
        CREATE TABLE node_completions (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            node TEXT NOT NULL,
            iteration INTEGER NOT NULL,
            wave INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            duration_ns INTEGER NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE events (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            time_ns INTEGER NOT NULL,
            kind TEXT NOT NULL,
            node TEXT,
            json TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID;
        """,
        // 2: the cache of cached nodes (`StoreCache`).
        """
        CREATE TABLE cache (
            hash TEXT NOT NULL,
            key TEXT NOT NULL,
            outputs TEXT NOT NULL,
            created_at REAL NOT NULL,
            expires_at REAL,
            PRIMARY KEY (hash, key)
        ) WITHOUT ROWID;
        """,
        // 3: each node completion with its outputs (what `weft runs
        // resume` and partial runs restore; `completions` replaces
        // `node_completions`), events in blocks (one row per group), how a
        // run was started (to resume it), how often it was resumed, and a
        // pause or cancel asked of it (`requested`).
        """
        ALTER TABLE runs ADD COLUMN options TEXT;
        ALTER TABLE runs ADD COLUMN resumes INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN requested TEXT;
        CREATE TABLE completions (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            node TEXT NOT NULL,
            occurrence INTEGER NOT NULL,
            wave INTEGER NOT NULL,
            attempt INTEGER NOT NULL,
            duration_ns INTEGER,
            outputs TEXT,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID;
        INSERT INTO completions SELECT run_id, seq, node, iteration, wave, attempt, duration_ns, NULL FROM node_completions;
        DROP TABLE node_completions;
        CREATE TABLE event_blocks (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            first_seq INTEGER NOT NULL,
            count INTEGER NOT NULL,
            lines TEXT NOT NULL,
            PRIMARY KEY (run_id, first_seq)
        ) WITHOUT ROWID;
        INSERT INTO event_blocks SELECT run_id, seq, 1, json FROM events;
        DROP TABLE events;
        """,
        // 4: the queue of `weft serve` (`RunStore+Queue.swift`): a queued
        // run's priority, tags and timeout; the worker that claimed it, its
        // lease, the fencing token of that claim, and how often it was claimed.
        """
        ALTER TABLE runs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN tags TEXT;
        ALTER TABLE runs ADD COLUMN timeout REAL;
        ALTER TABLE runs ADD COLUMN created_at REAL;
        ALTER TABLE runs ADD COLUMN worker TEXT;
        ALTER TABLE runs ADD COLUMN lease_until REAL;
        ALTER TABLE runs ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX runs_queue ON runs(state, priority DESC, id);
        """,
    ]

    let db: SQLiteDatabase
    private let lock = ConditionLock()
    /// Runs whose writes carry a fencing token (`fence(_:token:)`).
    let fences = Locked<[Int64: Int64]>([:])
    public var path: String { db.path }
    public var location: String { db.path }

    /// Opens the store at `path`, creating it (and its folder) if needed
    /// and bringing its schema up to date.
    /// - Throws: `StoreError` naming the file and the fix: not a store
    ///   (or damaged), made by a newer Weft, not writable.
    public init(path: String) throws(StoreError) {
        try Self.makeFolder(of: path)
        db = try SQLiteDatabase(path: path)
        do throws(StoreError) {
            try db.exec("PRAGMA busy_timeout = 10000")
            try db.exec("PRAGMA foreign_keys = ON")
            // (Reads the header first: a file that is not a database fails here.)
            let version = try db.integer("PRAGMA user_version")
            if version > Self.schemaVersion {
                throw StoreError("\(path) is a run store of a newer Weft (schema \(version); this Weft reads up to "
                                     + "\(Self.schemaVersion)): use that Weft, or give another --store")
            }
            try db.exec("PRAGMA journal_mode = WAL")
            try db.exec("PRAGMA synchronous = NORMAL")
            // A cap on the file's size (`WEFT_STORE_MAX_BYTES`): past it, writes fail as on a full disk.
            if let cap = getenv("WEFT_STORE_MAX_BYTES").flatMap({ Int64(String(cString: $0)) }), cap > 0 {
                let page = try db.integer("PRAGMA page_size")
                _ = try db.integer("PRAGMA max_page_count = \(max(1, cap / max(page, 512)))")
            }
            if version < Self.schemaVersion {
                try db.transaction { () throws(StoreError) in
                    // (Again inside the write lock: another process may have migrated meanwhile.)
                    var v = try db.integer("PRAGMA user_version")
                    while v < Self.schemaVersion {
                        try db.exec(Self.migrations[Int(v)])
                        v += 1
                        try db.exec("PRAGMA user_version = \(v)")
                    }
                }
            }
        } catch {
            if error.message.contains("file is not a database") || error.message.contains("malformed") {
                throw StoreError("\(path) is not a Weft run store, or it is damaged (\(error.message)); move it away "
                                     + "(a new store is made in its place) or give another --store")
            }
            throw error
        }
    }

    static func makeFolder(of path: String) throws(StoreError) {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return }
        var made = path.hasPrefix("/") ? "" : "."
        for part in path[..<slash].split(separator: "/") {
            made += "/" + part
            if mkdir(made, 0o755) != 0 && errno != EEXIST {
                throw StoreError("cannot make the run store's folder \(made): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The store's default file: `$XDG_STATE_HOME/weft/runs.db`, else
    /// `~/.local/state/weft/runs.db`.
    public static func defaultPath(environment: [String: String]) -> String? {
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") { return state + "/weft/runs.db" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.local/state/weft/runs.db"
    }

    // MARK: writing

    /// A new run, state `running`: its graph (stored once per content),
    /// inputs and mode. Its id.
    /// Records a new run (state running, this process); its id. `options`:
    /// how it was started (for `weft runs resume`: the command line).
    public func begin(graphJSON: String, graphPath: String?, inputs: WeftValue, mode: String,
                      options: WeftValue? = nil) throws(StoreError) -> Int64 {
        let hash = Self.hash(graphJSON)
        return try lock.withLock { () throws(StoreError) -> Int64 in
            try db.transaction { () throws(StoreError) -> Int64 in
                try db.prepare("INSERT OR IGNORE INTO graphs (hash, json) VALUES (?, ?)").bind([.text(hash), .text(graphJSON)]).run()
                try db.prepare("""
                    INSERT INTO runs (graph_hash, graph_path, inputs, mode, state, pid, started_at, options)
                    VALUES (?, ?, ?, ?, 'running', ?, ?, ?)
                    """).bind([.text(hash), graphPath.map { .text($0) } ?? .null, .text(JSON.encode(inputs)), .text(mode),
                               .int(Int64(getpid())), .double(Self.now()), options.map { .text(JSON.encode($0)) } ?? .null]).run()
                return db.lastInsertedRow
            }
        }
    }

    /// A block of run `id`'s events: `count` JSON lines from `firstSeq`.
    public func appendEvents(_ id: Int64, firstSeq: Int64, count: Int, lines: String) throws(StoreError) {
        guard count > 0 else { return }
        try lock.withLock { () throws(StoreError) in
            try db.transaction { () throws(StoreError) in
                try checkFence(id)
                try db.prepare("INSERT INTO event_blocks (run_id, first_seq, count, lines) VALUES (?, ?, ?, ?)")
                    .bind([.int(id), .int(firstSeq), .int(Int64(count)), .text(lines)]).run()
            }
        }
    }

    /// Run `id` ended: its state (succeeded, failed, cancelled), steps,
    /// outputs and error.
    public func finish(_ id: Int64, state: String, steps: Int, outputs: WeftValue, error: String?, errorNode: String?) throws(StoreError) {
        try lock.withLock { () throws(StoreError) in
            try db.transaction { () throws(StoreError) in
                try checkFence(id)
                try db.prepare("""
                    UPDATE runs SET state = ?, finished_at = ?, steps = ?, outputs = ?, error = ?, error_node = ?, lease_until = NULL
                    WHERE id = ?
                    """).bind([.text(state), .double(Self.now()), .int(Int64(steps)), .text(JSON.encode(outputs)),
                               error.map { .text($0) } ?? .null, errorNode.map { .text($0) } ?? .null, .int(id)]).run()
            }
        }
    }

    // MARK: reading

    /// Runs, newest first; with `state`, only those in it (`interrupted`:
    /// runs still marked running whose process is gone).
    public func runs(state: String? = nil, limit: Int = 100) throws(StoreError) -> [StoredRun] {
        try lock.withLock { () throws(StoreError) -> [StoredRun] in
            let s = try db.prepare("SELECT \(StoredRun.columns) FROM runs ORDER BY id DESC")
            var out: [StoredRun] = []
            while try s.step() {
                let run = StoredRun(s)
                if let state, run.state != state { continue }
                out.append(run)
                if out.count >= limit { break }
            }
            return out
        }
    }

    public func run(_ id: Int64) throws(StoreError) -> StoredRun? {
        try lock.withLock { () throws(StoreError) -> StoredRun? in
            let s = try db.prepare("SELECT \(StoredRun.columns) FROM runs WHERE id = ?").bind([.int(id)])
            return try s.step() ? StoredRun(s) : nil
        }
    }

    /// The graph a run ran (its JSON text).
    public func graphJSON(of run: StoredRun) throws(StoreError) -> String? {
        try lock.withLock { () throws(StoreError) -> String? in
            let s = try db.prepare("SELECT json FROM graphs WHERE hash = ?").bind([.text(run.graphHash)])
            return try s.step() ? s.text(0) : nil
        }
    }

    /// Per node: completions, total and longest duration (of the timed
    /// ones), most attempts.
    public func nodeTable(_ id: Int64) throws(StoreError) -> [(node: String, calls: Int, totalNs: Int64, maxNs: Int64, attempts: Int)] {
        try lock.withLock { () throws(StoreError) in
            let s = try db.prepare("""
                SELECT node, COUNT(*), COALESCE(SUM(duration_ns), 0), COALESCE(MAX(duration_ns), 0), MAX(attempt) FROM completions
                WHERE run_id = ? GROUP BY node ORDER BY MIN(seq)
                """).bind([.int(id)])
            var out: [(node: String, calls: Int, totalNs: Int64, maxNs: Int64, attempts: Int)] = []
            while try s.step() {
                out.append((s.text(0) ?? "", Int(s.int(1)), s.int(2), s.int(3), Int(s.int(4))))
            }
            return out
        }
    }

    /// Run `id`'s events as their JSON lines (the `--events` format), in order.
    public func events(_ id: Int64, _ body: (String) -> Void) throws(StoreError) {
        try lock.withLock { () throws(StoreError) in
            let s = try db.prepare("SELECT lines FROM event_blocks WHERE run_id = ? ORDER BY first_seq").bind([.int(id)])
            while try s.step() {
                for line in (s.text(0) ?? "").split(separator: "\n", omittingEmptySubsequences: true) { body(String(line)) }
            }
        }
    }

    /// Deletes runs that finished more than `seconds` ago (and graphs no
    /// run uses any more); how many runs.
    public func prune(olderThan seconds: Double) throws(StoreError) -> Int {
        try lock.withLock { () throws(StoreError) -> Int in
            try db.transaction { () throws(StoreError) -> Int in
                try db.prepare("DELETE FROM runs WHERE state != 'running' AND finished_at < ?")
                    .bind([.double(Self.now() - seconds)]).run()
                let removed = db.changes
                try db.exec("DELETE FROM graphs WHERE hash NOT IN (SELECT graph_hash FROM runs)")
                return removed
            }
        }
    }

    // MARK: helpers

    /// `body` under the store's lock (one thread at a time on the connection).
    func locked<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try lock.withLock(body)
    }

    /// SQLite's check of the whole file: "ok", or what is wrong.
    public func integrityCheck() throws(StoreError) -> String {
        try locked { () throws(StoreError) -> String in
            let s = try db.prepare("PRAGMA integrity_check")
            var lines: [String] = []
            while try s.step() { lines.append(s.text(0) ?? "") }
            return lines.joined(separator: "\n")
        }
    }

    /// Wall-clock seconds since 1970 (the store's timestamps).
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// A graph's identity in the store: FNV-1a (64 bits) of its text, in
    /// hex. Identity, not security: a graph is stored once per hash.
    public static func hash(_ text: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var copy = text
        copy.withUTF8 { bytes in
            for byte in bytes {
                h ^= UInt64(byte)
                h = h &* 0x0000_0100_0000_01b3
            }
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// One run as the store keeps it.
public struct StoredRun: Sendable {
    public var id: Int64
    public var graphHash: String
    public var graphPath: String?
    public var inputs: String
    public var mode: String
    /// running, paused, succeeded, failed, cancelled — or interrupted:
    /// marked running, but its process is gone (killed, crashed).
    public var state: String
    public var pid: Int32
    public var startedAt: Double
    public var finishedAt: Double?
    public var steps: Int?
    public var outputs: String?
    public var error: String?
    public var errorNode: String?

    /// How it was started (`begin`'s `options`; nil before schema 3).
    public var options: WeftValue?
    /// Times it was resumed.
    public var resumes: Int
    /// Queued runs (`weft serve`): higher first.
    public var priority: Int
    /// Strings given with it (`weft serve`).
    public var tags: [String]
    /// Seconds it may take (`weft serve`), if limited.
    public var timeout: Double?
    /// When it was queued or started (for runs before schema 4: started).
    public var createdAt: Double
    /// The worker that claimed it last (`host:pid#slot`).
    public var worker: String?
    /// Until when that worker's claim holds without a heartbeat.
    public var leaseUntil: Double?
    /// The fencing token of the last claim (each claim adds one).
    public var fence: Int64
    /// Times a worker claimed it.
    public var attempts: Int

    static let columns = """
        id, graph_hash, graph_path, inputs, mode, state, pid, started_at, finished_at, steps, outputs, error, error_node, options, resumes, \
        priority, tags, timeout, created_at, worker, lease_until, fence, attempts
        """

    /// A run read from another store (PostgreSQL); the rest is set after.
    public init(id: Int64, graphHash: String, inputs: String, mode: String, state: String, startedAt: Double) {
        self.id = id
        self.graphHash = graphHash
        self.inputs = inputs
        self.mode = mode
        self.state = state
        self.startedAt = startedAt
        pid = 0
        resumes = 0
        priority = 0
        tags = []
        createdAt = startedAt
        fence = 0
        attempts = 0
    }

    init(_ s: SQLiteStatement) {
        id = s.int(0)
        graphHash = s.text(1) ?? ""
        graphPath = s.text(2)
        inputs = s.text(3) ?? "{}"
        mode = s.text(4) ?? ""
        pid = Int32(truncatingIfNeeded: s.int(6))
        state = s.text(5) ?? ""
        if state == "running" && kill(pid, 0) != 0 && errno == ESRCH { state = "interrupted" }
        startedAt = s.double(7)
        finishedAt = s.isNull(8) ? nil : s.double(8)
        steps = s.isNull(9) ? nil : Int(s.int(9))
        outputs = s.text(10)
        error = s.text(11)
        errorNode = s.text(12)
        options = s.text(13).flatMap { try? JSON.parse($0) }
        resumes = Int(s.int(14))
        priority = Int(s.int(15))
        tags = s.text(16).flatMap { try? JSON.parse($0) }.flatMap { $0.listItems }?.compactMap(\.stringValue) ?? []
        timeout = s.isNull(17) ? nil : s.double(17)
        createdAt = s.isNull(18) ? startedAt : s.double(18)
        worker = s.text(19)
        leaseUntil = s.isNull(20) ? nil : s.double(20)
        fence = s.int(21)
        attempts = Int(s.int(22))
        // A claimed run whose lease ran out is interrupted too (its worker may be on another host).
        if state == "running", let leaseUntil, leaseUntil < RunStore.now() { state = "interrupted" }
    }

    /// Whether `weft runs resume` can continue it.
    public var isResumable: Bool { ["interrupted", "paused", "failed", "cancelled"].contains(state) }
}
