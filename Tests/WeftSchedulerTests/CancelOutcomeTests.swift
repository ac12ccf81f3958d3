import Foundation
import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// A run that is cancelled and whose running node then fails (an isolated
/// worker killed by the same Ctrl-C, a node that notices the stop) ends
/// cancelled, not failed: the C API's `WEFT_RUN_CANCELLED`, the CLI's 130.
@Suite("Cancel, then a failure")
struct CancelOutcomeTests {
    /// When node `f` has started: cancels the run, then tells `f` (a
    /// `fixture.fails_when`, waiting for a file) to fail. So `f` fails
    /// after the cancel, whenever the event arrives.
    final class CancelThenFail: RunObserver, @unchecked Sendable {
        let token: CancellationToken
        let path: String
        init(_ token: CancellationToken, _ path: String) {
            self.token = token
            self.path = path
        }
        func receive(_ event: RunEvent) {
            if case .nodeStarted(_, _, "f", _) = event {
                token.cancel()
                _ = FileManager.default.createFile(atPath: path, contents: Data())
            }
        }
    }

    static let graph = """
        {"weft": 1, "nodes": [{"id": "f", "type": "fixture.fails"}], "outputs": {"n": "f.n"}}
        """

    @Test(arguments: [RunMode.sequential, .parallel])
    func aFailureAfterTheCancelEndsTheRunCancelled(mode: RunMode) throws {
        let token = CancellationToken()
        let path = try TestPaths.scratch("cancel-then-fail") + "/fail-now"
        let graph = try TestGraphs.compile("""
            {"weft": 1, "nodes": [{"id": "f", "type": "fixture.fails_when", "inputs": {"path": "\(path)"}}],
             "outputs": {"n": "f.n"}}
            """)
        let r = try Scheduler.run(graph, options: RunOptions(mode: mode, observers: [CancelThenFail(token, path)]),
                                  cancellation: token)
        #expect(r.outcome == .cancelled, "\(r.outcome)")
        #expect(mode == .parallel  // (there the pool's result is not even looked at after a cancel)
                    || r.failureWhileStopping == "node 'f' (fixture.fails_when): fixture.fails_when: told to fail")
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
