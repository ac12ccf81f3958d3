import Hummingbird
import NIOCore
import OrderedCollections
import Prometheus
import WeftCore
import WeftScheduler
import WeftStore

/// The routes of Docs/server.md (the OpenAPI document, OpenAPIDocument.swift,
/// describes the same).
extension WeftServer {
    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: WebPage.html)))
        }
        router.get("/healthz") { _, _ in try await self.health() }
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.get("/metrics") { _, _ in
            let text = try await self.blocking {
                self.metrics.update(from: self.store)
                return self.metrics.registry.emitToString()
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.post("/v1/runs") { request, _ in try await self.startRun(try await self.body(request)) }
        router.get("/v1/runs") { request, _ in try await self.listRuns(request.uri.queryParameters) }
        router.get("/v1/runs/:id") { _, context in
            let id = try Self.runId(context)
            return try await self.blocking { () throws -> Response in
                guard let run = try self.store.run(id) else { throw Self.noRun(id) }
                return json(.ok, try self.runJSON(run, nodes: true))
            }
        }
        router.get("/v1/runs/:id/events") { request, context in try await self.events(request, id: try Self.runId(context)) }
        for action in ["pause", "resume", "cancel"] {
            router.post("/v1/runs/:id/\(action)") { _, context in try await self.control(try Self.runId(context), action) }
        }
        router.post("/v1/graphs") { request, _ in
            let value = try await self.body(request)
            return try await self.blocking { () throws -> Response in
                let graph = try self.host.prepare(JSON.encode(value))
                try self.store.storeGraph(graph.text)
                let plan = graph.plan
                return json(.created, .object([
                    ("id", .string(graph.id)), ("nodes", .int(Int64(graph.traits.nodes))),
                    ("inputs", .list(plan.inputs.map { .string($0.name) })),
                    ("outputs", .list(plan.outputs.map { .string($0.name) })),
                    ("warnings", .list(plan.warnings.map(\.jsonValue))),
                ]), headers: [.location: "/v1/graphs/\(graph.id)"])
            }
        }
        router.get("/v1/graphs/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            let text = try await self.blocking { try self.store.graph(id) }
            guard let text else {
                throw APIFailure(404, "no graph '\(id)' on this server; POST /v1/graphs stores one (its id is in the response)")
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/v1/plugins") { _, _ in json(.ok, self.host.pluginsJSON) }
    }

    // MARK: helpers

    /// The request body as JSON, at most `--max-body-bytes`.
    func body(_ request: Request) async throws -> WeftValue {
        var request = request
        let buffer = try await request.collectBody(upTo: options.maxBodyBytes)
        let text = String(buffer: buffer)
        do {
            return try JSON.parse(text)
        } catch {
            throw APIFailure(400, "the request body is not JSON: \(error)")
        }
    }

    static func runId(_ context: BasicRequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw APIFailure(400, "'\(text)' is not a run id (a positive integer)") }
        return id
    }

    static func noRun(_ id: Int64) -> APIFailure {
        APIFailure(404, "no run \(id) on this server; GET /v1/runs lists the runs")
    }

    func health() async throws -> Response {
        let queued = try? await blocking { try self.store.queueDepth() }
        var doc: [(String, WeftValue)] = [("status", .string(queued == nil ? "unavailable" : "ok")),
                                          ("store", .string(queued == nil ? "the run store cannot be read" : "ok"))]
        if let queued { doc.append(("queued", .int(Int64(queued)))) }
        doc.append(("workers", .int(Int64(options.workers))))
        return json(queued == nil ? .serviceUnavailable : .ok, .object(doc))
    }

    // MARK: runs

    /// `POST /v1/runs`.
    func startRun(_ body: WeftValue) async throws -> Response {
        guard case .map(let fields) = body else { throw APIFailure(400, "the body must be a JSON object (Docs/server.md)") }
        let known: Set<String> = ["graph", "graph_id", "inputs", "mode", "scheduler", "priority", "tags", "timeout", "record"]
        if let unknown = fields.keys.first(where: { !known.contains($0) }) {
            throw APIFailure(400, "unknown field '\(unknown)'; the fields are: \(known.sorted().joined(separator: ", "))")
        }
        let request = try RunRequest(fields)
        return try await blocking { () throws -> Response in
            let text: String
            switch (request.graph, request.graphId) {
            case (let g?, nil):
                text = JSON.encode(g)
            case (nil, let id?):
                guard let stored = try self.store.graph(id) else {
                    throw APIFailure(404, "no graph '\(id)' on this server; POST /v1/graphs stores one (its id is in the response)")
                }
                text = stored
            default:
                throw APIFailure(400, "give the graph as \"graph\" (a graph document) or \"graph_id\" (of a stored graph), one of them")
            }
            let graph = try self.host.prepare(text)
            let inputs = try NodeHost.inputs(request.inputs, for: graph.plan)
            var decision: Complexity?
            var queued = request.mode == "queued"
            if request.mode == "auto" {
                let d = Complexity(graph.traits, past: try? self.store.pastDurations(graphHash: graph.id, limit: 20))
                decision = d
                queued = d.queued
            }
            if queued {
                let id = try self.store.enqueue(graphJSON: graph.text, inputs: .object(inputs.sorted { $0.key < $1.key }),
                                                mode: request.scheduler.rawValue, priority: request.priority, tags: request.tags,
                                                timeout: request.timeout)
                self.metrics.queuedRuns.increment()
                self.workers?.wake()
                var doc: [(String, WeftValue)] = [("mode", "queued"), ("id", .int(id)), ("state", "queued")]
                if let decision { doc.append(("decision", decision.jsonValue)) }
                return json(.accepted, .object(doc), headers: [.location: "/v1/runs/\(id)"])
            }
            self.metrics.immediateRuns.increment()
            let limit = self.host.policy.immediateTimeout
            let timeout = min(request.timeout ?? limit, limit)
            let run = try self.executor.run(graph, inputs: inputs, mode: request.scheduler, timeout: timeout, record: request.record)
            var doc: [(String, WeftValue)] = [
                ("mode", "immediate"), ("state", .string(run.stateName)), ("outputs", run.result.outputsJSON),
                ("steps", .int(Int64(run.result.steps))), ("duration_ms", .double(Double(run.result.duration) / 1e6)),
                ("error", run.error.map { .string($0.message) } ?? .null),
                ("error_node", run.error?.node.map { .string($0) } ?? .null),
            ]
            if let id = run.id { doc.append(("id", .int(id))) }
            if let decision { doc.append(("decision", decision.jsonValue)) }
            return json(.ok, .object(doc))
        }
    }

    /// `GET /v1/runs`.
    func listRuns(_ query: Parameters) async throws -> Response {
        let states = ["queued", "running", "succeeded", "failed", "cancelled", "paused", "interrupted"]
        let state = query.get("state")
        if let state, !states.contains(state) {
            throw APIFailure(400, "unknown state '\(state)'; the states are: \(states.joined(separator: ", "))")
        }
        var given = 100
        if let text = query.get("limit") {
            guard let n = Int(text), (1...1000).contains(n) else { throw APIFailure(400, "limit must be an integer from 1 to 1000, not '\(text)'") }
            given = n
        }
        let limit = given
        let tag = query.get("tag")
        return try await blocking { () throws -> Response in
            var runs = try self.store.runs(state: state, limit: tag == nil ? limit : 100_000)
            if let tag { runs = Array(runs.filter { $0.tags.contains(tag) }.prefix(limit)) }
            return json(.ok, .object([("runs", .list(try runs.map { try self.runJSON($0, nodes: false) }))]))
        }
    }

    func runJSON(_ run: StoredRun, nodes: Bool) throws -> WeftValue {
        func optional(_ s: String?) -> WeftValue { s.map { .string($0) } ?? .null }
        var doc: [(String, WeftValue)] = [
            ("id", .int(run.id)), ("state", .string(run.state)), ("mode", .string(run.mode)), ("graph_id", .string(run.graphHash)),
            ("inputs", (try? JSON.parse(run.inputs)) ?? .object([])),
            ("outputs", run.outputs.flatMap { try? JSON.parse($0) } ?? .null),
            ("error", optional(run.error)), ("error_node", optional(run.errorNode)),
            ("steps", run.steps.map { .int(Int64($0)) } ?? .null),
            ("priority", .int(Int64(run.priority))), ("tags", .list(run.tags.map { .string($0) })),
            ("attempts", .int(Int64(run.attempts))), ("resumes", .int(Int64(run.resumes))), ("worker", optional(run.worker)),
            ("created_at", .double(run.createdAt)),
            ("started_at", run.state == "queued" && run.attempts == 0 ? .null : .double(run.startedAt)),
            ("finished_at", run.finishedAt.map { .double($0) } ?? .null),
        ]
        if nodes {
            doc.append(("nodes", .list(try store.nodeTable(run.id).map { n in
                .object([("node", .string(n.node)), ("calls", .int(Int64(n.calls))), ("total_ms", .double(Double(n.totalNs) / 1e6)),
                         ("max_ms", .double(Double(n.maxNs) / 1e6)), ("attempts", .int(Int64(n.attempts)))])
            })))
        }
        return .object(doc)
    }

    /// `POST /v1/runs/{id}/pause|resume|cancel`.
    func control(_ id: Int64, _ action: String) async throws -> Response {
        try await blocking { () throws -> Response in
            guard let run = try self.store.run(id) else { throw Self.noRun(id) }
            let done: Bool
            switch (action, run.state) {
            case ("pause", "queued"):
                done = try self.store.setState(id, to: "paused", from: ["queued"])
            case ("cancel", "queued"), ("cancel", "paused"), ("cancel", "interrupted"):
                done = try self.store.setState(id, to: "cancelled", from: ["queued", "paused", "running"])
            case ("pause", "running"), ("cancel", "running"):
                done = try self.store.request(id, action)
            case ("resume", _):
                done = try self.store.requeue(id, fence: nil)
                if done { self.workers?.wake() }
            default:
                done = false
            }
            guard done else {
                let now = try self.store.run(id)?.state ?? run.state
                throw APIFailure(409, "run \(id) is \(now): it cannot be \(action == "pause" ? "paused" : action == "cancel" ? "cancelled" : "resumed") "
                                     + Self.hint(action, now))
            }
            let state = try self.store.run(id)?.state ?? run.state
            return json(.accepted, .object([("id", .int(id)), ("state", .string(state)), ("requested", .string(action))]))
        }
    }

    static func hint(_ action: String, _ state: String) -> String {
        switch action {
        case "resume": "(only a paused, failed, cancelled or interrupted run is resumed)"
        case "pause": "(only a queued or running run is paused)"
        default: "(only a queued, running, paused or interrupted run is cancelled)"
        }
    }
}

/// The fields of `POST /v1/runs`, checked.
struct RunRequest: Sendable {
    var graph: WeftValue?
    var graphId: String?
    var inputs: WeftValue?
    var mode = "auto"
    var scheduler = RunMode.sequential
    var priority = 0
    var tags: [String] = []
    var timeout: Double?
    var record = false

    init(_ f: OrderedDictionary<String, WeftValue>) throws(APIFailure) {
        graph = f["graph"]
        if let g = graph, g.mapEntries == nil { throw APIFailure(400, "\"graph\" must be a graph document (an object)") }
        if let id = f["graph_id"] {
            guard let s = id.stringValue else { throw APIFailure(400, "\"graph_id\" must be a string") }
            graphId = s
        }
        inputs = f["inputs"]
        if let m = f["mode"] {
            guard let s = m.stringValue, ["immediate", "queued", "auto"].contains(s) else {
                throw APIFailure(400, "\"mode\" must be \"immediate\", \"queued\" or \"auto\", not \(JSON.encode(m))")
            }
            mode = s
        }
        if let m = f["scheduler"] {
            guard let s = m.stringValue, let r = RunMode(rawValue: s) else {
                throw APIFailure(400, "\"scheduler\" must be one of \(RunMode.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), not \(JSON.encode(m))")
            }
            scheduler = r
        }
        if let p = f["priority"] {
            guard case .int(let n) = p, (-1000...1000).contains(n) else {
                throw APIFailure(400, "\"priority\" must be an integer from -1000 to 1000, not \(JSON.encode(p))")
            }
            priority = Int(n)
        }
        if let t = f["tags"] {
            guard let items = t.listItems, items.count <= 32,
                  case let strings = items.compactMap({ $0.stringValue }), strings.count == items.count, strings.allSatisfy({ $0.count <= 100 })
            else { throw APIFailure(400, "\"tags\" must be a list of at most 32 strings of at most 100 characters") }
            tags = strings
        }
        if let t = f["timeout"] {
            let seconds: Double? = switch t {
            case .int(let n): Double(n)
            case .double(let d): d
            default: nil
            }
            guard let seconds, seconds > 0, seconds <= 86400 else {
                throw APIFailure(400, "\"timeout\" must be a number of seconds above 0 and at most 86400, not \(JSON.encode(t))")
            }
            timeout = seconds
        }
        if let r = f["record"] {
            guard case .bool(let b) = r else { throw APIFailure(400, "\"record\" must be true or false") }
            record = b
        }
    }
}
