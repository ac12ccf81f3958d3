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

    /// Node `n` completed (attempt `attempt`) with `values`: handed to
    /// the checkpoints. A failure to keep them stops the run.
    func checkpoint(_ n: Int, _ values: [WeftValue?], attempt: Int = 1) {
        guard let checkpoints = options.checkpoints else { return }
        let occurrence = checkpointCount[n]
        checkpointCount[n] = occurrence + 1
        let took = callDuration
        callDuration = .max
        let completion = NodeCompletion(node: graph.ids[n], occurrence: occurrence, wave: wave?.number ?? 0, attempt: attempt,
                                        durationNs: took == .max || took == 0 ? nil : took, outputs: values)
        if !checkpoints.completed(completion), failure == nil {
            recordFailure("the run's outputs could not be kept: \(checkpoints.failure ?? "no reason given")", node: graph.ids[n])
        }
    }

    /// `checkpoint` with the outputs in slots (`outs`, a boxed one's value
    /// at `boxes + p`).
    @inline(never)
    func checkpoint(_ n: Int, _ outs: UnsafeMutablePointer<weft_shim_number_t>, _ boxes: UnsafeMutablePointer<WeftValue>, count: Int,
                    attempt: Int = 1) {
        checkpoint(n, (0..<count).map { outs[$0].taken != 0 ? Self.value(of: outs[$0], boxes + $0) : nil }, attempt: attempt)
    }
}
