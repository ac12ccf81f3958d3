import Foundation
import Testing
import WeftCore
import WeftStore
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The run store under stress: full, killed while writing.
@Suite("Run store reliability")
struct StoreReliabilityTests {
    func weft(_ args: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try Shell.run(TestPaths.weft, args, environment: environment)
    }

    /// A chain of `count` std.add nodes (each adds 1), written to `dir`.
    static func chain(_ count: Int, in dir: String) throws -> String {
        var nodes = [#"{"id": "n0", "type": "std.add", "inputs": {"a": 0, "b": 1}}"#]
        var edges: [String] = []
        for i in 1..<count {
            nodes.append(#"{"id": "n\#(i)", "type": "std.add", "inputs": {"b": 1}}"#)
            edges.append(#"{"from": "n\#(i - 1).result", "to": "n\#(i).a"}"#)
        }
        let path = dir + "/chain\(count).json"
        try #"{"weft": 1, "nodes": [\#(nodes.joined(separator: ",\n"))], "edges": [\#(edges.joined(separator: ",\n"))], "outputs": {"last": "n\#(count - 1).result"}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A store that fills up (here its size cap, as a full disk would):
    /// the run fails with the fix named, the runs before it are intact,
    /// and the file passes SQLite's integrity check.
    @Test func aFullStoreFailsTheRunAndKeepsTheRest() throws {
        let dir = try TestPaths.scratch("store-full")
        let db = dir + "/runs.db"
        let first = try weft(["run", "\(TestPaths.repoRoot)/examples/arithmetic.json", "--store", db, "--json", "-q"])
        #expect(first.status == 0)
        let graph = try Self.chain(3000, in: dir)
        let graphBytes = try FileManager.default.attributesOfItem(atPath: graph)[.size] as? Int ?? 0
        let size = try FileManager.default.attributesOfItem(atPath: db)[.size] as? Int ?? 0
        // Room for the run's row and graph, not for its 3,000 nodes' records.
        let cap = size + graphBytes + 40_000
        let full = try weft(["run", graph, "--store", db], environment: ["WEFT_STORE_MAX_BYTES": "\(cap)"])
        #expect(full.status == 1, "\(full.stderr)")
        #expect(full.stderr.contains("error: the run store: the run store \(db) is full (database or disk is full): "
                                         + "free disk space, or delete old runs (weft runs prune --older-than 7d)"), "\(full.stderr)")
        let store = try RunStore(path: db)
        #expect(try store.integrityCheck() == "ok")
        let runs = try store.runs()
        #expect(runs.map(\.state) == ["failed", "succeeded"], "\(runs.map(\.state))")
        #expect(runs.first?.error?.contains("is full (database or disk is full)") == true, "\(runs.first?.error ?? "")")
        #expect(try JSON.parse(runs.last?.outputs ?? "") == (try JSON.parse(first.stdout)))
        // Without the cap the same store takes the run.
        #expect(try weft(["run", graph, "--store", db, "-q"]).status == 0)
    }

    /// Power-cut simulation: `kill -9` at random points while a run writes
    /// its records; each time the file passes SQLite's integrity check,
    /// opens, and shows the killed run as interrupted.
    @Test func killedWhileWritingTheStoreStaysIntact() throws {
        let dir = try TestPaths.scratch("store-kill")
        let db = dir + "/runs.db"
        let graph = try Self.chain(20_000, in: dir)
        var generator = SystemRandomNumberGenerator()
        var killed = 0
        var killedRecorded = 0
        for _ in 0..<12 {
            let before = FileManager.default.fileExists(atPath: db) ? try RunStore(path: db).runs().count : 0
            let child = try ChildProcess.weft(["run", graph, "--store", db, "-q"])
            // Once the run is recorded (it is then writing), at a random point.
            var waited = 0
            while waited < 1000, (try? RunStore(path: db).runs().count) ?? 0 <= before {
                usleep(10_000)
                waited += 1
            }
            usleep(UInt32.random(in: 0...150_000, using: &generator))
            var status: Int32 = 0
            if waitpid(child.pid, &status, WNOHANG) != child.pid {
                kill(-child.pid, SIGKILL)
                waitpid(child.pid, &status, 0)
                killed += 1
            }
            guard FileManager.default.fileExists(atPath: db) else { continue }
            let store = try RunStore(path: db)
            #expect(try store.integrityCheck() == "ok")
            let runs = try store.runs()
            #expect(runs.allSatisfy { ["interrupted", "succeeded"].contains($0.state) })
            if runs.count > before && runs.first?.state == "interrupted" { killedRecorded += 1 }
        }
        #expect(killedRecorded >= 6, "only \(killedRecorded) of 12 runs were killed while recording (\(killed) killed)")
        let list = try weft(["runs", "list", "--store", db, "--state", "interrupted", "--json"])
        #expect(try JSON.parse(list.stdout).listItems?.count == killedRecorded)
    }
}
