import CWeftShims
import Synchronization
import WeftCore
import WeftNative

/// One run of a mapped node over its items: their inputs, and their
/// results as the calls make them. Items are claimed one at a time from
/// `next`; each item's results are written by the one thread that called
/// it, and read on the scheduler thread once every lane is done.
final class MapRun: @unchecked Sendable {
    let node: Int
    let map: PlanMap
    /// Items in all (the mapped lists' length).
    let count: Int
    /// The mapped ports' lists (`map.ports` order), kept alive for
    /// `items`.
    let lists: [[WeftValue]]
    /// Where each list's items are (read per item without retaining the
    /// list).
    let items: [UnsafePointer<WeftValue>]
    /// Per input port: the slot contents of the node's other inputs (and
    /// a boxed one's value), written once into each lane's slots.
    let fixed: [(number: weft_shim_number_t, box: WeftValue)]
    /// Per input port: the index of its list, or -1 (not mapped).
    let mapped: [Int]
    /// Item `i`'s output `q` (null: did not fire) at `q * count + i`: each
    /// output's values in item order, moved into its list at the end.
    let outputs: UnsafeMutablePointer<WeftValue>
    /// Set once the outputs moved into their lists (nothing left to free).
    var outputsMoved = false
    /// How many items failed (their errors are their lanes').
    let failed = Atomic<Int>(0)
    /// The lanes, made here, each used by one thread.
    private(set) var lanes: [Lane] = []
    let next = Atomic<Int>(0)
    let lanesLeft: Atomic<Int>
    /// Set when an item failed and the node fails with it (`fail`): the
    /// lanes take no more items.
    let stopped = Atomic<Bool>(false)
    /// When the map started (run-relative ns, for its events).
    let start: UInt64

    init(node: Int, map: PlanMap, lists: [[WeftValue]], fixed: [(number: weft_shim_number_t, box: WeftValue)],
         lanes: Int, start: UInt64) {
        self.node = node
        self.map = map
        self.lists = lists
        self.fixed = fixed
        count = lists.first?.count ?? 0
        items = lists.map { list in list.withUnsafeBufferPointer { $0.baseAddress ?? UnsafePointer(bitPattern: 8)! } }
        var mapped = [Int](repeating: -1, count: fixed.count)
        for (k, p) in map.ports.enumerated() { mapped[p] = k }
        self.mapped = mapped
        outputs = .allocate(capacity: max(count * map.itemOutputs, 1))
        outputs.initialize(repeating: .null, count: max(count * map.itemOutputs, 1))
        lanesLeft = Atomic(lanes)
        self.start = start
        self.lanes = (0..<lanes).map { _ in Lane(self) }
    }

    deinit {
        if !outputsMoved { outputs.deinitialize(count: max(count * map.itemOutputs, 1)) }
        outputs.deallocate()
    }

    /// Every failed item and its error, in item order.
    func errors() -> [(item: Int, error: NodeError)] {
        lanes.flatMap(\.errors).sorted { $0.item < $1.item }
    }

    /// One lane's input slots (the fixed inputs written once) and the
    /// items that failed on it.
    final class Lane: @unchecked Sendable {
        let slots: UnsafeMutablePointer<weft_shim_number_t>
        let boxed: UnsafeMutablePointer<WeftValue>
        let inputs: Int
        var errors: [(item: Int, error: NodeError)] = []

        init(_ run: MapRun) {
            inputs = run.fixed.count
            slots = .allocate(capacity: max(inputs, 1))
            boxed = .allocate(capacity: max(inputs, 1))
            for p in 0..<inputs {
                (slots + p).initialize(to: run.fixed[p].number)
                (boxed + p).initialize(to: run.fixed[p].box)
            }
        }

        deinit {
            slots.deallocate()
            boxed.deinitialize(count: max(inputs, 1)).deallocate()
        }
    }

    /// Calls item `i` with `instance` through `ctx` on `lane`'s slots: the
    /// same call every node makes (`NodeInstance.run`, slots lent), then
    /// its outputs (or its failure) kept. False: it failed.
    @discardableResult
    func call(_ i: Int, _ instance: NodeInstance, _ ctx: CallContext, _ lane: Lane) -> Bool {
        load(i, into: lane)
        guard instance.run(context: ctx, slots: lane.slots, boxed: lane.boxed) else {
            failed(i, on: lane, ctx.nodeError ?? NodeError(nodeId: instance.nodeId, type: instance.type.fullName,
                                                           message: "failed without a message (a host bug)"))
            return false
        }
        kept(i, ctx.frame.pointee.outputs!, ctx.boxedOutputs)
        return true
    }

    /// Item `i`'s mapped inputs into `lane`'s slots.
    func load(_ i: Int, into lane: Lane) {
        for (k, p) in map.ports.enumerated() {
            let v = items[k][i]
            let n = weft_shim_number_t(v)
            lane.slots[p] = n
            if n.isBoxed { lane.boxed[p] = v }
        }
    }

    /// Item `i` succeeded with the outputs at `outs` (a boxed one's value
    /// at `boxes + q`).
    func kept(_ i: Int, _ outs: UnsafeMutablePointer<weft_shim_number_t>, _ boxes: UnsafeMutablePointer<WeftValue>) {
        for q in 0..<map.itemOutputs where outs[q].taken != 0 {
            outputs[q &* count &+ i] = RunState.value(of: outs[q], boxes + q)
        }
    }

    /// Item `i` failed (on `lane`, whose thread records it).
    func failed(_ i: Int, on lane: Lane, _ error: NodeError) {
        lane.errors.append((i, error))
        failed.add(1, ordering: .relaxed)
    }
}

// Mapped nodes (`"map"`): the node runs once per item of its mapped input
// lists, one item after another on this thread (`concurrency` 1), or on
// `concurrency` lanes of the worker pool; its outputs are the items'
// values as lists, in item order.
extension RunState {
    /// Starts mapped node `n` (its inputs have arrived). With one lane the
    /// items run here and the node completes at once; with more, on the
    /// pool, and the node completes when the last lane reports.
    func runMap(_ n: Int, _ map: PlanMap) {
        let row = graph.rows[n]
        let base = Int(row.slotBase)
        let inputs = Int(row.inputCount)
        // The lists, checked; the other inputs as they are.
        var lists: [[WeftValue]] = []
        for p in map.ports {
            guard case .list(let items)? = value(base + p) else {
                let got = value(base + p).map { "\($0.kind)" } ?? "no value"
                nodeFailed(n, nodeError(n, "mapped input '\(graph.plan.nodes[n].inputPorts[p].name)' must be a list, got \(got)"))
                return
            }
            lists.append(items)
        }
        if let first = lists.first, lists.contains(where: { $0.count != first.count }) {
            let lengths = zip(map.ports, lists).map { "'\(graph.plan.nodes[n].inputPorts[$0.0].name)' has \($0.1.count)" }
            nodeFailed(n, nodeError(n, "its mapped inputs must be lists of one length (zipped item by item): "
                                       + lengths.joined(separator: ", ")))
            return
        }
        var fixed: [(number: weft_shim_number_t, box: WeftValue)] = []
        for p in 0..<inputs {
            let number = nums[base + p]
            fixed.append((number, number.isBoxed ? boxed[base + p] : .null))
        }
        let count = lists.first?.count ?? 0
        let lanes = max(1, min(map.concurrency, count))
        let run = MapRun(node: n, map: map, lists: lists, fixed: fixed, lanes: lanes, start: events.now())
        if observing { record { $0.timed(.started, node: n, time: run.start) } }
        guard let unmanaged = row.instance else { return }
        if graph.hasAsync && graph.isAsync[n] {
            runAsyncMap(n, run, unmanaged)
            return
        }
        if lanes == 1 {
            // One after another, here, each item a step.
            let lane = run.lanes[0]
            let instance = unmanaged.takeUnretainedValue()
            for i in 0..<count {
                guard !cancellation.isCancelled else { return }
                guard steps < stepLimit || moreSteps(1) else {
                    reachedMaxSteps(at: n)
                    return
                }
                steps += 1
                if !run.call(i, instance, context, lane) && map.onItemError == .fail { break }
            }
            finishMap(run)
            return
        }
        // Lanes on the pool; every item a step, counted now.
        guard steps + count <= stepLimit || moreSteps(steps + count - stepLimit) else {
            reachedMaxSteps(at: n)
            return
        }
        steps += count
        inflight += 1
        let pool = workerPool()
        let blocking = row.flags & NodeRow.blocking != 0
        log?.flush(urgent: true)
        for l in 0..<lanes {
            let instance = l == 0 ? unmanaged.takeUnretainedValue() : graph.mapInstance(n, lane: l)
            let lane = run.lanes[l]
            pool.submit(blocking: blocking) { [self] _, ctx in
                while !cancellation.isCancelled && !run.stopped.load(ordering: .relaxed) {
                    let i = run.next.add(1, ordering: .relaxed).oldValue
                    guard i < run.count else { break }
                    if !run.call(i, instance, ctx, lane) && map.onItemError == .fail {
                        run.stopped.store(true, ordering: .relaxed)
                    }
                }
                if run.lanesLeft.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 {
                    completionLock.withLock {
                        completions.append(Completion(node: n, result: nil, duration: 0, map: run))
                        completionLock.signal()
                    }
                }
            }
        }
    }

    /// Mapped node `n`'s items are done: its outputs delivered as lists —
    /// or, with `fail`, the node fails with its first failed item's error.
    func finishMap(_ run: MapRun) {
        let n = run.node
        let map = run.map
        let io = map.itemOutputs
        let count = run.count
        var values: [WeftValue?] = []
        if run.failed.load(ordering: .acquiring) == 0 {
            // Every item ran: each output's values move into its list.
            // (No items: empty lists, not a zero capacity, which writes the
            // standard library's shared empty storage: see ChunkedList.take.)
            for q in 0..<io {
                values.append(.list(count == 0 ? [] : [WeftValue](unsafeUninitializedCapacity: count) { buffer, made in
                    buffer.baseAddress!.moveInitialize(from: run.outputs + q * count, count: count)
                    made = count
                }))
            }
            run.outputsMoved = true
            if map.onItemError == .collect { values.append(.list([WeftValue](repeating: .null, count: count))) }
        } else {
            var lists = [[WeftValue]](repeating: [], count: io)
            for q in 0..<io { lists[q].reserveCapacity(count) }
            var errors: [WeftValue] = []
            var failures = run.errors().makeIterator()
            var nextFailure = failures.next()
            for i in 0..<count {
                if let f = nextFailure, f.item == i {
                    nextFailure = failures.next()
                    let e = f.error
                    switch map.onItemError {
                    case .fail:
                        if observing { record { $0.timed(.finished, node: n, start: run.start, time: events.now()) } }
                        nodeFailed(n, nodeError(n, "item \(i): \(e.message)"))
                        return
                    case .skip:
                        log?.event(.itemFailed(time: events.now(), node: n, id: graph.ids[n], item: i, message: e.message))
                        continue
                    case .collect:
                        log?.event(.itemFailed(time: events.now(), node: n, id: graph.ids[n], item: i, message: e.message))
                        for q in 0..<io { lists[q].append(.null) }
                        errors.append(["item": .int(Int64(i)), "message": .string(e.message)])
                        continue
                    }
                }
                for q in 0..<io { lists[q].append(run.outputs[q * count + i]) }
                if map.onItemError == .collect { errors.append(.null) }
            }
            values = lists.map { .list($0) }
            if map.onItemError == .collect { values.append(.list(errors)) }
        }
        if observing { record { $0.timed(.finished, node: n, start: run.start, time: events.now()) } }
        // (A routed `error` output, after them, is dead.)
        while values.count < graph.outputCount(n) { values.append(nil) }
        deliver(outputs: values, of: n)
        completed(n)
    }

    /// A failure of node `n` the host reports (not its call's).
    func nodeError(_ n: Int, _ message: String) -> NodeError {
        NodeError(nodeId: graph.ids[n], type: graph.plan.nodes[n].type, message: message)
    }
}
