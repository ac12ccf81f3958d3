import CWeftShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import WeftCore
import WeftNative
import HeapModule


/// The state of one run. Touched only by the scheduler thread; workers hand
/// results back through `completions`.
final class RunState: @unchecked Sendable {
    enum Slot: Equatable {
        case empty
        case value(WeftValue)
        case dead
    }

    /// Parallel mode: the thresholds of `options.placement`, read once.
    /// A batch is formed when `batchThreshold` nodes are ready (its
    /// `batchMin`, or 2 when batches are forced: `RunOptions.forcedPath`).
    let batchThreshold: Int
    let batchMax: Int
    let inlineBelowNs: UInt64
    let costWindow: Int
    /// `sampleEvery - 1` (a mask).
    let sampleMask: Int
    var batchInFlight = false
    /// The batch in flight (scheduler thread only).
    var currentBatch: Batch?
    /// Chunks of batches this thread ran (`helpWith`).
    var helpedChunks = 0
    /// Set by the worker when its batch is in `completions`: the run loop
    /// looks at it between nodes (a load, no lock) and takes the batch's
    /// results as soon as they are there, so the next batch can start.
    let batchDone = Atomic<Bool>(false)

    /// Parallel mode: typical call time per node type
    /// (`NodeRow.typeIndex`), ns: the smallest of its last `costWindow`
    /// calls (`PlacementPolicy`).
    var typeCost: [UInt64]
    /// The last `costWindow` call times per type (ring buffers, flattened).
    var typeWindow: [UInt64]
    /// Parallel mode: calls measured per node type.
    let typeSamples: UnsafeMutablePointer<Int>
    /// Parallel mode: node types that run on the scheduler thread now.
    let typeInline: UnsafeMutablePointer<Bool>

    /// One wave of an event run: the event that starts it.
    struct Wave {
        var number: Int
        var source: Int
        var event: Int
        var payload: [WeftValue?]
    }

    let graph: CompiledGraph
    let options: RunOptions
    let cancellation: CancellationToken
    let events: EventHub
    /// Set for a wave of an event run (nil for a plain run).
    let wave: Wave?
    /// Added to thread numbers in events (wave lanes × 100).
    let lane: Int

    // Per-run tables, in buffers owned by this state (freed in deinit):
    // the run loop touches them per node, and array copy-on-write checks
    // were a measurable share of a trivial node's cost.
    //
    // Input slots are typed: `nums[s]` holds the kind (`WEFT_SHIM_*`: none =
    // empty, int, double, bool, boxed, dead) and a number's or bool's bits; a
    // boxed slot's value is `boxed[s]`. A node's slots are lent to its call
    // as they are (`NodeInstance.run(context:slots:boxed:)`), and a number
    // output is copied into the next node's slot as 16 bytes: numbers never
    // become `WeftValue`s between number nodes.
    let nums: UnsafeMutablePointer<weft_shim_number_t>
    /// Initialized only where `nums` says boxed (`boxedLive` entries).
    let boxed: UnsafeMutablePointer<WeftValue>
    var boxedLive = 0
    let delivered: UnsafeMutablePointer<Bool>
    let pending: UnsafeMutablePointer<Int32>
    /// The graph has loops: `delivered` is kept (loops re-arm by it).
    let tracksDelivery: Bool
    /// Join-any nodes: already started this activation.
    let started: UnsafeMutablePointer<Bool>
    /// What the run records for its observers (nil: nothing observes it).
    /// The run takes the same path either way; recording is a store per
    /// event (`EventLog`).
    let log: EventLog?
    /// `log != nil` (checked per node).
    let observing: Bool
    /// `log`, unretained: recording a node costs no reference counting.
    let logRef: Unmanaged<EventLog>?
    /// This state made `events` (a plain run): it drains it at the end.
    let ownsHub: Bool
    /// Live counters for a watcher (`RunOptions.progress`; plain runs only:
    /// an event run counts its waves itself).
    let progress: RunProgress?
    #if DEBUG
    /// The thread that called `run` (debug builds: `onSchedulerThread`).
    var schedulerThread: pthread_t?
    #endif
    /// `options.mode == .parallel`.
    let parallel: Bool
    // Per node, the state of a loop (meaningful for loop nodes while
    // `loopActive`): its iteration, the direct members of its body not yet
    // finished this iteration, when it started. Its current carry values
    // are typed slots of their own: loop `l`'s value `v` is entry
    // `graph.carryBase[l] + v` of `carryNums` / `carryBoxed`.
    let loopActive: UnsafeMutablePointer<Bool>
    let loopIteration: UnsafeMutablePointer<Int>
    let loopOutstanding: UnsafeMutablePointer<Int>
    let loopStarted: UnsafeMutablePointer<UInt64>
    let carryNums: UnsafeMutablePointer<weft_shim_number_t>
    let carryBoxed: UnsafeMutablePointer<WeftValue>
    let carryCount: Int
    var outputs: [WeftValue?]
    /// With checkpoints: per node, its completions so far (restored ones
    /// included): the next one's `occurrence`.
    var checkpointCount: [Int]
    /// `options.checkpoints != nil`.
    let checkpointing: Bool
    /// The checkpoints leave nodes out (a partial run).
    let skipping: Bool
    /// With checkpoints: how long the call that just completed took (ns;
    /// `UInt64.max` when not known), handed to the checkpoints.
    var callDuration = UInt64.max

    /// The ready queue: a ring of node indices (`readyMask + 1` entries, a
    /// power of two above the node count: never full). `readyHead` and `readyTail` only
    /// increase; entry `i` is `ready[i & readyMask]`.
    let ready: UnsafeMutablePointer<Int32>
    let readyMask: Int
    var readyHead = 0
    var readyTail = 0
    /// Plain nodes that run on this thread are called straight from the
    /// run loop (`runPlain`), loops go round as compiled passes, and
    /// parallel mode forms batches — unless `forcedPath` is `.queue`.
    let direct: Bool
    var loopsToCheck: [Int] = []
    /// Node executions made: at most `stepLimit`, which is `max_steps` for
    /// a plain run; a wave of an event run takes its steps from the run's
    /// shared `budget` in leases (`moreSteps`), so the check per node is
    /// the same plain comparison.
    var steps = 0
    var stepLimit: Int
    /// An event run's budget of steps for all its waves (nil: a plain run).
    let budget: StepBudget?
    /// Loop passes run compiled (`runCompiledPasses`).
    var compiledPasses = 0
    /// The run failed because it reached `options.maxSteps`.
    var reachedMaxSteps = false
    var failure: (message: String, node: String?)?
    /// The failure came after the run was cancelled (a node failing as it
    /// is stopped, e.g. an isolated worker killed by the same Ctrl-C): the
    /// run ends cancelled, not failed.
    var failedAfterCancel = false
    /// A failed node (without an `on_error` of its own) does not fail the
    /// run: `RunOptions.keepGoing`, or the graph's `error_strategy` is
    /// `continue`.
    let keepGoing: Bool
    /// Per node being retried: its failed attempts so far (cleared when
    /// it succeeds or fails for good).
    var attempts: [Int: Int] = [:]
    /// Nodes waiting to be called again, and when (`MonotonicClock`).
    var retries = Heap<PendingRetry>()
    /// Retries scheduled so far (ties of `due` go first come, first served).
    var retriesScheduled = 0
    /// Calls of timed BLOCKING nodes in flight (`runTimed`), each abandoned
    /// if its deadline comes first.
    var timedCalls: [TimedCall] = []
    /// Node failures passed over with `keepGoing`, in order.
    var keptGoing: [(message: String, node: String)] = []
    /// Each flow that finished: its id and its states run, in order.
    var flowHistories: [(flow: String, history: WeftValue)] = []
    var inflight = 0
    var pool: WorkerPool?
    let context = CallContext()
    /// Hooks' calls (`RunState+Hooks.swift`), made when the first is.
    lazy var hookContext = CallContext()
    /// Raised when the run is cancelled; compiled passes check it per call.
    let stop = StopFlag()
    let completionLock = ConditionLock()
    var completions: [Completion] = []
    /// Graphs with async nodes: where their deferred calls end, and when
    /// each pending one began (by node).
    var asyncSink: AsyncSink?
    var asyncStarts: [Int: UInt64] = [:]
    /// Mapped async nodes with items in flight (each ends them in a sink
    /// of its own).
    var asyncMaps: [AsyncMap] = []
    let asyncStartsLock = ConditionLock()

    init(graph: CompiledGraph, options: RunOptions, cancellation: CancellationToken, hub: EventHub? = nil,
         wave: Wave? = nil, lane: Int = 0, budget: StepBudget? = nil) {
        self.budget = budget
        stepLimit = budget.map { $0.take($0.lease) } ?? options.maxSteps
        self.graph = graph
        self.options = options
        self.cancellation = cancellation
        self.wave = wave
        self.lane = lane
        progress = wave == nil ? options.progress : nil
        events = hub ?? EventHub(observers: options.observers, start: MonotonicClock.now(), graph: graph)
        ownsHub = hub == nil
        log = events.isEmpty ? nil : EventLog(hub: events, thread: lane)
        observing = log != nil
        logRef = log.map { Unmanaged.passUnretained($0) }
        // Tables whose start is all zeros come from calloc: the kernel's
        // zero pages, so a big graph's run pays only for what it touches.
        nums = zeroed(graph.slotCount)
        // Touched now, in one pass: faulting its pages in one by one from
        // the run loop was measurably slower (chain +5 ns/node).
        memset(nums, 0, max(graph.slotCount, 1) * MemoryLayout<weft_shim_number_t>.stride)
        boxed = .allocate(capacity: max(graph.slotCount, 1))
        delivered = zeroed(graph.edgeCount)
        pending = .allocate(capacity: max(graph.count, 1))
        for n in 0..<graph.count { (pending + n).initialize(to: Int32(graph.inEdges.count(n))) }
        tracksDelivery = graph.hasLoops
        started = zeroed(graph.count)
        keepGoing = options.keepGoing || graph.plan.errorStrategy == .continue
        parallel = options.mode == .parallel
        direct = options.forcedPath != .queue && options.checkpoints == nil
        checkpointing = options.checkpoints != nil
        skipping = options.checkpoints?.skipsNodes ?? false
        checkpointCount = checkpointing ? Array(repeating: 0, count: graph.count) : []
        let placement = options.placement
        // Clamped: any value a caller sets is safe (no overflow, no huge tables).
        batchThreshold = options.forcedPath == .batches ? 2 : min(max(2, placement.batchMin), 1 << 30)
        batchMax = min(max(1, placement.batchMax), 1 << 30)
        inlineBelowNs = placement.inlineBelowNs
        costWindow = min(max(1, placement.costWindow), 1_024)
        var every = 1
        while every < min(placement.sampleEvery, 1 << 30) { every <<= 1 }
        sampleMask = every - 1  // (rounded up to a power of two)
        // Each node is in the queue at most once at a time, so count + 1
        // entries never grow; smaller graphs still start with 64.
        var capacity = 64
        while capacity < graph.count + 1 { capacity <<= 1 }
        ready = .allocate(capacity: capacity)
        readyMask = capacity - 1
        outputs = Array(repeating: nil, count: graph.plan.outputs.count)
        loopActive = zeroed(graph.count)
        loopIteration = zeroed(graph.count)
        loopOutstanding = zeroed(graph.count)
        loopStarted = zeroed(graph.count)
        carryCount = max(graph.carryCount, 1)
        carryNums = zeroed(carryCount)
        carryBoxed = .allocate(capacity: carryCount)
        carryBoxed.initialize(repeating: .null, count: carryCount)
        typeCost = Array(repeating: 0, count: graph.typeCount)
        // (Raw buffers: read per call.)
        typeSamples = zeroed(graph.typeCount)
        typeWindow = Array(repeating: .max, count: graph.typeCount * costWindow)
        typeInline = zeroed(graph.typeCount)
        for t in 0..<graph.typeCount {
            switch options.forcedPath {
            case .pool: typeInline[t] = false
            case .batches: typeInline[t] = true
            case .automatic, .queue: typeInline[t] = graph.typeStartsInline[t]
            }
        }
    }

    deinit {
        if boxedLive > 0 {
            for s in 0..<graph.slotCount where nums[s].kind == Self.boxedKind { (boxed + s).deinitialize(count: 1) }
        }
        free(nums)
        ready.deallocate()
        boxed.deallocate()
        free(delivered)
        pending.deallocate()
        free(started)
        free(loopActive)
        free(loopIteration)
        free(loopOutstanding)
        free(loopStarted)
        free(carryNums)
        free(typeSamples)
        free(typeInline)
        carryBoxed.deinitialize(count: carryCount).deallocate()
    }

    // MARK: the run loop

    func run(inputs: [WeftValue]) -> RunResult {
        if ownsHub { events.startDelivery() }
        let t0 = MonotonicClock.now()
        #if DEBUG
        schedulerThread = pthread_self()
        #endif
        if let wave {
            log?.event(.waveStarted(time: events.now(), wave: wave.number, source: graph.ids[wave.source], event: wave.event))
        } else {
            log?.event(.runStarted(time: 0, nodes: graph.count, mode: options.mode,
                                   workers: options.mode == .parallel ? options.workers : 1))
        }
        cancellation.whenCancelled { [completionLock, stop] in
            stop.raise()
            completionLock.withLock { completionLock.broadcast() }
        }
        context.frame.pointee.stop = UnsafePointer(stop.pointer)
        if graph.hasAsync {
            asyncSink = makeAsyncSink()
            context.asyncSink = asyncSink
        }
        graph.numberConstantSlots.withUnsafeBufferPointer { slots in
            graph.numberConstants.withUnsafeBufferPointer { values in
                for i in 0..<slots.count { nums[Int(slots[i])] = values[i] }
            }
        }
        for c in graph.boxedConstants { setSlot(c.slot, .value(c.value)) }
        for (g, edges) in graph.inputEdges.enumerated() {
            for e in edges { deliver(edge: e, .value(inputs[g])) }
        }
        // Event sources fire: the wave's source with its payload, the others
        // not at all (their outputs are dead in this wave).
        for s in graph.sources {
            let payload = s == wave?.source ? wave?.payload : nil
            deliver(outputs: payload ?? Array(repeating: nil, count: graph.outputCount(s)), of: s)
        }
        // Nodes with nothing to wait for, outside every loop body.
        for n in 0..<graph.count where graph.inEdges.isEmpty(n) && graph.enclosingLoop(n) == nil && !(graph.rows[n].flags & NodeRow.source != 0)
            && (graph.flows.isEmpty || !graph.isState[n]) {
            enqueue(n)
        }
        // A graph big enough for batches: its worker starts while the
        // first nodes run here.
        if parallel && direct && graph.count >= 2 * batchThreshold { workerPool().warmUp() }
        // A sequential run of a graph of plain nodes runs its compiled
        // program; any other run goes through the ready queue.
        if runsTopProgram { runTopProgram(graph.topProgram.unsafelyUnwrapped) } else { loop() }
        for map in asyncMaps { _ = map.sink?.shutDown() }
        asyncMaps = []
        if let asyncSink {
            _ = asyncSink.shutDown()
            context.asyncSink = nil
        }
        checkInvariants()
        progress?.publish(steps: steps, node: -1)
        pool?.shutdown()
        // Queued jobs capture this state; dropping the pool breaks the cycle.
        pool = nil
        budget?.giveBack(stepLimit - steps)
        stepLimit = steps

        let outcome: RunOutcome
        if let failure, !failedAfterCancel {
            outcome = .failed(message: failure.message, node: failure.node)
        } else if cancellation.isCancelled {
            outcome = .cancelled
        } else if let first = keptGoing.first {
            let more = keptGoing.count - 1
            outcome = .failed(message: first.message + (more > 0 ? " (and \(more) more node failure\(more == 1 ? "" : "s"))" : ""),
                              node: first.node)
        } else {
            outcome = .succeeded
        }
        if let log {
            if let wave {
                log.event(.waveFinished(time: events.now(), wave: wave.number, outcome: outcome, steps: steps))
            } else {
                log.event(.runFinished(time: events.now(), outcome: outcome, steps: steps))
            }
            log.flush()
        }
        let duration = MonotonicClock.now() - t0
        // Every event delivered before the run returns (the observers' own
        // work after the run's end is not part of its duration).
        if ownsHub { events.drain() }
        var fired: [(name: String, value: WeftValue)] = []
        var missing: [String] = []
        for (i, o) in graph.plan.outputs.enumerated() {
            if let v = outputs[i] { fired.append((o.name, v)) } else { missing.append(o.name) }
        }
        var result = RunResult(outcome: outcome, outputs: fired, missingOutputs: missing, steps: steps,
                               duration: duration)
        result.compiledPasses = compiledPasses
        result.helpedChunks = helpedChunks
        result.stateHistory = flowHistories
        if failedAfterCancel { result.failureWhileStopping = failure?.message }
        return result
    }

    func loop() {
        while true {
            if failure != nil || cancellation.isCancelled {
                if asyncSink != nil || !asyncMaps.isEmpty { giveUpPendingCalls() }
                if !timedCalls.isEmpty { abandonTimedCalls() }
                if inflight == 0 { return }
                drainCompletions(process: false)
                continue
            }
            if let l = loopsToCheck.popLast() {
                // Only loop nodes are checked: their strategy's code, called directly.
                LoopStrategy.bodyFinished(l, self)
                continue
            }
            if batchInFlight && batchDone.load(ordering: .acquiring) {
                // Take the finished batch, give the worker the next one,
                // then deliver the finished one's outputs.
                let done = takeCompletions(wait: false)
                batchInFlight = false
                currentBatch = nil
                batchDone.store(false, ordering: .relaxed)
                if readyTail - readyHead >= batchThreshold { startBatch() }
                handle(done, process: true)
                continue
            }
            if readyHead < readyTail {
                let n = Int(ready[readyHead & readyMask])
                readyHead += 1
                progress?.publish(steps: steps, node: n)
                let row = graph.rows[n]
                if direct && row.flags & NodeRow.plain != 0 && (!parallel || (row.typeIndex >= 0 && typeInline[Int(row.typeIndex)])) {
                    if parallel && !batchInFlight && readyTail - readyHead >= batchThreshold { startBatch() }
                    runPlain(n, row)
                } else {
                    process(n)
                }
                continue
            }
            // Nothing ready here: help with the batch in flight.
            if let batch = currentBatch, let chunk = batch.claim() {
                helpWith(batch, chunk)
                continue
            }
            // A retry whose wait is over.
            if !retries.isEmpty, retryDue() { continue }
            // A timed call past its deadline.
            if !timedCalls.isEmpty, timedOut() { continue }
            if inflight > 0 {
                drainCompletions(process: true, within: retryWait())
                continue
            }
            if !retries.isEmpty {
                waitForRetry()
                continue
            }
            return
        }
    }

    @inline(__always)
    func enqueue(_ n: Int) {
        assert(onSchedulerThread(), "the ready queue touched off the scheduler thread")
        // Never full: a node is queued at most once at a time, and the ring
        // has room for every node (`init`).
        precondition(readyTail - readyHead <= readyMask, "the ready queue overflowed (a node was queued twice)")
        ready[readyTail & readyMask] = Int32(truncatingIfNeeded: n)
        readyTail += 1
    }

    /// Records for observers (only when `observing`): `body` gets the log
    /// without a retain and release (the state owns it).
    @inline(__always)
    func record(_ body: (EventLog) -> Void) {
        logRef.unsafelyUnwrapped._withUnsafeGuaranteedRef(body)
    }
}
