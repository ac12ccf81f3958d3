import Foundation
import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// `"retry"`: a node whose call failed is called again after a wait, up to
/// `max_attempts` in all; the waits grow by `multiplier` up to
/// `max_backoff_ms`. Each failed attempt gives `node_failed` then
/// `node_retry`; a cancel ends the wait at once; limits are not retried.
/// `fixture.flaky` fails its first `fail_times` calls, then outputs how
/// many calls it has had.
@Suite("Retries")
struct RetryTests {
    static func flaky(failTimes: Int, retry: String, onError: String = "") -> String {
        """
        {"weft": 1, "nodes": [
           {"id": "f", "type": "fixture.flaky", "params": {"fail_times": \(failTimes)}, "retry": \(retry)\(onError)},
           {"id": "next", "type": "std.add", "inputs": {"b": 100}}],
         "edges": [{"from": "f.n", "to": "next.a"}],
         "outputs": {"calls": "f.n", "after": "next.result"}}
        """
    }

    static func observed(_ json: String, _ options: RunOptions = RunOptions()) throws -> (RunResult, [RunEvent]) {
        let recorder = EventRecorder()
        var o = options
        o.observers = [recorder]
        return (try TestGraphs.run(json, options: o), recorder.events)
    }

    @Test(arguments: [RunMode.sequential, .parallel])
    func aFailedNodeIsCalledAgainUntilItSucceeds(mode: RunMode) throws {
        let (r, events) = try Self.observed(Self.flaky(failTimes: 2, retry: #"{"max_attempts": 3}"#),
                                            RunOptions(mode: mode, workers: 2))
        #expect(r.outcome == .succeeded)
        #expect(r[output: "calls"] == .int(3))
        #expect(r[output: "after"] == .int(103))
        #expect(r.steps == 4, "three attempts of f, one call of next")
        let f = events.map(PathEquivalenceTests.signature).filter { $0.contains(" f") }
        #expect(f == ["started f", "failed f: flaky: failure 1 of 2", "retry f 1: flaky: failure 1 of 2",
                      "started f", "failed f: flaky: failure 2 of 2", "retry f 2: flaky: failure 2 of 2",
                      "started f", "finished f"])
    }

    /// The last attempt's failure is the node's: the run fails with it, or
    /// its `on_error` handles it (the error map counts the attempts).
    @Test func theLastFailureIsTheNodes() throws {
        let failed = try TestGraphs.run(Self.flaky(failTimes: 5, retry: #"{"max_attempts": 2}"#))
        #expect(failed.outcome == .failed(message: "node 'f' (fixture.flaky): flaky: failure 2 of 5", node: "f"))
        #expect(failed.steps == 2)
        let routed = try TestGraphs.run(Self.flaky(failTimes: 5, retry: #"{"max_attempts": 3}"#, onError: #", "on_error": "route""#)
            .replacingOccurrences(of: #""outputs": {"calls": "f.n", "after": "next.result"}"#,
                                  with: #""outputs": {"error": "f.error"}"#))
        #expect(routed.outcome == .succeeded)
        #expect(routed[output: "error"]?["attempt"] == .int(3))
        #expect(routed[output: "error"]?["message"] == .string("flaky: failure 3 of 5"))
    }

    /// The waits: backoff_ms, then × multiplier, capped at max_backoff_ms;
    /// the next attempt starts no sooner (event times, one clock).
    @Test func theWaitsGrowByTheMultiplierUpToTheCap() throws {
        let (r, events) = try Self.observed(Self.flaky(
            failTimes: 3, retry: #"{"max_attempts": 4, "backoff_ms": 20, "multiplier": 3, "max_backoff_ms": 100}"#))
        #expect(r.outcome == .succeeded)
        var delays: [UInt64] = []
        var nextStartAtLeast: UInt64 = 0
        for e in events {
            if case .nodeRetry(let t, _, "f", _, let delay, _) = e {
                delays.append(delay)
                nextStartAtLeast = t + delay
            }
            if case .nodeStarted(let t, _, "f", _) = e, !delays.isEmpty {
                #expect(t >= nextStartAtLeast, "attempt \(delays.count + 1) started before its wait was over")
            }
        }
        #expect(delays == [20_000_000, 60_000_000, 100_000_000])
    }

    /// `jitter` takes up to that fraction off each wait, at random.
    @Test func jitterShortensEachWaitByUpToItsFraction() throws {
        let (r, events) = try Self.observed(Self.flaky(
            failTimes: 3, retry: #"{"max_attempts": 4, "backoff_ms": 10, "multiplier": 2, "jitter": 0.5}"#))
        #expect(r.outcome == .succeeded)
        let delays = events.compactMap { e -> UInt64? in if case .nodeRetry(_, _, _, _, let d, _) = e { d } else { nil } }
        #expect(delays.count == 3)
        for (d, full) in zip(delays, [10_000_000, 20_000_000, 40_000_000] as [UInt64]) {
            #expect(d <= full && d >= full / 2, "\(d) not within [\(full / 2), \(full)]")
        }
    }

    /// A cancel during a long wait ends the run at once (it does not wait
    /// out the 60 s).
    @Test(.timeLimit(.minutes(1)))
    func aCancelEndsTheWait() throws {
        final class CancelOnRetry: RunObserver, @unchecked Sendable {
            let token = CancellationToken()
            func receive(_ event: RunEvent) { if case .nodeRetry = event { token.cancel() } }
        }
        let observer = CancelOnRetry()
        let compiled = try TestGraphs.compile(Self.flaky(failTimes: 1, retry: #"{"max_attempts": 2, "backoff_ms": 60000}"#))
        let started = Date()
        let r = try Scheduler.run(compiled, options: RunOptions(observers: [observer]), cancellation: observer.token)
        #expect(r.outcome == .cancelled)
        #expect(Date().timeIntervalSince(started) < 30, "the run waited out its backoff")
        #expect(r.steps == 1)
    }

    /// The graph's `retry` is the default of its nodes; a node's own wins.
    @Test func theGraphsRetryIsTheDefault() throws {
        let graph = { (own: String) in
            """
            {"weft": 1, "retry": {"max_attempts": 3}, "nodes": [
               {"id": "f", "type": "fixture.flaky", "params": {"fail_times": 2}\(own)}],
             "edges": [], "outputs": {"calls": "f.n"}}
            """
        }
        #expect(try TestGraphs.run(graph(""))[output: "calls"] == .int(3))
        #expect(try TestGraphs.run(graph(#", "retry": {"max_attempts": 1}"#)).outcome.name == "failed")
    }

    /// Limits are not failures of the node: max_steps stops a retried node
    /// as any other.
    @Test func maxStepsIsNotRetried() throws {
        var o = RunOptions()
        o.maxSteps = 2
        let r = try TestGraphs.run(Self.flaky(failTimes: 5, retry: #"{"max_attempts": 10}"#), options: o)
        #expect(r.steps == 2)
        guard case .failed(let message, _) = r.outcome else {
            Issue.record("expected a failure, got \(r.outcome)")
            return
        }
        #expect(message.contains("max_steps"), "\(message)")
    }

    /// Retried nodes give the same answers and events on every path (the
    /// pool in parallel mode; a loop body with one goes through the queue).
    @Test func everyPathRetriesAlike() throws {
        try PathEquivalenceTests.expectSameEverywhere(Self.flaky(failTimes: 2, retry: #"{"max_attempts": 3}"#), "flaky")
        try PathEquivalenceTests.expectSameEverywhere(Self.flaky(failTimes: 4, retry: #"{"max_attempts": 3}"#), "flaky, fails")
        let loop = """
            {"weft": 1, "nodes": [
               {"id": "loop", "type": "loop", "carry": {"i": "int", "sum": "int"}, "inputs": {"i": 0, "sum": 0}},
               {"id": "more", "type": "std.lt", "inputs": {"b": 4}},
               {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
               {"id": "f", "type": "fixture.flaky", "params": {"fail_times": 2}, "retry": {"max_attempts": 3}},
               {"id": "add", "type": "std.add"}],
             "edges": [
               {"from": "loop.i", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"},
               {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
               {"from": "loop.i", "to": "f.after"},
               {"from": "loop.sum", "to": "add.a"}, {"from": "f.n", "to": "add.b"},
               {"from": "add.result", "to": "loop.next_sum"}],
             "outputs": {"sum": "loop.done_sum"}}
            """
        let r = try PathEquivalenceTests.expectSameEverywhere(loop, "flaky in a loop body")
        // Calls 1, 2 fail; 3, 4, 5, 6 give their count: 3 + 4 + 5 + 6.
        #expect(r[output: "sum"] == .int(18))
    }

    @Test func badRetryPoliciesAreRefusedWithTheirPlace() {
        let d = TestGraphs.diagnostics("""
            {"weft": 1, "retry": {"max_attempts": 0}, "nodes": [
              {"id": "a", "type": "std.add", "inputs": {"a": 1, "b": 2}, "retry": {"max_attempt": 3}},
              {"id": "b", "type": "std.add", "inputs": {"a": 1, "b": 2}, "retry": {"max_attempts": 3, "jitter": 2}},
              {"id": "c", "type": "std.add", "inputs": {"a": 1, "b": 2}, "retry": 3}],
             "edges": [], "outputs": {}}
            """).filter { $0.severity == .error }.map { "\($0.path): \($0.message)" }
        #expect(d.contains("$.retry.max_attempts: max_attempts must be a whole number of attempts from 1 to 1000 (the first included)"))
        #expect(d.contains("$.nodes[0].retry.max_attempt: unknown field 'max_attempt' in retry; did you mean 'max_attempts'?"))
        #expect(d.contains { $0.hasPrefix("$.nodes[0].retry: retry needs \"max_attempts\"") })
        #expect(d.contains { $0.hasPrefix("$.nodes[1].retry.jitter: jitter must be a number from 0 to 1") })
        #expect(d.contains { $0.hasPrefix("$.nodes[2].retry: retry must be an object") })
    }
}
