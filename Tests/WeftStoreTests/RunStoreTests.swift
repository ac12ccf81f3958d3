import Foundation
import Testing
import WeftCore
import WeftNative
import WeftScheduler
import WeftStore
import WeftTestSupport

/// The run store: a run recorded as it goes (StoreRecorder, an observer),
/// read back; the schema's version; bad files refused with the fix.
@Suite("Run store")
struct RunStoreTests {
    static let registry: NodeRegistry = {
        let r = NodeRegistry()
        _ = PluginLoader(registry: r).load(searchPath: .standard(environment: false, executableDirectory: TestPaths.binDir))
        return r
    }()

    /// A loop summing 0..<n, and a branch never taken.
    static let graph = """
        {"weft": 1, "inputs": {"n": {"type": "int", "default": 5}},
         "nodes": [
           {"id": "loop", "type": "loop", "carry": {"i": "int", "sum": "int"}, "inputs": {"i": 0, "sum": 0}},
           {"id": "more", "type": "std.lt"}, {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
           {"id": "add", "type": "std.add"}],
         "edges": [
           {"from": "loop.i", "to": "more.a"}, {"from": "$n", "to": "more.b"}, {"from": "more.result", "to": "loop.continue"},
           {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
           {"from": "loop.sum", "to": "add.a"}, {"from": "loop.i", "to": "add.b"}, {"from": "add.result", "to": "loop.next_sum"}],
         "outputs": {"sum": "loop.done_sum"}}
        """

    static func storePath() throws -> String { try TestPaths.scratch("store") + "/runs.db" }

    /// Runs `graph` recorded into `store`: the result, the run's id, what a
    /// Swift observer saw.
    static func recorded(_ store: RunStore, mode: RunMode = .sequential, n: Int64 = 5) throws -> (RunResult, Int64, [RunEvent]) {
        let plan = try GraphValidator.load(text: graph, catalog: registry)
        let recording = try RecordedRun(store: store, graphText: graph, graphPath: "/x/sum.json", inputs: ["n": .int(n)],
                                        mode: mode.rawValue, startedBy: nil, resume: nil, checkpointing: true)
        let swift = EventRecorder()
        var options = RunOptions(mode: mode, workers: 2, observers: [swift])
        recording.attach(to: &options) {}
        let result = try Scheduler.run(try CompiledGraph(plan: plan, registry: registry), inputs: ["n": .int(n)], options: options)
        let (state, failure) = recording.finish(result)
        #expect(state == "succeeded" && failure == nil)
        return (result, recording.id, swift.events)
    }

    @Test(arguments: [RunMode.sequential, .parallel])
    func aRunIsRecordedAsItWent(mode: RunMode) throws {
        let store = try RunStore(path: try Self.storePath())
        let (result, id, seen) = try Self.recorded(store, mode: mode)
        #expect(result[output: "sum"] == .int(10))
        let run = try #require(try store.run(id))
        #expect(run.state == "succeeded" && run.mode == mode.rawValue && run.graphPath == "/x/sum.json")
        #expect(run.steps == result.steps)
        #expect(try JSON.parse(run.outputs ?? "") == ["sum": 10])
        #expect(try JSON.parse(run.inputs) == ["n": 5])
        #expect(try store.graphJSON(of: run) == Self.graph)
        // Every event but the calls' (each call is a completion row), in order, as --events writes them.
        var lines: [String] = []
        try store.events(id) { lines.append($0) }
        let expected = seen.filter {
            switch $0 {
            case .nodeStarted, .nodeFinished: false
            default: true
            }
        }
        #expect(lines.count == 8 && lines == expected.map { JSON.encode($0.jsonValue) }, "\(lines)")
        // One completion per node call: the loop's body went round 6 times (the last one stops it).
        let table = Dictionary(uniqueKeysWithValues: try store.nodeTable(id).map { ($0.node, $0.calls) })
        #expect(table["more"] == 6 && table["inc"] == 6 && table["add"] == 6, "\(table)")
    }

    @Test func runsAreListedNewestFirstAndByState() throws {
        let store = try RunStore(path: try Self.storePath())
        let (_, first, _) = try Self.recorded(store)
        let (_, second, _) = try Self.recorded(store, n: 3)
        let open = try store.begin(graphJSON: Self.graph, graphPath: nil, inputs: [:], mode: "sequential")
        #expect(try store.runs().map(\.id) == [open, second, first])
        #expect(try store.runs(state: "succeeded").map(\.id) == [second, first])
        #expect(try store.runs(state: "running").map(\.id) == [open])
        // The graph is kept once for the three runs.
        #expect(Set(try store.runs().map(\.graphHash)).count == 1)
    }

    /// A run marked running whose process is gone was killed or crashed.
    @Test func aRunWhoseProcessIsGoneIsInterrupted() throws {
        let path = try Self.storePath()
        let store = try RunStore(path: path)
        let id = try store.begin(graphJSON: Self.graph, graphPath: nil, inputs: [:], mode: "sequential")
        #expect(try store.run(id)?.state == "running")
        // (A pid above any pid_max: no such process.)
        let sqlite = try Shell.run("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                                                        + "c.execute('UPDATE runs SET pid = 1073741823'); c.commit()", path])
        #expect(sqlite.status == 0, "\(sqlite.stderr)")
        #expect(try store.run(id)?.state == "interrupted")
        #expect(try store.runs(state: "interrupted").map(\.id) == [id])
    }

    @Test func pruneDeletesFinishedRunsOlderThanTheAge() throws {
        let store = try RunStore(path: try Self.storePath())
        _ = try Self.recorded(store)
        let open = try store.begin(graphJSON: #"{"weft": 1, "nodes": []}"#, graphPath: nil, inputs: [:], mode: "sequential")
        #expect(try store.prune(olderThan: 3600) == 0)
        #expect(try store.prune(olderThan: -1) == 1)
        // The running one stays (and so does its graph).
        #expect(try store.runs().map(\.id) == [open])
    }

    @Test func theSchemaIsVersionedAndBadFilesAreRefusedWithTheFix() throws {
        let path = try Self.storePath()
        _ = try RunStore(path: path)
        func sql(_ statement: String) throws {
            let r = try Shell.run("/usr/bin/env", ["python3", "-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                                                       + "c.execute(sys.argv[2]); c.commit()", path, statement])
            #expect(r.status == 0, "\(r.stderr)")
        }
        try sql("PRAGMA user_version = 99")
        #expect(throws: StoreError.self) { try RunStore(path: path) }
        do { _ = try RunStore(path: path) } catch {
            #expect(error.message == "\(path) is a run store of a newer Weft (schema 99; this Weft reads up to \(RunStore.schemaVersion)): use that Weft, "
                        + "or give another --store")
        }
        let junk = try Self.storePath()
        try Data(repeating: 0x5a, count: 8192).write(to: URL(fileURLWithPath: junk))
        do {
            _ = try RunStore(path: junk)
            Issue.record("a file of junk opened as a store")
        } catch {
            #expect(error.message.hasPrefix("\(junk) is not a Weft run store, or it is damaged ("), "\(error.message)")
            #expect(error.message.hasSuffix("move it away (a new store is made in its place) or give another --store"))
        }
        // And the junk is untouched.
        #expect(try Data(contentsOf: URL(fileURLWithPath: junk)) == Data(repeating: 0x5a, count: 8192))
    }

    @Test func theStoreMakesItsFolder() throws {
        let dir = try TestPaths.scratch("store")
        let store = try RunStore(path: dir + "/a/b/c/runs.db")
        #expect(FileManager.default.fileExists(atPath: dir + "/a/b/c/runs.db"))
        #expect(try store.runs().isEmpty)
        #expect(RunStore.defaultPath(environment: ["XDG_STATE_HOME": "/s", "HOME": "/h"]) == "/s/weft/runs.db")
        #expect(RunStore.defaultPath(environment: ["HOME": "/h"]) == "/h/.local/state/weft/runs.db")
        #expect(RunStore.defaultPath(environment: ["XDG_STATE_HOME": "relative", "HOME": "/h"]) == "/h/.local/state/weft/runs.db")
    }
}
