import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// A run that is cancelled and whose running node then fails (an isolated
/// worker killed by the same Ctrl-C, a node that notices the stop) ends
/// cancelled, not failed: the C API's `WEFT_RUN_CANCELLED`, the CLI's 130.
@Suite("Cancel, then a failure")
struct CancelOutcomeTests {
    /// Cancels the run when node `f` starts, before its call.
    final class CancelWhenStarted: RunObserver, @unchecked Sendable {
        let token: CancellationToken
        init(_ token: CancellationToken) { self.token = token }
        func receive(_ event: RunEvent) {
            if case .nodeStarted(_, _, "f", _) = event { token.cancel() }
        }
    }

    static let graph = """
        {"weft": 1, "nodes": [{"id": "f", "type": "fixture.fails"}], "outputs": {"n": "f.n"}}
        """

    @Test(arguments: [RunMode.sequential, .parallel])
    func aFailureAfterTheCancelEndsTheRunCancelled(mode: RunMode) throws {
        let token = CancellationToken()
        let graph = try TestGraphs.compile(Self.graph)
        let r = try Scheduler.run(graph, options: RunOptions(mode: mode, observers: [CancelWhenStarted(token)]),
                                  cancellation: token)
        #expect(r.outcome == .cancelled, "\(r.outcome)")
        #expect(mode == .parallel  // (there the pool's result is not even looked at after a cancel)
                    || r.failureWhileStopping == "node 'f' (fixture.fails): fixture.fails: this node always fails")
    }

    @Test func aFailureBeforeAnyCancelStillFailsTheRun() throws {
        let r = try TestGraphs.run(Self.graph, options: RunOptions(observers: [EventRecorder()]))
        guard case .failed(_, let node) = r.outcome else {
            Issue.record("\(r.outcome)")
            return
        }
        #expect(node == "f")
    }
}
