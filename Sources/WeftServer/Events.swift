import HTTPTypes
import Hummingbird
import NIOCore
import WeftCore
import WeftScheduler
import WeftStore

/// `GET /v1/runs/{id}/events`: the run's events as Server-Sent Events,
/// read from the store — so it works whichever process runs the run (the
/// server's workers, a `weft worker`, `weft run --store`). Two streams
/// merged: `event: run` (the run's events but node started/finished) and
/// `event: node` (node completions); each message's id is `E.C`, the
/// count of each sent so far, so a client that reconnects with
/// `Last-Event-ID` (or `?after=`) gets exactly what it has not seen.
extension WeftServer {
    /// How often the store is read for more.
    static let eventPollNs: UInt64 = 100_000_000
    /// A comment line this often keeps proxies from closing a quiet stream.
    static let keepAliveNs: UInt64 = 15_000_000_000

    func events(_ request: Request, id: Int64) async throws -> Response {
        // `after` wins over the header; each that is given must be an id.
        var start = (events: Int64(0), completions: Int64(0))
        for text in [request.headers[HTTPField.Name("Last-Event-ID")!], request.uri.queryParameters.get("after")] {
            guard let text else { continue }
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let e = Int64(parts[0]), let c = Int64(parts[1]), e >= 0, c >= 0 else {
                throw APIFailure(400, "the event id '\(text)' is not of the form E.C (two counts), as the stream's ids are")
            }
            start = (e, c)
        }
        let first = try await blocking { try self.store.run(id) }
        guard first != nil else { throw Self.noRun(id) }
        let from = start
        let body = ResponseBody { writer in
            var (e, c) = from
            var quietSince = MonotonicClock.now()
            while true {
                let (eventsFrom, completionsFrom) = (e, c)
                let (state, lines, completions) = try await self.blocking { () throws -> (String, [(seq: Int64, line: String)], [CompletionRow]) in
                    // The state first: what was written before it changed is read after.
                    let state = try self.store.run(id)?.state ?? "cancelled"
                    return (state, try self.store.eventLines(id, from: eventsFrom), try self.store.completionRows(id, from: completionsFrom))
                }
                // The run's events, its node completions, then its last
                // event (run_finished) — the order they happened in, as far
                // as one read of the store tells.
                var out = ""
                let last = lines.last.map { $0.line.hasPrefix(#"{"event":"run_finished""#) } ?? false
                for (seq, line) in lines.dropLast(last ? 1 : 0) {
                    e = seq + 1
                    out += "id: \(e).\(c)\nevent: run\ndata: \(line)\n\n"
                }
                for row in completions {
                    c = row.seq + 1
                    out += "id: \(e).\(c)\nevent: node\ndata: \(JSON.encode(Self.completionJSON(row)))\n\n"
                }
                if last, let (seq, line) = lines.last {
                    e = seq + 1
                    out += "id: \(e).\(c)\nevent: run\ndata: \(line)\n\n"
                }
                let ended = ["succeeded", "failed", "cancelled", "paused"].contains(state)
                if ended { out += "id: \(e).\(c)\nevent: end\ndata: \(JSON.encode(.object([("state", .string(state))])))\n\n" }
                if out.isEmpty && MonotonicClock.now() &- quietSince >= Self.keepAliveNs { out = ": keep-alive\n\n" }
                if !out.isEmpty {
                    try await writer.write(ByteBuffer(string: out))
                    quietSince = MonotonicClock.now()
                }
                if ended { break }
                try await Task.sleep(nanoseconds: Self.eventPollNs)
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    static func completionJSON(_ row: CompletionRow) -> WeftValue {
        var doc: [(String, WeftValue)] = [("event", "node_completed"), ("seq", .int(row.seq)), ("node", .string(row.node)),
                                          ("occurrence", .int(Int64(row.occurrence)))]
        if row.wave > 0 { doc.append(("wave", .int(Int64(row.wave)))) }
        doc.append(("attempt", .int(Int64(row.attempt))))
        if let ns = row.durationNs { doc.append(("duration_ms", .double(Double(ns) / 1e6))) }
        return .object(doc)
    }
}
