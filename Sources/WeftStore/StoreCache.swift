import WeftCore
import WeftNative
import WeftScheduler

/// The cache of cached nodes (`"cache"`, `--cache`), in the run store's
/// `cache` table: an entry per key (looked up by the key's hash, then the
/// whole key compared), its outputs, when it was made and when it expires.
/// A store that cannot be read or written is a miss (and a warning once):
/// a cache never fails a run.
public final class StoreCache: NodeCache, @unchecked Sendable {
    public let store: RunStore
    private let lock = ConditionLock()
    private var warned = false
    /// Lookups that found an entry, and entries written, in this process.
    public private(set) var hits = 0
    public private(set) var writes = 0
    let warn: @Sendable (String) -> Void

    public init(store: RunStore, warn: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.warn = warn
    }

    public func lookup(_ key: String) -> [WeftValue?]? {
        do {
            guard let text = try store.cached(hash: RunStore.hash(key), key: key),
                  let outputs = StoredOutputs.decode(text) else { return nil }
            lock.withLock { hits += 1 }
            return outputs
        } catch {
            problem("\(error)")
            return nil
        }
    }

    public func store(_ key: String, _ outputs: [WeftValue?], ttlSeconds: Double?) {
        let text = StoredOutputs.encode(outputs)
        do {
            try store.keep(hash: RunStore.hash(key), key: key, outputs: text, ttlSeconds: ttlSeconds)
            lock.withLock { writes += 1 }
        } catch {
            problem("\(error)")
        }
    }

    private func problem(_ message: String) {
        let first = lock.withLock { () -> Bool in
            defer { warned = true }
            return !warned
        }
        if first { warn("the cache in the run store cannot be used (\(message)); cached nodes run as usual") }
    }
}

extension RunStore {
    /// The outputs kept for `key` (text), unless expired.
    func cached(hash: String, key: String) throws(StoreError) -> String? {
        try locked { () throws(StoreError) -> String? in
            let s = try db.prepare("SELECT outputs FROM cache WHERE hash = ? AND key = ? AND (expires_at IS NULL OR expires_at > ?)")
                .bind([.text(hash), .text(key), .double(Self.now())])
            return try s.step() ? s.text(0) : nil
        }
    }

    func keep(hash: String, key: String, outputs: String, ttlSeconds: Double?) throws(StoreError) {
        let now = Self.now()
        try locked { () throws(StoreError) in
            try db.prepare("INSERT OR REPLACE INTO cache (hash, key, outputs, created_at, expires_at) VALUES (?, ?, ?, ?, ?)")
                .bind([.text(hash), .text(key), .text(outputs), .double(now), ttlSeconds.map { .double(now + $0) } ?? .null]).run()
        }
    }

    /// The cache's entries, those expired among them, and the bytes of
    /// their keys and outputs.
    public func cacheStats() throws(StoreError) -> (entries: Int, expired: Int, bytes: Int64) {
        try locked { () throws(StoreError) -> (entries: Int, expired: Int, bytes: Int64) in
            let s = try db.prepare("""
                SELECT COUNT(*), COALESCE(SUM(expires_at IS NOT NULL AND expires_at <= ?), 0),
                       COALESCE(SUM(LENGTH(key) + LENGTH(outputs)), 0) FROM cache
                """).bind([.double(Self.now())])
            _ = try s.step()
            return (Int(s.int(0)), Int(s.int(1)), s.int(2))
        }
    }

    /// Deletes every entry (or only the expired ones); how many.
    public func clearCache(expiredOnly: Bool) throws(StoreError) -> Int {
        try locked { () throws(StoreError) -> Int in
            if expiredOnly {
                try db.prepare("DELETE FROM cache WHERE expires_at IS NOT NULL AND expires_at <= ?").bind([.double(Self.now())]).run()
            } else {
                try db.exec("DELETE FROM cache")
            }
            return db.changes
        }
    }
}
