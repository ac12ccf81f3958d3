import Synchronization
import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// `RunOptions.progress`: counters a watcher reads on its own thread. A run
/// that keeps them takes the same paths as one nobody watches (compiled
/// loop passes included) and gives the same answers; the counters end at
/// the run's own figures.
@Suite("Run progress counters")
struct RunProgressTests {
    @Test(arguments: [RunMode.sequential, .parallel])
    func aWatchedRunTakesTheQuietPaths(mode: RunMode) throws {
        let quiet = try TestGraphs.run(CompiledPassTests.gated, inputs: ["n": 300], options: RunOptions(mode: mode, workers: 2))
        var options = RunOptions(mode: mode, workers: 2)
        let progress = RunProgress()
        options.progress = progress
        let watched = try TestGraphs.run(CompiledPassTests.gated, inputs: ["n": 300], options: options)
        #expect(watched.outcome == .succeeded && watched.outcome == quiet.outcome)
        #expect(watched.outputs.map(\.value) == quiet.outputs.map(\.value))
        #expect(watched.steps == quiet.steps)
        if mode == .sequential {
            // An observer would have sent every pass through the queue.
            #expect(watched.compiledPasses == 301 && quiet.compiledPasses == 301)
        }
        #expect(progress.steps.load(ordering: .relaxed) == watched.steps)
        #expect(progress.node.load(ordering: .relaxed) == -1, "no node is running after the run")
    }

    @Test func anEventRunCountsItsWaves() throws {
        var options = RunOptions()
        let progress = RunProgress()
        options.progress = progress
        let r = try EventGraphs.run(EventGraphs.burst(Array(1...6), inStart: true,
                                                      nodes: #"{"id": "add", "type": "std.add", "inputs": {"b": 1}}"#,
                                                      edges: #"{"from": "src.value", "to": "add.a"}"#), options: options)
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(progress.wavesStarted.load(ordering: .relaxed) == 6)
        #expect(progress.wavesFinished.load(ordering: .relaxed) == 6)
        #expect(progress.failedWaves.load(ordering: .relaxed) == 0)
        #expect(progress.steps.load(ordering: .relaxed) == r.steps && r.steps == 6)
        #expect(progress.currentWave.load(ordering: .relaxed) == 6)
    }
}
