import Foundation
import Testing
import WeftCore
import WeftNative
import WeftScheduler
import WeftStore
import WeftTestSupport

/// Cached nodes (`"cache"`): outputs kept in the run store by type, plugin
/// file, params and input values; a hit makes no call.
@Suite("Node cache")
struct CacheTests {
    static let graph = """
        {"weft": 1, "inputs": {"x": "int", "tags": {"type": "map", "default": {"a": 1, "b": 2}}},
         "nodes": [{"id": "twice", "type": "std.mul", "inputs": {"b": 2}, "cache": true},
                   {"id": "keys", "type": "std.format", "inputs": {"template": "{a}-{b}"}, "cache": {"ttl_s": 3600}},
                   {"id": "plain", "type": "std.add", "inputs": {"b": 1}}],
         "edges": [{"from": "$x", "to": "twice.a"}, {"from": "$tags", "to": "keys.args"}, {"from": "twice.result", "to": "plain.a"}],
         "outputs": {"twice": "twice.result", "keys": "keys.result", "plain": "plain.result"}}
        """

    static func run(_ json: String, _ inputs: [String: WeftValue], cache: (any NodeCache)?, mode: RunMode = .sequential) throws
        -> (RunResult, [RunEvent]) {
        let plan = try GraphValidator.load(text: json, catalog: RunStoreTests.registry)
        let recorder = EventRecorder()
        var options = RunOptions(mode: mode, workers: 2, observers: [recorder])
        options.cache = cache
        let r = try Scheduler.run(try CompiledGraph(plan: plan, registry: RunStoreTests.registry), inputs: inputs, options: options)
        return (r, recorder.events)
    }

    static func hits(_ events: [RunEvent]) -> [String] {
        events.compactMap { if case .cacheHit(_, _, let id) = $0 { id } else { nil } }
    }
    static func called(_ events: [RunEvent]) -> Set<String> {
        Set(events.compactMap { if case .nodeFinished(_, _, let id, _, _) = $0 { id } else { nil } })
    }

    @Test(arguments: [RunMode.sequential, .parallel])
    func aSecondRunTakesTheCachedOutputsWithoutACall(mode: RunMode) throws {
        let store = try RunStore(path: try RunStoreTests.storePath())
        let cache = StoreCache(store: store)
        let (uncached, _) = try Self.run(Self.graph, ["x": 21], cache: nil, mode: mode)
        let (first, e1) = try Self.run(Self.graph, ["x": 21], cache: cache, mode: mode)
        let (second, e2) = try Self.run(Self.graph, ["x": 21], cache: cache, mode: mode)
        for r in [first, second] { #expect(r.outputs.map(\.value) == uncached.outputs.map(\.value)) }
        #expect(second[output: "twice"] == .int(42) && second[output: "keys"] == "1-2" && second[output: "plain"] == .int(43))
        #expect(Self.hits(e1).isEmpty && Self.called(e1).isSuperset(of: ["twice", "keys"]))
        #expect(Set(Self.hits(e2)) == ["twice", "keys"])
        #expect(!Self.called(e2).contains("twice") && !Self.called(e2).contains("keys") && Self.called(e2).contains("plain"))
        #expect(cache.writes == 2 && cache.hits == 2)
        // Other inputs: a miss (and the map in another key order is the same value: a hit).
        let (third, e3) = try Self.run(Self.graph, ["x": 5, "tags": .object([("b", 2), ("a", 1)])], cache: cache, mode: mode)
        #expect(third[output: "twice"] == .int(10))
        #expect(Self.hits(e3) == ["keys"])
    }

    @Test func expiredEntriesAreMissesAndStatsCountThem() throws {
        let store = try RunStore(path: try RunStoreTests.storePath())
        let cache = StoreCache(store: store)
        cache.store("k1", [.int(1), nil], ttlSeconds: -1)
        cache.store("k2", [.null, .string("x")], ttlSeconds: nil)
        #expect(cache.lookup("k1") == nil)
        let kept = try #require(cache.lookup("k2"))
        // A null output and an output that did not fire stay apart.
        #expect(kept.count == 2 && kept[0] == .some(.null) && kept[1] == .some(.string("x")))
        let stats = try store.cacheStats()
        #expect(stats.entries == 2 && stats.expired == 1 && stats.bytes > 0)
        #expect(try store.clearCache(expiredOnly: true) == 1)
        #expect(try store.clearCache(expiredOnly: false) == 1)
        #expect(cache.lookup("k2") == nil)
    }

    /// A store of schema 1 (before the cache, the completions' outputs,
    /// event blocks and the queue) gets the new tables and columns on
    /// open, its rows carried over.
    @Test func aVersionOneStoreIsMigrated() throws {
        let path = try RunStoreTests.storePath()
        let id = try RunStore(path: path).begin(graphJSON: "{}", graphPath: nil, inputs: [:], mode: "sequential")
        let v1 = """
            DROP TABLE cache; DROP TABLE completions; DROP TABLE event_blocks;
            ALTER TABLE runs DROP COLUMN options; ALTER TABLE runs DROP COLUMN resumes; ALTER TABLE runs DROP COLUMN requested;
            DROP INDEX runs_queue;
            ALTER TABLE runs DROP COLUMN priority; ALTER TABLE runs DROP COLUMN tags; ALTER TABLE runs DROP COLUMN timeout;
            ALTER TABLE runs DROP COLUMN created_at; ALTER TABLE runs DROP COLUMN worker; ALTER TABLE runs DROP COLUMN lease_until;
            ALTER TABLE runs DROP COLUMN fence; ALTER TABLE runs DROP COLUMN attempts;
            CREATE TABLE node_completions (run_id INTEGER NOT NULL, seq INTEGER NOT NULL, node TEXT NOT NULL, iteration INTEGER NOT NULL,
                wave INTEGER NOT NULL, attempt INTEGER NOT NULL, duration_ns INTEGER NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
            CREATE TABLE events (run_id INTEGER NOT NULL, seq INTEGER NOT NULL, time_ns INTEGER NOT NULL, kind TEXT NOT NULL, node TEXT,
                json TEXT NOT NULL, PRIMARY KEY (run_id, seq)) WITHOUT ROWID;
            INSERT INTO node_completions VALUES (\(id), 0, 'a', 0, 0, 2, 500);
            INSERT INTO events VALUES (\(id), 0, 0, 'run_started', NULL, '{"event":"run_started"}');
            INSERT INTO events VALUES (\(id), 1, 9, 'run_finished', NULL, '{"event":"run_finished"}');
            PRAGMA user_version = 1;
            """
        let r = try Shell.run("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                                                   + "c.executescript(sys.argv[2]); c.commit()", path, v1])
        #expect(r.status == 0, "\(r.stderr)")
        let store = try RunStore(path: path)
        let table = try store.nodeTable(id)
        #expect(table.count == 1 && table.first?.node == "a" && table.first?.totalNs == 500 && table.first?.attempts == 2)
        var lines: [String] = []
        try store.events(id) { lines.append($0) }
        #expect(lines == [#"{"event":"run_started"}"#, #"{"event":"run_finished"}"#])
        #expect(try store.checkpoints(of: id).isEmpty, "a schema-1 completion kept no outputs")
        let cache = StoreCache(store: store)
        cache.store("k", [.int(7)], ttlSeconds: nil)
        #expect(cache.lookup("k") == [.int(7)])
    }

    @Test func whereACacheIsRefused() {
        func errors(_ node: String) -> [String] {
            do {
                _ = try GraphValidator.load(text: #"{"weft": 1, "nodes": [\#(node)]}"#, catalog: RunStoreTests.registry)
                return []
            } catch {
                return error.diagnostics.map(\.description)
            }
        }
        #expect(errors(#"{"id": "l", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}, "cache": true}"#)
                    .contains("$.nodes[0].cache: error: cache is for nodes that run one call; 'l' is a loop"))
        #expect(errors(#"{"id": "a", "type": "std.add", "inputs": {"a": 1, "b": 2}, "cache": 1}"#)
                    == [#"$.nodes[0].cache: error: cache must be true, false or {"ttl_s": seconds}"#])
        #expect(errors(#"{"id": "a", "type": "std.add", "inputs": {"a": 1, "b": 2}, "cache": {"ttl_s": 0}}"#)
                    == ["$.nodes[0].cache.ttl_s: error: ttl_s must be a number of seconds above 0"])
        #expect(errors(#"{"id": "a", "type": "std.add", "inputs": {"a": [1, 2], "b": 2}, "map": "a", "cache": true}"#)
                    .contains("$.nodes[0].cache: error: cache is for nodes that run one call; 'a' is mapped"))
    }
}
