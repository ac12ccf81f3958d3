import Foundation
import Testing
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The queue on a real PostgreSQL server: `weft serve --store postgres://…`
/// with `weft worker` processes, as on many hosts.
@Suite("The queue on PostgreSQL", .serialized, .enabled(if: PostgresCluster.available))
struct PostgresQueueTests {
    @Test("a server and two workers on PostgreSQL: queued runs succeed once each; events, pause and resume work as on SQLite")
    func serverAndWorkers() throws {
        let db = try PostgresCluster.database()
        let server = try ServerProcess(["--workers", "0"], store: db)
        let api = server.client()
        let workers = try (0..<2).map { _ in try WorkerProcess(store: db, ["--workers", "2"]) }
        let tally = server.dir + "/t.tally"
        let graph = ServerGraphs.tallyChain(3, tally: tally, ms: 5)
        var ids: [Int] = []
        for i in 0..<20 {
            let r = try api.run(graph, #""mode": "queued", "inputs": {"x": \#(i)}, "priority": \#(i % 3)"#)
            #expect(r.status == 202, "\(r.body)")
            ids.append(r.object["id"] as? Int ?? -1)
        }
        for (i, id) in ids.enumerated() {
            let run = try #require(try api.waitFor(id, ["succeeded", "failed"]))
            #expect(run["state"] as? String == "succeeded")
            var x = i
            for _ in 0..<3 { x = 3 * x + 1 }
            #expect((run["outputs"] as? [String: Any])?["last"] as? Int == x)
        }
        // 20 runs × 3 nodes, each executed once.
        #expect(ServerGraphs.tallies(tally).values.reduce(0, +) == 60)
        #expect(try PostgresCluster.sql(db, "SELECT COUNT(*) FROM weft_completions") == "60")
        #expect(try PostgresCluster.sql(db, "SELECT COUNT(DISTINCT worker) > 1 FROM weft_runs") == "t", "both workers took runs")

        // Events over SSE from PostgreSQL.
        let events = try api.stream("/v1/runs/\(ids[0])/events").all()
        #expect(events.filter { $0.event == "node" }.count == 3)
        #expect(events.last?.data == #"{"state":"succeeded"}"#)

        // Pause and resume through PostgreSQL: every node runs once.
        let slowTally = server.dir + "/slow.tally"
        let slow = try #require(try api.run(ServerGraphs.tallyChain(8, tally: slowTally, ms: 80), #""mode": "queued""#).object["id"] as? Int)
        _ = eventually { ServerGraphs.tallies(slowTally).count >= 2 ? true : nil }
        #expect(try api.post("/v1/runs/\(slow)/pause").status == 202)
        #expect(try api.waitFor(slow, ["paused"]) != nil)
        #expect(try api.post("/v1/runs/\(slow)/resume").status == 202)
        let done = try #require(try api.waitFor(slow, ["succeeded", "failed"]))
        #expect(done["state"] as? String == "succeeded")
        #expect(ServerGraphs.tallies(slowTally).values.allSatisfy { $0 == 1 } && ServerGraphs.tallies(slowTally).count == 8)

        // Metrics and health read PostgreSQL.
        #expect(try api.get("/healthz").object["store"] as? String == "ok")
        #expect(try api.get("/metrics").body.contains(#"weft_runs{state="succeeded"} 21.0"#))
        for w in workers { #expect(w.stop() == 0) }
        #expect(server.stop() == 0)
    }

    @Test("kill -9 of a worker on PostgreSQL: another takes the run over after the lease and finishes it from the journal")
    func killedWorker() throws {
        let db = try PostgresCluster.database()
        let server = try ServerProcess(["--workers", "0"], store: db)
        let api = server.client()
        let tally = server.dir + "/t.tally"
        let id = try #require(try api.run(ServerGraphs.tallyChain(10, tally: tally, ms: 60), #""mode": "queued""#).object["id"] as? Int)
        let first = try WorkerProcess(store: db, ["--workers", "1", "--lease", "1"])
        _ = eventually { ServerGraphs.tallies(tally).count >= 4 ? true : nil }
        #expect(first.kill9() != nil)
        let second = try WorkerProcess(store: db, ["--workers", "1", "--lease", "1"])
        let done = try #require(try api.waitFor(id, ["succeeded", "failed"]))
        #expect(done["state"] as? String == "succeeded")
        #expect(done["attempts"] as? Int == 2)
        let counts = ServerGraphs.tallies(tally)
        #expect(counts.count == 10)
        #expect(counts.values.filter { $0 > 1 }.count <= 1, "only the node in flight at the kill may run twice: \(counts)")
        // The journal holds one completion per node: nothing completed twice.
        #expect(try PostgresCluster.sql(db, "SELECT COUNT(*), COUNT(DISTINCT node) FROM weft_completions WHERE run_id = \(id)") == "10|10")
        #expect(second.stop() == 0)
        #expect(server.stop() == 0)
    }

    @Test("fencing: a worker frozen past its lease loses the run; when it wakes, the store refuses its writes")
    func fencing() throws {
        let db = try PostgresCluster.database()
        let server = try ServerProcess(["--workers", "0"], store: db)
        let api = server.client()
        let tally = server.dir + "/t.tally"
        let id = try #require(try api.run(ServerGraphs.tallyChain(6, tally: tally, ms: 150), #""mode": "queued""#).object["id"] as? Int)
        let first = try WorkerProcess(store: db, ["--workers", "1", "--lease", "0.6"])
        _ = eventually { ServerGraphs.tallies(tally).count >= 2 ? true : nil }
        kill(first.child.pid, SIGSTOP)
        let second = try WorkerProcess(store: db, ["--workers", "1", "--lease", "0.6"])
        let done = try #require(try api.waitFor(id, ["succeeded", "failed"]))
        #expect(done["state"] as? String == "succeeded")
        kill(first.child.pid, SIGCONT)
        // The first worker wakes in the middle of a node: it finishes the
        // call, its write is refused, and it stops the run; the record stays
        // the second worker's.
        _ = eventually(10) { first.child.stderr.contains("went to another worker") ? true : nil }
        let after = try #require(try api.waitFor(id, ["succeeded"]))
        #expect(after["worker"] as? String == done["worker"] as? String)
        #expect(try PostgresCluster.sql(db, "SELECT COUNT(*), COUNT(DISTINCT node) FROM weft_completions WHERE run_id = \(id)") == "6|6")
        #expect(first.stop() == 0)
        #expect(second.stop() == 0)
        #expect(server.stop() == 0)
    }
}
