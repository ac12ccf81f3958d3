import CWeftShims
import WeftCore
import WeftNative

/// A mapped async node's run (an async batch): its items are called on the
/// scheduler thread, each lane (an instance of its own) with at most one
/// item pending; when a lane's item ends, the lane takes the next. So
/// `concurrency` items wait at once and no thread waits for any of them.
final class AsyncMap: @unchecked Sendable {
    let run: MapRun
    let instances: [NodeInstance]
    /// Where this map's deferred items end (keyed by item).
    var sink: AsyncSink?
    // The rest on the scheduler thread only.
    var next = 0
    var pending = 0
    var laneOf: [Int: Int] = [:]
    /// An item failed and the node fails with it, or a limit was hit.
    var stopped = false
    var finished = false

    init(run: MapRun, instances: [NodeInstance]) {
        self.run = run
        self.instances = instances
    }
}

extension RunState {
    /// Starts mapped async node `n` over `run`'s items.
    func runAsyncMap(_ n: Int, _ run: MapRun, _ unmanaged: Unmanaged<NodeInstance>) {
        let lanes = run.lanes.count
        let map = AsyncMap(run: run, instances: (0..<lanes).map { $0 == 0 ? unmanaged.takeUnretainedValue() : graph.mapInstance(n, lane: $0) })
        let sink = AsyncSink { [completionLock, weak self, weak map] item, end in
            guard let self, let map else { return }
            completionLock.withLock {
                completions.append(Completion(node: n, result: Self.result(of: end), duration: 0, asyncItem: (map, item)))
                completionLock.signal()
            }
        }
        map.sink = sink
        asyncMaps.append(map)
        for l in 0..<lanes { startItems(map, lane: l) }
        mapProgress(map)
    }

    /// Calls items on lane `l` until one is pending (or none is left).
    private func startItems(_ map: AsyncMap, lane l: Int) {
        let run = map.run
        let n = run.node
        let lane = run.lanes[l]
        while !map.stopped && map.next < run.count && failure == nil && !cancellation.isCancelled {
            guard steps < stepLimit || moreSteps(1) else {
                reachedMaxSteps(at: n)
                map.stopped = true
                return
            }
            steps += 1
            let i = map.next
            map.next += 1
            run.load(i, into: lane)
            let saved = context.asyncSink
            context.asyncSink = map.sink
            let ok = map.instances[l].run(context: context, slots: lane.slots, boxed: lane.boxed)
            context.asyncSink = saved
            if context.pending, let call = context.deferred {
                context.pending = false
                context.deferred = nil
                inflight += 1
                map.pending += 1
                map.laneOf[i] = l
                map.sink?.arm(call, node: i)
                return
            }
            if let call = context.deferred {
                // Deferred, yet `run` returned WEFT_OK: the call is forgotten.
                call.abandon()
                context.deferred = nil
                run.failed(i, on: lane, nodeError(n, "called defer_call but returned WEFT_OK; return WEFT_PENDING after defer_call (a plugin bug)"))
            } else if ok {
                run.kept(i, context.frame.pointee.outputs!, context.boxedOutputs)
                continue
            } else {
                run.failed(i, on: lane, callError(n))
            }
            if run.map.onItemError == .fail { map.stopped = true }
        }
    }

    /// Item `item` of `map` ended (on this thread, from the completions).
    func asyncItemEnded(_ map: AsyncMap, _ item: Int, _ result: Result<CallOutputs, NodeError>) {
        map.pending -= 1
        let l = map.laneOf.removeValue(forKey: item) ?? 0
        switch result {
        case .success(var out):
            out.numbers.withUnsafeMutableBufferPointer { numbers in
                out.boxes.withUnsafeMutableBufferPointer { boxes in map.run.kept(item, numbers.baseAddress!, boxes.baseAddress!) }
            }
        case .failure(let e):
            map.run.failed(item, on: map.run.lanes[l], e)
            if map.run.map.onItemError == .fail { map.stopped = true }
        }
        startItems(map, lane: l)
        mapProgress(map)
    }

    /// Every item ended (or the map stopped and none is pending): the
    /// node's outputs, as `finishMap` makes them.
    private func mapProgress(_ map: AsyncMap) {
        guard !map.finished, map.pending == 0, map.stopped || map.next >= map.run.count, failure == nil else { return }
        map.finished = true
        asyncMaps.removeAll { $0 === map }
        finishMap(map.run)
    }
}
