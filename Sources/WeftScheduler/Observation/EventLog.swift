#if canImport(Glibc)
import Glibc
#endif

/// One thing a run did, as the scheduler records it for its observers: a
/// compact record, turned into `RunEvent`s later on the hub's delivery
/// thread (`EventHub`). Times are run-relative nanoseconds.
struct EventRecord {
    enum Kind: UInt8 {
        /// A call that succeeded: `nodeStarted` at `start`, `nodeFinished` at `time`.
        case ran
        /// `nodeStarted` at `time` (a call whose end is recorded apart:
        /// `finished`, or a failure event).
        case started
        /// `nodeFinished` at `time`, begun at `start`.
        case finished
        /// `nodeSkipped` at `time`.
        case skipped
        /// `loopIteration` number `a` of loop `node`.
        case iteration
        /// Loop `node`'s compiled body ran whole `b` times from iteration
        /// `a` (announced already), each pass going round: per pass, every
        /// step's `ran`, then the next iteration (if within max_iterations).
        case passes
        /// Steps `a ..< b` of loop `node`'s compiled body ran.
        case steps
        /// `events[a]` of the record's block, as it is.
        case event
    }
    var time: UInt64 = 0
    var start: UInt64 = 0
    var a: Int64 = 0
    var node: Int32 = 0
    var b: Int32 = 0
    var thread: Int16 = 0
    var kind: Kind
}

/// Records of one producer on their way to the hub: `count` records, and
/// the rare events (`EventRecord.Kind.event`) they point to.
final class EventBlock: @unchecked Sendable {
    static let capacity = 4_096
    let records: UnsafeMutablePointer<EventRecord>
    let capacity: Int
    var count = 0
    var events: [RunEvent] = []

    init(capacity: Int = EventBlock.capacity) {
        self.capacity = capacity
        records = .allocate(capacity: capacity)
    }

    deinit { records.deallocate() }
}

/// What one run's scheduler thread records for its observers (nil when
/// nothing observes the run). Recording is a store into a block: node
/// calls of types that take under `PlacementPolicy.inlineBelowNs` are not
/// timed one by one; their times are spread evenly over a group of up to
/// `group` records, between two clock reads. Slower calls are timed
/// exactly, and their start is handed to the hub before the call (urgent:
/// delivered at once), so a watcher sees a long node start while it runs.
/// Blocks go to the hub when full, at least every `flushEvery` ns at a
/// clock read, before work goes to another thread or the run waits, and
/// at the end of the run. Scheduler thread only.
final class EventLog {
    let hub: EventHub
    let thread: Int16
    private var block: EventBlock
    /// Records at the end of `block` without their time yet.
    private var untimed = 0
    /// The time of the last timed record (run-relative ns).
    private(set) var lastTime: UInt64 = 0
    private var lastFlush: UInt64 = 0
    static let group = 16
    static let flushEvery: UInt64 = 1_000_000

    init(hub: EventHub, thread: Int) {
        self.hub = hub
        self.thread = Int16(truncatingIfNeeded: thread)
        block = hub.freshBlock()
        lastTime = hub.now()
        lastFlush = lastTime
    }

    @inline(__always)
    private func append(_ r: EventRecord) {
        if block.count == block.capacity { flush() }
        block.records[block.count] = r
        block.count += 1
    }

    /// An untimed record (its time is spread at the next clock read).
    @inline(__always)
    func untimed(_ kind: EventRecord.Kind, node: Int, a: Int64 = 0) {
        append(EventRecord(a: a, node: Int32(truncatingIfNeeded: node), thread: thread, kind: kind))
        untimed += 1
        if untimed >= Self.group { stamp(hub.now()) }
    }

    /// A record with its times.
    func timed(_ kind: EventRecord.Kind, node: Int, start: UInt64 = 0, time: UInt64, a: Int64 = 0, b: Int32 = 0,
               thread: Int16? = nil) {
        if untimed > 0 { stamp(max(time, lastTime)) }
        append(EventRecord(time: time, start: start, a: a, node: Int32(truncatingIfNeeded: node), b: b,
                           thread: thread ?? self.thread, kind: kind))
        lastTime = max(lastTime, time)
    }

    /// A rare event, as it is (after everything recorded before it).
    func event(_ e: RunEvent) {
        if untimed > 0 { stamp(max(e.time, lastTime)) }
        block.events.append(e)
        append(EventRecord(time: e.time, a: Int64(block.events.count - 1), thread: thread, kind: .event))
    }

    /// Gives the untimed records their times (`spread`) and hands the
    /// block to the hub when `flushEvery` has passed.
    func stamp(_ now: UInt64) {
        spread(to: now)
        if now &- lastFlush >= Self.flushEvery { flush(at: now) }
    }

    /// Hands what is recorded to the hub; `urgent`: a watcher wants it
    /// now (a slow call starts, the run waits), so the hub delivers at once.
    func flush(at now: UInt64? = nil, urgent: Bool = false) {
        let t = now ?? hub.now()
        spread(to: t)
        lastFlush = t
        guard block.count > 0 else { return }
        hub.push(block, urgent: urgent)
        block = hub.freshBlock()
    }

    /// The untimed records' times: evenly spread from `lastTime` to `now`,
    /// each starting where the one before ended.
    private func spread(to now: UInt64) {
        let k = untimed
        guard k > 0 else { return }
        let from = lastTime
        let span = now &- from
        var previous = from
        for j in 1...k {
            let t = from &+ span * UInt64(j) / UInt64(k)
            let r = block.records + (block.count - k + j - 1)
            r.pointee.start = previous
            r.pointee.time = t
            previous = t
        }
        untimed = 0
        lastTime = max(lastTime, now)
    }
}
