import CWeftShims
import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import WeftCore
import WeftNative

// Parallel mode: cheap plain nodes run in batches on a worker while the
// scheduler thread runs others.
extension RunState {
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
        /// An observed run: per node, when the worker ran it (times spread
        /// over its chunk) and on which thread.
        let records: UnsafeMutablePointer<Call>?
        struct Call {
            var start: UInt64 = 0
            var time: UInt64 = 0
            var thread: Int16 = 0
        }

        /// Takes `nodes` (allocated for `count`); `offsets` and `outputs`
        /// are made from the nodes' output counts.
        init(nodes: UnsafeMutablePointer<Int32>, count: Int, rows: UnsafeMutablePointer<NodeRow>, observed: Bool) {
            if observed {
                let r = UnsafeMutablePointer<Call>.allocate(capacity: max(count, 1))
                r.initialize(repeating: Call(), count: max(count, 1))
                records = r
            } else {
                records = nil
            }
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
            records?.deallocate()
        }
    }

    // MARK: batches (parallel mode)

    /// Takes up to half of the ready nodes from the back of the queue —
    /// while they are plain nodes of types cheap enough to run inline — and
    /// runs them on a worker as one job.
    func startBatch() {
        let want = min((readyTail - readyHead) / 2, batchMax)
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
        let batch = Batch(nodes: picked, count: count, rows: graph.rows, observed: observing)
        batchInFlight = true
        currentBatch = batch
        inflight += 1
        let waitForScheduler = options.schedulerClaimsFirst
        workerPool().submit(blocking: false) { [self] thread, ctx in
            // (Tests only: the scheduler thread claims the first chunk —
            // or 5 s pass, so a scheduler that never helps fails, not hangs.)
            if waitForScheduler {
                let until = DispatchTime.now().uptimeNanoseconds + 5_000_000_000
                while batch.next.load(ordering: .relaxed) == 0 && DispatchTime.now().uptimeNanoseconds < until { sched_yield() }
            }
            while let chunk = batch.claim() {
                runChunk(batch, chunk, ctx, thread: thread)
                chunkFinished(batch)
            }
        }
    }

    /// A chunk of `batch` is done (either thread); the last one posts the
    /// batch's completion. (The worker's writes to the batch before its
    /// `finished` add are seen by whoever finishes last, and by the
    /// scheduler thread through the completion lock.)
    func chunkFinished(_ batch: Batch) {
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
    func helpWith(_ batch: Batch, _ chunk: Range<Int>) {
        batch.byScheduler[chunk.lowerBound / Batch.chunk] = true
        helpedChunks += 1
        for i in chunk {
            let n = Int(batch.nodes[i])
            let row = graph.rows[n]
            called(n, call(n, row.instance.unsafelyUnwrapped, Int(row.slotBase), Int(row.typeIndex)),
                   portBase: Int(row.outPortBase), outputs: Int(row.outputCount), enclosingLoop: row.enclosingLoop)
            if failure != nil { break }
        }
        chunkFinished(batch)
    }

    /// On a worker: runs a chunk of the batch's nodes through `ctx`. Each node's slots
    /// are its own while it waits in the batch (it is ready: nothing more
    /// is delivered to it), so they are lent to its call as on the
    /// scheduler thread.
    func runChunk(_ batch: Batch, _ chunk: Range<Int>, _ ctx: CallContext, thread: Int) {
        let t0 = batch.records == nil ? 0 : events.now()
        defer { if let records = batch.records { spread(records, chunk, from: t0, to: events.now(), thread: lane + thread) } }
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
    func finishBatch(_ batch: Batch) {
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
                if let r = batch.records?[i] {
                    record { $0.timed(.started, node: n, time: r.start, thread: r.thread) }
                }
                nodeFailed(n, f.1)
                if failure != nil { return }
                continue
            }
            let row = graph.rows[n]
            if let r = batch.records?[i] {
                record { $0.timed(.ranAt, node: n, start: r.start, time: r.time, thread: r.thread) }
            }
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

    /// A chunk's calls: the chunk's time spread evenly over them.
    private func spread(_ records: UnsafeMutablePointer<Batch.Call>, _ chunk: Range<Int>, from t0: UInt64, to t1: UInt64,
                        thread: Int) {
        var previous = t0
        for (j, i) in chunk.enumerated() {
            let t = t0 &+ (t1 &- t0) * UInt64(j + 1) / UInt64(chunk.count)
            records[i].start = previous
            records[i].time = t
            records[i].thread = Int16(truncatingIfNeeded: thread)
            previous = t
        }
    }
}
