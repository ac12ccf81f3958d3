import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// `weft run --store` and `weft runs`: runs recorded in a SQLite file,
/// listed, shown, their events printed, pruned; several processes at once.
@Suite("Run store from the CLI")
struct StoreCommandTests {
    func weft(_ args: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try Shell.run(TestPaths.weft, args, environment: environment)
    }

    static func example(_ name: String) -> String { "\(TestPaths.repoRoot)/examples/\(name)" }

    @Test func aRunIsStoredAndShown() throws {
        let db = try TestPaths.scratch("store-cli") + "/runs.db"
        let plain = try weft(["run", Self.example("safe-divide.json"), "--json", "-q"])
        let stored = try weft(["run", Self.example("safe-divide.json"), "--json", "--store", db])
        #expect(stored.status == 0, "\(stored.stderr)")
        #expect(stored.stdout == plain.stdout)
        #expect(stored.stderr.contains("stored: run 1 in \(db) (weft runs show 1)"), "\(stored.stderr)")
        let failed = try weft(["run", Self.example("collatz.json"), "--input", "n=0", "--store", db, "-q"])
        #expect(failed.status == 1)

        let list = try weft(["runs", "list", "--store", db])
        #expect(list.status == 0, "\(list.stderr)")
        let lines = list.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("2  failed  ") == true && lines.last?.hasPrefix("1  succeeded  ") == true, "\(list.stdout)")
        let failedOnly = try JSON.parse(try weft(["runs", "list", "--store", db, "--state", "failed", "--json"]).stdout)
        #expect(failedOnly.listItems?.count == 1)
        #expect(failedOnly.listItems?.first?["error_node"] == "loop")

        let show = try weft(["runs", "show", "1", "--store", db, "--json"])
        #expect(show.status == 0, "\(show.stderr)")
        let doc = try JSON.parse(show.stdout)
        #expect(doc["state"] == "succeeded")
        #expect(doc["outputs"] == (try JSON.parse(plain.stdout)))
        #expect(doc["graph"] == .string(Self.example("safe-divide.json")))
        #expect(doc["nodes"]?.listItems?.map { $0["node"] ?? .null } == ["divide", "ratio", "plus_one"], "\(show.stdout)")
        let text = try weft(["runs", "show", "2", "--store", db])
        #expect(text.stdout.contains("state    failed") && text.stdout.contains("error    node 'loop' (loop): loop 'loop' reached max_iterations"),
                "\(text.stdout)")

        let events = try weft(["runs", "events", "1", "--store", db])
        let kinds = try events.stdout.split(separator: "\n").map { try JSON.parse(String($0))["event"] ?? .null }
        #expect(kinds.first == "run_started" && kinds.last == "run_finished")
        // (Calls are completion rows, not events: the node table above.)
        #expect(!kinds.contains("node_finished") && !kinds.contains("node_started"), "\(kinds)")
    }

    @Test func badRequestsAreClearErrors() throws {
        let db = try TestPaths.scratch("store-cli") + "/runs.db"
        _ = try weft(["run", Self.example("arithmetic.json"), "--store", db, "-q"])
        let missing = try weft(["runs", "show", "99", "--store", db])
        #expect(missing.status == 2 && missing.stderr.contains("error: no run 99 in \(db); weft runs list shows the runs there"))
        let age = try weft(["runs", "prune", "--older-than", "soon", "--store", db])
        #expect(age.status != 0 && age.stderr.contains("--older-than must be an age such as 90s, 30m, 12h or 7d, not 'soon'"))
        let state = try weft(["runs", "list", "--state", "done", "--store", db])
        #expect(state.status != 0 && state.stderr.contains("--state must be running, paused, succeeded, failed, cancelled or interrupted"))
        // A file that is not a store: refused, and left as it was.
        let junk = try TestPaths.scratch("store-cli") + "/junk.db"
        try "not a database, just text that is long enough to be read as a header".write(toFile: junk, atomically: true, encoding: .utf8)
        let refused = try weft(["run", Self.example("arithmetic.json"), "--store", junk])
        #expect(refused.status == 2 && refused.stderr.contains("is not a Weft run store, or it is damaged"), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        #expect(try String(contentsOfFile: junk, encoding: .utf8).hasPrefix("not a database"))
        // No store yet at the default place (an empty state home).
        let home = try TestPaths.scratch("store-home")
        let none = try weft(["runs", "list"], environment: ["XDG_STATE_HOME": home])
        #expect(none.status == 2 && none.stderr.contains("no run store at \(home)/weft/runs.db yet"), "\(none.stderr)")
    }

    @Test func theEnvironmentNamesTheStoreAndNoStoreWins() throws {
        let home = try TestPaths.scratch("store-home")
        let env = ["XDG_STATE_HOME": home, "WEFT_STORE": "default"]
        #expect(try weft(["run", Self.example("arithmetic.json"), "-q"], environment: env).status == 0)
        #expect(try weft(["run", Self.example("arithmetic.json"), "-q", "--no-store"], environment: env).status == 0)
        let list = try weft(["runs", "list", "--json"], environment: ["XDG_STATE_HOME": home])
        #expect(try JSON.parse(list.stdout).listItems?.count == 1, "\(list.stdout) \(list.stderr)")
    }

    /// Four processes record into one store at once: every run is there,
    /// and the file passes SQLite's integrity check.
    @Test func fourWritersAtOnce() throws {
        let db = try TestPaths.scratch("store-cli") + "/runs.db"
        let r = try Shell.bash("""
            for i in 1 2 3 4; do '\(TestPaths.weft)' run '\(Self.example("collatz.json"))' --input n=$((i * 7)) --store '\(db)' -q & done
            wait
            """)
        #expect(r.status == 0, "\(r.stderr)")
        let runs = try JSON.parse(try weft(["runs", "list", "--store", db, "--json"]).stdout).listItems ?? []
        #expect(runs.count == 4)
        #expect(runs.allSatisfy { $0["state"] == "succeeded" })
        #expect(Set(runs.compactMap { $0["inputs"]?["n"] }) == [7, 14, 21, 28])
        let check = try Shell.run("/usr/bin/env", ["python3", "-c",
                                                   "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('PRAGMA integrity_check').fetchone()[0])",
                                                   db])
        #expect(check.stdout == "ok\n", "\(check.stderr)")
    }

    /// The cache key holds the plugin file's content: rebuilding a plugin
    /// invalidates exactly its cached nodes. And `weft cache stats|clear`.
    @Test func rebuildingAPluginInvalidatesExactlyItsNodes() throws {
        let dir = try TestPaths.scratch("store-cache")
        let plugins = dir + "/plugins"
        try FileManager.default.createDirectory(atPath: plugins, withIntermediateDirectories: true)
        let a = try Fixtures.build("fixture.c", name: "fixture")
        let b = try Fixtures.build("fixture.c", name: "fixture_rebuilt", flags: ["-DFIXTURE_NOT_CHEAP"])
        func install(_ built: String) throws {
            try? FileManager.default.removeItem(atPath: plugins + "/libfixture.so")
            try FileManager.default.copyItem(atPath: built, toPath: plugins + "/libfixture.so")
        }
        let graph = dir + "/g.json"
        try """
            {"weft": 1, "nodes": [
               {"id": "theirs", "type": "fixture.add", "inputs": {"a": 2, "b": 3}, "cache": true},
               {"id": "ours", "type": "std.add", "inputs": {"a": 2, "b": 3}, "cache": true}],
             "outputs": {"theirs": "theirs.sum", "ours": "ours.result"}}
            """.write(toFile: graph, atomically: true, encoding: .utf8)
        let db = dir + "/runs.db"
        func hits() throws -> [String] {
            let events = dir + "/events.jsonl"
            let r = try weft(["run", graph, "--plugins", plugins, "--store", db, "--no-store", "--events", events, "--json", "-q"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try JSON.parse(r.stdout) == ["theirs": 5, "ours": 5])
            return try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n")
                .compactMap { line in
                    let e = try JSON.parse(String(line))
                    return e["event"] == "cache_hit" ? e["node"]?.stringValue : nil
                }.sorted()
        }
        try install(a)
        #expect(try hits() == [])
        #expect(try hits() == ["ours", "theirs"])
        try install(b)
        #expect(try hits() == ["ours"])
        #expect(try hits() == ["ours", "theirs"])

        let stats = try JSON.parse(try weft(["cache", "stats", "--store", db, "--json"]).stdout)
        #expect(stats["entries"] == 3 && stats["expired"] == 0)
        let cleared = try weft(["cache", "clear", "--store", db])
        #expect(cleared.stdout == "cleared 3 cache entries from \(db)\n")
        #expect(try hits() == [])
    }

    /// --cache caches every PURE node that runs one call.
    @Test func cacheFlagCachesThePureNodes() throws {
        let db = try TestPaths.scratch("store-cache") + "/runs.db"
        func hits(_ extra: [String]) throws -> Int {
            let events = try TestPaths.scratch("store-cache") + "/events.jsonl"
            let r = try weft(["run", Self.example("arithmetic.json"), "--store", db, "--events", events, "-q"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").filter { $0.contains("\"cache_hit\"") }.count
        }
        #expect(try hits([]) == 0)
        #expect(try hits(["--cache"]) == 0)
        let pure = try hits(["--cache"])
        #expect(pure > 0)
        #expect(try hits([]) == 0, "without --cache, nothing is looked up")
    }
}
