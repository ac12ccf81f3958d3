import Foundation
import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// `timeout_ms` on nodes that are not isolated: a limit per attempt.
/// `fixture.slow` runs `ms` 1-ms naps (stopping at should_stop when
/// `cooperative`); `fixture.hang` is BLOCKING and not THREAD_SAFE: it
/// sleeps `ms`, then makes the file `done`; `fixture.hang_peak` gives the
/// most hang calls that were inside at once.
@Suite("Time limits per attempt", .serialized)
struct TimeoutTests {
    static func slow(ms: Int, timeout: Int, cooperative: Bool = false, extra: String = "") -> String {
        """
        {"weft": 1, "nodes": [
           {"id": "s", "type": "fixture.slow", "inputs": {"ms": \(ms), "cooperative": \(cooperative)}, "timeout_ms": \(timeout)\(extra)},
           {"id": "next", "type": "std.add", "inputs": {"b": 1}}],
         "edges": [{"from": "s.n", "to": "next.a"}], "outputs": {"n": "next.result"}}
        """
    }

    static func failure(_ r: RunResult) -> String {
        if case .failed(let message, _) = r.outcome { return message }
        return "not failed: \(r.outcome)"
    }

    @Test(arguments: [RunMode.sequential, .parallel])
    func aCallWithinItsLimitIsUntouched(mode: RunMode) throws {
        let r = try TestGraphs.run(Self.slow(ms: 5, timeout: 10_000), options: RunOptions(mode: mode, workers: 2))
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r[output: "n"] == .int(6))
    }

    /// A node that is not BLOCKING is not left behind: the run waits for
    /// it, and a call that returns late fails, whatever it returned.
    @Test(arguments: [RunMode.sequential, .parallel])
    func aLateCallFailsTheNode(mode: RunMode) throws {
        let r = try TestGraphs.run(Self.slow(ms: 150, timeout: 20), options: RunOptions(mode: mode, workers: 2))
        let message = Self.failure(r)
        #expect(message.hasPrefix("node 's' (fixture.slow): took "), "\(message)")
        #expect(message.contains(" ms, past its timeout_ms of 20 ms (the run waits for a node not flagged BLOCKING: "
                                 + "its run can return early when should_stop(ctx) says so)"), "\(message)")
        #expect(r.missingOutputs == ["n"])
    }

    /// should_stop(ctx) turns true at the deadline: a cooperative node
    /// stops there (its own failure is kept in the message).
    @Test(arguments: [RunMode.sequential, .parallel])
    func shouldStopTellsTheCallItsTimeIsUp(mode: RunMode) throws {
        let r = try TestGraphs.run(Self.slow(ms: 10_000, timeout: 30, cooperative: true), options: RunOptions(mode: mode, workers: 2))
        let message = Self.failure(r)
        #expect(message.contains("past its timeout_ms of 30 ms"), "\(message)")
        #expect(message.contains("; the call itself failed: fixture.slow: should_stop said stop after "), "\(message)")
        #expect(!message.contains("after 10000 of"), "\(message)")
    }

    /// Retries and on_error treat a timeout as any failure.
    @Test func aTimeoutIsRetriedAndRouted() throws {
        let recorder = EventRecorder()
        let g = Self.slow(ms: 100, timeout: 10, extra: #", "retry": {"max_attempts": 2}, "on_error": "route""#)
            .replacingOccurrences(of: #""outputs": {"n": "next.result"}"#, with: #""outputs": {"n": "next.result", "why": "s.error"}"#)
        let r = try TestGraphs.run(g, options: RunOptions(observers: [recorder]))
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r.missingOutputs == ["n"])
        let why = try #require(r[output: "why"])
        #expect(why["attempt"] == 2)
        #expect(why["message"]?.stringValue?.contains("past its timeout_ms of 10 ms") == true, "\(why)")
        #expect(recorder.events.compactMap { if case .nodeRetry(_, _, "s", let attempt, _, _) = $0 { attempt } else { nil } } == [1])
    }

    static func hang(ms: Int, timeout: Int, done: String, extra: String = "") -> String {
        """
        {"weft": 1, "nodes": [
           {"id": "h", "type": "fixture.hang", "inputs": {"ms": \(ms), "done": "\(done)"}, "timeout_ms": \(timeout)\(extra)},
           {"id": "q", "type": "std.add", "inputs": {"a": 1, "b": 2}}],
         "outputs": {"n": "h.n", "q": "q.result"}}
        """
    }

    /// A BLOCKING node's call is abandoned at its deadline: the run ends
    /// without it (its `done` file is not there yet), and closing the
    /// graph waits for the abandoned call (then it is).
    @Test(arguments: [RunMode.sequential, .parallel])
    func aBlockingCallIsAbandonedAtItsDeadline(mode: RunMode) throws {
        let done = try TestPaths.scratch("timeout") + "/done"
        let g = try TestGraphs.compile(Self.hang(ms: 1500, timeout: 40, done: done))
        let r = try Scheduler.run(g, options: RunOptions(mode: mode, workers: 2))
        #expect(Self.failure(r) == "node 'h' (fixture.hang): did not finish within its timeout_ms of 40 ms; the call was abandoned "
                    + "(it ends in the background when its run returns)")
        #expect(!FileManager.default.fileExists(atPath: done), "the run waited for the abandoned call")
        g.close()
        #expect(FileManager.default.fileExists(atPath: done), "close did not wait for the abandoned call")
    }

    /// With keep-going, the rest of the graph runs meanwhile; a retry of a
    /// node that is not THREAD_SAFE waits for its abandoned call: never two
    /// calls in one instance at once.
    @Test func aRetryWaitsForTheAbandonedCallOfItsInstance() throws {
        let done = try TestPaths.scratch("timeout") + "/done"
        let g = try TestGraphs.compile(Self.hang(ms: 300, timeout: 50, done: done, extra: #", "retry": {"max_attempts": 3}"#))
        var options = RunOptions(mode: .parallel, workers: 2)
        options.keepGoing = true
        let r = try Scheduler.run(g, options: options)
        #expect(Self.failure(r).contains("did not finish within its timeout_ms of 50 ms; the call was abandoned"), "\(r.outcome)")
        #expect(r[output: "q"] == .int(3))
        g.close()
        let peak = try TestGraphs.run(#"{"weft": 1, "nodes": [{"id": "p", "type": "fixture.hang_peak"}], "outputs": {"p": "p.n"}}"#)
        #expect(peak[output: "p"] == .int(1))
    }

    @Test func aBlockingCallWithinItsLimitDeliversItsOutputs() throws {
        let r = try TestGraphs.run(Self.hang(ms: 5, timeout: 10_000, done: ""), options: RunOptions(mode: .sequential))
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r[output: "n"] == .int(5) && r[output: "q"] == .int(3))
    }

    @Test func whereATimeLimitIsRefused() {
        let async = TestGraphs.diagnostics(#"{"weft": 1, "nodes": [{"id": "l", "type": "fixture.later", "inputs": {"x": 1}, "timeout_ms": 5}]}"#)
        #expect(async.map(\.path) == ["$.nodes[0].timeout_ms"])
        #expect(async.first?.message.contains("is async: timeout_ms is not for async nodes yet") == true, "\(async)")
        let mapped = TestGraphs.diagnostics(#"""
            {"weft": 1, "nodes": [{"id": "m", "type": "std.add", "map": ["a"], "inputs": {"a": [1, 2], "b": 1}, "timeout_ms": 5}]}
            """#)
        #expect(mapped.map(\.path) == ["$.nodes[0].timeout_ms"])
        #expect(mapped.first?.message.contains("timeout_ms on a mapped node needs \"isolate\": true") == true, "\(mapped)")
    }
}
