import CWeft
import CWeftShims
public import WeftCore

/// A node failed to be created or to run.
public struct NodeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The graph node id.
    public var nodeId: String
    /// The node type (`std.div`).
    public var type: String
    public var message: String

    public init(nodeId: String, type: String, message: String) {
        self.nodeId = nodeId
        self.type = type
        self.message = message
    }

    public var description: String { "node '\(nodeId)' (\(type)): \(message)" }
}

/// What one run of a node produced.
public struct NodeOutputs: Sendable, Equatable {
    /// One slot per output port, in port order; nil = did not fire.
    public var values: [WeftValue?]
}

/// One node of one graph: a node type, its params and the plugin's state.
///
/// `create` runs in `init`, `destroy` in `deinit`. `run` is called from any
/// thread; the caller must not run an instance concurrently with itself
/// unless its type is flagged `threadSafe`.
public final class NodeInstance: @unchecked Sendable {
    public let type: NodeType
    public let nodeId: String
    /// Resolved params, in the order of `type.spec.params` (defaults applied;
    /// nil for an optional param without default).
    public let params: [WeftValue?]

    /// The plugin's state from `create`; `noState` until `create` succeeded
    /// and after `close` (no flag beside it: a big graph has a million
    /// instances, and one more byte takes each to the next heap size).
    var state: UnsafeMutableRawPointer? = NodeInstance.noState
    /// An address no plugin hands out as its state.
    private static var noState: UnsafeMutableRawPointer { weft_shim_no_state() }

    /// The port facts `run` needs (the type's, shared with every instance:
    /// not stored per instance, a big graph has a million).
    var ports: PortTable { type.ports }

    /// Checks `params` against the spec and calls the plugin's `create`.
    /// - Throws: `NodeError` for unknown, missing or mistyped params, or
    ///   when `create` fails.
    public init(type: NodeType, nodeId: String, params: [String: WeftValue] = [:]) throws(NodeError) {
        // Most node types take no params: no copy of the spec for them.
        self.params = params.isEmpty && !type.ports.hasParams
            ? [] : try Self.resolve(params: params, spec: type.spec, nodeId: nodeId)
        self.type = type
        self.nodeId = nodeId
        // From here on the object is fully initialised: if create fails,
        // deinit runs (but calls no destroy).
        guard let create = type.create else {
            state = type.userData
            return
        }
        let ctx = CallContext()
        let previous = ctx.begin(.create, instance: self)
        var out: UnsafeMutableRawPointer? = nil
        let status = create(ctx.pointer, type.userData, &out)
        let failure = ctx.failure
        let lastError = ctx.lastError
        ctx.end(restoring: previous)
        if status != WEFT_OK {
            throw NodeError(nodeId: nodeId, type: type.spec.fullName,
                            message: "create failed: " + Self.describeFailure(status: status, failure: failure, lastError: lastError))
        }
        state = out
    }

    /// Params in spec order, defaults applied; unknown, missing and
    /// mistyped params are errors.
    static func resolve(params: [String: WeftValue], spec: NodeSpec, nodeId: String) throws(NodeError) -> [WeftValue?] {
        func error(_ message: String) -> NodeError {
            NodeError(nodeId: nodeId, type: spec.fullName, message: message)
        }
        for name in params.keys.sorted() where !spec.params.contains(where: { $0.name == name }) {
            let known = spec.params.map(\.name)
            throw error("unknown param '\(name)'; "
                            + (known.isEmpty ? "this node takes no params" : "known params: \(known.joined(separator: ", "))"))
        }
        var resolved: [WeftValue?] = []
        for p in spec.params {
            if let v = params[p.name] {
                guard let c = p.type.coerce(v) else {
                    throw error("param '\(p.name)' must be \(p.type), got \(v.kind) \(JSON.encode(v))")
                }
                resolved.append(c)
            } else if let d = p.defaultValue {
                resolved.append(d)
            } else if p.optional {
                resolved.append(nil)
            } else {
                throw error("missing required param '\(p.name)' (\(p.type))")
            }
        }
        return resolved
    }

    deinit {
        close()
    }

    /// Calls the plugin's `destroy` now rather than at deinit (once; later
    /// calls do nothing). For owners that must say when `destroy` runs, such
    /// as an embedding host promised no callbacks after `weft_run_destroy`.
    /// Must not overlap a `run` of this instance; `run` after `close` is an
    /// error the caller must avoid.
    public func close() {
        guard state != Self.noState else { return }
        let s = state
        state = Self.noState
        type.destroy?(s)
    }

    /// An observer instance (ABI v4): hands its `observe` one event, a
    /// `weft_event_t` valid during the call. The caller never makes two
    /// calls at once for one instance. Does nothing for a node type or a
    /// closed instance.
    public func observe(_ event: UnsafeRawPointer) {
        guard let observe = type.observe, state != Self.noState else { return }
        observe(state, event.assumingMemoryBound(to: weft_event_t.self))
    }

    /// Runs the node once with `inputs` (one slot per input port, nil =
    /// no value), through `context` (a fresh one if nil).
    /// Defaults fill empty optional inputs; ints widen on double ports.
    public func run(inputs: [WeftValue?], context: CallContext? = nil) -> Result<NodeOutputs, NodeError> {
        let ctx = context ?? CallContext()
        guard inputs.count == ports.inputTypes.count else {
            return .failure(fail("got \(inputs.count) input values for \(ports.inputTypes.count) input ports"))
        }
        if let e = run(context: ctx, input: { inputs[$0] }) { return .failure(e) }
        return .success(NodeOutputs(values: ctx.outputs))
    }

    /// Runs the node with inputs from `input(port)`, checked and converted
    /// into the context's own buffers. Outputs are left in the context
    /// (`output(_:)`, valid until its next call).
    package func run(context ctx: CallContext, input: (Int) -> WeftValue?) -> NodeError? {
        let count = ports.inputTypes.count
        ctx.useOwnInputs(count)
        for p in 0..<count {
            let v: WeftValue?
            if let value = input(p) {
                let t = ports.inputTypes[p]
                if t == .any || t == value.kind {
                    v = value
                } else if let c = t.coerce(value) {
                    v = c
                } else {
                    return fail("input '\(type.spec.inputs[p].name)' must be \(ports.inputTypes[p]), got \(value.kind)")
                }
            } else if let d = ports.inputDefaults[p] {
                v = d
            } else if ports.inputOptional[p] {
                v = nil
            } else {
                return fail("required input '\(type.spec.inputs[p].name)' has no value")
            }
            ctx.setInput(p, v)
        }
        // (A deferred call is no error: the caller reads `ctx.pending`.)
        return call(ctx) ? nil : ctx.nodeError
    }

    /// The scheduler's hot path: the inputs are the caller's slots for this
    /// node (`slots[p]`: kind and number; `boxed[p]`: the value of a boxed
    /// slot), lent to the plugin without copying when every one already
    /// fits its port. An int on a double port is widened in its slot; a
    /// slot that needs more (a default, a conversion, an error message)
    /// sends the call through `run(context:input:)`. Allocates nothing.
    /// Returns false when the node failed (the error is `ctx.nodeError`).
    package func run(context ctx: CallContext, slots: UnsafeMutablePointer<weft_shim_number_t>,
                     boxed: UnsafeMutablePointer<WeftValue>) -> Bool {
        let count = ports.inputCount
        let accept = ports.inputAccept
        var direct = true
        for p in 0..<count {
            let kind = slots[p].kind
            if accept[p] & (1 << UInt8(truncatingIfNeeded: kind)) != 0 { continue }
            let t = ports.inputTypes[p]
            if kind == Int32(WEFT_SHIM_INT) && t == .double {
                let d = Double(slots[p].bits)
                slots[p].bits = Int64(bitPattern: d.bitPattern)
                slots[p].kind = Int32(WEFT_SHIM_DOUBLE)
                continue
            }
            if kind == Int32(WEFT_SHIM_BOXED) && boxed[p].kind == t { continue }
            direct = false
            break
        }
        guard direct else {
            // The checked path returns its error; this path's callers read
            // it from the context, like a failed call's.
            let error = run(context: ctx) { p in slots[p].value { boxed[p] } }
            if let error { ctx.nodeError = error }
            return error == nil && !ctx.pending
        }
        ctx.lendInputs(count, slots, boxed)
        return call(ctx)
    }

    /// Calls the plugin's `run` with the inputs in place; checks that
    /// every required output was written. On failure sets `ctx.nodeError`
    /// and returns false. (`ports` is read in place each time: a local
    /// reference to it would cost a retain and a release per call.)
    @inline(__always)
    private func call(_ ctx: CallContext) -> Bool {
        ctx.prepareOutputs(ports.outputCount, accept: ports.outputAccept)
        let previous = ctx.begin(.run, instance: self)
        let status = type.run(ctx.pointer, state)
        ctx.end(restoring: previous)
        return finishCall(ctx, status: status)
    }

    /// Checks the call that just ended on `ctx` with `status`: on failure
    /// (the plugin's, or a required output left unwritten) sets
    /// `ctx.nodeError` and returns false.
    @inline(__always)
    package func finishCall(_ ctx: CallContext, status: Int32) -> Bool {
        if status != WEFT_OK {
            // Deferred (async, ABI v4): not a failure; the caller takes `ctx.deferred`.
            if status == WEFT_PENDING && ctx.deferred != nil {
                ctx.nodeError = nil
                ctx.pending = true
                return false
            }
            if let d = ctx.deferred {
                d.abandon()
                ctx.deferred = nil
            }
            ctx.nodeError = fail(Self.describeFailure(status: status, failure: ctx.failure, lastError: ctx.lastError))
            return false
        }
        let outs = ctx.frame.pointee.outputs!
        let required = ports.required
        for r in 0..<ports.requiredCount where outs[Int(required[r])].taken == 0 {
            let i = Int(required[r])
            ctx.nodeError = fail("did not write its required output '\(type.spec.outputs[i].name)' (a plugin bug: "
                                     + "write every non-optional output, or flag the port WEFT_PORT_OPTIONAL)")
            return false
        }
        return true
    }

    /// This instance as a step of a compiled program
    /// (`CWeftShims/passes.c`): its state and where it reads and writes.
    /// Valid while the instance is open.
    package func programStep(node: Int, typeIndex: Int32, slotBase: Int32, writesEnd: Int32) -> weft_shim_step_t {
        weft_shim_step_t(state: state, instance: Unmanaged.passUnretained(self).toOpaque(), slot_base: slotBase,
                         writes_end: writesEnd, node: Int32(node), type_index: typeIndex)
    }

    /// What a compiled program's steps of this instance's type call: the
    /// type's run function and port facts (the same for every instance of
    /// the type). Valid while the type is loaded.
    package var programCall: weft_shim_call_t {
        weft_shim_call_t(
            run: type.run, input_accept: UnsafePointer(ports.inputAccept),
            output_accept: UnsafePointer(ports.outputAccept), required: UnsafePointer(ports.required),
            required_count: Int32(ports.requiredCount), input_count: Int32(ports.inputCount),
            output_count: Int32(ports.outputCount))
    }

    private func fail(_ message: String) -> NodeError {
        NodeError(nodeId: nodeId, type: type.fullName, message: message)
    }

    static func describeFailure(status: Int32, failure: String?, lastError: String) -> String {
        if let failure { return failure }
        var s = "returned \(StatusCode.name(status)) without a message"
        if !lastError.isEmpty { s += "; last host error: \(lastError)" }
        return s
    }
}

/// Names of the ABI's status codes.
public enum StatusCode {
    public static func name(_ status: Int32) -> String {
        switch status {
        case WEFT_OK: "WEFT_OK"
        case WEFT_ERR_FAILED: "WEFT_ERR_FAILED"
        case WEFT_ERR_INVALID: "WEFT_ERR_INVALID"
        case WEFT_ERR_TYPE: "WEFT_ERR_TYPE"
        case WEFT_ERR_NOT_FOUND: "WEFT_ERR_NOT_FOUND"
        case WEFT_ERR_HANDLE: "WEFT_ERR_HANDLE"
        case WEFT_ERR_STATE: "WEFT_ERR_STATE"
        case WEFT_ERR_VERSION: "WEFT_ERR_VERSION"
        case WEFT_ERR_DUPLICATE: "WEFT_ERR_DUPLICATE"
        case WEFT_ERR_NOMEM: "WEFT_ERR_NOMEM"
        case WEFT_ERR_TIMEOUT: "WEFT_ERR_TIMEOUT"
        case WEFT_PENDING: "WEFT_PENDING (only after host->defer_call, in a node flagged WEFT_NODE_ASYNC)"
        default: "status \(status)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

func strdupOrDie(_ s: String) -> UnsafeMutablePointer<CChar> {
    guard let p = strdup(s) else { fatalError("out of memory") }
    return p
}

/// A node type's port facts, flattened for the call path: one per type,
/// shared by its instances, so a big graph's calls read the same few cache
/// lines instead of arrays per node.
package final class PortTable: @unchecked Sendable {
    let inputTypes: [ValueType]
    let inputCount: Int
    /// The type declares params.
    let hasParams: Bool
    /// Per input port, the slot kinds (bit `1 << WEFT_SHIM_*`) a call can
    /// read as they are: numbers the port takes, any boxed value for an
    /// `any` port, no value for an optional port without default.
    let inputAccept: UnsafeMutablePointer<UInt8>
    let inputDefaults: [WeftValue?]
    let inputOptional: [Bool]
    let outputCount: Int
    let outputTypes: [ValueType]
    /// The outputs a call must write (not optional): `requiredCount`
    /// indices (a plain buffer: read after every call).
    let required: UnsafeMutablePointer<Int32>
    let requiredCount: Int
    /// Per output port, what the C fast path may write there
    /// (`WEFT_SHIM_ACCEPT_*`); at least one entry. Never written after init.
    let outputAccept: UnsafeMutablePointer<UInt8>

    init(_ spec: NodeSpec) {
        inputTypes = spec.inputs.map(\.type)
        inputCount = spec.inputs.count
        hasParams = !spec.params.isEmpty
        inputAccept = .allocate(capacity: max(inputCount, 1))
        inputAccept.initialize(repeating: 0, count: max(inputCount, 1))
        for (i, port) in spec.inputs.enumerated() {
            var bits = Self.kindsTaken(by: port.type)
            if port.optional && port.defaultValue == nil { bits |= UInt8(1 << WEFT_SHIM_NONE | 1 << WEFT_SHIM_DEAD) }
            inputAccept[i] = bits
        }
        inputDefaults = spec.inputs.map(\.defaultValue)
        inputOptional = spec.inputs.map(\.optional)
        outputCount = spec.outputs.count
        outputTypes = spec.outputs.map(\.type)
        let requiredOutputs = spec.outputs.indices.filter { !spec.outputs[$0].optional }
        requiredCount = requiredOutputs.count
        required = .allocate(capacity: max(requiredCount, 1))
        required.initialize(from: requiredOutputs.map { Int32($0) }, count: requiredCount)
        outputAccept = .allocate(capacity: max(outputCount, 1))
        outputAccept.initialize(repeating: 0, count: max(outputCount, 1))
        for (i, t) in outputTypes.enumerated() {
            switch t {
            case .int: outputAccept[i] = UInt8(WEFT_SHIM_ACCEPT_INT)
            case .double: outputAccept[i] = UInt8(WEFT_SHIM_ACCEPT_DOUBLE | WEFT_SHIM_WIDEN_INT)
            case .number: outputAccept[i] = UInt8(WEFT_SHIM_ACCEPT_INT | WEFT_SHIM_ACCEPT_DOUBLE)
            case .bool: outputAccept[i] = UInt8(WEFT_SHIM_ACCEPT_BOOL)
            case .any: outputAccept[i] = UInt8(WEFT_SHIM_ACCEPT_INT | WEFT_SHIM_ACCEPT_DOUBLE | WEFT_SHIM_ACCEPT_BOOL)
            default: break
            }
        }
    }

    /// The slot kinds (bit `1 << WEFT_SHIM_*`) a value of type `t` may
    /// have as it is, without a look at a boxed value or a conversion:
    /// numbers and bools of the type, anything for `any`. A boxed value
    /// of another type (a string, a list) must be checked by its kind.
    package static func kindsTaken(by t: ValueType) -> UInt8 {
        let bits: Int32
        switch t {
        case .int: bits = 1 << WEFT_SHIM_INT
        case .double: bits = 1 << WEFT_SHIM_DOUBLE
        case .number: bits = 1 << WEFT_SHIM_INT | 1 << WEFT_SHIM_DOUBLE
        case .bool: bits = 1 << WEFT_SHIM_BOOL
        case .any: bits = 1 << WEFT_SHIM_INT | 1 << WEFT_SHIM_DOUBLE | 1 << WEFT_SHIM_BOOL | 1 << WEFT_SHIM_BOXED
        default: bits = 0
        }
        return UInt8(bits)
    }

    deinit {
        required.deallocate()
        outputAccept.deallocate()
        inputAccept.deallocate()
    }
}
