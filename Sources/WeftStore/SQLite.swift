import CSQLite

/// A thin layer over the SQLite C API: one connection, prepared
/// statements, errors with SQLite's own message. Not thread-safe: one
/// thread at a time per connection (the store keeps it so).
final class SQLiteDatabase {
    let handle: OpaquePointer
    let path: String

    /// Opens (or creates) the database at `path`.
    init(path: String, readOnly: Bool = false) throws(StoreError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let db { sqlite3_close_v2(db) }
            throw StoreError("cannot open the run store \(path): \(message)")
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
    }

    deinit { sqlite3_close_v2(handle) }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// The error of the call that just failed (`message`: SQLite's), with
    /// the fix when the store is full (the disk, or `WEFT_STORE_MAX_BYTES`).
    func failure(_ message: String) -> StoreError {
        if sqlite3_errcode(handle) & 0xff == SQLITE_FULL {
            return StoreError("the run store \(path) is full (\(message)): free disk space, or delete old runs "
                                  + "(weft runs prune --older-than 7d)")
        }
        return StoreError("\(path): \(message)")
    }

    /// Runs `sql` (one or more statements, no results).
    func exec(_ sql: String) throws(StoreError) {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(handle, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(error)
            throw failure(message)
        }
    }

    func prepare(_ sql: String) throws(StoreError) -> SQLiteStatement {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
            throw StoreError("\(path): \(lastMessage) (in: \(sql))")
        }
        return SQLiteStatement(statement, db: self)
    }

    /// The first column of the first row of `sql`, as an integer.
    func integer(_ sql: String) throws(StoreError) -> Int64 {
        let s = try prepare(sql)
        guard try s.step() else { return 0 }
        return s.int(0)
    }

    var lastInsertedRow: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// `body` in one transaction: committed when it returns, rolled back
    /// when it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try exec("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try exec("COMMIT")
            return value
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }
}

/// A prepared statement: bind (1-based), step, read columns (0-based).
final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let db: SQLiteDatabase

    init(_ handle: OpaquePointer, db: SQLiteDatabase) {
        self.handle = handle
        self.db = db
    }

    deinit { sqlite3_finalize(handle) }

    func bind(_ values: [SQLiteValue]) -> SQLiteStatement {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (i, v) in values.enumerated() {
            let at = Int32(i + 1)
            switch v {
            case .null: sqlite3_bind_null(handle, at)
            case .int(let n): sqlite3_bind_int64(handle, at, n)
            case .double(let d): sqlite3_bind_double(handle, at, d)
            case .text(let s): sqlite3_bind_text(handle, at, s, -1, csqlite_transient())
            }
        }
        return self
    }

    /// Binds one parameter (1-based) without building a list: for
    /// statements run many times in a row.
    func bind(_ at: Int32, _ value: Int64) { sqlite3_bind_int64(handle, at, value) }
    func bind(_ at: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(handle, at, value) } else { sqlite3_bind_null(handle, at) }
    }
    func bind(_ at: Int32, _ value: String) {
        var text = value
        _ = text.withUTF8 { sqlite3_bind_text(handle, at, UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), Int32($0.count), csqlite_transient()) }
    }

    /// Runs it once more with the parameters bound since (an insert).
    func runAgain() throws(StoreError) {
        defer { sqlite3_reset(handle) }
        if sqlite3_step(handle) != SQLITE_DONE { throw db.failure(db.lastMessage) }
    }

    /// The next row: true when there is one, false when done.
    @discardableResult
    func step() throws(StoreError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw db.failure(db.lastMessage)
        }
    }

    /// Runs it to the end (an insert or update).
    func run() throws(StoreError) {
        while try step() {}
        sqlite3_reset(handle)
    }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    func text(_ column: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: p)
    }
}

enum SQLiteValue {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
}

/// A run store problem: a message that names the file and what to do.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
