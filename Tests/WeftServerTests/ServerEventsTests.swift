import Foundation
import Testing
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Live events over SSE, and pause / resume / cancel of queued runs.
@Suite("weft serve: events and run control", .serialized)
struct ServerEventsTests {
    @Test("SSE: every event once, in order, live; a reconnect with Last-Event-ID continues exactly where it left off")
    func events() throws {
        let server = try ServerProcess()
        let api = server.client()
        let tally = server.dir + "/t.tally"
        let q = try api.run(ServerGraphs.tallyChain(8, tally: tally, ms: 40), #""mode": "queued""#)
        let id = try #require(q.object["id"] as? Int)

        // A first client reads part of the stream, live, then goes away.
        let first = try api.stream("/v1/runs/\(id)/events")
        var seen: [SSEStream.Message] = []
        while seen.count < 4, let m = try first.next() { seen.append(m) }
        #expect(first.status == 200)
        first.close()
        #expect(seen.first?.event == "run")
        #expect(seen.first?.data.contains(#""event":"run_started""#) == true)

        // It comes back with the last id it saw: the rest, nothing twice.
        // (Each kind is in order; between the kinds, the order is that in
        // which the store got them, so only each kind is compared.)
        func kinds(_ ms: [SSEStream.Message]) -> [String: [String]] {
            Dictionary(grouping: ms, by: \.event).mapValues { $0.map(\.data) }
        }
        let rest = try api.stream("/v1/runs/\(id)/events", headers: ["Last-Event-ID": seen.last?.id ?? ""]).all()
        let whole = try api.stream("/v1/runs/\(id)/events").all()
        #expect(kinds(seen + rest) == kinds(whole))
        #expect(seen.count + rest.count == whole.count)
        // ?after= does the same.
        let after = try api.stream("/v1/runs/\(id)/events?after=\(seen[1].id ?? "")").all()
        #expect(kinds(Array(seen[2...]) + rest) == kinds(after))

        // The whole stream: started, each node once in chain order, finished, end.
        let nodes = whole.filter { $0.event == "node" }.map { m -> String in
            let doc = (try? JSONSerialization.jsonObject(with: Data(m.data.utf8))) as? [String: Any]
            return doc?["node"] as? String ?? "?"
        }
        #expect(nodes == (0..<8).map { "t\($0)" })
        #expect(whole.last?.event == "end")
        #expect(whole.last?.data == #"{"state":"succeeded"}"#)
        #expect(whole.dropLast().last?.data.contains(#""event":"run_finished""#) == true)
        // Ids are E.C counts: they only grow.
        let ids = whole.compactMap(\.id).map { $0.split(separator: ".").compactMap { Int($0) } }
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0[0] <= $1[0] && $0[1] <= $1[1] && ($0[0] + $0[1]) <= ($1[0] + $1[1]) })
        #expect(try api.request("GET", "/v1/runs/\(id)/events", headers: ["Last-Event-ID": "nonsense"]).status == 400)
        #expect(server.stop() == 0)
    }

    @Test("pause stops a running queued run at a node boundary; resume goes on from its journal: every node runs once")
    func pauseResume() throws {
        let server = try ServerProcess()
        let api = server.client()
        let tally = server.dir + "/t.tally"
        let q = try api.run(ServerGraphs.tallyChain(10, tally: tally, ms: 100), #""mode": "queued""#)
        let id = try #require(q.object["id"] as? Int)
        // Pause once a few nodes ran.
        _ = eventually { ServerGraphs.tallies(tally).count >= 3 ? true : nil }
        let p = try api.post("/v1/runs/\(id)/pause")
        #expect(p.status == 202, "\(p.body)")
        let paused = try #require(try api.waitFor(id, ["paused", "succeeded", "failed"]))
        #expect(paused["state"] as? String == "paused")
        let before = ServerGraphs.tallies(tally)
        #expect(before.count < 10, "paused before the end")
        #expect(try api.post("/v1/runs/\(id)/pause").status == 409)

        let r = try api.post("/v1/runs/\(id)/resume")
        #expect(r.status == 202, "\(r.body)")
        let done = try #require(try api.waitFor(id, ["succeeded", "failed"]))
        #expect(done["state"] as? String == "succeeded")
        #expect(done["resumes"] as? Int == 1)
        // Each node ran once, across the two claims.
        let after = ServerGraphs.tallies(tally)
        #expect(after.count == 10)
        #expect(after.values.allSatisfy { $0 == 1 }, "\(after)")
        // The same outputs as a run that was never paused: 3x+1 ten times from 1.
        var x = 1
        for _ in 0..<10 { x = 3 * x + 1 }
        #expect((done["outputs"] as? [String: Any])?["last"] as? Int == x)
        #expect(try api.post("/v1/runs/\(id)/resume").status == 409)
        #expect(try api.post("/v1/runs/\(id)/cancel").status == 409)
        #expect(try api.post("/v1/runs/99/resume").status == 404)
        #expect(server.stop() == 0)
    }

    @Test("cancel: a queued run is cancelled before it starts, a running one stops")
    func cancel() throws {
        // No workers: queued runs stay queued.
        let server = try ServerProcess(["--workers", "0"])
        let api = server.client()
        let tally = server.dir + "/t.tally"
        let graph = ServerGraphs.tallyChain(3, tally: tally, ms: 1)
        let id = try #require(try api.run(graph, #""mode": "queued""#).object["id"] as? Int)
        let c = try api.post("/v1/runs/\(id)/cancel")
        #expect(c.status == 202)
        #expect(c.object["state"] as? String == "cancelled")
        let other = try #require(try api.run(graph, #""mode": "queued""#).object["id"] as? Int)
        #expect(try api.post("/v1/runs/\(other)/pause").object["state"] as? String == "paused")
        // Neither is waiting any more; each is listed in its state.
        #expect((try api.get("/v1/runs?state=queued").object["runs"] as? [Any])?.count == 0)
        #expect(((try api.get("/v1/runs?state=paused").object["runs"] as? [[String: Any]]) ?? []).map { $0["id"] as? Int } == [other])
        #expect(((try api.get("/v1/runs?state=cancelled").object["runs"] as? [[String: Any]]) ?? []).map { $0["id"] as? Int } == [id])
        #expect(server.stop() == 0)

        // With a worker: a running run stops when cancelled.
        let busy = try ServerProcess(["--workers", "1"], dir: server.dir)
        let slow = try #require(try busy.client().run(ServerGraphs.tallyChain(20, tally: tally + "2", ms: 100), #""mode": "queued""#)
            .object["id"] as? Int)
        _ = eventually { ServerGraphs.tallies(tally + "2").count >= 2 ? true : nil }
        #expect(try busy.client().post("/v1/runs/\(slow)/cancel").status == 202)
        let end = try #require(try busy.client().waitFor(slow, ["cancelled", "succeeded", "failed"]))
        #expect(end["state"] as? String == "cancelled")
        #expect(ServerGraphs.tallies(tally + "2").count < 20)
        // The run cancelled while queued never ran.
        #expect(ServerGraphs.tallies(tally).isEmpty)
        #expect(busy.stop() == 0)
    }
}
