import WeftCore
import WeftScheduler

/// One run recorded in the run store, start to end — the one way a run is
/// recorded, whoever starts it (`weft run --store`, the C API): the run's
/// row (new, or a resumed one's), its events and node completions
/// (`StoreRecorder`), each node's outputs as it completes (`StoreCheckpoints`,
/// restored from before when resuming), and a pause or cancel asked
/// through the store (`RunControlWatcher`).
public final class RecordedRun: @unchecked Sendable {
    public let store: any RunJournal
    public let id: Int64
    public let recorder: StoreRecorder
    /// Its node completions (with outputs).
    public let checkpoints: StoreCheckpoints
    /// Whether this continues an earlier run (`resume`).
    public let resumed: Bool
    private var control: RunControlWatcher?
    /// The claim this run is executed under (a queued run a worker took).
    public let claim: ClaimedRun?
    /// How long the claim's lease lasts without a heartbeat.
    private var lease: Double = 15

    /// Records a new run of `graphText` (read from `graphPath`, if a
    /// file), or with `resume` continues that run: refused unless it can
    /// be resumed and ran the same graph text.
    /// - Parameter startedBy: how it was started, to resume it later
    ///   (`weft run`: its working folder and arguments).
    /// - Parameter checkpointing: whether a resume restores completed
    ///   nodes; false for event runs, whose resume skips instead the
    ///   events whose waves ended (of sources that emit them again).
    public init(store: any RunJournal, graphText: String, graphPath: String?, inputs: [String: WeftValue], mode: String,
                startedBy: WeftValue?, resume: Int64?, checkpointing: Bool) throws(StoreError) {
        self.store = store
        var point: ResumePoint?
        if let resume {
            if let old = try store.run(resume), old.graphHash != RunStore.hash(graphText) {
                throw StoreError("\(graphPath ?? "the graph") has changed since run \(resume) started (hash \(old.graphHash), now "
                                     + "\(RunStore.hash(graphText))): a run resumes with the graph it ran; put that back "
                                     + "(weft runs show \(resume) --graph prints it)")
            }
            point = try store.resume(resume)
            id = resume
        } else {
            id = try store.begin(graphJSON: graphText, graphPath: graphPath, inputs: .object(inputs.sorted { $0.key < $1.key }),
                                 mode: mode, options: startedBy)
        }
        resumed = resume != nil
        claim = nil
        recorder = StoreRecorder(store: store, runId: id, from: point)
        checkpoints = StoreCheckpoints(store: store, runId: id, restoring: resume == nil || !checkpointing ? [:] : try store.checkpoints(of: id),
                                       eventsDone: resume == nil || checkpointing ? [:] : try store.eventsDone(of: id),
                                       firstSeq: point?.completionSeq ?? 0)
    }

    /// A queued run a worker claimed (`RunStore.claim`): its records go on
    /// from what its journal holds — nothing for a new run; for one claimed
    /// again (its worker died, or it was paused and resumed) the nodes that
    /// completed before are restored. Writes are fenced by the claim's
    /// token, and the lease is renewed every `lease / 5` seconds while it runs.
    public init(store: any RunJournal, claimed: ClaimedRun, graphText: String, checkpointing: Bool, lease: Double) throws(StoreError) {
        self.store = store
        id = claimed.run.id
        claim = claimed
        self.lease = lease
        resumed = claimed.reclaimed
        store.fence(id, token: claimed.fence)
        let point = try store.journalPoint(id)
        recorder = StoreRecorder(store: store, runId: id, from: point)
        checkpoints = StoreCheckpoints(store: store, runId: id, restoring: checkpointing ? try store.checkpoints(of: id) : [:],
                                       eventsDone: checkpointing ? [:] : try store.eventsDone(of: id),
                                       firstSeq: point.completionSeq)
    }

    /// Adds the recording to `options`, and watches for a pause or cancel
    /// asked through the store: `cancel` is called then (and when a
    /// claimed run's lease was lost to another worker).
    public func attach(to options: inout RunOptions, cancel: @escaping @Sendable () -> Void) {
        options.observers.append(recorder)
        options.checkpoints = checkpoints
        // A store that cannot record the run stops it (a full disk).
        recorder.onFailure = cancel
        control = RunControlWatcher(store: store, runId: id, lease: claim.map { ($0.fence, lease) }, onRequest: cancel)
    }

    /// The claimed run's lease went to another worker: it was stopped, and
    /// nothing more of it is written.
    public var leaseLost: Bool { control?.leaseLost ?? false }

    /// Stops the run's watcher and writers (a worker that lets go of the
    /// run, or whose lease was lost): what is buffered is written (if the
    /// fence still allows), the row is left as it is.
    public func abandon() {
        control?.stop()
        checkpoints.close()
        recorder.flush()
        store.fence(id, token: nil)
    }

    /// A pause was asked through the store (and the run cancelled for it).
    public var pauseRequested: Bool { control?.pauseRequested ?? false }

    /// Node completions restored from before (a resumed run).
    public var restoredCount: Int { checkpoints.restoredCount }

    /// The run could not start (`message`: why, e.g. bad inputs): it is
    /// recorded as failed, having run nothing.
    public func refused(_ message: String) {
        control?.stop()
        checkpoints.close()
        try? store.finish(id, state: "failed", steps: 0, outputs: .object([]), error: message, errorNode: nil)
    }

    /// The run ended with `result`: what is buffered is written and the
    /// run's row gets its end — `paused` when a pause was asked and the run
    /// stopped for it (`interrupted`: a signal stopped it, not the pause).
    /// Returns the state written and the first store failure (the run is
    /// then recorded in part; a failure to keep outputs fails the run).
    public func finish(_ result: RunResult, interrupted: Bool = false) -> (state: String, failure: String?) {
        control?.stop()
        checkpoints.close()
        recorder.flush()
        var (state, error, node): (String, String?, String?) = switch result.outcome {
        case .succeeded: ("succeeded", nil, nil)
        case .failed(let message, let node): ("failed", message, node)
        case .cancelled: ("cancelled", result.failureWhileStopping, nil)
        }
        if pauseRequested && !interrupted && result.outcome == .cancelled { state = "paused" }
        // A store that failed fails the run (if the store can still take that).
        if let failure = recorder.failure.map({ "\($0)" }) ?? checkpoints.failure, state != "failed" {
            (state, error) = ("failed", "the run store could not record the run: \(failure)")
        }
        defer { store.fence(id, token: nil) }
        do {
            try store.finish(id, state: state, steps: result.steps, outputs: result.outputsJSON, error: error, errorNode: node)
        } catch {
            return (state, "\(error)")
        }
        return (state, recorder.failure.map { "\($0)" } ?? checkpoints.failure)
    }
}
