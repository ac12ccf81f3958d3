import WeftCore
import WeftScheduler

/// Records a run's events into the store as it goes: an observer, so it
/// sees what `--events` sees, on the run's event delivery thread — never
/// on the run's own threads. Events are kept in blocks (one row of JSON
/// lines per `batch` events, or per `everyNs` of the run's time, within
/// 2 ms of a wave's end, and at the run's end): a group commit. Node completions, with their outputs, are
/// the checkpoints' (`StoreCheckpoints`).
public final class StoreRecorder: RunObserver, @unchecked Sendable {
    public let store: any RunJournal
    public let runId: Int64
    let batch: Int
    let everyNs: UInt64
    private var lines = EventLines()
    private var count = 0
    private var firstSeq: Int64 = 0
    private var lastFlushTime: UInt64 = 0
    /// The first write that failed (the caller reports it).
    public private(set) var failure: StoreError?
    /// Called once, on the first failed write (`RecordedRun`: it stops the run).
    var onFailure: (@Sendable () -> Void)?

    /// `from`: a resumed run's records go on from there.
    public init(store: any RunJournal, runId: Int64, from point: ResumePoint? = nil, batch: Int = 4096, everyNs: UInt64 = 200_000_000) {
        self.store = store
        self.runId = runId
        self.batch = batch
        self.everyNs = everyNs
        firstSeq = point?.eventSeq ?? 0
        lines.bytes.reserveCapacity(batch * 96)
    }

    public func receive(_ event: RunEvent) {
        guard failure == nil else { return }
        switch event {
        case .nodeStarted, .nodeFinished:
            // Each call's completion is a row of its own (`completions`:
            // node, attempt, duration, outputs): its two events would
            // double what is written.
            return
        default:
            break
        }
        lines.append(event)
        count += 1
        let t = event.time
        if count >= batch || t &- lastFlushTime >= everyNs || flushesAtOnce(event) || endsWave(event, t) {
            lastFlushTime = t
            flush()
        }
    }

    /// A wave's end is written within 2 ms (what a resumed event run skips).
    private func endsWave(_ event: RunEvent, _ t: UInt64) -> Bool {
        if case .waveFinished = event { return t &- lastFlushTime >= 2_000_000 }
        return false
    }

    /// The run's first and last events are written at once (a live
    /// reader, `GET /v1/runs/{id}/events`, sees the run start).
    private func flushesAtOnce(_ event: RunEvent) -> Bool {
        switch event {
        case .runFinished, .runStarted: true
        default: false
        }
    }

    /// Writes what is buffered (one row).
    public func flush() {
        guard count > 0 else { return }
        defer {
            firstSeq += Int64(count)
            count = 0
            lines.bytes.removeAll(keepingCapacity: true)
        }
        guard failure == nil else { return }
        do {
            try store.appendEvents(runId, firstSeq: firstSeq, count: count, lines: String(decoding: lines.bytes, as: UTF8.self))
        } catch {
            failure = error
            onFailure?()
        }
    }
}
