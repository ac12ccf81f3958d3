import CWeft
import CWeftShims
import Synchronization
import WeftCore
#if canImport(Glibc)
import Glibc
#endif

/// Source of handle generations: a call that makes value handles gets a
/// fresh one with its first handle, and its handles carry it, so a handle
/// from another call is recognised (a call that makes none has an empty
/// arena, where no handle is live). A context takes them in blocks of
/// `generationBlock` (one atomic add per block); blocks are never shared,
/// so generations stay unique across contexts and threads until the
/// 32-bit counter wraps.
private let generationBlocks = Atomic<UInt32>(0)
private let generationBlock: UInt32 = 4096

/// The state behind one `weft_ctx_t *`: the node's port values, the value
/// arena of the call, its failure message.
///
/// Reusable: a worker thread keeps one and runs many calls through it (no
/// allocation per call once the arrays have grown). Not thread-safe: one
/// call at a time, on the calling thread.
public final class CallContext {
    enum Phase {
        case idle, create, run
        /// A plugin source building one event (`emit_begin` … `emit_end`).
        case emit

        var writesOutputs: Bool { self == .run || self == .emit }
    }

    // The state of the current (or last) call that C code reads and
    // writes too (the compiled passes of `CWeftShims/passes.c`) lives in
    // the frame: phase, instance, dirty, the call count, the ctx, the boxed
    // inputs. These properties are views of it.

    var phase: Phase {
        get {
            switch frame.pointee.phase {
            case Int32(WEFT_SHIM_PHASE_CREATE): .create
            case Int32(WEFT_SHIM_PHASE_RUN): .run
            case Int32(WEFT_SHIM_PHASE_EMIT): .emit
            default: .idle
            }
        }
        set {
            frame.pointee.phase = switch newValue {
            case .idle: Int32(WEFT_SHIM_PHASE_IDLE)
            case .create: Int32(WEFT_SHIM_PHASE_CREATE)
            case .run: Int32(WEFT_SHIM_PHASE_RUN)
            case .emit: Int32(WEFT_SHIM_PHASE_EMIT)
            }
        }
    }
    /// The generation of this call's handles (fresh with its first handle).
    private(set) var generation: UInt32 = 0
    private var nextGeneration: UInt32 = 0
    private var generationsLeft: UInt32 = 0
    /// A call left something to clear: handles, borrowed strings, a
    /// failure or an error message (set by whoever adds one). Calls that
    /// leave nothing — the common node — skip the clearing.
    private var dirty: Bool {
        get { frame.pointee.dirty != 0 }
        set { frame.pointee.dirty = newValue ? 1 : 0 }
    }
    /// The instance being created or run. Not retained: whoever starts a
    /// call holds the instance until it ends, and `end` clears this.
    var instance: NodeInstance? {
        get { frame.pointee.instance.map { Unmanaged<NodeInstance>.fromOpaque($0).takeUnretainedValue() } }
        set { frame.pointee.instance = newValue.map { Unmanaged.passUnretained($0).toOpaque() } }
    }
    /// Inputs of the current (or last) `run` that are not numbers, beside
    /// `frame.inputs` (kind `WEFT_SHIM_BOXED` there): the run's own slots
    /// when the scheduler lends them, else `ownBoxedInputs`.
    private var boxedInputs: UnsafeMutablePointer<WeftValue> {
        get { frame.pointee.boxed_inputs.assumingMemoryBound(to: WeftValue.self) }
        set { frame.pointee.boxed_inputs = UnsafeMutableRawPointer(newValue) }
    }
    /// Outputs written in this call that are not numbers, beside
    /// `frame.outputs` (kind `WEFT_SHIM_BOXED` there).
    package private(set) var boxedOutputs: UnsafeMutablePointer<WeftValue>
    /// Values behind the call's handles; handle = generation << 32 | (index + 1).
    var arena: [WeftValue] = []
    /// C strings handed to the plugin during this call; freed when it ends.
    private var borrowed: [UnsafeMutablePointer<CChar>] = []
    /// Set by `fail`.
    var failure: String? { didSet { dirty = true } }
    /// Why the last `NodeInstance` call through this context failed.
    package var nodeError: NodeError?
    /// The message of the last host function that failed (see `error_message`).
    var lastError: String = "" { didSet { dirty = true } }
    /// During an emit: the source's emitter and the thread's previous call.
    var emitter: EventEmitter?
    var savedPrevious: SavedCall = nil
    /// Async nodes (ABI v4): where calls deferred on this context end (set
    /// by a run that can wait for them; nil: `defer_call` is refused).
    package var asyncSink: AsyncSink?
    /// The call `defer_call` deferred during the last `run` (the caller
    /// takes it and clears this).
    package var deferred: AsyncCall?
    /// The last `run` deferred its call and returned WEFT_PENDING (the
    /// caller takes `deferred` and clears this).
    package var pending = false
    /// The monotonic time (ns) past which this call is over its
    /// `timeout_ms` (0: none): `should_stop` says so from then on.
    package var deadline: UInt64 = 0

    /// The thread's call before this one began (its frame; restored by `end`).
    typealias SavedCall = UnsafeMutablePointer<weft_shim_frame_t>?

    /// The run's numbers for the C fast path of input_int, input_double,
    /// output_int and output_double (CWeftShims/fastcalls.c): filled
    /// before a run, merged into `outputs` when it ends.
    ///
    /// Inputs: `frame.inputs` is either this context's own buffer
    /// (`ownInputs`, filled by `setInput`) or, for a scheduler's run, the
    /// run's input slots of the node, lent for the call (`lendInputs`): a
    /// number travels from one node's output to the next node's input
    /// without ever becoming a `WeftValue`.
    /// Outputs: written by either path into `frame.outputs` (`taken` = written;
    /// kind int, double or boxed with the value in `boxedOutputs`).
    package let frame = UnsafeMutablePointer<weft_shim_frame_t>.allocate(capacity: 1)
    private var ownInputs: UnsafeMutablePointer<weft_shim_number_t>
    private var ownBoxedInputs: UnsafeMutablePointer<WeftValue>
    private var inputCapacity = 8
    private var outputCapacity = 8

    /// Addresses handed out as `weft_ctx_t *` (`frame.tokens`): one per
    /// call, cycling through this reserved block, so a ctx kept from an
    /// earlier call on the same thread no longer equals the live one.
    /// Never dereferenced.
    private let tokens = UnsafeMutableRawPointer.allocate(byteCount: Int(WEFT_SHIM_TOKEN_SPAN), alignment: 16)
    /// The pointer the plugin sees as `weft_ctx_t *` in the current (or last) call.
    var pointer: OpaquePointer { OpaquePointer(frame.pointee.ctx) }

    public init() {
        frame.initialize(to: weft_shim_frame_t())
        frame.pointee.tokens = tokens.assumingMemoryBound(to: CChar.self)
        frame.pointee.ctx = tokens
        ownInputs = .allocate(capacity: inputCapacity)
        ownInputs.initialize(repeating: weft_shim_number_t(), count: inputCapacity)
        ownBoxedInputs = .allocate(capacity: inputCapacity)
        ownBoxedInputs.initialize(repeating: .null, count: inputCapacity)
        frame.pointee.boxed_inputs = UnsafeMutableRawPointer(ownBoxedInputs)
        frame.pointee.inputs = ownInputs
        frame.pointee.outputs = .allocate(capacity: outputCapacity)
        frame.pointee.outputs.initialize(repeating: weft_shim_number_t(), count: outputCapacity)
        boxedOutputs = .allocate(capacity: outputCapacity)
        boxedOutputs.initialize(repeating: .null, count: outputCapacity)
        frame.pointee.call = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        releaseBorrowed()
        tokens.deallocate()
        ownInputs.deallocate()
        ownBoxedInputs.deinitialize(count: inputCapacity).deallocate()
        frame.pointee.outputs.deallocate()
        boxedOutputs.deinitialize(count: outputCapacity).deallocate()
        frame.deallocate()
    }

    // MARK: inputs

    /// Inputs of the coming run in this context's own buffers: `count`
    /// ports, none set yet. Then `setInput` each.
    func useOwnInputs(_ count: Int) {
        if count > inputCapacity {
            ownInputs.deallocate()
            ownBoxedInputs.deinitialize(count: inputCapacity).deallocate()
            inputCapacity = max(count, 2 * inputCapacity)
            ownInputs = .allocate(capacity: inputCapacity)
            ownInputs.initialize(repeating: weft_shim_number_t(), count: inputCapacity)
            ownBoxedInputs = .allocate(capacity: inputCapacity)
            ownBoxedInputs.initialize(repeating: .null, count: inputCapacity)
        }
        frame.pointee.inputs = ownInputs
        frame.pointee.input_count = Int32(count)
        boxedInputs = ownBoxedInputs
    }

    /// Input `index` of the coming run (own buffers; nil = no value).
    func setInput(_ index: Int, _ value: WeftValue?) {
        guard let value else {
            if ownInputs[index].isBoxed { ownBoxedInputs[index] = .null }
            ownInputs[index] = weft_shim_number_t()
            return
        }
        let n = weft_shim_number_t(value)
        if n.isBoxed { ownBoxedInputs[index] = value }
        ownInputs[index] = n
    }

    /// The coming run reads its `count` inputs straight from the caller's
    /// slots (numbers and kinds) and `boxed` (the values of boxed slots),
    /// which must stay unchanged until the call ends. Slots must hold only
    /// int, double, bool, boxed (never a boxed int, double or bool), none
    /// or dead.
    @inline(__always)
    func lendInputs(_ count: Int, _ slots: UnsafeMutablePointer<weft_shim_number_t>, _ boxed: UnsafeMutablePointer<WeftValue>) {
        frame.pointee.inputs = slots
        frame.pointee.input_count = Int32(count)
        boxedInputs = boxed
    }

    /// The number of input ports of the current (or last) run.
    var inputCount: Int { Int(frame.pointee.input_count) }

    /// Input `index` of the current (or last) run; nil = no value.
    func input(_ index: Int) -> WeftValue? {
        frame.pointee.inputs[index].value { boxedInputs[index] }
    }

    /// The inputs of the current (or last) run, one per port.
    var inputs: [WeftValue?] { (0..<inputCount).map { input($0) } }

    // MARK: outputs

    /// Readies the outputs for a call with `count` output ports: none
    /// written. `accept` (one entry per output, what the fast path may
    /// write) must outlive the call.
    @inline(__always)
    func prepareOutputs(_ count: Int, accept: UnsafePointer<UInt8>) {
        if count > outputCapacity { growOutputs(count) }
        let outs = frame.pointee.outputs!
        for i in 0..<count {
            // The last call's value is let go now, not kept until overwritten.
            if outs[i].kind == Int32(WEFT_SHIM_BOXED) { boxedOutputs[i] = .null }
            outs[i] = weft_shim_number_t()
        }
        frame.pointee.output_count = Int32(count)
        frame.pointee.accept = accept
    }

    private func growOutputs(_ count: Int) {
        frame.pointee.outputs.deallocate()
        boxedOutputs.deinitialize(count: outputCapacity).deallocate()
        outputCapacity = max(count, 2 * outputCapacity)
        frame.pointee.outputs = .allocate(capacity: outputCapacity)
        frame.pointee.outputs.initialize(repeating: weft_shim_number_t(), count: outputCapacity)
        boxedOutputs = .allocate(capacity: outputCapacity)
        boxedOutputs.initialize(repeating: .null, count: outputCapacity)
    }

    /// The number of output ports of the current (or last) call.
    package var outputCount: Int { Int(frame.pointee.output_count) }

    /// Whether output `index` was written in this call, by either path.
    func outputWritten(_ index: Int) -> Bool {
        index >= 0 && index < outputCount && frame.pointee.outputs[index].taken != 0
    }

    /// Stores output `index` (checked by the caller: in range, type fits).
    func storeOutput(_ index: Int, _ value: WeftValue) {
        let n = weft_shim_number_t(value, taken: 1)
        if n.isBoxed { boxedOutputs[index] = value }
        frame.pointee.outputs[index] = n
    }

    /// Output `index` of the last call; nil = not written.
    package func output(_ index: Int) -> WeftValue? {
        let n = frame.pointee.outputs[index]
        guard n.taken != 0 else { return nil }
        return n.value { boxedOutputs[index] } ?? .null
    }

    /// The outputs of the last call, one per port (nil = not fired).
    package var outputs: [WeftValue?] { (0..<outputCount).map { output($0) } }

    /// Starts a call: the ctx becomes this thread's current one (its frame
    /// the thread's current frame). Returns the previously current frame,
    /// to restore in `end`. Runs per node call: what the last call left is
    /// cleared only if it left something (`dirty`).
    @inline(__always)
    func begin(_ phase: Phase, instance: NodeInstance) -> SavedCall {
        self.phase = phase
        self.instance = instance
        if dirty { clearCall() }
        return weft_shim_enter(frame)
    }

    /// Ends the call: handles die, borrowed strings are freed. (Its failure
    /// and error message stay readable until the next call begins.) The
    /// frame keeps the call's ctx and phase: once the thread's current frame
    /// is restored, no host function reaches this frame through it, and the
    /// next call's ctx is another address.
    @inline(__always)
    func end(restoring previous: SavedCall) {
        weft_shim_leave(frame, previous)
        if dirty { releaseValues() }
    }

    /// After a call made outside `begin`/`end` (a compiled pass's step in
    /// C, which entered and left the frame itself): what `end` does.
    package func ended() {
        if dirty { releaseValues() }
    }

    /// Makes room for outputs of up to `count` ports (a compiled pass
    /// fills the frame's outputs itself).
    package func reserveOutputs(_ count: Int) {
        if count > outputCapacity { growOutputs(count) }
    }

    private func clearCall() {
        failure = nil
        lastError = ""
        releaseValues()
        dirty = false
    }

    private func releaseValues() {
        if !arena.isEmpty { arena.removeAll(keepingCapacity: true) }
        if !borrowed.isEmpty { releaseBorrowed() }
    }

    private func releaseBorrowed() {
        for p in borrowed { free(p) }
        borrowed.removeAll(keepingCapacity: true)
    }

    // MARK: handles

    func handle(for value: WeftValue) -> weft_value_t {
        if arena.isEmpty { freshGeneration() }
        arena.append(value)
        dirty = true
        return UInt64(generation) << 32 | UInt64(arena.count)
    }

    /// A generation no handle has had (never 0).
    private func freshGeneration() {
        repeat {
            if generationsLeft == 0 {
                nextGeneration = generationBlocks.add(1, ordering: .relaxed).newValue &* generationBlock
                generationsLeft = generationBlock
            }
            generation = nextGeneration
            nextGeneration &+= 1
            generationsLeft -= 1
        } while generation == 0
    }

    /// The arena index behind `h`, or nil (recording why) if it is not a
    /// live handle of this call.
    func index(of h: weft_value_t, in function: String) -> Int? {
        if h == 0 {
            lastError = "\(function): WEFT_NO_VALUE is not a value"
            return nil
        }
        let index = Int(h & 0xFFFF_FFFF) - 1
        guard UInt32(truncatingIfNeeded: h >> 32) == generation, index >= 0, index < arena.count else {
            lastError = "\(function): handle 0x\(String(h, radix: 16)) is not a value of this call "
                + "(handles die when the callback that made them returns)"
            return nil
        }
        return index
    }

    func value(_ h: weft_value_t, in function: String) -> WeftValue? {
        guard let i = index(of: h, in: function) else { return nil }
        return arena[i]
    }

    /// A NUL-terminated C copy of all of `s`'s bytes (embedded NULs
    /// included, so the length the host reports is the length copied) that
    /// lives until the call ends.
    func borrow(_ s: String) -> UnsafePointer<CChar>? {
        var s = s
        return s.withUTF8 { utf8 -> UnsafePointer<CChar>? in
            guard let p = malloc(utf8.count + 1)?.assumingMemoryBound(to: CChar.self) else { return nil }
            if let base = utf8.baseAddress { memcpy(p, base, utf8.count) }
            p[utf8.count] = 0
            borrowed.append(p)
            dirty = true
            return UnsafePointer(p)
        }
    }

    /// A C copy of `bytes` that lives until the call ends (never NULL for
    /// an empty array).
    func borrow(bytes: [UInt8]) -> UnsafeRawPointer? {
        guard let p = malloc(max(bytes.count, 1)) else { return nil }
        bytes.withUnsafeBytes { if let base = $0.baseAddress { memcpy(p, base, bytes.count) } }
        let c = p.assumingMemoryBound(to: CChar.self)
        borrowed.append(c)
        dirty = true
        return UnsafeRawPointer(p)
    }

    /// Records an error for `error_message` and returns `status`.
    func error(_ status: Int32, _ message: String) -> Int32 {
        lastError = message
        return status
    }
}
