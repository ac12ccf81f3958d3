import CWeftShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import WeftCore
import WeftNative

// Loops through the ready queue: start, re-arm, go round, finish; carried
// values taken as their variables' types.
extension RunState {
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
        if observing { loopStarted[l] = events.now() }
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
    func goesRound(_ l: Int) -> Bool {
        goesRound(l, slotBase: graph.slotBase(l), carry: graph.loopCarry[l], carryBase: graph.carryBase[l])
    }

    /// `goesRound(l)` with loop `l`'s first slot, carry count and first
    /// carry entry given (a compiled pass has them at hand).
    @inline(__always)
    func goesRound(_ l: Int, slotBase base: Int, carry: Int, carryBase cb: Int) -> Bool {
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
    func takeCarry(_ l: Int, port: Int, slot s: Int, carry c: Int) -> Bool {
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
    func copySlot(_ s: Int, toCarry c: Int) {
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
    func mayStartPass(_ l: Int) -> Bool {
        let iteration = loopIteration[l]
        let maxIterations = graph.loopMaxIterations[l]
        if iteration > maxIterations {
            fail(node: l, "loop '\(graph.ids[l])' reached max_iterations (\(maxIterations)) and was still continuing; "
                     + "raise \"max_iterations\" on the node, or check its continue condition")
            return false
        }
        if observing { record { $0.untimed(.iteration, node: l, a: Int64(iteration)) } }
        return true
    }

    /// Re-arms loop `l`'s body for a pass through the ready queue.
    func armPass(_ l: Int) {
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
        if observing { record { $0.timed(.finished, node: l, start: loopStarted[l], time: events.now()) } }
        completed(l)
    }

    func carryValue(_ c: Int) -> WeftValue {
        carryNums[c].value { carryBoxed[c] } ?? carryBoxed[c]
    }
}
