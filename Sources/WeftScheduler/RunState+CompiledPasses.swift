import CWeftShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import WeftCore
import WeftNative

// Compiled programs (`StepProgram`), run in C (`CWeftShims/passes.c`)
// without the ready queue: the top level of a graph of plain nodes, run
// once, and loops whose body is plain nodes, gone round in passes.
extension RunState {
    // MARK: the top-level program

    /// Whether this run runs the graph's top-level program instead of the
    /// ready queue: a sequential run, no path forced, and a graph that has
    /// one (no loops, no event sources, every node plain).
    var runsTopProgram: Bool { direct && !parallel && graph.topProgram != nil }

    /// Runs every node of the graph through its top-level program: the
    /// calls, values and order the ready queue would give (the queue the
    /// run's start filled is emptied first: the program makes the same
    /// calls in its order). The program is made a window at a time
    /// (`StepProgram.emit`); after each window progress is published. Steps
    /// of types `typeInline` lets run in C go there; each other step runs
    /// here (`runStep`: timed, measured, its start handed to watchers), as
    /// does each step C hands back. The graph outputs are read from their
    /// tap slots at the end.
    func runTopProgram(_ program: StepProgram) {
        readyHead = readyTail
        context.reserveOutputs(program.maxOutputs)
        var i = 0
        while i < program.stepCount && !cancellation.isCancelled {
            let end = program.emit(from: i)
            guard runSteps(-1, program, from: 0, to: program.windowCount) else { break }
            progress?.publish(steps: steps, node: Int(program.order[end - 1]))
            i = end
        }
        for k in 0..<graph.plan.outputs.count { outputs[k] = value(graph.tapBase + k) }
        compiledPasses += 1
    }

    /// Runs steps `from ..< to` of `program`'s window (block `block`: a
    /// loop, or -1 for the top level): in C while it can, each step C hands back here,
    /// then C again from the next. False: the run failed.
    func runSteps(_ block: Int, _ program: StepProgram, from: Int, to: Int) -> Bool {
        var at: Int32 = 0
        var status: Int32 = 0
        let how = cSteps { budget in
            weft_shim_run_steps(context.frame, program.c, Int32(from), Int32(to), nums, boxedBase,
                                MemoryLayout<WeftValue>.stride, typeInline, budget, &at, &status)
        }
        if observing { recordCompiled(block, program, iteration: 0, rounds: 0, steps: from..<Int(at)) }
        return finishSteps(block, program, how, Int(at), status, to: to)
    }

    // MARK: compiled passes

    /// Loop `l`'s compiled body, if its next pass can run compiled:
    /// nothing else is waiting (so the queue would run the pass alone, in
    /// the same order), the edges from outside the body have delivered,
    /// every body node's type is known to be cheap (`typeInline`: flagged
    /// CHEAP or measured under `inlineBelowNs` — a slow body gains nothing
    /// from going round in C, and its calls are better timed one by one),
    /// and in parallel mode the body is too small to make a batch.
    func compiledPass(_ l: Int) -> StepProgram? {
        guard direct, let program = graph.passPrograms[l], readyHead == readyTail, loopsToCheck.isEmpty,
              !program.external.contains(where: { !delivered[$0] }) else { return nil }
        guard allInline(program), !parallel || (!batchInFlight && program.stepCount < batchThreshold) else { return nil }
        return program
    }

    func allInline(_ program: StepProgram) -> Bool {
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
    func runCompiledPasses(_ l: Int, _ program: StepProgram) {
        let cb = graph.carryBase[l]
        let base = graph.slotBase(l)
        let carry = graph.loopCarry[l]
        let maxIterations = graph.loopMaxIterations[l]
        let writes = program.writes
        context.reserveOutputs(program.maxOutputs)
        var pass = weft_shim_pass_t(
            program: program.c, carry: carryNums + cb, carry_count: Int32(carry),
            continue_slot: Int32(base + 2 * carry), next_slot: Int32(base + carry), carry_accept: graph.carryAccept + cb)
        /// After a pass: go round (true) or not; `max_iterations` checked.
        func wentRound() -> Bool {
            goesRound(l, slotBase: base, carry: carry, carryBase: cb) && mayStartPass(l)
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
                if observing {
                    let partial = Int(how) == WEFT_SHIM_PASSES_END ? program.stepCount
                        : Int(how) == WEFT_SHIM_PASSES_AGAIN || Int(how) == WEFT_SHIM_PASSES_CARRY ? 0 : Int(at)
                    recordCompiled(l, program, iteration: loopIteration[l], rounds: Int(rounds), steps: 0..<partial)
                }
                compiledPasses += Int(rounds)
                progress?.publish(steps: steps, node: l)
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
                    guard finishSteps(l, program, how, Int(at), status, to: program.stepCount), wentRound() else { return }
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
                    guard !cancellation.isCancelled, runStep(step, writes, start) else { return }
                    start = Int(step.writes_end)
                }
            } else {
                guard runSteps(l, program, from: 0, to: program.stepCount) else { return }
            }
            guard wentRound() else { return }
            if !allInline(program) {
                armPass(l)
                return
            }
        }
    }

    /// The run's boxed values as the C passes see them (bytes).
    var boxedBase: UnsafeMutablePointer<CChar> { UnsafeMutableRawPointer(boxed).assumingMemoryBound(to: CChar.self) }

    /// Calls C pass code with a budget of node calls (what `max_steps`
    /// leaves) and counts the calls it made.
    @inline(__always)
    func cSteps(_ body: (UnsafeMutablePointer<Int64>) -> Int32) -> Int32 {
        var budget = Int64(stepLimit - steps)
        let before = budget
        let how = body(&budget)
        steps += Int(before - budget)
        return how
    }

    /// Finishes steps up to `to` of block `block` (a loop, or -1 for the
    /// top level) whose C steps stopped with `how` at step `at`: that step
    /// here (run, or finished after its call in C), then C from the next
    /// step on, and so on. False: the run failed.
    func finishSteps(_ block: Int, _ program: StepProgram, _ how: Int32, _ at: Int, _ status: Int32, to: Int) -> Bool {
        var how = how
        var i = at
        var status = status
        while Int(how) != WEFT_SHIM_STEPS_DONE {
            let step = program.steps[i]
            let start = i == 0 ? program.carryWrites : Int(program.steps[i - 1].writes_end)
            if Int(how) == WEFT_SHIM_STEPS_BEFORE_CALL {
                // (C stops before a call once the run is cancelled.)
                guard !cancellation.isCancelled, runStep(step, program.writes, start) else { return false }
            } else {
                // Called in C: what the end of `NodeInstance.run` and of
                // `runStep` would have done.
                context.ended()
                let ok = Unmanaged<NodeInstance>.fromOpaque(step.instance)._withUnsafeGuaranteedRef {
                    $0.finishCall(context, status: status)
                }
                if observing { record { $0.untimed(ok ? .ran : .began, node: Int(step.node)) } }
                guard stepCalled(step, ok, program.writes, start) else { return false }
            }
            var next: Int32 = 0
            how = cSteps { budget in
                weft_shim_run_steps(context.frame, program.c, Int32(i + 1), Int32(to), nums, boxedBase,
                                    MemoryLayout<WeftValue>.stride, typeInline, budget, &next, &status)
            }
            if observing { recordCompiled(block, program, iteration: 0, rounds: 0, steps: (i + 1)..<Int(next)) }
            i = Int(next)
        }
        return true
    }

    /// Runs (or skips) one step of a compiled pass: `writes[start ..<
    /// step.writes_end]` say where its outputs go. False: the run failed
    /// (or reached `max_steps`).
    @inline(__always)
    func runStep(_ step: weft_shim_step_t, _ writes: UnsafeMutablePointer<weft_shim_write_t>, _ start: Int) -> Bool {
        let n = Int(step.node)
        let base = Int(step.slot_base)
        for p in 0..<Int(graph.rows[n].inputCount) where nums[base + p].kind == Self.dead {
            if onDeadPath(n) {
                if observing { record { $0.untimed(.skipped, node: n) } }
                for w in start..<Int(step.writes_end) { put(Int(writes[w].slot), Self.deadNumber, nil) }
                return true
            }
            break
        }
        guard steps < stepLimit || moreSteps(1) else {
            reachedMaxSteps(at: n)
            return false
        }
        steps += 1
        let ok = call(n, Unmanaged<NodeInstance>.fromOpaque(step.instance), base, Int(step.type_index))
        return stepCalled(step, ok, writes, start)
    }

    /// After a step's call (`ok`: it succeeded): its outputs into the
    /// slots that read them, or on failure the run fails — or with
    /// keep-going its outputs are dead. False: the run failed.
    @inline(__always)
    func stepCalled(_ step: weft_shim_step_t, _ ok: Bool, _ writes: UnsafeMutablePointer<weft_shim_write_t>,
                            _ start: Int) -> Bool {
        let end = Int(step.writes_end)
        guard ok else {
            let n = Int(step.node)
            guard failureKeepsGoing(n, callError(n)) else { return false }
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

    /// Observed: records the calls C made since the last record — `rounds`
    /// whole passes of loop `l` after `iteration`, then `steps` of the
    /// next (or of the top level's window, `l` = -1) — their time spread
    /// evenly up to now.
    func recordCompiled(_ l: Int, _ program: StepProgram, iteration: Int, rounds: Int, steps: Range<Int>) {
        let whole = rounds * program.stepCount
        guard whole + steps.count > 0 else { return }
        let log = log.unsafelyUnwrapped
        let now = max(events.now(), log.lastTime)
        // (Steps of the window, recorded as steps of the program.)
        let steps = (steps.lowerBound + program.windowStart)..<(steps.upperBound + program.windowStart)
        let start = log.lastTime
        let middle = start + (now - start) * UInt64(whole) / UInt64(whole + steps.count)
        if rounds > 0 {
            log.timed(.passes, node: l, start: start, time: middle, a: Int64(iteration), b: Int32(rounds))
        }
        if !steps.isEmpty {
            log.timed(.steps, node: l, start: middle, time: now, a: Int64(steps.lowerBound), b: Int32(steps.upperBound))
        }
    }
}
