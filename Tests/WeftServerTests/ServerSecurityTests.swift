import Foundation
import Testing
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Tokens, limits, allow lists, and the documents the server serves.
@Suite("weft serve: security, limits, metrics, OpenAPI", .serialized)
struct ServerSecurityTests {
    @Test("with --token-file, /v1 and /metrics need a bearer token; /healthz and /openapi.json do not")
    func tokens() throws {
        let dir = try TestPaths.scratch("tokens")
        try "# clients\nsecret-one\n\n  secret-two  \n".write(toFile: dir + "/tokens", atomically: true, encoding: .utf8)
        let server = try ServerProcess(["--token-file", dir + "/tokens"], dir: dir)
        let none = try server.client().get("/v1/runs")
        #expect(none.status == 401)
        #expect(none.headers["www-authenticate"] == "Bearer")
        #expect(ServerAPITests.message(none).contains("--token-file"))
        #expect(try server.client(token: "secret-on").get("/v1/runs").status == 401)
        #expect(try server.client(token: "secret-one!").get("/v1/runs").status == 401)
        #expect(try server.client(token: "secret-one").get("/v1/runs").status == 200)
        #expect(try server.client(token: "secret-two").get("/metrics").status == 200)
        #expect(try server.client().get("/metrics").status == 401)
        #expect(try server.client().get("/healthz").status == 200)
        #expect(try server.client().get("/openapi.json").status == 200)
        #expect(server.stop() == 0)
    }

    @Test("refused at the start: a non-loopback address without tokens, an empty token file")
    func refusedStarts() throws {
        let dir = try TestPaths.scratch("refused")
        let open = try Shell.run(TestPaths.weft, ["serve", "--host", "0.0.0.0", "--store", dir + "/runs.db"])
        #expect(open.status == 2)
        #expect(open.stderr.contains("--token-file"))
        try "# nothing\n".write(toFile: dir + "/empty", atomically: true, encoding: .utf8)
        let empty = try Shell.run(TestPaths.weft, ["serve", "--token-file", dir + "/empty", "--store", dir + "/runs.db", "--port", "0"])
        #expect(empty.status == 2)
        #expect(empty.stderr.contains("holds no token"))
    }

    @Test("a body over --max-body-bytes is refused with 413; the server goes on")
    func bodyLimit() throws {
        let server = try ServerProcess(["--max-body-bytes", "4096"])
        let big = #"{"graph": {"weft": 1, "description": ""# + String(repeating: "x", count: 10000) + #"", "nodes": []}}"#
        let r = try server.client().post("/v1/runs", big)
        #expect(r.status == 413)
        #expect(ServerAPITests.message(r).contains("--max-body-bytes"))
        let ok = try server.client().run(try ServerGraphs.example("arithmetic.json"))
        #expect(ok.status == 200)
        #expect(server.stop() == 0)
    }

    @Test("graphs may use only the allowed namespaces and ffi libraries; /v1/plugins lists only what is allowed")
    func allowLists() throws {
        let server = try ServerProcess(["--allow-plugin", "std", "--allow-plugin", "fixture", "--allow-ffi", "libm.so.6"])
        let api = server.client()
        let timed = #"{"weft": 1, "nodes": [{"id": "now", "type": "time.now"}], "outputs": {"t": "now.unix_ms"}}"#
        let r = try api.run(timed)
        #expect(r.status == 422)
        let d = (r.object["error"] as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []
        #expect(d.map { $0["path"] as? String ?? "" } == ["$.nodes[0].type"], "\(r.body)")
        #expect(d.first.map { ($0["message"] as? String ?? "").contains("from 'time', which this server does not allow") } == true)
        // ffi: libm allowed, libc not.
        let ffi = try ServerGraphs.example("ffi-math.json")
        let refused = try api.run(ffi)
        #expect(refused.status == 422)
        let fd = (refused.object["error"] as? [String: Any])?["diagnostics"] as? [[String: Any]] ?? []
        #expect(fd.map { $0["path"] as? String ?? "" } == ["$.nodes[2].params.library"], "\(refused.body)")
        #expect(fd.first.map { ($0["message"] as? String ?? "").contains("libc.so.6") } == true)
        let hypot = #"""
            {"weft": 1, "nodes": [{"id": "h", "type": "ffi",
              "params": {"library": "libm.so.6", "symbol": "hypot", "signature": "double hypot(double x, double y)"},
              "inputs": {"x": 3.0, "y": 4.0}}], "outputs": {"r": "h.result"}}
            """#
        let ok = try api.run(hypot, #""mode": "immediate""#)
        #expect(ok.status == 200, "\(ok.body)")
        #expect((ok.object["outputs"] as? [String: Any])?["r"] as? Double == 5)
        // What /v1/plugins shows.
        let nodes = (try api.get("/v1/plugins").object["nodes"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(!nodes.isEmpty)
        let listed = try api.get("/v1/plugins").body
        #expect(listed.contains("\"std\"") || listed.contains("std."))
        #expect(!listed.contains("\"time\"") && !listed.contains("time.now"))
        #expect(server.stop() == 0)
    }

    @Test("/metrics is Prometheus text with runs by mode and state, the queue and the workers; /healthz says ok")
    func metrics() throws {
        let server = try ServerProcess(["--workers", "3"])
        let api = server.client()
        let graph = try ServerGraphs.example("arithmetic.json")
        for _ in 0..<3 { #expect(try api.run(graph, #""mode": "immediate""#).status == 200) }
        let id = try #require(try api.run(graph, #""mode": "queued""#).object["id"] as? Int)
        _ = try api.waitFor(id, ["succeeded"])
        let text = try api.get("/metrics")
        #expect(text.status == 200)
        #expect(text.headers["content-type"]?.hasPrefix("text/plain") == true)
        let lines = Set(text.body.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"weft_runs_started_total{mode="immediate"} 3"#))
        #expect(lines.contains(#"weft_runs_started_total{mode="queued"} 1"#))
        #expect(lines.contains(#"weft_runs{state="succeeded"} 1.0"#))
        #expect(lines.contains("weft_queue_depth 0.0"))
        #expect(lines.contains("weft_workers 3.0"))
        #expect(lines.contains("weft_node_duration_seconds_count 6"), "six node calls of the queued run")
        let health = try api.get("/healthz").object
        #expect(health["status"] as? String == "ok")
        #expect(health["workers"] as? Int == 3)
        #expect(server.stop() == 0)
    }

    @Test("/openapi.json is OpenAPI 3.1 and names every route the server answers; weft serve --openapi prints the same")
    func openapi() throws {
        let server = try ServerProcess()
        let served = try server.client().get("/openapi.json")
        #expect(served.status == 200)
        let doc = served.object
        #expect(doc["openapi"] as? String == "3.1.0")
        let paths = Set((doc["paths"] as? [String: Any] ?? [:]).keys)
        for path in ["/v1/runs", "/v1/runs/{id}", "/v1/runs/{id}/events", "/v1/runs/{id}/pause", "/v1/runs/{id}/resume",
                     "/v1/runs/{id}/cancel", "/v1/graphs", "/v1/graphs/{id}", "/v1/plugins", "/metrics", "/healthz", "/openapi.json"] {
            #expect(paths.contains(path), "\(path) is in the document")
        }
        let printed = try Shell.run(TestPaths.weft, ["serve", "--openapi"])
        #expect(printed.status == 0)
        #expect(printed.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == served.body.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(server.stop() == 0)
    }

    @Test("POST /v1/graphs validates and stores; the id runs it; GET returns it")
    func graphs() throws {
        let server = try ServerProcess()
        let api = server.client()
        let stored = try api.post("/v1/graphs", try ServerGraphs.example("arithmetic.json"))
        #expect(stored.status == 201, "\(stored.body)")
        let id = try #require(stored.object["id"] as? String)
        #expect(stored.object["inputs"] as? [String] == ["celsius", "template"])
        #expect(stored.object["outputs"] as? [String] == ["fahrenheit", "sentence"])
        #expect(try api.get("/v1/graphs/\(id)").status == 200)
        let r = try api.post("/v1/runs", #"{"graph_id": "\#(id)", "inputs": {"celsius": 0}}"#)
        #expect((r.object["outputs"] as? [String: Any])?["fahrenheit"] as? Double == 32)
        let bad = try api.post("/v1/graphs", #"{"weft": 1, "nodes": [{"id": "x", "type": "std.add"}], "edges": [{"from": "y.z", "to": "x.a"}]}"#)
        #expect(bad.status == 422)
        let badDiagnostics = (bad.object["error"] as? [String: Any])?["diagnostics"] as? [Any]
        #expect(badDiagnostics?.count == 2)
        #expect(try api.get("/v1/graphs/ffffffffffffffff").status == 404)
        #expect(server.stop() == 0)
    }
}
