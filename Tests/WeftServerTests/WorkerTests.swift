import Foundation
import Testing
import WeftStore
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `weft worker` processes beside a server with no workers of its own:
/// claims, leases, a worker killed mid-run, a run that kills its worker,
/// and draining on SIGTERM.
@Suite("weft worker: the queue across processes", .serialized)
struct WorkerTests {
    @Test("kill -9 of a worker mid-run: another resumes the run from its journal after the lease; nothing completed runs twice")
    func killedWorker() throws {
        let server = try ServerProcess(["--workers", "0"])
        let api = server.client()
        let tally = server.dir + "/t.tally"
        let id = try #require(try api.run(ServerGraphs.tallyChain(12, tally: tally, ms: 60), #""mode": "queued""#)
            .object["id"] as? Int)
        let first = try WorkerProcess(store: server.store, ["--lease", "1", "--workers", "1"])
        _ = eventually { ServerGraphs.tallies(tally).count >= 4 ? true : nil }
        #expect(first.kill9() != nil)
        let before = ServerGraphs.tallies(tally)
        #expect(before.count < 12, "killed before the end")
        let kept = try RunStore(path: server.store).checkpoints(of: Int64(id)).count

        let second = try WorkerProcess(store: server.store, ["--lease", "1", "--workers", "1"])
        let done = try #require(try api.waitFor(id, ["succeeded", "failed"]))
        #expect(done["state"] as? String == "succeeded", "\(done)")
        #expect(done["attempts"] as? Int == 2)
        var x = 1
        for _ in 0..<12 { x = 3 * x + 1 }
        #expect((done["outputs"] as? [String: Any])?["last"] as? Int == x)
        // Each node ran once, but for the one in flight when the worker died
        // (its completion was not kept): at most one node ran twice, and
        // none that was kept ran again.
        let after = ServerGraphs.tallies(tally)
        #expect(after.count == 12)
        let twice = after.filter { $0.value > 1 }
        #expect(twice.count <= 1, "\(after)")
        #expect(twice.values.allSatisfy { $0 == 2 })
        #expect(kept >= before.count - 1)
        #expect(second.stop() == 0)
        #expect(server.stop() == 0)
    }

    @Test("a run that crashes its worker is failed after --max-attempts claims, with a message that says so")
    func maxAttempts() throws {
        let server = try ServerProcess(["--workers", "0"])
        let api = server.client()
        let crash = #"{"weft": 1, "nodes": [{"id": "boom", "type": "crashy.segv"}], "outputs": {"n": "boom.n"}}"#
        let id = try #require(try api.run(crash, #""mode": "queued""#).object["id"] as? Int)
        // Each worker dies of the crash; the next claims the run again once
        // the lease ran out. A new worker starts whenever the last one died.
        var workers: [WorkerProcess] = []
        let failed = try eventually(90) { () throws -> [String: Any]? in
            let run = try api.get("/v1/runs/\(id)").object
            if run["state"] as? String == "failed" { return run }
            if workers.last?.exited() ?? true, workers.count < 4 {
                workers.append(try WorkerProcess(store: server.store, ["--lease", "0.5", "--workers", "1", "--max-attempts", "2"]))
            }
            return nil
        }
        let run = try #require(failed)
        #expect(run["attempts"] as? Int == 2)
        #expect((run["error"] as? String ?? "").contains("max attempts 2"), "\(run)")
        #expect(workers.count <= 3)
        #expect(workers.filter { $0.exited() }.count == 2, "two workers died of the crash; the third failed the run")
        #expect(server.stop() == 0)
    }

    @Test("SIGTERM drains a worker: a run still going after --drain-timeout goes back to the queue and another finishes it")
    func drain() throws {
        let server = try ServerProcess(["--workers", "0"])
        let api = server.client()
        let tally = server.dir + "/t.tally"
        let id = try #require(try api.run(ServerGraphs.tallyChain(10, tally: tally, ms: 80), #""mode": "queued""#)
            .object["id"] as? Int)
        let first = try WorkerProcess(store: server.store, ["--workers", "1", "--drain-timeout", "0.2"])
        _ = eventually { ServerGraphs.tallies(tally).count >= 3 ? true : nil }
        let status = try #require(first.stop())
        #expect(ChildProcess.exitCode(status) == 0, "\(first.child.stderr)")
        let back = try api.get("/v1/runs/\(id)").object
        #expect(back["state"] as? String == "queued", "\(back)")
        let second = try WorkerProcess(store: server.store, ["--workers", "1"])
        let done = try #require(try api.waitFor(id, ["succeeded", "failed"]))
        #expect(done["state"] as? String == "succeeded")
        #expect(ServerGraphs.tallies(tally).values.allSatisfy { $0 == 1 }, "drained at a node boundary: nothing ran twice")
        #expect(second.stop() == 0)
        #expect(server.stop() == 0)
    }

    @Test("the server killed mid-run (its own workers with it) and started again: the run goes on from its journal, nothing lost")
    func serverRestart() throws {
        let dir = try TestPaths.scratch("restart")
        let tally = dir + "/t.tally"
        let first = try ServerProcess(["--workers", "1", "--lease", "1"], dir: dir)
        let id = try #require(try first.client().run(ServerGraphs.tallyChain(10, tally: tally, ms: 60), #""mode": "queued""#)
            .object["id"] as? Int)
        _ = eventually { ServerGraphs.tallies(tally).count >= 4 ? true : nil }
        kill(first.child.pid, SIGKILL)
        _ = first.stop(seconds: 10)
        let second = try ServerProcess(["--workers", "1", "--lease", "1"], dir: dir)
        let done = try #require(try second.client().waitFor(id, ["succeeded", "failed"]))
        #expect(done["state"] as? String == "succeeded")
        var x = 1
        for _ in 0..<10 { x = 3 * x + 1 }
        #expect((done["outputs"] as? [String: Any])?["last"] as? Int == x)
        let counts = ServerGraphs.tallies(tally)
        #expect(counts.count == 10)
        #expect(counts.values.filter { $0 > 1 }.count <= 1, "only the node in flight at the kill may run twice: \(counts)")
        // Its events: one stream across the two servers, each node completion once.
        let nodes = try second.client().stream("/v1/runs/\(id)/events").all().filter { $0.event == "node" }
        #expect(nodes.count == 10)
        #expect(second.stop() == 0)
    }

    @Test("priorities: a worker takes the highest priority first, then the oldest")
    func priorities() throws {
        let server = try ServerProcess(["--workers", "0"])
        let api = server.client()
        let tally = server.dir + "/order.tally"
        var ids: [Int: Int] = [:]
        for (label, priority) in [("low", -5), ("mid1", 0), ("high", 9), ("mid2", 0)] {
            let graph = #"{"weft": 1, "nodes": [{"id": "t", "type": "fixture.tally", "params": {"path": "\#(tally)", "label": "\#(label)", "ms": 0}, "inputs": {"x": 1}}], "edges": [], "inputs": {}, "outputs": {"y": "t.y"}}"#
            let r = try api.run(graph, #""mode": "queued", "priority": \#(priority), "inputs": {}"#)
            ids[priority] = r.object["id"] as? Int
        }
        let worker = try WorkerProcess(store: server.store, ["--workers", "1"])
        _ = eventually { ServerGraphs.tallies(tally).count == 4 ? true : nil }
        let order = ((try? String(contentsOfFile: tally, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        #expect(order == ["high", "mid1", "mid2", "low"])
        #expect(worker.stop() == 0)
        #expect(server.stop() == 0)
    }
}
