import CWeftShims
#if canImport(Glibc)
import Glibc
#endif
import WeftCore
import WeftNative

/// Delivers a run's events to its observers, one at a time and in order,
/// on a delivery thread of its own: the run hands it blocks of compact
/// records (`EventLog`) and goes on, and this thread turns them into
/// `RunEvent`s and calls the observers. So observing a run costs the run a
/// store per event, not the observers' work: the answers and the path a
/// run takes are the same with or without observers.
///
/// The delivery thread keeps out of the run's way: it delivers when the
/// run hands over something a watcher wants now (the start of a slow
/// call, a wait for the pool — the run is waiting anyway), when
/// `wakeAt` words (of records) are waiting, and at least every `latencyNs`; a run of
/// cheap nodes is not slowed by its observers' work on a shared core. The
/// run waits only when more than `maxQueued` words are waiting (16 MiB: an
/// observer far behind: memory stays bounded). `drain` (at the end of the
/// run) waits until every event is delivered.
final class EventHub: @unchecked Sendable {
    let observers: [any RunObserver]
    let start: UInt64
    /// The run's graph: node ids and compiled loop bodies, to expand records.
    let graph: CompiledGraph
    static let maxQueued = 1 << 21
    static let wakeAt = 1 << 19
    static let latencyNs: UInt64 = 50_000_000

    private let lock = ConditionLock()
    private var queue: [EventBlock] = []
    private var queueHead = 0
    private var queued = 0
    private var spare: [EventBlock] = []
    private var thread: pthread_t?
    private var finishing = false
    /// The delivery thread is waiting for work.
    private var idle = false
    /// Something queued is wanted now.
    private var wake = false

    init(observers: [any RunObserver], start: UInt64, graph: CompiledGraph) {
        self.observers = observers
        self.start = start
        self.graph = graph
    }

    var isEmpty: Bool { observers.isEmpty }

    func now() -> UInt64 { MonotonicClock.now() &- start }

    /// An empty block for a producer (a delivered one, when there is one).
    func freshBlock() -> EventBlock {
        lock.withLock { spare.popLast() } ?? EventBlock()
    }

    /// Starts the delivery thread now (a run does so before it starts
    /// timing itself: a thread is not the run's work). `drain` ends it.
    func startDelivery() {
        guard !observers.isEmpty else { return }
        lock.withLock { _ = startThread() }
    }

    /// Starts the delivery thread if none runs (under the lock). False:
    /// no thread could be had.
    private func startThread() -> Bool {
        if thread == nil { thread = POSIXThread.spawnJoinable { [self] in deliver() } }
        return thread != nil
    }

    /// Queues `block` for delivery (the hub owns it now); `urgent`: deliver
    /// it now, not within `latencyNs`. Any thread.
    func push(_ block: EventBlock, urgent: Bool = false) {
        guard !observers.isEmpty else { return }
        lock.lock()
        queue.append(block)
        queued += block.count
        if urgent || queued >= Self.wakeAt { wake = true }
        if thread == nil {
            guard startThread() else {
                // No thread to be had: deliver here.
                lock.unlock()
                deliverQueued()
                return
            }
        } else if idle && wake {
            lock.broadcast()
        }
        while queued > Self.maxQueued && thread != nil { lock.wait() }
        lock.unlock()
    }

    /// Queues one event (from a thread without an `EventLog`: pool
    /// workers, an event run's own events).
    func emit(_ event: RunEvent) {
        guard !observers.isEmpty else { return }
        let block = EventBlock(capacity: 2)
        block.events.append(event)
        block.words[0] = EventRecord.word(.event, node: 0, thread: 0)
        block.words[1] = 0
        block.count = 2
        push(block, urgent: true)
    }

    /// Waits until everything queued is delivered; the delivery thread
    /// ends (a later push starts another).
    func drain() {
        lock.lock()
        guard let t = thread else {
            lock.unlock()
            return
        }
        finishing = true
        lock.broadcast()
        lock.unlock()
        pthread_join(t, nil)
        lock.withLock {
            thread = nil
            finishing = false
        }
        deliverQueued()
    }

    private func deliver() {
        lock.lock()
        while true {
            // Until something is wanted now, or `latencyNs` passed with
            // something queued, or the run is over.
            while !finishing && !wake {
                idle = true
                let before = MonotonicClock.now()
                lock.wait(nanoseconds: Self.latencyNs)
                idle = false
                if queueHead < queue.count && MonotonicClock.now() &- before >= Self.latencyNs { break }
            }
            wake = false
            // Everything queued, in order.
            while queueHead < queue.count {
                let block = queue[queueHead]
                queueHead += 1
                if queueHead == queue.count {
                    queue.removeAll(keepingCapacity: true)
                    queueHead = 0
                }
                lock.unlock()
                expand(block)
                lock.lock()
                queued -= block.count
                recycle(block)
                // (Wakes a producer waiting for room.)
                lock.broadcast()
            }
            if finishing {
                lock.unlock()
                return
            }
        }
    }

    /// Delivers what is queued on this thread (no delivery thread runs).
    private func deliverQueued() {
        while true {
            lock.lock()
            guard queueHead < queue.count else {
                queue.removeAll(keepingCapacity: true)
                queueHead = 0
                lock.unlock()
                return
            }
            let block = queue[queueHead]
            queueHead += 1
            lock.unlock()
            expand(block)
            lock.withLock {
                queued -= block.count
                recycle(block)
            }
        }
    }

    /// (Under the lock.)
    private func recycle(_ block: EventBlock) {
        guard block.capacity == EventBlock.capacity, spare.count < 8 else { return }
        block.count = 0
        block.events.removeAll(keepingCapacity: true)
        spare.append(block)
    }

    private func send(_ e: RunEvent) {
        for o in observers { o.receive(e) }
    }

    /// A block's records as events.
    private func expand(_ block: EventBlock) {
        let ids = graph.ids
        let w = block.words
        let count = block.count
        // Untimed records take their times from the clock record that
        // closes their group: `groupEnd` (its time), `groupLeft` (records
        // of the group still to come), `previous` (where the next one starts).
        var previous = block.startTime
        var groupEnd: UInt64 = 0
        var groupLeft = 0
        var i = 0
        func untimedTime() -> UInt64 {
            if groupLeft == 0 {
                // Find the clock that closes this group; count its records.
                var j = i
                var n = 0
                while j < count {
                    let k = EventRecord.kind(w[j])
                    if k == .clock {
                        groupEnd = w[j + 1]
                        break
                    }
                    n += 1
                    j += 1 + EventRecord.payload(k)
                }
                groupLeft = max(n, 1)
            }
            let t = previous &+ (groupEnd &- previous) / UInt64(groupLeft)
            groupLeft -= 1
            return groupLeft == 0 ? groupEnd : max(t, previous)
        }
        while i < count {
            let word = w[i]
            let kind = EventRecord.kind(word)
            let n = EventRecord.node(word)
            let thread = EventRecord.thread(word)
            switch kind {
            case .ran, .began, .skipped, .iteration:
                let t = untimedTime()
                switch kind {
                case .ran:
                    send(.nodeStarted(time: previous, node: n, id: ids[n], thread: thread))
                    send(.nodeFinished(time: t, node: n, id: ids[n], thread: thread, duration: t &- previous))
                case .began:
                    send(.nodeStarted(time: previous, node: n, id: ids[n], thread: thread))
                case .skipped:
                    send(.nodeSkipped(time: t, node: n, id: ids[n]))
                default:
                    send(.loopIteration(time: t, node: n, id: ids[n], iteration: Int(Int64(bitPattern: w[i + 1]))))
                }
                previous = t
            case .clock:
                previous = max(previous, w[i + 1])
            case .started:
                send(.nodeStarted(time: w[i + 1], node: n, id: ids[n], thread: thread))
                previous = max(previous, w[i + 1])
            case .finished, .ranAt:
                let (start, t) = (w[i + 1], w[i + 2])
                if kind == .ranAt { send(.nodeStarted(time: start, node: n, id: ids[n], thread: thread)) }
                send(.nodeFinished(time: t, node: n, id: ids[n], thread: thread, duration: t >= start ? t - start : 0))
                previous = max(previous, t)
            case .passes, .steps:
                let (start, t) = (w[i + 1], w[i + 2])
                if kind == .passes {
                    expandPasses(loop: n, thread: thread, start: start, time: t, ids,
                                 iteration: Int(Int64(bitPattern: w[i + 3])), rounds: Int(UInt32(truncatingIfNeeded: w[i + 4])),
                                 steps: 0..<0)
                } else {
                    let from = Int(UInt32(truncatingIfNeeded: w[i + 3] >> 32))
                    let to = Int(UInt32(truncatingIfNeeded: w[i + 3]))
                    expandPasses(loop: n, thread: thread, start: start, time: t, ids, iteration: 0, rounds: 0,
                                 steps: from..<max(from, to))
                }
                previous = max(previous, t)
            case .event:
                let e = block.events[Int(w[i + 1])]
                send(e)
                // (What comes after it happened no sooner.)
                previous = max(previous, e.time)
            }
            i += 1 + EventRecord.payload(kind)
        }
    }

    /// The node calls (and iterations) of compiled passes — `rounds` whole
    /// passes after `iteration`, or `steps` of one — their times spread
    /// evenly from `start` to `time`.
    private func expandPasses(loop l: Int, thread: Int, start: UInt64, time: UInt64, _ ids: CompiledGraph.NodeIDs,
                              iteration: Int, rounds: Int, steps: Range<Int>) {
        // (l = -1: the top-level program.)
        guard let program = l < 0 ? graph.topProgram : graph.passPrograms[l] else { return }
        let stepCount = program.stepCount
        let calls = rounds > 0 ? rounds * stepCount : steps.count
        guard calls > 0 else { return }
        let span = time >= start ? time - start : 0
        var made = 0
        var previous = start
        func ran(_ s: Int) {
            made += 1
            let t = start &+ span * UInt64(made) / UInt64(calls)
            let n = Int(program.order[s])
            send(.nodeStarted(time: previous, node: n, id: ids[n], thread: thread))
            send(.nodeFinished(time: t, node: n, id: ids[n], thread: thread, duration: t - previous))
            previous = t
        }
        if rounds > 0 {
            for round in 0..<rounds {
                for s in 0..<stepCount { ran(s) }
                if iteration + round + 1 <= graph.loopMaxIterations[l] {
                    send(.loopIteration(time: previous, node: l, id: ids[l], iteration: iteration + round + 1))
                }
            }
        } else {
            for s in steps { ran(s) }
        }
    }
}
