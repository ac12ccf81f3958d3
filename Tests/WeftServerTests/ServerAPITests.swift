import Foundation
import Testing
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `weft serve` end to end: a real server process on a free loopback port,
/// spoken to over HTTP as a client would.
@Suite("weft serve: the API", .serialized)
struct ServerAPITests {
    @Test("an immediate run returns the outputs weft run gives; bad requests get 4xx with a message naming the fix")
    func immediate() throws {
        let server = try ServerProcess()
        let api = server.client()
        let graph = try ServerGraphs.example("arithmetic.json")
        let r = try api.run(graph, #""inputs": {"celsius": 100}, "mode": "immediate""#)
        #expect(r.status == 200, "\(r.body)")
        #expect(r.object["state"] as? String == "succeeded")
        let outputs = r.object["outputs"] as? [String: Any] ?? [:]
        #expect(outputs["fahrenheit"] as? Double == 212)
        #expect(outputs["sentence"] as? String == "100.0 °C = 212.0 °F")
        #expect(r.object["id"] == nil, "an immediate run is not recorded unless asked")

        // A run that fails is a 200 whose state says so.
        let collatz = try ServerGraphs.example("collatz.json")
        let failed = try api.run(collatz, #""inputs": {"n": 0}, "mode": "immediate""#)
        #expect(failed.status == 200)
        #expect(failed.object["state"] as? String == "failed")
        #expect((failed.object["error"] as? String ?? "").contains("max_iterations"))

        // Bad inputs, bad graphs, bad JSON, unknown fields, unknown ids.
        let badInput = try api.run(graph, #""inputs": {"celsius": "hot"}"#)
        #expect(badInput.status == 422)
        #expect(Self.message(badInput).contains("input 'celsius' must be double"))
        let needsN = #"{"weft": 1, "inputs": {"n": {"type": "int"}}, "nodes": [{"id": "a", "type": "std.add", "inputs": {"b": 1}}], "edges": [{"from": "$n", "to": "a.a"}], "outputs": {"y": "a.result"}}"#
        let missing = try api.run(needsN, #""mode": "immediate""#)
        #expect(missing.status == 422)
        #expect(Self.message(missing).contains(#"missing graph input 'n' (int); give it in "inputs""#), "\(missing.body)")
        let unknownInput = try api.run(graph, #""inputs": {"kelvin": 3}"#)
        #expect(unknownInput.status == 422)
        #expect(Self.message(unknownInput).contains("kelvin"))
        let badGraph = try api.run(#"{"weft": 1, "nodes": [{"id": "a", "type": "std.nope"}]}"#)
        #expect(badGraph.status == 422)
        let diagnostics = (badGraph.object["error"] as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []
        let first = diagnostics.first ?? [:]
        #expect(first["path"] as? String == "$.nodes[0].type")
        let text = first["message"] as? String
        #expect(text?.contains("unknown node type 'std.nope'") == true)
        #expect(try api.post("/v1/runs", "{not json").status == 400)
        let unknownField = try api.post("/v1/runs", #"{"graph_id": "00", "colour": "red"}"#)
        #expect(unknownField.status == 400)
        #expect(Self.message(unknownField).contains("unknown field 'colour'"))
        #expect(try api.post("/v1/runs", #"{"graph_id": "0123456789abcdef"}"#).status == 404)
        #expect(try api.post("/v1/runs", #"{"inputs": {}}"#).status == 400)
        #expect(try api.run(graph, #""mode": "later""#).status == 400)
        #expect(try api.run(graph, #""timeout": -1"#).status == 400)
        let nowhere = try api.get("/v1/nowhere")
        #expect(nowhere.status == 404)
        #expect(Self.message(nowhere).contains("openapi.json"))
        #expect(try api.get("/v1/runs/abc").status == 400)
        #expect(try api.get("/v1/runs/999").status == 404)
        #expect(server.stop() == 0)
    }

    @Test("a queued run is run by the server's workers; its record has the outputs an immediate run gives")
    func queued() throws {
        let server = try ServerProcess()
        let api = server.client()
        let graph = try ServerGraphs.example("arithmetic.json")
        let q = try api.run(graph, #""inputs": {"celsius": 37}, "mode": "queued", "tags": ["nightly"], "priority": 5"#)
        #expect(q.status == 202, "\(q.body)")
        let id = try #require(q.object["id"] as? Int)
        #expect(q.headers["location"] == "/v1/runs/\(id)")
        let run = try #require(try api.waitFor(id, ["succeeded", "failed"]))
        #expect(run["state"] as? String == "succeeded")
        let now = try api.run(graph, #""inputs": {"celsius": 37}, "mode": "immediate""#)
        #expect(NSDictionary(dictionary: run["outputs"] as? [String: Any] ?? [:])
                    .isEqual(to: now.object["outputs"] as? [String: Any] ?? ["-": 0]))
        #expect(run["priority"] as? Int == 5)
        #expect(run["tags"] as? [String] == ["nightly"])
        #expect(run["attempts"] as? Int == 1)
        let nodes = run["nodes"] as? [[String: Any]] ?? []
        #expect(nodes.count == 6 && nodes.allSatisfy { $0["calls"] as? Int == 1 })
        // Listing and filters.
        let listed = try api.get("/v1/runs?state=succeeded&tag=nightly").object["runs"] as? [[String: Any]] ?? []
        #expect(listed.map { $0["id"] as? Int } == [id])
        #expect((try api.get("/v1/runs?tag=other").object["runs"] as? [Any])?.isEmpty == true)
        #expect(try api.get("/v1/runs?state=sleeping").status == 400)
        #expect(try api.get("/v1/runs?limit=0").status == 400)
        #expect(server.stop() == 0)
    }

    @Test("auto: the complexity analyzer queues event graphs, big loops and graphs whose past runs were slow, and says why")
    func auto() throws {
        let server = try ServerProcess()
        let api = server.client()
        func decision(_ r: HTTPTestClient.Response) -> (String, [String]) {
            let d = r.object["decision"] as? [String: Any] ?? [:]
            return (d["decision"] as? String ?? "", d["reasons"] as? [String] ?? [])
        }
        let simple = try api.run(try ServerGraphs.example("arithmetic.json"))
        #expect(simple.status == 200)
        #expect(decision(simple).0 == "immediate")
        #expect(decision(simple).1.contains("no event sources"))

        let heartbeat = try api.run(try ServerGraphs.example("heartbeat.json"))
        #expect(heartbeat.status == 202)
        #expect(decision(heartbeat).0 == "queued")
        #expect(decision(heartbeat).1.contains { $0.hasPrefix("event sources (") })
        if let id = heartbeat.object["id"] as? Int { _ = try api.post("/v1/runs/\(id)/cancel") }

        let loop = #"""
            {"weft": 1, "nodes": [
              {"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}, "max_iterations": 1000000},
              {"id": "step", "type": "std.add", "inputs": {"b": 1}}, {"id": "more", "type": "std.lt", "inputs": {"b": 3}}],
             "edges": [{"from": "loop.i", "to": "step.a"}, {"from": "step.result", "to": "loop.next_i"},
                       {"from": "step.result", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"}],
             "outputs": {"i": "loop.done_i"}}
            """#
        let looped = try api.run(loop)
        #expect(decision(looped).0 == "queued")
        #expect(decision(looped).1.contains { $0.hasPrefix("loops allow up to 3000000 node calls") })

        // Past runs: a graph whose recorded runs took ~80 ms is queued next time.
        let tally = server.dir + "/slow.tally"
        let slow = ServerGraphs.tallyChain(1, tally: tally, ms: 80)
        let first = try api.run(slow, #""mode": "immediate", "record": true"#)
        #expect(first.status == 200 && first.object["id"] != nil, "\(first.body)")
        let again = try api.run(slow)
        #expect(decision(again).0 == "queued", "\(again.body)")
        #expect(decision(again).1.contains { $0.hasPrefix("past runs of this graph: median") })
        #expect(server.stop() == 0)
    }

    static func message(_ r: HTTPTestClient.Response) -> String {
        (r.object["error"] as? [String: Any])?["message"] as? String ?? ""
    }
}
