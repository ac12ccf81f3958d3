import CWeftShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import WeftCore
import WeftNative

/// Runs compiled graphs.
///
/// ```swift
/// let plan = try GraphValidator.load(text: json, catalog: registry)
/// let graph = try CompiledGraph(plan: plan, registry: registry)
/// let result = try Scheduler.run(graph, inputs: ["n": 10])
/// print(result.outputsJSON)
/// ```
///
/// A ready queue drives the run: a node becomes ready when each of its
/// connected inputs holds a value or is dead. Outputs a node did not fire
/// are dead; a node whose required inputs include a dead one (or whose
/// inputs are all dead) is skipped and passes "dead" on, so the join after
/// an if/else runs with the branch that fired. The calling thread is the
/// scheduler thread; in parallel mode node calls run on a worker pool.
public enum Scheduler {
    /// Runs `graph` once and returns when it has finished, failed or been
    /// cancelled.
    /// - Throws: `RunInputError` for unknown, missing or mistyped inputs, or
    ///   if the graph is already running.
    public static func run(_ graph: CompiledGraph, inputs: [String: WeftValue] = [:], options: RunOptions = RunOptions(),
                           cancellation: CancellationToken = CancellationToken()) throws(RunInputError) -> RunResult {
        let values = try resolveInputs(graph.plan, inputs)
        guard graph.running.acquire() else {
            throw RunInputError(messages: ["this compiled graph is already running; compile it again to run it concurrently"])
        }
        defer { graph.running.release() }
        guard !graph.closed else {
            throw RunInputError(messages: ["this compiled graph was closed (its node instances are destroyed); compile it again"])
        }
        if !graph.sources.isEmpty {
            return EventRun(graph: graph, inputs: values, options: options, cancellation: cancellation).run()
        }
        let state = RunState(graph: graph, options: options, cancellation: cancellation)
        return state.run(inputs: values)
    }

    /// Checks run inputs against the graph's declared inputs (unknown names,
    /// types, missing required inputs) without running anything.
    public static func checkInputs(_ plan: GraphPlan, _ given: [String: WeftValue]) throws(RunInputError) {
        _ = try resolveInputs(plan, given)
    }

    /// Checks run inputs against the graph's declared inputs.
    static func resolveInputs(_ plan: GraphPlan, _ given: [String: WeftValue]) throws(RunInputError) -> [WeftValue] {
        var errors: [String] = []
        for name in given.keys.sorted() where !plan.inputs.contains(where: { $0.name == name }) {
            let known = plan.inputs.map(\.name)
            errors.append("unknown graph input '\(name)'; "
                              + (known.isEmpty ? "this graph declares no inputs" : "it declares: \(known.joined(separator: ", "))"))
        }
        var values: [WeftValue] = []
        for input in plan.inputs {
            if let v = given[input.name] {
                if let c = input.type.coerce(v) { values.append(c) } else {
                    errors.append("input '\(input.name)' must be \(input.type), got \(v.kind) \(JSON.encode(v))")
                    values.append(.null)
                }
            } else if let d = input.defaultValue {
                values.append(d)
            } else {
                errors.append("missing graph input '\(input.name)' (\(input.type)); give it with --input \(input.name)=VALUE")
                values.append(.null)
            }
        }
        if !errors.isEmpty { throw RunInputError(messages: errors) }
        return values
    }
}

/// `count` zeroed elements from calloc (free them with `free`). For types
/// whose all-zero bit pattern is a valid value.
@inline(__always)
func zeroed<T>(_ count: Int) -> UnsafeMutablePointer<T> {
    guard let p = calloc(max(count, 1), MemoryLayout<T>.stride) else { fatalError("out of memory") }
    return p.bindMemory(to: T.self, capacity: max(count, 1))
}

/// The state of one run. Touched only by the scheduler thread; workers hand
/// results back through `completions`.
final class RunState: @unchecked Sendable {
    enum Slot: Equatable {
        case empty
        case value(WeftValue)
        case dead
    }

    struct Completion {
        var node: Int
        /// The call's result (nil for a batch).
        var result: Result<NodeOutputs, NodeError>?
        /// How long the call took on its worker, in ns.
        var duration: UInt64
        /// A batch of cheap nodes run on a worker (then `node` is -1).
        var batch: Batch? = nil
    }

    /// Parallel mode: cheap plain nodes run together on a worker, their
    /// outputs kept here (as slot contents) until the scheduler thread
    /// delivers them. While a batch runs, the scheduler thread runs other
    /// ready nodes itself: independent trivial nodes use both cores
    /// instead of paying a hop to the pool per node.
    final class Batch: @unchecked Sendable {
        /// Its nodes, in queue order (`count`).
        let nodes: UnsafeMutablePointer<Int32>
        let count: Int
        /// Node `i`'s outputs start at `offsets[i]` in `outputs`.
        let offsets: UnsafeMutablePointer<Int32>
        /// Every output of every node, as slot contents (raw buffers: the
        /// worker writes them without copy-on-write checks).
        let outputs: UnsafeMutablePointer<weft_shim_number_t>
        /// The values of boxed outputs, by index in `outputs` (rare: cheap
        /// nodes mostly make numbers).
        var boxes: [Int: WeftValue] = [:]
        /// Nodes the worker ran that failed: (index in `nodes`, why), in order.
        var errors: [(Int, NodeError)] = []
        /// The nodes are claimed `chunk` at a time, by the worker and — when
        /// it has nothing else to do — by the scheduler thread, so a worker
        /// that is slow to start or is preempted never leaves the scheduler
        /// waiting with nothing to run.
        static let chunk = 32
        let chunks: Int
        /// The next chunk to claim.
        let next = Atomic<Int>(0)
        /// Chunks finished, by either thread: whoever finishes the last one
        /// posts the batch's completion.
        let finished = Atomic<Int>(0)
        /// Per chunk: run by the scheduler thread, which delivered its
        /// outputs at once (read and written by that thread only).
        let byScheduler: UnsafeMutablePointer<Bool>

        /// Takes `nodes` (allocated for `count`); `offsets` and `outputs`
        /// are made from the nodes' output counts.
        init(nodes: UnsafeMutablePointer<Int32>, count: Int, rows: UnsafeMutablePointer<NodeRow>) {
            self.nodes = nodes
            self.count = count
            chunks = (count + Self.chunk - 1) / Self.chunk
            byScheduler = .allocate(capacity: max(chunks, 1))
            byScheduler.initialize(repeating: false, count: max(chunks, 1))
            offsets = .allocate(capacity: max(count, 1))
            var total: Int32 = 0
            for i in 0..<count {
                offsets[i] = total
                total += Int32(rows[Int(nodes[i])].outputCount)
            }
            outputs = .allocate(capacity: max(Int(total), 1))
        }

        /// A chunk to run (its node range), or nil when all are claimed.
        func claim() -> Range<Int>? {
            let c = next.add(1, ordering: .relaxed).oldValue
            guard c < chunks else { return nil }
            return c * Self.chunk..<min((c + 1) * Self.chunk, count)
        }

        deinit {
            nodes.deallocate()
            offsets.deallocate()
            outputs.deallocate()
            byScheduler.deallocate()
        }
    }

    /// Parallel mode: a batch is formed when at least this many nodes are
    /// ready; it takes half of them, at most `batchMax`.
    static let batchMin = 64
    /// `batchMin`, or 2 when batches are forced (`RunOptions.forcedPath`).
    private let batchThreshold: Int
    static let batchMax = 16_384
    private var batchInFlight = false
    /// The batch in flight (scheduler thread only).
    private var currentBatch: Batch?
    /// Chunks of batches this thread ran (`helpWith`).
    private var helpedChunks = 0
    /// Set by the worker when its batch is in `completions`: the run loop
    /// looks at it between nodes (a load, no lock) and takes the batch's
    /// results as soon as they are there, so the next batch can start.
    private let batchDone = Atomic<Bool>(false)

    /// Parallel mode: node types whose calls take less than this run on the
    /// scheduler thread — a hop to a worker and back costs more than they do.
    static let inlineBelowNs: UInt64 = 5_000
    /// Parallel mode: typical call time per node type
    /// (`NodeRow.typeIndex`), ns: the smallest of its last
    /// `costWindow` calls, so one slow call (a cold start, the thread being
    /// preempted) does not move a cheap type to the pool, while a type whose
    /// calls all got slower does move.
    var typeCost: [UInt64]
    /// The last `costWindow` call times per type (ring buffers, flattened).
    var typeWindow: [UInt64]
    static let costWindow = 8
    /// Parallel mode: once a type's window is full, the calls timed are
    /// those whose step number is a multiple of `sampleMask + 1` (two
    /// clock reads cost about half a trivial node).
    static let sampleMask = 255
    /// Parallel mode: calls measured per node type.
    var typeSamples: [Int]
    /// Parallel mode: node types that run on the scheduler thread now.
    var typeInline: [Bool]

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
    private var boxedLive = 0
    let delivered: UnsafeMutablePointer<Bool>
    let pending: UnsafeMutablePointer<Int32>
    /// The graph has loops: `delivered` is kept (loops re-arm by it).
    private let tracksDelivery: Bool
    /// Join-any nodes: already started this activation.
    let started: UnsafeMutablePointer<Bool>
    /// No observers: the run emits no events (checked per node).
    let quiet: Bool
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

    /// The ready queue: a ring of node indices (`readyMask + 1` entries, a
    /// power of two above the node count: never full). `readyHead` and `readyTail` only
    /// increase; entry `i` is `ready[i & readyMask]`.
    private let ready: UnsafeMutablePointer<Int32>
    private let readyMask: Int
    private var readyHead = 0
    private var readyTail = 0
    /// Nothing observes the run: plain nodes that run on this thread are
    /// called straight from the run loop (`runPlain`).
    private let direct: Bool
    private var loopsToCheck: [Int] = []
    /// Node executions made: at most `stepLimit`, which is `max_steps` for
    /// a plain run; a wave of an event run takes its steps from the run's
    /// shared `budget` in leases (`moreSteps`), so the check per node is
    /// the same plain comparison.
    var steps = 0
    private var stepLimit: Int
    /// An event run's budget of steps for all its waves (nil: a plain run).
    private let budget: StepBudget?
    /// Loop passes run compiled (`runCompiledPasses`).
    private var compiledPasses = 0
    /// The run failed because it reached `options.maxSteps`.
    private(set) var reachedMaxSteps = false
    var failure: (message: String, node: String?)?
    /// The failure came after the run was cancelled (a node failing as it
    /// is stopped, e.g. an isolated worker killed by the same Ctrl-C): the
    /// run ends cancelled, not failed.
    private var failedAfterCancel = false
    /// Node failures passed over with `keepGoing`, in order.
    var keptGoing: [(message: String, node: String)] = []
    private var inflight = 0
    private var pool: WorkerPool?
    private let context = CallContext()
    private let completionLock = ConditionLock()
    private var completions: [Completion] = []

    init(graph: CompiledGraph, options: RunOptions, cancellation: CancellationToken, hub: EventHub? = nil,
         wave: Wave? = nil, lane: Int = 0, budget: StepBudget? = nil) {
        self.budget = budget
        stepLimit = budget.map { $0.take($0.lease) } ?? options.maxSteps
        self.graph = graph
        self.options = options
        self.cancellation = cancellation
        self.wave = wave
        self.lane = lane
        events = hub ?? EventHub(observers: options.observers, start: MonotonicClock.now())
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
        quiet = events.isEmpty
        parallel = options.mode == .parallel
        direct = quiet && options.forcedPath != .queue
        batchThreshold = options.forcedPath == .batches ? 2 : Self.batchMin
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
        typeSamples = Array(repeating: 0, count: graph.typeCount)
        typeWindow = Array(repeating: .max, count: graph.typeCount * Self.costWindow)
        switch options.forcedPath {
        case .pool: typeInline = Array(repeating: false, count: graph.typeCount)
        case .batches: typeInline = Array(repeating: true, count: graph.typeCount)
        case .automatic, .queue: typeInline = graph.typeStartsInline
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
        carryBoxed.deinitialize(count: carryCount).deallocate()
    }

    /// Parallel mode: whether node `n` is cheap enough to run on the
    /// scheduler thread. Never for blocking nodes. A type flagged pure
    /// (typically a small computation) runs its first three calls here to be
    /// measured; other types are measured on the pool. Then the measured
    /// cost decides.
    func runsInline(_ n: Int) -> Bool {
        let t = Int(graph.rows[n].typeIndex)
        return t >= 0 && typeInline[t]
    }

    /// `runsInline`'s answer for a node `n` of type `t`, kept in
    /// `typeInline` and updated when the type is measured.
    private func decideInline(_ n: Int, _ t: Int) -> Bool {
        guard !(graph.rows[n].flags & NodeRow.blocking != 0) else { return false }
        switch options.forcedPath {
        case .pool: return false
        case .batches: return true
        case .automatic, .queue: break
        }
        if typeSamples[t] < 3 && (graph.rows[n].flags & NodeRow.pure != 0) { return true }
        return typeSamples[t] > 0 && typeCost[t] < Self.inlineBelowNs
    }

    private func measured(_ n: Int, _ duration: UInt64) {
        let t = Int(graph.rows[n].typeIndex)
        guard t >= 0 else { return }
        let base = t * Self.costWindow
        typeWindow[base + typeSamples[t] % Self.costWindow] = max(duration, 1)
        typeSamples[t] += 1
        var smallest = UInt64.max
        for i in base..<(base + Self.costWindow) where typeWindow[i] < smallest { smallest = typeWindow[i] }
        typeCost[t] = smallest
        typeInline[t] = decideInline(n, t)
    }

    // MARK: the run loop

    func run(inputs: [WeftValue]) -> RunResult {
        let t0 = MonotonicClock.now()
        if let wave {
            events.emit(.waveStarted(time: events.now(), wave: wave.number, source: graph.ids[wave.source], event: wave.event))
        } else {
            events.emit(.runStarted(time: 0, nodes: graph.count, mode: options.mode,
                                    workers: options.mode == .parallel ? options.workers : 1))
        }
        cancellation.whenCancelled { [completionLock] in completionLock.withLock { completionLock.broadcast() } }
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
        for n in 0..<graph.count where graph.inEdges.isEmpty(n) && graph.enclosingLoop(n) == nil && !(graph.rows[n].flags & NodeRow.source != 0) {
            enqueue(n)
        }
        // A graph big enough for batches: its worker starts while the
        // first nodes run here.
        if parallel && direct && graph.count >= 2 * batchThreshold { workerPool().warmUp() }
        loop()
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
        if let wave {
            events.emit(.waveFinished(time: events.now(), wave: wave.number, outcome: outcome, steps: steps))
        } else {
            events.emit(.runFinished(time: events.now(), outcome: outcome, steps: steps))
        }
        var fired: [(name: String, value: WeftValue)] = []
        var missing: [String] = []
        for (i, o) in graph.plan.outputs.enumerated() {
            if let v = outputs[i] { fired.append((o.name, v)) } else { missing.append(o.name) }
        }
        var result = RunResult(outcome: outcome, outputs: fired, missingOutputs: missing, steps: steps,
                               duration: MonotonicClock.now() - t0)
        result.compiledPasses = compiledPasses
        result.helpedChunks = helpedChunks
        if failedAfterCancel { result.failureWhileStopping = failure?.message }
        return result
    }

    private func loop() {
        while true {
            if failure != nil || cancellation.isCancelled {
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
            if inflight > 0 {
                drainCompletions(process: true)
                continue
            }
            return
        }
    }

    /// Waits (briefly) for pool results and handles them. With `process`
    /// false (after a failure or cancel) results are only counted.
    private func drainCompletions(process: Bool) {
        let done = takeCompletions(wait: true)
        if done.contains(where: { $0.batch != nil }) {
            batchInFlight = false
            currentBatch = nil
            batchDone.store(false, ordering: .relaxed)
        }
        handle(done, process: process)
    }

    /// The completions so far; with `wait`, waits briefly for one first.
    private func takeCompletions(wait: Bool) -> [Completion] {
        completionLock.lock()
        if wait && completions.isEmpty { completionLock.wait(nanoseconds: 50_000_000) }
        let done = completions
        completions.removeAll(keepingCapacity: true)
        completionLock.unlock()
        return done
    }

    private func handle(_ done: [Completion], process: Bool) {
        for c in done {
            inflight -= 1
            if let batch = c.batch {
                if process && failure == nil && !cancellation.isCancelled { finishBatch(batch) }
                continue
            }
            measured(c.node, c.duration)
            if process && failure == nil && !cancellation.isCancelled, let result = c.result { handle(c.node, result) }
        }
    }

    @inline(__always)
    private func enqueue(_ n: Int) {
        // Never full: a node is queued at most once at a time, and the ring
        // has room for every node (`init`).
        precondition(readyTail - readyHead <= readyMask, "the ready queue overflowed (a node was queued twice)")
        ready[readyTail & readyMask] = Int32(truncatingIfNeeded: n)
        readyTail += 1
    }

    /// The common node, called straight from the run loop: sequential,
    /// join all, in a run nobody observes (`direct`), on this thread (in
    /// parallel mode: a type cheap enough to run inline, timed like
    /// `execute` times it). What `process` and `execute` would do, without
    /// their checks for other kinds of node; a node with a dead input, or
    /// one that would pass `max_steps`, goes the general way.
    @inline(__always)
    private func runPlain(_ n: Int, _ row: NodeRow) {
        let base = Int(row.slotBase)
        for p in 0..<Int(row.inputCount) where nums[base + p].kind == Self.dead {
            process(n)
            return
        }
        guard steps < stepLimit || moreSteps(1), row.instance != nil else {
            process(n)
            return
        }
        guard call(n, row.instance.unsafelyUnwrapped, base, Int(row.typeIndex)) else {
            nodeFailed(n, callError(n))
            return
        }
        deliverCallOutputs(of: n, portBase: Int(row.outPortBase), count: Int(row.outputCount))
        if row.enclosingLoop >= 0 { completed(n) }
    }

    /// Calls plain node `n` (`instance`, of type `typeIndex`; its inputs
    /// in its slots from `base`) on this thread, counting the step; in
    /// parallel mode timed now and then. False: the call failed
    /// (`callError`).
    @inline(__always)
    private func call(_ n: Int, _ unmanaged: Unmanaged<NodeInstance>, _ base: Int, _ typeIndex: Int) -> Bool {
        steps += 1
        let measure = parallel && (steps & Self.sampleMask == 0 || typeSamples[typeIndex] < Self.costWindow)
        let t0 = measure ? MonotonicClock.now() : 0
        // The graph owns its instances for longer than any run: no
        // retain/release per call.
        let ok = unmanaged._withUnsafeGuaranteedRef { instance in
            instance.run(context: context, slots: nums + base, boxed: boxed + base)
        }
        if measure { measured(n, MonotonicClock.now() - t0) }
        return ok
    }

    /// Room for `want` more steps: a wave takes another lease from its
    /// event run's budget (a plain run has no more). False: `max_steps`
    /// would be passed.
    @inline(never)
    private func moreSteps(_ want: Int) -> Bool {
        guard let budget else { return false }
        stepLimit += budget.take(max(want, budget.lease))
        return steps + want <= stepLimit
    }

    /// Node `n` would be execution `max_steps + 1`: it is not called, and
    /// the run fails (`steps` stays at the limit). One rule and one message
    /// for every path, plain runs and waves.
    private func reachedMaxSteps(at n: Int) {
        reachedMaxSteps = true
        if let wave {
            fail(node: n, "the run reached max_steps (\(options.maxSteps) node executions over all waves) in wave "
                     + "\(wave.number) at node '\(graph.ids[n])'; \(options.maxStepsHint), or limit the events (max_events, --duration)")
        } else {
            fail(node: n, "the run reached max_steps (\(options.maxSteps) node executions) at node '\(graph.ids[n])'; "
                     + "\(options.maxStepsHint), or check for a loop that never ends")
        }
    }

    private func callError(_ n: Int) -> NodeError {
        // (Every failed call sets its context's error.)
        context.nodeError ?? NodeError(nodeId: graph.ids[n], type: graph.plan.nodes[n].type,
                                       message: "failed without a message (a host bug)")
    }

    /// A node whose inputs are complete: skip it, or hand it to its strategy.
    private func process(_ n: Int) {
        if graph.isLoop(n) {
            graph.strategy(n).start(n, self)
            return
        }
        if !graph.joinsAny(n) && onDeadPath(n) {
            skip(n)
            return
        }
        // The common case without a dynamic call: what
        // `SequentialStrategy.start` does.
        if graph.isSequential(n) {
            execute(n, onPool: parallel && !runsInline(n))
            return
        }
        graph.strategy(n).start(n, self)
    }

    /// Join-all nodes: a required input is dead, or every input that edges
    /// fill is dead.
    private func onDeadPath(_ n: Int) -> Bool {
        let base = graph.slotBase(n)
        let count = graph.inputCount(n)
        var anyEdgeValue = false
        var anyEdge = false
        for p in 0..<count {
            let kind = nums[base + p].kind
            if kind == Self.dead {
                if graph.slotRequired[base + p] { return true }
            } else if kind != Self.none {
                anyEdgeValue = true
            }
        }
        if anyEdgeValue { return false }
        graph.inEdges.forEach(n) { e in
            anyEdge = true
            if holdsValue(graph.edgeSlot(e)) { anyEdgeValue = true }
        }
        return anyEdge && !anyEdgeValue
    }

    // MARK: executing nodes

    /// Runs node `n` now on this thread, or submits it to the pool.
    func execute(_ n: Int, onPool: Bool) {
        guard let unmanaged = graph.rows[n].instance else { return }
        guard steps < stepLimit || moreSteps(1) else {
            reachedMaxSteps(at: n)
            return
        }
        steps += 1
        let base = graph.slotBase(n)
        if !onPool {
            let t = quiet ? 0 : events.now()
            if !quiet { events.emit(.nodeStarted(time: t, node: n, id: graph.ids[n], thread: lane)) }
            // In parallel mode, time the call while the type is new, then one
            // call in `sampleMask + 1`.
            let measure = parallel
                && (steps & Self.sampleMask == 0 || Int(graph.rows[n].typeIndex) < 0 || typeSamples[Int(graph.rows[n].typeIndex)] < Self.costWindow)
            let t0 = measure ? MonotonicClock.now() : 0
            // The graph owns its instances for longer than any run: no
            // retain/release per call.
            let ok = unmanaged._withUnsafeGuaranteedRef { instance in
                instance.run(context: context, slots: nums + base, boxed: boxed + base)
            }
            let error = ok ? nil : callError(n)
            if measure { measured(n, MonotonicClock.now() - t0) }
            if let error {
                report(n, .failure(error), start: t, thread: lane)
                nodeFailed(n, error)
            } else {
                if !quiet {
                    let now = events.now()
                    events.emit(.nodeFinished(time: now, node: n, id: graph.ids[n], thread: lane, duration: now - t))
                }
                if graph.isSequential(n) {
                    // `ExecutionStrategy.finish`'s default, without the dynamic
                    // call, and the outputs straight from the call's frame.
                    deliverCallOutputs(of: n, portBase: Int(graph.rows[n].outPortBase), count: graph.outputCount(n))
                    completed(n)
                } else {
                    graph.strategy(n).finish(n, context.outputs, self)
                }
            }
            return
        }
        let instance = unmanaged.takeUnretainedValue()
        var inputs: [WeftValue?] = []
        inputs.reserveCapacity(graph.inputCount(n))
        for p in 0..<graph.inputCount(n) { inputs.append(value(base + p)) }
        inflight += 1
        let pool = workerPool()
        let blocking = instance.type.spec.flags.contains(.blocking)
        let frozen = inputs
        pool.submit(blocking: blocking) { [self] thread, ctx in
            let t = events.now()
            events.emit(.nodeStarted(time: t, node: n, id: graph.ids[n], thread: lane + thread))
            let t0 = MonotonicClock.now()
            let result = instance.run(inputs: frozen, context: ctx)
            let duration = MonotonicClock.now() - t0
            report(n, result, start: t, thread: lane + thread)
            completionLock.withLock {
                completions.append(Completion(node: n, result: result, duration: duration))
                completionLock.signal()
            }
        }
    }

    private func workerPool() -> WorkerPool {
        if let pool { return pool }
        let p = WorkerPool(computeThreads: options.workers, maxBlockingThreads: options.maxBlockingThreads)
        pool = p
        return p
    }

    // MARK: batches (parallel mode)

    /// Takes up to half of the ready nodes from the back of the queue —
    /// while they are plain nodes of types cheap enough to run inline — and
    /// runs them on a worker as one job.
    private func startBatch() {
        let want = min((readyTail - readyHead) / 2, Self.batchMax)
        guard steps + want <= stepLimit || moreSteps(want) else { return }
        // From the back of the queue, so filled from the end.
        let picked = UnsafeMutablePointer<Int32>.allocate(capacity: want)
        var count = 0
        pick: while count < want && readyTail > readyHead {
            let n = ready[(readyTail - 1) & readyMask]
            let row = graph.rows[Int(n)]
            guard row.flags & NodeRow.plain != 0, row.typeIndex >= 0, typeInline[Int(row.typeIndex)] else { break }
            let base = Int(row.slotBase)
            for p in 0..<Int(row.inputCount) where nums[base + p].kind == Self.dead { break pick }
            readyTail -= 1
            count += 1
            picked[want - count] = n
        }
        guard count > 0 else {
            picked.deallocate()
            return
        }
        if count < want { (picked).moveInitialize(from: picked + (want - count), count: count) }
        steps += count
        let batch = Batch(nodes: picked, count: count, rows: graph.rows)
        batchInFlight = true
        currentBatch = batch
        inflight += 1
        workerPool().submit(blocking: false) { [self] _, ctx in
            while let chunk = batch.claim() {
                runChunk(batch, chunk, ctx)
                chunkFinished(batch)
            }
        }
    }

    /// A chunk of `batch` is done (either thread); the last one posts the
    /// batch's completion. (The worker's writes to the batch before its
    /// `finished` add are seen by whoever finishes last, and by the
    /// scheduler thread through the completion lock.)
    private func chunkFinished(_ batch: Batch) {
        guard batch.finished.add(1, ordering: .acquiringAndReleasing).newValue == batch.chunks else { return }
        completionLock.withLock {
            completions.append(Completion(node: -1, result: nil, duration: 0, batch: batch))
            // Under the lock: whoever takes the batch from `completions`
            // also sees the flag set, and clears it after.
            batchDone.store(true, ordering: .releasing)
            completionLock.signal()
        }
    }

    /// On the scheduler thread, with nothing else to run: a chunk of the
    /// batch in flight, run and delivered here as `runPlain` would (its
    /// steps were counted when the batch was formed).
    private func helpWith(_ batch: Batch, _ chunk: Range<Int>) {
        batch.byScheduler[chunk.lowerBound / Batch.chunk] = true
        helpedChunks += 1
        for i in chunk {
            let n = Int(batch.nodes[i])
            let row = graph.rows[n]
            let base = Int(row.slotBase)
            let ok = row.instance.unsafelyUnwrapped._withUnsafeGuaranteedRef { instance in
                instance.run(context: context, slots: nums + base, boxed: boxed + base)
            }
            if ok {
                deliverCallOutputs(of: n, portBase: Int(row.outPortBase), count: Int(row.outputCount))
                if row.enclosingLoop >= 0 { completed(n) }
            } else {
                nodeFailed(n, callError(n))
                if failure != nil { break }
            }
        }
        chunkFinished(batch)
    }

    /// On a worker: runs a chunk of the batch's nodes through `ctx`. Each node's slots
    /// are its own while it waits in the batch (it is ready: nothing more
    /// is delivered to it), so they are lent to its call as on the
    /// scheduler thread.
    private func runChunk(_ batch: Batch, _ chunk: Range<Int>, _ ctx: CallContext) {
        for i in chunk {
            let n = Int(batch.nodes[i])
            let row = graph.rows[n]
            let base = Int(row.slotBase)
            guard let unmanaged = row.instance else { continue }
            let ok = unmanaged._withUnsafeGuaranteedRef { instance in
                instance.run(context: ctx, slots: nums + base, boxed: boxed + base)
            }
            guard ok else {
                // (Every failed call sets its context's error.)
                batch.errors.append((i, ctx.nodeError ?? NodeError(nodeId: graph.ids[n], type: graph.plan.nodes[n].type,
                                                                   message: "failed without a message (a host bug)")))
                continue
            }
            let outs = ctx.frame.pointee.outputs!
            let start = Int(batch.offsets[i])
            for p in 0..<Int(row.outputCount) {
                batch.outputs[start + p] = outs[p]
                if outs[p].kind == Self.boxedKind { batch.boxes[start + p] = ctx.boxedOutputs[p] }
            }
        }
    }

    /// On the scheduler thread: delivers a finished batch's outputs, in
    /// its nodes' order, as if each had run here.
    private func finishBatch(_ batch: Batch) {
        var failed = batch.errors.makeIterator()
        var nextFailure = failed.next()
        // The boxed values of one node's outputs, when it has any.
        var nodeBoxes: [WeftValue] = [.null]
        for i in 0..<batch.count {
            // Chunks the scheduler thread ran are delivered already.
            if batch.byScheduler[i / Batch.chunk] { continue }
            let n = Int(batch.nodes[i])
            if let f = nextFailure, f.0 == i {
                nextFailure = failed.next()
                nodeFailed(n, f.1)
                if failure != nil { return }
                continue
            }
            let row = graph.rows[n]
            let start = Int(batch.offsets[i])
            let count = Int(row.outputCount)
            if !batch.boxes.isEmpty && (0..<count).contains(where: { batch.outputs[start + $0].kind == Self.boxedKind }) {
                nodeBoxes = (0..<count).map { batch.boxes[start + $0] ?? .null }
            } else if nodeBoxes.count < count {
                nodeBoxes = Array(repeating: .null, count: count)  // (only read for boxed kinds)
            }
            nodeBoxes.withUnsafeMutableBufferPointer { boxes in
                deliverOutputs(portBase: Int(row.outPortBase), count: count, batch.outputs + start, boxes.baseAddress!)
            }
            if row.enclosingLoop >= 0 { completed(n) }
        }
    }

    private func report(_ n: Int, _ result: Result<NodeOutputs, NodeError>, start: UInt64, thread: Int) {
        guard !events.isEmpty else { return }
        let t = events.now()
        switch result {
        case .success:
            events.emit(.nodeFinished(time: t, node: n, id: graph.ids[n], thread: thread, duration: t - start))
        case .failure(let e):
            events.emit(.nodeFailed(time: t, node: n, id: graph.ids[n], thread: thread, message: e.message))
        }
    }

    private func handle(_ n: Int, _ result: Result<NodeOutputs, NodeError>) {
        switch result {
        case .success(let out): graph.strategy(n).finish(n, out.values, self)
        case .failure(let e): nodeFailed(n, e)
        }
    }

    /// A node's call failed: the run fails, or with `keepGoing` the node's
    /// outputs go dead and the rest of the graph goes on.
    private func nodeFailed(_ n: Int, _ error: NodeError) {
        guard options.keepGoing else {
            recordFailure(error.description, node: graph.ids[n])
            return
        }
        keptGoing.append((error.description, graph.ids[n]))
        for p in 0..<graph.outputCount(n) {
            graph.outEdges.forEach(graph.outPort(n, p)) { deliver(edge: $0, .dead) }
        }
        completed(n)
    }

    /// Fails the run because of node `n` (the message is prefixed with it).
    func fail(node n: Int, _ message: String) {
        if !events.isEmpty {
            events.emit(.nodeFailed(time: events.now(), node: n, id: graph.ids[n], thread: lane, message: message))
        }
        recordFailure("node '\(graph.ids[n])' (\(graph.plan.nodes[n].type)): \(message)", node: graph.ids[n])
    }

    private func recordFailure(_ message: String, node: String?) {
        if failure == nil {
            failure = (message, node)
            failedAfterCancel = cancellation.isCancelled
        }
    }

    // MARK: values along edges

    /// Delivers a node's outputs: fired ports carry their value, the others
    /// are dead. Graph outputs are recorded.
    func deliver(outputs values: [WeftValue?], of n: Int) {
        let base = Int(graph.rows[n].outPortBase)
        for p in 0..<graph.outputCount(n) {
            if let v = values[p] {
                graph.outEdges.forEach(base + p) { deliver(edge: $0, .value(v)) }
                graph.outputTaps.forEach(base + p) { outputs[$0] = v }
            } else {
                graph.outEdges.forEach(base + p) { deliver(edge: $0, .dead) }
            }
        }
    }

    /// The outputs of the call that just ended on `context` (node `n`),
    /// read from its frame: numbers go to the next slots as they are.
    @inline(__always)
    private func deliverCallOutputs(of n: Int, portBase base: Int, count: Int) {
        deliverOutputs(portBase: base, count: count, context.frame.pointee.outputs!, context.boxedOutputs)
    }

    /// Delivers `count` outputs (`outs[p]`, a boxed one's value at
    /// `boxes + p`; `taken` = fired) of the node whose first output port is
    /// `base`.
    @inline(__always)
    private func deliverOutputs(portBase base: Int, count: Int, _ outs: UnsafeMutablePointer<weft_shim_number_t>,
                                _ boxes: UnsafeMutablePointer<WeftValue>) {
        for p in 0..<count {
            let o = outs[p]
            if o.taken != 0 {
                graph.outEdges.forEach(base + p) { deliver(edge: $0, o, boxes + p) }
                graph.outputTaps.forEach(base + p) { outputs[$0] = Self.value(of: o, boxes + p) }
            } else {
                graph.outEdges.forEach(base + p) { deliver(edge: $0, Self.deadNumber, nil) }
            }
        }
    }

    func deliver(edge e: Int, _ value: Slot) {
        switch value {
        case .empty: deliver(edge: e, weft_shim_number_t(), nil)
        case .dead: deliver(edge: e, Self.deadNumber, nil)
        case .value(.int(let i)): deliver(edge: e, weft_shim_number_t(bits: i, kind: Self.int, taken: 0), nil)
        case .value(.double(let d)):
            deliver(edge: e, weft_shim_number_t(bits: Int64(bitPattern: d.bitPattern), kind: Self.double, taken: 0), nil)
        case .value(.bool(let b)): deliver(edge: e, weft_shim_number_t(bits: b ? 1 : 0, kind: Self.bool, taken: 0), nil)
        case .value(var v):
            withUnsafeMutablePointer(to: &v) { deliver(edge: e, weft_shim_number_t(bits: 0, kind: Self.boxedKind, taken: 0), $0) }
        }
    }

    /// Delivers `n` (its kind and bits; for a boxed kind the value at
    /// `box`) along edge `e`.
    @inline(__always)
    private func deliver(edge e: Int, _ n: weft_shim_number_t, _ box: UnsafeMutablePointer<WeftValue>?) {
        let edge = graph.edgeRows[e]
        let t = Int(edge.target)
        let s = Int(edge.slot)
        if tracksDelivery { delivered[e] = true }
        if edge.isBack {
            put(s, n, box)
            return
        }
        if edge.targetJoinsAny {
            pending[t] -= 1
            if Self.isValueKind(n.kind) {
                if !started[t] {
                    put(s, n, box)
                    started[t] = true
                    enqueue(t)
                }
            } else if nums[s].kind == Self.none {
                nums[s].kind = Self.dead  // (none is never boxed)
            }
            if pending[t] == 0 && !started[t] {
                started[t] = true
                skip(t)
            }
            return
        }
        put(s, n, box)
        pending[t] -= 1
        if pending[t] == 0 { enqueue(t) }
    }

    // MARK: slots

    // Constants as computed properties: a `static let` of a run-time value
    // is made behind a once-guard that the thread sanitizer cannot see.

    @inline(__always) static var none: Int32 { Int32(WEFT_SHIM_NONE) }
    @inline(__always) static var int: Int32 { Int32(WEFT_SHIM_INT) }
    @inline(__always) static var double: Int32 { Int32(WEFT_SHIM_DOUBLE) }
    @inline(__always) static var bool: Int32 { Int32(WEFT_SHIM_BOOL) }
    @inline(__always) static var boxedKind: Int32 { Int32(WEFT_SHIM_BOXED) }
    @inline(__always) static var dead: Int32 { Int32(WEFT_SHIM_DEAD) }
    @inline(__always) static var deadNumber: weft_shim_number_t { weft_shim_number_t(bits: 0, kind: dead, taken: 0) }

    @inline(__always)
    static func isValueKind(_ kind: Int32) -> Bool { kind >= int && kind <= boxedKind }

    /// Slot `s` holds a value (not empty, not dead).
    @inline(__always)
    func holdsValue(_ s: Int) -> Bool { Self.isValueKind(nums[s].kind) }

    @inline(__always)
    private func put(_ s: Int, _ n: weft_shim_number_t, _ box: UnsafeMutablePointer<WeftValue>?) {
        let old = nums[s].kind
        if n.kind == Self.boxedKind {
            if old == Self.boxedKind {
                boxed[s] = box!.pointee
            } else {
                (boxed + s).initialize(to: box!.pointee)
                boxedLive += 1
            }
        } else if old == Self.boxedKind {
            (boxed + s).deinitialize(count: 1)
            boxedLive -= 1
        }
        nums[s] = n
    }

    /// The value of a written output (or a slot holding a value).
    static func value(of n: weft_shim_number_t, _ box: UnsafeMutablePointer<WeftValue>) -> WeftValue {
        switch n.kind {
        case int: return .int(n.bits)
        case double: return .double(Double(bitPattern: UInt64(bitPattern: n.bits)))
        case bool: return .bool(n.bits != 0)
        case boxedKind: return box.pointee
        default: return .null
        }
    }

    /// The value in slot `s`, or nil (empty or dead).
    func value(_ s: Int) -> WeftValue? {
        let n = nums[s]
        switch n.kind {
        case Self.int: return .int(n.bits)
        case Self.double: return .double(Double(bitPattern: UInt64(bitPattern: n.bits)))
        case Self.bool: return .bool(n.bits != 0)
        case Self.boxedKind: return boxed[s]
        default: return nil
        }
    }

    func setSlot(_ s: Int, _ v: Slot) {
        switch v {
        case .empty: put(s, weft_shim_number_t(), nil)
        case .dead: put(s, Self.deadNumber, nil)
        case .value(.int(let i)): put(s, weft_shim_number_t(bits: i, kind: Self.int, taken: 0), nil)
        case .value(.double(let d)): put(s, weft_shim_number_t(bits: Int64(bitPattern: d.bitPattern), kind: Self.double, taken: 0), nil)
        case .value(.bool(let b)): put(s, weft_shim_number_t(bits: b ? 1 : 0, kind: Self.bool, taken: 0), nil)
        case .value(var x): withUnsafeMutablePointer(to: &x) { put(s, weft_shim_number_t(bits: 0, kind: Self.boxedKind, taken: 0), $0) }
        }
    }

    /// Node `n` is on a dead path: it does not run; its outputs are dead.
    func skip(_ n: Int) {
        if !events.isEmpty { events.emit(.nodeSkipped(time: events.now(), node: n, id: graph.ids[n])) }
        if graph.isLoop(n) {
            // A skipped loop never runs its body: only its done ports go dead.
            for p in graph.loopCarry[n]..<graph.outputCount(n) {
                graph.outEdges.forEach(graph.outPort(n, p)) { deliver(edge: $0, .dead) }
            }
        } else {
            for p in 0..<graph.outputCount(n) {
                graph.outEdges.forEach(graph.outPort(n, p)) { deliver(edge: $0, .dead) }
            }
        }
        completed(n)
    }

    /// Node `n` finished its activation (ran or skipped).
    @inline(__always)
    func completed(_ n: Int) {
        guard let l = graph.enclosingLoop(n), loopActive[l] else { return }
        loopOutstanding[l] -= 1
        if loopOutstanding[l] == 0 { loopsToCheck.append(l) }
    }

    // MARK: loops

    /// Loop `l`'s initial values have arrived: start its first iteration,
    /// or skip it when one of them is dead.
    func startLoop(_ l: Int) {
        guard graph.isLoop(l) else { return }
        let base = graph.slotBase(l)
        let cb = graph.carryBase[l]
        for v in 0..<graph.loopCarry[l] {
            guard holdsValue(base + v) else {
                skip(l)
                return
            }
        }
        for v in 0..<graph.loopCarry[l] {
            guard takeCarry(l, port: v, slot: base + v, carry: cb + v) else { return }
        }
        loopActive[l] = true
        loopIteration[l] = 0
        loopOutstanding[l] = 0
        loopStarted[l] = events.now()
        beginIteration(l)
    }

    /// Every direct member of loop `l`'s body finished this iteration: go
    /// round again or finish.
    func loopBodyFinished(_ l: Int) {
        guard loopActive[l], goesRound(l) else { return }
        beginIteration(l)
    }

    /// The end of a pass of loop `l`: with `continue` true the `next_*`
    /// values become current and this returns true (the next pass is due);
    /// otherwise the loop finishes (or the run fails) and this returns false.
    private func goesRound(_ l: Int) -> Bool {
        goesRound(l, slotBase: graph.slotBase(l), carry: graph.loopCarry[l], carryBase: graph.carryBase[l])
    }

    /// `goesRound(l)` with loop `l`'s first slot, carry count and first
    /// carry entry given (a compiled pass has them at hand).
    @inline(__always)
    private func goesRound(_ l: Int, slotBase base: Int, carry: Int, carryBase cb: Int) -> Bool {
        let go = nums[base + 2 * carry]
        guard go.kind == Self.bool && go.bits != 0 else {
            finishLoop(l)
            return false
        }
        for v in 0..<carry {
            guard holdsValue(base + carry + v) else {
                let name = graph.plan.nodes[l].spec.inputs[carry + v].name
                fail(node: l, "loop '\(graph.ids[l])': continue is true but '\(name)' got no value "
                         + "this iteration (its path was dead); connect it on every path that continues")
                return false
            }
            guard takeCarry(l, port: carry + v, slot: base + carry + v, carry: cb + v) else { return false }
        }
        loopIteration[l] += 1
        return true
    }

    /// Takes slot `s` (input `port` of loop `l`) as carry entry `c`, the
    /// way its variable's type takes it (as node inputs are taken): as it
    /// is, an int widened into a `double` variable, or refused — the run
    /// fails with `input 'next_i' must be int, got double`. False: refused.
    @inline(__always)
    private func takeCarry(_ l: Int, port: Int, slot s: Int, carry c: Int) -> Bool {
        let kind = nums[s].kind
        if graph.carryAccept[c] & (1 << UInt8(truncatingIfNeeded: kind)) != 0 {
            copySlot(s, toCarry: c)
            return true
        }
        let t = graph.carryTypes[c]
        if kind == Self.int && t == .double {
            if carryNums[c].kind == Self.boxedKind { carryBoxed[c] = .null }
            carryNums[c] = weft_shim_number_t(bits: Int64(bitPattern: Double(nums[s].bits).bitPattern), kind: Self.double, taken: 0)
            return true
        }
        if kind == Self.boxedKind && boxed[s].kind == t {
            copySlot(s, toCarry: c)
            return true
        }
        let name = graph.plan.nodes[l].spec.inputs[port].name
        fail(node: l, "input '\(name)' must be \(t), got \(value(s)?.kind.description ?? "no value")")
        return false
    }

    @inline(__always)
    private func copySlot(_ s: Int, toCarry c: Int) {
        let kind = nums[s].kind
        if kind == Self.boxedKind {
            carryBoxed[c] = boxed[s]
        } else if carryNums[c].kind == Self.boxedKind {
            carryBoxed[c] = .null
        }
        weft_shim_copy_number(carryNums + c, nums + s)
    }

    /// Starts iteration `loopIteration[l]` of loop `l`: as compiled passes
    /// when it can, else by re-arming its body for the ready queue.
    func beginIteration(_ l: Int) {
        guard loopActive[l], mayStartPass(l) else { return }
        if let program = compiledPass(l) {
            runCompiledPasses(l, program)
        } else {
            armPass(l)
        }
    }

    /// Whether loop `l` may make pass `loopIteration[l]` (`max_iterations`
    /// bounds how often it goes round; the first pass is iteration 0).
    /// Fails the run if not.
    @inline(__always)
    private func mayStartPass(_ l: Int) -> Bool {
        let iteration = loopIteration[l]
        let maxIterations = graph.loopMaxIterations[l]
        if iteration > maxIterations {
            fail(node: l, "loop '\(graph.ids[l])' reached max_iterations (\(maxIterations)) and was still continuing; "
                     + "raise \"max_iterations\" on the node, or check its continue condition")
            return false
        }
        if !events.isEmpty {
            events.emit(.loopIteration(time: events.now(), node: l, id: graph.ids[l], iteration: iteration))
        }
        return true
    }

    /// Re-arms loop `l`'s body for a pass through the ready queue.
    private func armPass(_ l: Int) {
        graph.loopReset.forEach(l) { e in
            delivered[e] = false
            put(graph.edgeSlot(e), weft_shim_number_t(), nil)
        }
        graph.loopBody.forEach(l) { n in
            var waiting = 0
            graph.inEdges.forEach(n) { if !delivered[$0] { waiting += 1 } }
            pending[n] = Int32(waiting)
            started[n] = false
            loopActive[n] = false
        }
        let direct = graph.loopDirectMembers[l]
        loopOutstanding[l] = direct
        // Body nodes whose inputs all come from outside the loop are ready now.
        graph.loopBody.forEach(l) { n in
            guard pending[n] == 0 && !graph.inEdges.isEmpty(n) else { return }
            if graph.joinsAny(n) {
                started[n] = true
                if graph.inEdges.contains(n, where: { holdsValue(graph.edgeSlot($0)) }) {
                    enqueue(n)
                } else {
                    skip(n)
                }
            } else {
                enqueue(n)
            }
        }
        // Current values into the body, as they are.
        let cb = graph.carryBase[l]
        for v in 0..<graph.loopCarry[l] {
            let n = carryNums[cb + v]
            graph.outEdges.forEach(graph.outPort(l, v)) { deliver(edge: $0, n, carryBoxed + cb + v) }
        }
        if direct == 0 { loopsToCheck.append(l) }
    }

    // MARK: compiled passes

    /// Loop `l`'s compiled body, if its next pass can run compiled:
    /// nothing observes the run, nothing else is waiting (so the queue
    /// would run the pass alone, in the same order), the edges from outside
    /// the body have delivered, and in parallel mode every body node is
    /// cheap enough to run on this thread and too few to make a batch.
    private func compiledPass(_ l: Int) -> PassProgram? {
        guard direct, let program = graph.passPrograms[l], readyHead == readyTail, loopsToCheck.isEmpty,
              !program.external.contains(where: { !delivered[$0] }) else { return nil }
        guard !parallel || (!batchInFlight && program.stepCount < batchThreshold && allInline(program)) else { return nil }
        return program
    }

    private func allInline(_ program: PassProgram) -> Bool {
        for i in 0..<program.stepCount where !typeInline[Int(program.steps[i].type_index)] { return false }
        return true
    }

    /// Runs passes of loop `l` through its compiled body: the current
    /// values go straight into the slots that read them, each body node
    /// runs in the program's order (or is skipped on a dead path) and
    /// writes its outputs into the slots of its readers — the calls, values
    /// and order the ready queue would give, without its counters. Nothing
    /// else can become ready meanwhile, so the conditions `compiledPass`
    /// checked hold for every pass (but for parallel mode's measurements).
    /// In sequential mode whole passes run in C (`weft_shim_run_passes`,
    /// up to 64 at a time) until something needs this side: a step it
    /// leaves (finished here, then C goes on), a pass end that is not a
    /// plain go-round (`goesRound`), a boxed current value (the pass runs
    /// here). In parallel mode each step runs here, timed now and then.
    /// Returns when the loop finishes, the run fails or is cancelled, or a
    /// pass must go through the queue (it is then armed). Internal edges'
    /// `delivered` flags are not kept: only `armPass` reads them, after
    /// resetting them.
    private func runCompiledPasses(_ l: Int, _ program: PassProgram) {
        let cb = graph.carryBase[l]
        let base = graph.slotBase(l)
        let carry = graph.loopCarry[l]
        let maxIterations = graph.loopMaxIterations[l]
        let writes = program.writes
        context.reserveOutputs(program.maxOutputs)
        var pass = weft_shim_pass_t(
            steps: program.steps, writes: program.writes, carry: carryNums + cb, step_count: Int32(program.stepCount),
            carry_writes: Int32(program.carryWrites), carry_count: Int32(carry),
            continue_slot: Int32(base + 2 * carry), next_slot: Int32(base + carry), carry_accept: graph.carryAccept + cb)
        /// After a pass: go round (true) or not; `max_iterations` checked.
        func wentRound() -> Bool {
            guard goesRound(l, slotBase: base, carry: carry, carryBase: cb) else { return false }
            // `mayStartPass` without its event: nothing observes this run.
            if loopIteration[l] > maxIterations {
                _ = mayStartPass(l)  // fails the run, naming max_iterations
                return false
            }
            return true
        }
        while true {
            // Checked after every return from C (at most 64 passes) and
            // every pass run here.
            if cancellation.isCancelled { return }
            if !parallel {
                // Whole passes in C while they are plain; up to 64 at a
                // time (then the cancel check), never past max_iterations.
                let allowed = min(64, maxIterations + 1 - loopIteration[l])
                var rounds: Int32 = 0
                var at: Int32 = 0
                var status: Int32 = 0
                let how = cSteps { budget in
                    weft_shim_run_passes(context.frame, &pass, Int32(allowed), nums, boxedBase,
                                         MemoryLayout<WeftValue>.stride, budget, &rounds, &at, &status)
                }
                compiledPasses += Int(rounds)
                loopIteration[l] += Int(rounds)
                switch Int(how) {
                case WEFT_SHIM_PASSES_AGAIN:
                    if loopIteration[l] > maxIterations {
                        _ = mayStartPass(l)
                        return
                    }
                    continue
                case WEFT_SHIM_PASSES_END:
                    compiledPasses += 1
                    guard wentRound() else { return }
                    continue
                case WEFT_SHIM_PASSES_CARRY:
                    break  // this pass below
                default:
                    // A pass stopped at a step that needs this side.
                    compiledPasses += 1
                    guard finishSteps(program, how, Int(at), status), wentRound() else { return }
                    continue
                }
            }
            for w in 0..<program.carryWrites {
                let c = cb + Int(writes[w].port)
                put(Int(writes[w].slot), carryNums[c], carryBoxed + c)
            }
            compiledPasses += 1
            if parallel {
                // Each call timed now and then, as `runPlain` does.
                var start = program.carryWrites
                for i in 0..<program.stepCount {
                    let step = program.steps[i]
                    guard runStep(step, writes, start) else { return }
                    start = Int(step.writes_end)
                }
            } else {
                var at: Int32 = 0
                var status: Int32 = 0
                let how = cSteps { budget in
                    weft_shim_run_steps(context.frame, program.steps, 0, Int32(program.stepCount), program.writes,
                                        Int32(program.carryWrites), nums, boxedBase, MemoryLayout<WeftValue>.stride,
                                        budget, &at, &status)
                }
                guard finishSteps(program, how, Int(at), status) else { return }
            }
            guard wentRound() else { return }
            if parallel && !allInline(program) {
                armPass(l)
                return
            }
        }
    }

    /// The run's boxed values as the C passes see them (bytes).
    private var boxedBase: UnsafeMutablePointer<CChar> { UnsafeMutableRawPointer(boxed).assumingMemoryBound(to: CChar.self) }

    /// Calls C pass code with a budget of node calls (what `max_steps`
    /// leaves) and counts the calls it made.
    @inline(__always)
    private func cSteps(_ body: (UnsafeMutablePointer<Int64>) -> Int32) -> Int32 {
        var budget = Int64(stepLimit - steps)
        let before = budget
        let how = body(&budget)
        steps += Int(before - budget)
        return how
    }

    /// Finishes a pass whose C steps stopped with `how` at step `at`: that
    /// step here (run, or finished after its call in C), then C from the
    /// next step on, and so on. False: the run failed.
    private func finishSteps(_ program: PassProgram, _ how: Int32, _ at: Int, _ status: Int32) -> Bool {
        var how = how
        var i = at
        var status = status
        while Int(how) != WEFT_SHIM_STEPS_DONE {
            let step = program.steps[i]
            let start = i == 0 ? program.carryWrites : Int(program.steps[i - 1].writes_end)
            if Int(how) == WEFT_SHIM_STEPS_BEFORE_CALL {
                guard runStep(step, program.writes, start) else { return false }
            } else {
                // Called in C: what the end of `NodeInstance.run` and of
                // `runStep` would have done.
                context.ended()
                let ok = Unmanaged<NodeInstance>.fromOpaque(step.instance)._withUnsafeGuaranteedRef {
                    $0.finishCall(context, status: status)
                }
                guard stepCalled(step, ok, program.writes, start) else { return false }
            }
            var next: Int32 = 0
            how = cSteps { budget in
                weft_shim_run_steps(context.frame, program.steps, Int32(i + 1), Int32(program.stepCount), program.writes,
                                    step.writes_end, nums, boxedBase, MemoryLayout<WeftValue>.stride, budget, &next, &status)
            }
            i = Int(next)
        }
        return true
    }

    /// Runs (or skips) one step of a compiled pass: `writes[start ..<
    /// step.writes_end]` say where its outputs go. False: the run failed
    /// (or reached `max_steps`).
    @inline(__always)
    private func runStep(_ step: weft_shim_step_t, _ writes: UnsafeMutablePointer<weft_shim_write_t>, _ start: Int) -> Bool {
        let n = Int(step.node)
        let base = Int(step.slot_base)
        for p in 0..<Int(step.input_count) where nums[base + p].kind == Self.dead {
            if onDeadPath(n) {
                for w in start..<Int(step.writes_end) { put(Int(writes[w].slot), Self.deadNumber, nil) }
                return true
            }
            break
        }
        guard steps < stepLimit || moreSteps(1) else {
            reachedMaxSteps(at: n)
            return false
        }
        let ok = call(n, Unmanaged<NodeInstance>.fromOpaque(step.instance), base, Int(step.type_index))
        return stepCalled(step, ok, writes, start)
    }

    /// After a step's call (`ok`: it succeeded): its outputs into the
    /// slots that read them, or on failure the run fails — or with
    /// keep-going its outputs are dead. False: the run failed.
    @inline(__always)
    private func stepCalled(_ step: weft_shim_step_t, _ ok: Bool, _ writes: UnsafeMutablePointer<weft_shim_write_t>,
                            _ start: Int) -> Bool {
        let end = Int(step.writes_end)
        guard ok else {
            let n = Int(step.node)
            let error = callError(n)
            guard options.keepGoing else {
                nodeFailed(n, error)
                return false
            }
            keptGoing.append((error.description, graph.ids[n]))
            for w in start..<end { put(Int(writes[w].slot), Self.deadNumber, nil) }
            return true
        }
        let outs = context.frame.pointee.outputs!
        let boxes = context.boxedOutputs
        for w in start..<end {
            let p = Int(writes[w].port)
            put(Int(writes[w].slot), outs[p].taken != 0 ? outs[p] : Self.deadNumber, boxes + p)
        }
        return true
    }

    /// Loop `l` is done: its current values leave through `done_*`, and
    /// `done` fires.
    func finishLoop(_ l: Int) {
        guard loopActive[l] else { return }
        let carry = graph.loopCarry[l]
        let cb = graph.carryBase[l]
        for p in carry..<graph.outputCount(l) {
            let key = graph.outPort(l, p)
            if p < 2 * carry {
                let c = cb + p - carry
                let n = carryNums[c]
                graph.outEdges.forEach(key) { deliver(edge: $0, n, carryBoxed + c) }
                graph.outputTaps.forEach(key) { outputs[$0] = carryValue(c) }
            } else if p == 2 * carry {
                graph.outEdges.forEach(key) { deliver(edge: $0, .value(.null)) }
                graph.outputTaps.forEach(key) { outputs[$0] = .null }
            } else {
                graph.outEdges.forEach(key) { deliver(edge: $0, .dead) }
            }
        }
        if !events.isEmpty {
            let now = events.now()
            events.emit(.nodeFinished(time: now, node: l, id: graph.ids[l], thread: lane, duration: now - loopStarted[l]))
        }
        completed(l)
    }

    private func carryValue(_ c: Int) -> WeftValue {
        let n = carryNums[c]
        switch n.kind {
        case Self.int: return .int(n.bits)
        case Self.double: return .double(Double(bitPattern: UInt64(bitPattern: n.bits)))
        case Self.bool: return .bool(n.bits != 0)
        default: return carryBoxed[c]
        }
    }
}
