import CWeftShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import WeftCore
import WeftNative

// Making a node's call: straight from the run loop (`runPlain`), the
// general path (`process`, `execute`, inline or on the pool), the step
// limit, failures.
extension RunState {
    /// The common node, called straight from the run loop: sequential,
    /// join all, on this thread (in parallel mode: a type cheap enough to
    /// run inline). What `process` and `execute` would do, without their
    /// checks for other kinds of node; a node with a dead input, or one
    /// that would pass `max_steps`, goes the general way.
    @inline(__always)
    func runPlain(_ n: Int, _ row: NodeRow) {
        let base = Int(row.slotBase)
        for p in 0..<Int(row.inputCount) where nums[base + p].kind == Self.dead {
            process(n)
            return
        }
        guard steps < stepLimit || moreSteps(1), row.instance != nil else {
            process(n)
            return
        }
        steps += 1
        let ok = call(n, row.instance.unsafelyUnwrapped, base, Int(row.typeIndex))
        called(n, ok, portBase: Int(row.outPortBase), outputs: Int(row.outputCount), enclosingLoop: row.enclosingLoop)
    }

    /// The one way a node is called on this thread: node `n`
    /// (`instance`, of type `typeIndex`, its inputs in its slots from
    /// `base`) runs with its slots lent to the call, timed when `measures`
    /// says so, and recorded for observers. The caller has counted the
    /// step. False: the call failed (`callError`); its outputs are in
    /// `context`'s frame.
    @inline(__always)
    func call(_ n: Int, _ unmanaged: Unmanaged<NodeInstance>, _ base: Int, _ typeIndex: Int) -> Bool {
        if observing || checkpointing { return observedCall(n, unmanaged, base, typeIndex) }
        let measure = measures(typeIndex, inline: typeInline[typeIndex])
        let t0 = measure ? MonotonicClock.now() : 0
        // The graph owns its instances for longer than any run: no
        // retain/release per call.
        let ok = unmanaged._withUnsafeGuaranteedRef { instance in
            instance.run(context: context, slots: nums + base, boxed: boxed + base)
        }
        if measure { measured(n, MonotonicClock.now() - t0) }
        return ok
    }

    /// `call` in an observed run: the same call, measured the same way,
    /// and recorded. A call of a type not known to be cheap (`typeInline`)
    /// is timed exactly, its start recorded (and handed on) before it runs;
    /// others are one untimed record. (Apart, so the quiet path stays small.)
    /// With checkpoints (observed or not), the call's duration is kept in
    /// `callDuration` (0 for an untimed cheap call).
    @inline(never)
    func observedCall(_ n: Int, _ unmanaged: Unmanaged<NodeInstance>, _ base: Int, _ typeIndex: Int) -> Bool {
        let inline = typeInline[typeIndex]
        let measure = measures(typeIndex, inline: inline)
        let exact = measure || !inline
        var t0: UInt64 = 0
        if exact {
            if observing {
                let now = events.now()
                record { $0.timed(.started, node: n, time: now) }
                // A slow type's start reaches watchers while it runs.
                if !inline { record { $0.flush(at: now, urgent: true) } }
            }
            // (After the hand-over: it is not the call's cost.)
            t0 = MonotonicClock.now()
        }
        let ok = unmanaged._withUnsafeGuaranteedRef { instance in
            instance.run(context: context, slots: nums + base, boxed: boxed + base)
        }
        if exact {
            let t1 = MonotonicClock.now()
            callDuration = t1 - t0
            if measure { measured(n, t1 - t0) }
            if ok && observing { record { $0.timed(.finished, node: n, start: t0 &- events.start, time: t1 &- events.start) } }
        } else {
            callDuration = 0
            // (A failed call's start; its failure is recorded by `nodeFailed`.)
            if observing { record { $0.untimed(ok ? .ran : .began, node: n) } }
        }
        return ok
    }

    /// Whether this call of a type (`inline`: known to be cheap) is timed:
    /// while the type is new, then one call in `sampleMask + 1`. What a
    /// type costs decides where it runs in parallel mode, whether a loop
    /// body of it goes round compiled, and whether an observed run times
    /// its calls one by one (`typeInline`). Sequential runs measure only
    /// types not known to be cheap (their loops go round compiled once
    /// they are); parallel runs measure every type (placement, and
    /// demotion of a slow "cheap" one).
    @inline(__always)
    func measures(_ typeIndex: Int, inline: Bool) -> Bool {
        (parallel || !inline) && (steps & sampleMask == 0 || typeSamples[typeIndex] < costWindow)
    }

    /// The one completion of a call made on this thread: its outputs
    /// along the edges (and into graph outputs), the enclosing loop told;
    /// or the failure (`nodeFailed`).
    @inline(__always)
    func called(_ n: Int, _ ok: Bool, portBase: Int, outputs: Int, enclosingLoop: Int32) {
        called(n, ok, context.frame.pointee.outputs!, context.boxedOutputs, portBase: portBase, outputs: outputs,
               enclosingLoop: enclosingLoop)
    }

    /// `called` with the outputs at `outs` (a boxed one's value at
    /// `boxes + p`): a pool call's, copied back to this thread.
    @inline(__always)
    func called(_ n: Int, _ ok: Bool, _ outs: UnsafeMutablePointer<weft_shim_number_t>,
                _ boxes: UnsafeMutablePointer<WeftValue>, portBase: Int, outputs: Int, enclosingLoop: Int32) {
        guard ok else {
            nodeFailed(n, callError(n))
            return
        }
        if checkpointing { checkpoint(n, outs, boxes, count: outputs) }
        deliverOutputs(portBase: portBase, count: outputs, outs, boxes)
        if enclosingLoop >= 0 { completed(n) }
    }

    /// Room for `want` more steps: a wave takes another lease from its
    /// event run's budget (a plain run has no more). False: `max_steps`
    /// would be passed.
    @inline(never)
    func moreSteps(_ want: Int) -> Bool {
        guard let budget else { return false }
        stepLimit += budget.take(max(want, budget.lease))
        return steps + want <= stepLimit
    }

    /// Node `n` would be execution `max_steps + 1`: it is not called, and
    /// the run fails (`steps` stays at the limit). One rule and one message
    /// for every path, plain runs and waves.
    func reachedMaxSteps(at n: Int) {
        reachedMaxSteps = true
        if let wave {
            fail(node: n, "the run reached max_steps (\(options.maxSteps) node executions over all waves) in wave "
                     + "\(wave.number) at node '\(graph.ids[n])'; \(options.maxStepsHint), or limit the events (max_events, --duration)")
        } else {
            fail(node: n, "the run reached max_steps (\(options.maxSteps) node executions) at node '\(graph.ids[n])'; "
                     + "\(options.maxStepsHint), or check for a loop that never ends")
        }
    }

    func callError(_ n: Int) -> NodeError {
        // (Every failed call sets its context's error.)
        context.nodeError ?? NodeError(nodeId: graph.ids[n], type: graph.plan.nodes[n].type,
                                       message: "failed without a message (a host bug)")
    }

    /// A node whose inputs are complete: skip it, or hand it to its strategy.
    func process(_ n: Int) {
        if skipping, options.checkpoints!.skips(node: graph.ids[n]) {
            skip(n)
            return
        }
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
    func onDeadPath(_ n: Int) -> Bool {
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

    /// Runs node `n` now on this thread (`call`), or submits it to the pool.
    func execute(_ n: Int, onPool: Bool) {
        guard let unmanaged = graph.rows[n].instance else {
            if let flow = graph.flows[n] { runFlow(n, flow) }
            return
        }
        if graph.rows[n].flags & NodeRow.handlesErrors != 0, let map = graph.maps[n] {
            runMap(n, map)
            return
        }
        guard steps < stepLimit || moreSteps(1) else {
            reachedMaxSteps(at: n)
            return
        }
        steps += 1
        if checkpointing, graph.checkpointed[n], restoreCheckpoint(n, options.checkpoints!) { return }
        if graph.rows[n].flags & NodeRow.handlesErrors != 0, let hooks = graph.hooks[n] {
            runHooked(n, hooks, unmanaged)
            return
        }
        let row = graph.rows[n]
        let base = Int(row.slotBase)
        if row.flags & NodeRow.handlesErrors != 0, let cached = graph.caches[n], let cache = options.cache {
            runCached(n, cached, cache, unmanaged)
            return
        }
        // A time limit per attempt (`timeout_ms`, not isolated): a BLOCKING
        // node's call is abandoned at it; any other's is told (should_stop)
        // and fails if it returns late.
        let timeout = row.flags & NodeRow.handlesErrors != 0 ? graph.timeouts[n] : nil
        if let timeout {
            if row.flags & NodeRow.blocking != 0 {
                runTimed(n, timeout, unmanaged)
                return
            }
            if !onPool {
                if callWithin(timeout, n, unmanaged, base, Int(row.typeIndex)) {
                    succeeded(n, row, context.frame.pointee.outputs!, context.boxedOutputs)
                } else {
                    nodeFailed(n, callError(n))
                }
                return
            }
        }
        // An async node's run returns promptly: it is called here.
        if !onPool || (graph.hasAsync && graph.isAsync[n]) {
            if graph.isSequential(n) && row.flags & NodeRow.handlesErrors == 0 {
                called(n, call(n, unmanaged, base, Int(row.typeIndex)), portBase: Int(row.outPortBase),
                       outputs: Int(row.outputCount), enclosingLoop: row.enclosingLoop)
            } else if call(n, unmanaged, base, Int(row.typeIndex)) || (context.deferred != nil && !context.pending) {
                if let d = context.deferred {
                    // Deferred, yet `run` returned WEFT_OK: the call is forgotten.
                    d.abandon()
                    context.deferred = nil
                    nodeFailed(n, nodeError(n, "called defer_call but returned WEFT_OK; return WEFT_PENDING after defer_call "
                                               + "(a plugin bug)"))
                    return
                }
                succeeded(n, row, context.frame.pointee.outputs!, context.boxedOutputs)
            } else if context.pending, let d = context.deferred {
                context.pending = false
                context.deferred = nil
                awaitCall(n, d)
            } else {
                nodeFailed(n, callError(n))
            }
            return
        }
        let instance = unmanaged.takeUnretainedValue()
        inflight += 1
        let pool = workerPool()
        let blocking = instance.type.spec.flags.contains(.blocking)
        // Events recorded here come before the worker's.
        log?.flush(urgent: true)
        // The worker makes the same call as this thread (`NodeInstance.run`
        // with the node's slots lent: nothing else touches them until the
        // node completes) and hands back a copy of its outputs.
        let deadline = timeout.map { MonotonicClock.now() &+ $0 } ?? 0
        pool.submit(blocking: blocking) { [self] thread, ctx in
            let observed = !events.isEmpty
            let t = observed ? events.now() : 0
            if observed { events.emit(.nodeStarted(time: t, node: n, id: graph.ids[n], thread: lane + thread)) }
            let t0 = MonotonicClock.now()
            ctx.deadline = deadline
            var ok = instance.run(context: ctx, slots: nums + base, boxed: boxed + base)
            ctx.deadline = 0
            let duration = MonotonicClock.now() - t0
            if deadline != 0 && t0 &+ duration > deadline {
                ctx.nodeError = timeoutError(n, timeout ?? 0, took: duration, ownMessage: ok ? nil : ctx.nodeError?.message, abandoned: false)
                ok = false
            }
            let result: Result<CallOutputs, NodeError>
            if ok {
                result = .success(CallOutputs(ctx.frame.pointee.outputs!, ctx.boxedOutputs,
                                              count: Int(ctx.frame.pointee.output_count)))
                if observed {
                    let now = events.now()
                    events.emit(.nodeFinished(time: now, node: n, id: graph.ids[n], thread: lane + thread, duration: now - t))
                }
            } else {
                result = .failure(ctx.nodeError ?? NodeError(nodeId: graph.ids[n], type: graph.plan.nodes[n].type,
                                                             message: "failed without a message (a host bug)"))
            }
            completionLock.withLock {
                completions.append(Completion(node: n, result: result, duration: duration))
                completionLock.signal()
            }
        }
    }

    /// The completion of a call that succeeded, wherever it ran (`outs`:
    /// its outputs, a boxed one's value at `boxes + p`): a sequential node,
    /// or a conditional one that fired exactly one output, delivers them
    /// as they are; any other strategy gets them as values. A node whose
    /// `on_error` is "route" has one output more than its call (`error`,
    /// the last): dead.
    func succeeded(_ n: Int, _ row: NodeRow, _ outs: UnsafeMutablePointer<weft_shim_number_t>,
                   _ boxes: UnsafeMutablePointer<WeftValue>) {
        var count = Int(row.outputCount)
        var errorPort = -1
        var attempt = 1
        if row.flags & NodeRow.handlesErrors != 0 {
            attempt = attemptsMade(n)
            if case .route(let p)? = graph.errorPolicies[n] {
                count = p
                errorPort = p
            }
        }
        if checkpointing { checkpoint(n, outs, boxes, count: count, attempt: attempt) }
        var fired = 0
        for p in 0..<count where outs[p].taken != 0 { fired += 1 }
        if graph.isSequential(n) || (row.strategy == CompiledGraph.conditionalCode && fired == 1) {
            deliverOutputs(portBase: Int(row.outPortBase), count: count, outs, boxes)
            if errorPort >= 0 { graph.outEdges.forEach(Int(row.outPortBase) + errorPort) { deliver(edge: $0, .dead) } }
            if row.enclosingLoop >= 0 { completed(n) }
        } else {
            var values = (0..<count).map { outs[$0].taken != 0 ? Self.value(of: outs[$0], boxes + $0) : nil }
            if errorPort >= 0 { values.append(nil) }
            graph.strategy(n).finish(n, values, self)
        }
    }

    /// The completion of a call that succeeded, its outputs as values
    /// (a hooked or timed call's): through the node's strategy.
    func succeeded(_ n: Int, values: [WeftValue?], checkpoint keep: Bool = true) {
        let attempt = graph.rows[n].flags & NodeRow.handlesErrors != 0 ? attemptsMade(n) : 1
        if keep && checkpointing { checkpoint(n, values, attempt: attempt) }
        var values = values
        // (A routed `error` output, after the call's, is dead.)
        while values.count < graph.outputCount(n) { values.append(nil) }
        graph.strategy(n).finish(n, values, self)
    }

    func workerPool() -> WorkerPool {
        if let pool { return pool }
        let p = WorkerPool(computeThreads: options.workers, maxBlockingThreads: options.maxBlockingThreads)
        pool = p
        return p
    }

    /// A pool call's result, on this thread.
    func handle(_ n: Int, _ result: Result<CallOutputs, NodeError>) {
        switch result {
        case .success(var out):
            out.numbers.withUnsafeMutableBufferPointer { numbers in
                out.boxes.withUnsafeMutableBufferPointer { boxes in
                    succeeded(n, graph.rows[n], numbers.baseAddress!, boxes.baseAddress!)
                }
            }
        case .failure(let e): nodeFailed(n, e)
        }
    }

    /// A node's call failed: the run fails, or with `keepGoing` the node's
    /// outputs go dead and the rest of the graph goes on.
    func nodeFailed(_ n: Int, _ error: NodeError) {
        if graph.rows[n].flags & NodeRow.handlesErrors != 0 {
            if retryAfterFailure(n, error) { return }
            let attempts = attemptsMade(n)
            if let policy = graph.errorPolicies[n] {
                recovered(n, error, policy, attempts: attempts)
                return
            }
        }
        guard failureKeepsGoing(n, error) else { return }
        for p in 0..<graph.outputCount(n) {
            graph.outEdges.forEach(graph.outPort(n, p)) { deliver(edge: $0, .dead) }
        }
        completed(n)
    }

    /// The one rule for a failed call, on every path: recorded for
    /// observers, then the run's failure — or with `keepGoing` one more
    /// failure passed over (true: the caller makes the node's outputs dead).
    func failureKeepsGoing(_ n: Int, _ error: NodeError) -> Bool {
        log?.event(.nodeFailed(time: events.now(), node: n, id: graph.ids[n], thread: lane, message: error.message))
        guard keepGoing else {
            recordFailure(error.description, node: graph.ids[n])
            return false
        }
        keptGoing.append((error.description, graph.ids[n]))
        // (Its completion number is used up, kept as a gap: a resumed run
        // calls it again, and restores nothing of this node after it.)
        if checkpointing { checkpointCount[n] += 1 }
        return true
    }

    /// A failure node `n`'s own `on_error` handles: recorded for observers
    /// (`node_failed`, then `node_recovered`), then the node completes as
    /// if it had succeeded — with its `error` output fired and the others
    /// dead ("route"), or with the default outputs (the others dead). The
    /// run goes on and does not fail for it.
    func recovered(_ n: Int, _ error: NodeError, _ policy: PlanErrorPolicy, attempts: Int) {
        let now = events.now()
        log?.event(.nodeFailed(time: now, node: n, id: graph.ids[n], thread: lane, message: error.message))
        var values = [WeftValue?](repeating: nil, count: graph.outputCount(n))
        switch policy {
        case .route(let port):
            values[port] = ["node": .string(graph.ids[n]), "type": .string(graph.plan.nodes[n].type),
                            "message": .string(error.message), "attempt": .int(Int64(attempts))]
        case .defaults(let defaults):
            for d in defaults { values[d.port] = d.value }
        }
        log?.event(.nodeRecovered(time: now, node: n, id: graph.ids[n], how: policy.name))
        // Kept as its completion: a resumed run restores the same outputs.
        if checkpointing { checkpoint(n, values, attempt: attempts) }
        deliver(outputs: values, of: n)
        completed(n)
    }

    /// Fails the run because of node `n` (the message is prefixed with it).
    func fail(node n: Int, _ message: String) {
        log?.event(.nodeFailed(time: events.now(), node: n, id: graph.ids[n], thread: lane, message: message))
        recordFailure("node '\(graph.ids[n])' (\(graph.plan.nodes[n].type)): \(message)", node: graph.ids[n])
    }

    func recordFailure(_ message: String, node: String?) {
        if failure == nil {
            failure = (message, node)
            failedAfterCancel = cancellation.isCancelled
        }
    }
}
