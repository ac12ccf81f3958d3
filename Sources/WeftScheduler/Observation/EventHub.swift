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
/// `wakeAt` records are waiting, and at least every `latencyNs`; a run of
/// cheap nodes is not slowed by its observers' work on a shared core. The
/// run waits only when more than `maxQueued` records are waiting (an
/// observer far behind: memory stays bounded). `drain` (at the end of the
/// run) waits until every event is delivered.
final class EventHub: @unchecked Sendable {
    let observers: [any RunObserver]
    let start: UInt64
    /// The run's graph: node ids and compiled loop bodies, to expand records.
    let graph: CompiledGraph
    static let maxQueued = 1 << 18
    static let wakeAt = 1 << 16
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

    /// Queues `block` for delivery (the hub owns it now); `urgent`: deliver
    /// it now, not within `latencyNs`. Any thread.
    func push(_ block: EventBlock, urgent: Bool = false) {
        guard !observers.isEmpty else { return }
        lock.lock()
        queue.append(block)
        queued += block.count
        if urgent || queued >= Self.wakeAt { wake = true }
        if thread == nil {
            thread = POSIXThread.spawnJoinable { [self] in deliver() }
            if thread == nil {
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
        let block = EventBlock(capacity: 1)
        block.events.append(event)
        block.records[0] = EventRecord(time: event.time, kind: .event)
        block.count = 1
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
        guard block.capacity == EventBlock.capacity, spare.count < 4 else { return }
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
        for i in 0..<block.count {
            let r = block.records[i]
            let n = Int(r.node)
            let thread = Int(r.thread)
            switch r.kind {
            case .ran:
                send(.nodeStarted(time: r.start, node: n, id: ids[n], thread: thread))
                send(.nodeFinished(time: r.time, node: n, id: ids[n], thread: thread, duration: r.time >= r.start ? r.time - r.start : 0))
            case .started:
                send(.nodeStarted(time: r.time, node: n, id: ids[n], thread: thread))
            case .finished:
                send(.nodeFinished(time: r.time, node: n, id: ids[n], thread: thread, duration: r.time >= r.start ? r.time - r.start : 0))
            case .skipped:
                send(.nodeSkipped(time: r.time, node: n, id: ids[n]))
            case .iteration:
                send(.loopIteration(time: r.time, node: n, id: ids[n], iteration: Int(r.a)))
            case .passes, .steps:
                expandPasses(r, ids)
            case .event:
                send(block.events[Int(r.a)])
            }
        }
    }

    /// The node calls (and iterations) of compiled passes, their times
    /// spread evenly over the record's span.
    private func expandPasses(_ r: EventRecord, _ ids: CompiledGraph.NodeIDs) {
        let l = Int(r.node)
        guard let program = graph.passPrograms[l] else { return }
        let thread = Int(r.thread)
        let stepCount = program.stepCount
        let maxIterations = graph.loopMaxIterations[l]
        let rounds = r.kind == .passes ? Int(r.b) : 0
        let (from, to) = r.kind == .passes ? (0, stepCount) : (Int(r.a), Int(r.b))
        let calls = r.kind == .passes ? rounds * stepCount : to - from
        guard calls > 0 else { return }
        let span = r.time &- r.start
        var made = 0
        var previous = r.start
        func ran(_ s: Int) {
            made += 1
            let t = r.start &+ span * UInt64(made) / UInt64(calls)
            let n = Int(program.steps[s].node)
            send(.nodeStarted(time: previous, node: n, id: ids[n], thread: thread))
            send(.nodeFinished(time: t, node: n, id: ids[n], thread: thread, duration: t >= previous ? t - previous : 0))
            previous = t
        }
        if r.kind == .passes {
            for round in 0..<rounds {
                for s in 0..<stepCount { ran(s) }
                let iteration = Int(r.a) + round + 1
                if iteration <= maxIterations {
                    send(.loopIteration(time: previous, node: l, id: ids[l], iteration: iteration))
                }
            }
        } else {
            for s in from..<to { ran(s) }
        }
    }
}
