#if canImport(Glibc)
import Glibc
#endif

/// One thing a run did, as the scheduler records it for its observers: a
/// word (node, kind, thread), some kinds followed by payload words
/// (times, counts). The hub's delivery thread turns records into
/// `RunEvent`s (`EventHub.expand`). Times are run-relative nanoseconds.
///
/// Untimed records (a call of a cheap type, a skip, a loop iteration) take
/// their times from the `clock` record that closes their group: the group's
/// time is spread evenly over them, each starting where the one before
/// ended (the first where the last timed record of the block ended).
struct EventRecord {
    enum Kind: UInt8 {
        // Untimed, no payload but `iteration`'s.
        /// A call that succeeded: `nodeStarted` and `nodeFinished`.
        case ran
        /// A call that failed: `nodeStarted` (its failure is an `event`).
        case began
        case skipped
        /// `loopIteration`; payload: the iteration.
        case iteration
        // Timed.
        /// Closes a group of untimed records; payload: the time.
        case clock
        /// `nodeStarted`; payload: the time.
        case started
        /// `nodeFinished`; payload: start, time.
        case finished
        /// A call made elsewhere (a batch's worker): `nodeStarted` and
        /// `nodeFinished`; payload: start, time.
        case ranAt
        /// Loop `node`'s compiled body ran whole `rounds` times from
        /// iteration `iteration` (announced already), each pass going round:
        /// per pass every step's call, then the next iteration (if within
        /// max_iterations). Payload: start, time, iteration, rounds.
        case passes
        /// Steps `from ..< to` of loop `node`'s compiled body ran. Payload:
        /// start, time, from << 32 | to.
        case steps
        /// `events[index]` of the record's block, as it is; payload: index.
        case event
    }

    static func word(_ kind: Kind, node: Int, thread: Int16) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: node)) | UInt64(kind.rawValue) << 32 | UInt64(UInt16(bitPattern: thread)) << 48
    }

    static func node(_ w: UInt64) -> Int { Int(Int32(truncatingIfNeeded: w)) }
    static func kind(_ w: UInt64) -> Kind { Kind(rawValue: UInt8(truncatingIfNeeded: w >> 32)) ?? .clock }
    static func thread(_ w: UInt64) -> Int { Int(Int16(bitPattern: UInt16(truncatingIfNeeded: w >> 48))) }

    /// Payload words after a record of `kind`.
    static func payload(_ kind: Kind) -> Int {
        switch kind {
        case .ran, .began, .skipped: 0
        case .iteration, .clock, .started, .event: 1
        case .finished, .ranAt: 2
        case .steps: 3
        case .passes: 4
        }
    }
}

/// Records of one producer on their way to the hub: `count` words, the
/// time the producer's last timed record had when the block began, and
/// the rare events (`EventRecord.Kind.event`) they point to.
final class EventBlock: @unchecked Sendable {
    static let capacity = 8_192
    let words: UnsafeMutablePointer<UInt64>
    let capacity: Int
    var count = 0
    var startTime: UInt64 = 0
    var events: [RunEvent] = []

    init(capacity: Int = EventBlock.capacity) {
        self.capacity = capacity
        words = .allocate(capacity: capacity)
    }

    deinit { words.deallocate() }
}

/// What one run's scheduler thread records for its observers (nil when
/// nothing observes the run). Recording a call is one 8-byte store: calls
/// of types known to be cheap are not timed one by one, their times are
/// spread evenly over a group of up to `group` records between two clock
/// reads. Slower calls are timed exactly, and their start is handed to
/// the hub before the call (urgent: delivered at once), so a watcher sees
/// a long node start while it runs. Blocks go to the hub when full, at
/// least every `flushEvery` ns at a clock read, before work goes to
/// another thread or the run waits, and at the end of the run. Scheduler
/// thread only.
final class EventLog {
    let hub: EventHub
    let thread: Int16
    private var block: EventBlock
    /// The next free word of `block` and its end: the hot path touches
    /// these two pointers only (no reference counting per record).
    private var cursor: UnsafeMutablePointer<UInt64>
    private var end: UnsafeMutablePointer<UInt64>
    /// Where the untimed records since the last timed one begin (they
    /// are the words from here to `cursor`).
    private var groupStart: UnsafeMutablePointer<UInt64>
    /// The time of the last timed record (run-relative ns).
    private(set) var lastTime: UInt64 = 0
    private var lastFlush: UInt64 = 0
    static let group = 64
    static let flushEvery: UInt64 = 1_000_000
    /// The most words one record takes.
    private static let longest = 7  // (5, and a clock record after it)

    init(hub: EventHub, thread: Int) {
        self.hub = hub
        self.thread = Int16(truncatingIfNeeded: thread)
        block = hub.freshBlock()
        cursor = block.words
        end = block.words + block.capacity
        groupStart = cursor
        lastTime = hub.now()
        lastFlush = lastTime
        block.startTime = lastTime
    }

    /// An untimed record (its time comes with the next clock read).
    @inline(__always)
    func untimed(_ kind: EventRecord.Kind, node: Int, a: Int64 = 0) {
        if end - cursor < Self.longest { flush() }
        cursor.initialize(to: EventRecord.word(kind, node: node, thread: thread))
        cursor += 1
        if kind == .iteration {
            cursor.initialize(to: UInt64(bitPattern: a))
            cursor += 1
        }
        if cursor - groupStart >= Self.group { stamp(hub.now()) }
    }

    /// A record with its times (`start` for kinds that have one; `a`, `b`
    /// as `EventRecord.Kind` says).
    func timed(_ kind: EventRecord.Kind, node: Int, start: UInt64 = 0, time: UInt64, a: Int64 = 0, b: Int32 = 0,
               thread: Int16? = nil) {
        if cursor != groupStart { close(max(time, lastTime)) }
        if end - cursor < Self.longest { flush() }
        put(EventRecord.word(kind, node: node, thread: thread ?? self.thread))
        switch kind {
        case .started:
            put(time)
        case .finished, .ranAt:
            put(start)
            put(time)
        case .passes:
            put(start)
            put(time)
            put(UInt64(bitPattern: a))
            put(UInt64(UInt32(bitPattern: b)))
        case .steps:
            put(start)
            put(time)
            put(UInt64(UInt32(truncatingIfNeeded: a)) << 32 | UInt64(UInt32(bitPattern: b)))
        default:
            preconditionFailure("not a timed record kind: \(kind)")
        }
        lastTime = max(lastTime, time)
        groupStart = cursor
    }

    /// A rare event, as it is (after everything recorded before it).
    func event(_ e: RunEvent) {
        if cursor != groupStart { close(max(e.time, lastTime)) }
        if end - cursor < Self.longest { flush() }
        block.events.append(e)
        put(EventRecord.word(.event, node: 0, thread: thread))
        put(UInt64(block.events.count - 1))
        groupStart = cursor
    }

    /// Marks `now` (run-relative ns): whatever is recorded after it
    /// happened no sooner (a retry's wait is over, say).
    func mark(_ now: UInt64) {
        if end - cursor < Self.longest { flush() }
        if cursor != groupStart { close(now) }
        let t = max(now, lastTime)
        put(EventRecord.word(.clock, node: 0, thread: thread))
        put(t)
        groupStart = cursor
        lastTime = t
    }

    /// Closes the untimed group at `now`, and hands the block to the hub
    /// when `flushEvery` has passed.
    func stamp(_ now: UInt64) {
        close(now)
        if now &- lastFlush >= Self.flushEvery { flush(at: now) }
    }

    /// Hands what is recorded to the hub; `urgent`: a watcher wants it
    /// now (a slow call starts, the run waits), so the hub delivers at once.
    func flush(at now: UInt64? = nil, urgent: Bool = false) {
        let t = now ?? hub.now()
        close(t)
        lastFlush = t
        block.count = cursor - block.words
        guard block.count > 0 else { return }
        hub.push(block, urgent: urgent)
        block = hub.freshBlock()
        block.startTime = lastTime
        cursor = block.words
        end = block.words + block.capacity
        groupStart = cursor
    }

    @inline(__always)
    private func put(_ w: UInt64) {
        cursor.initialize(to: w)
        cursor += 1
    }

    /// A clock record for the untimed group, if there is one (room for it
    /// is kept by every append).
    private func close(_ now: UInt64) {
        guard cursor != groupStart else { return }
        let t = max(now, lastTime)
        put(EventRecord.word(.clock, node: 0, thread: thread))
        put(t)
        groupStart = cursor
        lastTime = t
    }
}
