import Foundation
import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// Observing a run is a hook, not a fork: events reach observers from a
/// thread of the run's own, the start of a slow call while it runs, and
/// a slow observer changes no answer.
@Suite("Observation")
struct ObservationTests {
    /// When node `f` (a `fixture.fails_when`) has started, creates the file
    /// it waits for. `f` then fails with "told to fail" — only if the
    /// event arrived while `f` was running (else it gives up after 10 s
    /// with another message).
    final class TellWhenStarted: RunObserver, @unchecked Sendable {
        let path: String
        init(_ path: String) { self.path = path }
        func receive(_ event: RunEvent) {
            if case .nodeStarted(_, _, "f", _) = event {
                _ = FileManager.default.createFile(atPath: path, contents: Data())
            }
        }
    }

    @Test(arguments: [RunMode.sequential, .parallel])
    func aSlowCallsStartReachesObserversWhileItRuns(mode: RunMode) throws {
        let path = try TestPaths.scratch("observe-start") + "/go"
        // Cheap nodes before it: the run has records of its own waiting.
        let r = try TestGraphs.run("""
            {"weft": 1, "nodes": [
               {"id": "a", "type": "std.add", "inputs": {"a": 1, "b": 2}},
               {"id": "b", "type": "std.add", "inputs": {"b": 3}},
               {"id": "f", "type": "fixture.fails_when", "inputs": {"path": "\(path)"}}],
             "edges": [{"from": "a.result", "to": "b.a"}],
             "outputs": {"n": "f.n", "sum": "b.result"}}
            """, options: RunOptions(mode: mode, observers: [TellWhenStarted(path)]))
        #expect(r.outcome == .failed(message: "node 'f' (fixture.fails_when): fixture.fails_when: told to fail", node: "f"),
                "\(r.outcome)")
    }

    /// An observer that takes its time (about 50 µs an event) sees every
    /// event by the time the run returns, and the answers are the quiet
    /// run's.
    final class Slow: RunObserver, @unchecked Sendable {
        let recorder = EventRecorder()
        func receive(_ event: RunEvent) {
            Thread.sleep(forTimeInterval: 0.000_05)
            recorder.receive(event)
        }
    }

    @Test(arguments: [RunMode.sequential, .parallel])
    func aSlowObserverChangesNoAnswerAndSeesEverything(mode: RunMode) throws {
        let text = try String(contentsOfFile: TestPaths.repoRoot + "/examples/collatz.json", encoding: .utf8)
        let quiet = try TestGraphs.run(text, inputs: ["n": 27], options: RunOptions(mode: mode))
        let slow = Slow()
        let observed = try TestGraphs.run(text, inputs: ["n": 27], options: RunOptions(mode: mode, observers: [slow]))
        #expect(observed.outcome == quiet.outcome)
        #expect(observed.outputs.map(\.name) == quiet.outputs.map(\.name))
        #expect(observed.outputs.map(\.value) == quiet.outputs.map(\.value))
        #expect(observed.steps == quiet.steps)
        let events = slow.recorder.events
        // Delivered before `run` returned: the last is the run's end, and
        // every execution has its finish.
        guard case .runFinished(_, _, let steps)? = events.last else {
            Issue.record("the last event is \(String(describing: events.last))")
            return
        }
        #expect(steps == quiet.steps)
        let finished = events.filter { if case .nodeFinished = $0 { true } else { false } }.count
        let loops = events.filter { if case .nodeFinished(_, _, "loop", _, _) = $0 { true } else { false } }.count
        #expect(finished - loops == quiet.steps)
    }
}
