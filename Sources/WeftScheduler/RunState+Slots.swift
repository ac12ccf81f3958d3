import CWeftShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import WeftCore
import WeftNative

// Values along edges into typed slots; skipping nodes on dead paths.
extension RunState {
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

    /// Delivers `count` outputs (`outs[p]`, a boxed one's value at
    /// `boxes + p`; `taken` = fired) of the node whose first output port is
    /// `base`.
    @inline(__always)
    func deliverOutputs(portBase base: Int, count: Int, _ outs: UnsafeMutablePointer<weft_shim_number_t>,
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
        case .value(var v):
            let n = weft_shim_number_t(v)
            if n.isBoxed { withUnsafeMutablePointer(to: &v) { deliver(edge: e, n, $0) } } else { deliver(edge: e, n, nil) }
        }
    }

    /// Delivers `n` (its kind and bits; for a boxed kind the value at
    /// `box`) along edge `e`.
    @inline(__always)
    func deliver(edge e: Int, _ n: weft_shim_number_t, _ box: UnsafeMutablePointer<WeftValue>?) {
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
    func put(_ s: Int, _ n: weft_shim_number_t, _ box: UnsafeMutablePointer<WeftValue>?) {
        assert(onSchedulerThread(), "a slot written off the scheduler thread")
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
        n.value { box.pointee } ?? .null
    }

    /// The value in slot `s`, or nil (empty or dead).
    func value(_ s: Int) -> WeftValue? {
        nums[s].value { boxed[s] }
    }

    func setSlot(_ s: Int, _ v: Slot) {
        switch v {
        case .empty: put(s, weft_shim_number_t(), nil)
        case .dead: put(s, Self.deadNumber, nil)
        case .value(var x):
            let n = weft_shim_number_t(x)
            if n.isBoxed { withUnsafeMutablePointer(to: &x) { put(s, n, $0) } } else { put(s, n, nil) }
        }
    }

    /// Node `n` is on a dead path: it does not run; its outputs are dead.
    func skip(_ n: Int) {
        if observing { record { $0.untimed(.skipped, node: n) } }
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
}
