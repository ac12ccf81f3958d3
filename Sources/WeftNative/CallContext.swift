import CWeft
import CWeftShims
import Synchronization
import WeftCore
#if canImport(Glibc)
import Glibc
#endif

/// Source of call generations: every `create`/`run` gets a fresh one, and
/// value handles carry it, so a handle from another call is recognised.
/// A context takes them in blocks of `generationBlock` (one atomic add per
/// block, not per call); blocks are never shared, so generations stay
/// unique across contexts and threads until the 32-bit counter wraps.
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

    var phase: Phase = .idle
    var generation: UInt32 = 0
    private var nextGeneration: UInt32 = 0
    private var generationsLeft: UInt32 = 0
    /// The instance being created or run. Not retained: whoever starts a
    /// call holds the instance until it ends, and `end` clears this.
    unowned(unsafe) var instance: NodeInstance?
    /// The input values of the current (or last) `run`; read only in the
    /// run phase. Kept after the call so the next one writes in place.
    var inputs: [WeftValue?] = []
    /// The outputs of the last `run` (nil = not fired).
    package var outputs: [WeftValue?] = []
    /// Values behind the call's handles; handle = generation << 32 | (index + 1).
    var arena: [WeftValue] = []
    /// C strings handed to the plugin during this call; freed when it ends.
    var borrowed: [UnsafeMutablePointer<CChar>] = []
    /// Set by `fail`.
    var failure: String?
    /// The message of the last host function that failed (see `error_message`).
    var lastError: String = ""
    /// During an emit: the source's emitter and the thread's previous call.
    var emitter: EventEmitter?
    var savedPrevious = SavedCall()

    /// The thread's call before this one began (restored by `end`).
    struct SavedCall {
        var ctx: UnsafeMutableRawPointer?
        var call: UnsafeMutableRawPointer?
        var frame: UnsafeMutablePointer<weft_shim_frame_t>?
    }

    /// The run's numbers for the C fast path of input_int, input_double,
    /// output_int and output_double (CWeftShims/fastcalls.c): filled
    /// before a run, merged into `outputs` when it ends.
    let frame = UnsafeMutablePointer<weft_shim_frame_t>.allocate(capacity: 1)
    private var frameCapacity = (inputs: 0, outputs: 0)

    /// Addresses handed out as `weft_ctx_t *`: one per call, cycling through
    /// this reserved block, so a ctx kept from an earlier call on the same
    /// thread no longer equals the live one. Never dereferenced.
    private let tokens = UnsafeMutableRawPointer.allocate(byteCount: CallContext.tokenSpan, alignment: 16)
    static let tokenSpan = 4096
    /// The pointer the plugin sees as `weft_ctx_t *` in the current call.
    private(set) var pointer: OpaquePointer

    public init() {
        pointer = OpaquePointer(tokens)
        frame.initialize(to: weft_shim_frame_t())
    }

    deinit {
        releaseBorrowed()
        tokens.deallocate()
        frame.pointee.inputs?.deallocate()
        frame.pointee.outputs?.deallocate()
        frame.deallocate()
    }

    /// Readies the frame for a run with these port counts: no inputs known,
    /// no outputs written. `accept` (one entry per output) must outlive
    /// the run.
    func prepareFrame(inputs: Int, outputs: Int, accept: UnsafePointer<UInt8>) {
        if inputs > frameCapacity.inputs {
            frame.pointee.inputs?.deallocate()
            frameCapacity.inputs = max(inputs, 8)
            frame.pointee.inputs = .allocate(capacity: frameCapacity.inputs)
        }
        if outputs > frameCapacity.outputs {
            frame.pointee.outputs?.deallocate()
            frameCapacity.outputs = max(outputs, 8)
            frame.pointee.outputs = .allocate(capacity: frameCapacity.outputs)
        }
        frame.pointee.input_count = Int32(inputs)
        frame.pointee.output_count = Int32(outputs)
        frame.pointee.accept = accept
        for i in 0..<outputs { frame.pointee.outputs[i] = weft_shim_number_t() }
    }

    /// Input `index` of the coming run, for the fast path (numbers only).
    @inline(__always)
    func setFrameInput(_ index: Int, _ value: WeftValue?) {
        var n = weft_shim_number_t()
        switch value {
        case .int(let i)?: n.bits = i; n.kind = Int32(WEFT_SHIM_INT)
        case .double(let d)?: n.bits = Int64(bitPattern: d.bitPattern); n.kind = Int32(WEFT_SHIM_DOUBLE)
        default: break
        }
        frame.pointee.inputs[index] = n
    }

    /// Whether output `index` was written in this call, by either path.
    func outputWritten(_ index: Int) -> Bool {
        if outputs[index] != nil { return true }
        return phase == .run && index < Int(frame.pointee.output_count) && frame.pointee.outputs[index].taken != 0
    }

    /// The slow path wrote output `index`: the fast path must not write it again.
    func markOutputWritten(_ index: Int) {
        if phase == .run && index < Int(frame.pointee.output_count) { frame.pointee.outputs[index].taken = 1 }
    }

    /// Starts a call: the ctx becomes this thread's current one.
    /// Returns the previously current ctx, to restore in `end`.
    func begin(_ phase: Phase, instance: NodeInstance) -> SavedCall {
        self.phase = phase
        self.instance = instance
        if generationsLeft == 0 {
            nextGeneration = generationBlocks.add(1, ordering: .relaxed).newValue &* generationBlock
            generationsLeft = generationBlock
        }
        generation = nextGeneration
        nextGeneration &+= 1
        generationsLeft -= 1
        if generation == 0 { generation = nextGeneration; nextGeneration &+= 1; generationsLeft -= 1 }
        // Only what the last call changed is reset (this runs per node call).
        if failure != nil { failure = nil }
        if !lastError.isEmpty { lastError = "" }
        if !arena.isEmpty { arena.removeAll(keepingCapacity: true) }
        pointer = OpaquePointer(tokens + Int(generation % UInt32(CallContext.tokenSpan)))
        let saved = SavedCall(ctx: weft_shim_current_ctx(), call: weft_shim_current_call(), frame: weft_shim_current_frame())
        weft_shim_set_current_ctx(UnsafeMutableRawPointer(pointer))
        weft_shim_set_current_call(Unmanaged.passUnretained(self).toOpaque())
        if phase == .run {
            frame.pointee.ctx = UnsafeMutableRawPointer(pointer)
            weft_shim_set_current_frame(frame)
        } else {
            weft_shim_set_current_frame(nil)
        }
        return saved
    }

    /// Ends the call: handles die, borrowed strings are freed.
    func end(restoring previous: SavedCall) {
        weft_shim_set_current_ctx(previous.ctx)
        weft_shim_set_current_call(previous.call)
        weft_shim_set_current_frame(previous.frame)
        if phase == .run {
            // Numbers the fast path wrote become ordinary outputs.
            frame.pointee.ctx = nil
            let f = frame.pointee
            for i in 0..<min(Int(f.output_count), outputs.count) {
                let n = f.outputs[i]
                if n.kind == Int32(WEFT_SHIM_INT) {
                    outputs[i] = .int(n.bits)
                } else if n.kind == Int32(WEFT_SHIM_DOUBLE) {
                    outputs[i] = .double(Double(bitPattern: UInt64(bitPattern: n.bits)))
                }
            }
        }
        phase = .idle
        instance = nil
        if !arena.isEmpty { arena.removeAll(keepingCapacity: true) }
        if !borrowed.isEmpty { releaseBorrowed() }
    }

    private func releaseBorrowed() {
        for p in borrowed { free(p) }
        borrowed.removeAll(keepingCapacity: true)
    }

    // MARK: handles

    func handle(for value: WeftValue) -> weft_value_t {
        arena.append(value)
        return UInt64(generation) << 32 | UInt64(arena.count)
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
        return UnsafeRawPointer(p)
    }

    /// Records an error for `error_message` and returns `status`.
    func error(_ status: Int32, _ message: String) -> Int32 {
        lastError = message
        return status
    }
}
