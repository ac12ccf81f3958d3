import WeftCore
import WeftScheduler

/// Records a run into the store as it goes: an observer, so it sees what
/// `--events` sees, on the run's event delivery thread — never on the
/// run's own threads. Events and node completions are written in batches
/// (one transaction per `batch` events: a group commit), and at the end of
/// the run; a node not known to be cheap (one that took `checkpointNs` or
/// more) is written at once, with what came before it, so a run killed
/// later keeps it.
public final class StoreRecorder: RunObserver, @unchecked Sendable {
    public let store: RunStore
    public let runId: Int64
    let batch: Int
    let checkpointNs: UInt64
    private var events: [StoredEvent] = []
    private var completions: [StoredCompletion] = []
    private var seq: Int64 = 0
    private var completionSeq: Int64 = 0
    /// Per node id: completions so far (the next one's iteration) and
    /// failed attempts since its last completion.
    private var done: [String: Int64] = [:]
    private var retried: [String: Int64] = [:]
    private var wave: Int64 = 0
    /// The first write that failed (the caller reports it).
    public private(set) var failure: StoreError?
    /// Called once, on the first failed write (`RecordedRun`: it stops the run).
    var onFailure: (@Sendable () -> Void)?

    /// `from`: a resumed run's records go on from there.
    public init(store: RunStore, runId: Int64, from point: ResumePoint? = nil, batch: Int = 4096, checkpointNs: UInt64 = 1_000_000) {
        self.store = store
        self.runId = runId
        if let point {
            seq = point.eventSeq
            completionSeq = point.completionSeq
            done = point.completions
        }
        self.batch = batch
        self.checkpointNs = checkpointNs
        events.reserveCapacity(batch)
    }

    public func receive(_ event: RunEvent) {
        var node: String?
        var flushNow = false
        switch event {
        case .nodeFinished(_, _, let id, _, let duration):
            node = id
            let iteration = done[id, default: 0]
            done[id] = iteration + 1
            completions.append(StoredCompletion(seq: completionSeq, node: id, iteration: iteration, wave: wave,
                                                attempt: (retried.removeValue(forKey: id) ?? 0) + 1, duration: Int64(duration)))
            completionSeq += 1
            flushNow = duration >= checkpointNs
        case .nodeRetry(_, _, let id, _, _, _):
            node = id
            retried[id, default: 0] += 1
        case .nodeStarted(_, _, let id, _), .nodeFailed(_, _, let id, _, _), .nodeSkipped(_, _, let id),
             .loopIteration(_, _, let id, _), .nodeRecovered(_, _, let id, _), .itemFailed(_, _, let id, _, _),
             .flowState(_, _, let id, _, _, _), .cacheHit(_, _, let id), .nodeRestored(_, _, let id):
            node = id
        case .waveStarted(_, let number, let source, _):
            wave = Int64(number)
            node = source
        case .runFinished:
            flushNow = true
        default:
            break
        }
        let json = event.jsonValue
        let kind = json["event"]?.stringValue ?? "event"
        events.append(StoredEvent(seq: seq, time: Int64(event.time), kind: kind, node: node, json: JSON.encode(json)))
        seq += 1
        if flushNow || events.count >= batch { flush() }
    }

    /// Writes what is buffered (one transaction).
    public func flush() {
        guard failure == nil else {
            events.removeAll(keepingCapacity: true)
            completions.removeAll(keepingCapacity: true)
            return
        }
        do {
            try store.append(runId, events: events, completions: completions)
        } catch {
            failure = error
            onFailure?()
        }
        events.removeAll(keepingCapacity: true)
        completions.removeAll(keepingCapacity: true)
    }
}
