import CWeftShims
import WeftCore
import WeftNative

// Checkpoints (`RunOptions.checkpoints`): a checkpointed node's outputs
// handed over as it completes, and restored instead of a call when they
// were kept before (a resumed run, a partial one).
extension RunState {
    /// Node `n` is about to be called (its step counted): if its next
    /// completion was kept, it completes with those outputs (`node_restored`)
    /// and true is returned.
    func restoreCheckpoint(_ n: Int, _ checkpoints: any RunCheckpoints) -> Bool {
        let occurrence = checkpointCount[n]
        guard let values = checkpoints.restored(node: graph.ids[n], occurrence: occurrence) else { return false }
        checkpointCount[n] = occurrence + 1
        log?.event(.nodeRestored(time: events.now(), node: n, id: graph.ids[n]))
        succeeded(n, values: values, checkpoint: false)
        return true
    }

    /// Node `n` completed with `values`: handed to the checkpoints. A
    /// failure to keep them stops the run.
    func checkpoint(_ n: Int, _ values: [WeftValue?]) {
        guard let checkpoints = options.checkpoints, graph.checkpointed[n] else { return }
        let occurrence = checkpointCount[n]
        checkpointCount[n] = occurrence + 1
        let took = callDuration
        callDuration = .max
        if !checkpoints.completed(node: graph.ids[n], occurrence: occurrence, outputs: values, durationNs: took), failure == nil {
            recordFailure("the run's outputs could not be kept: \(checkpoints.failure ?? "no reason given")", node: graph.ids[n])
        }
    }

    /// `checkpoint` with the outputs in slots (`outs`, a boxed one's value
    /// at `boxes + p`).
    @inline(never)
    func checkpoint(_ n: Int, _ outs: UnsafeMutablePointer<weft_shim_number_t>, _ boxes: UnsafeMutablePointer<WeftValue>, count: Int) {
        guard graph.checkpointed[n] else { return }
        checkpoint(n, (0..<count).map { outs[$0].taken != 0 ? Self.value(of: outs[$0], boxes + $0) : nil })
    }
}
