import CWeft
import CWeftShims
import WeftCore
#if canImport(Glibc)
import Glibc
#endif

/// A plugin's event source (ABI v3): the descriptor's `start` / `stop`
/// around one node instance, and the host functions `emit_begin`,
/// `emit_end`, `source_done` its threads call.
///
/// The `weft_emitter_t *` handed to the plugin is this object's address; it
/// stays in a table of live emitters until the source is released (after
/// the run), so a plugin pointer is looked up, never trusted: an unknown or
/// stale emitter gets NULL / WEFT_ERR_HANDLE and a logged warning.
final class PluginSource: EventSource, @unchecked Sendable {
    let instance: NodeInstance
    let startFn: weft_source_start_fn
    let stopFn: weft_source_stop_fn
    private let lock = ConditionLock()
    private var emitter: EventEmitter?
    private var stopped = false

    init(instance: NodeInstance, start: @escaping weft_source_start_fn, stop: @escaping weft_source_stop_fn) {
        self.instance = instance
        startFn = start
        stopFn = stop
    }

    deinit { _ = Self.withLive { $0.remove(address) } }

    var address: UInt { UInt(bitPattern: Unmanaged.passUnretained(self).toOpaque()) }

    static func factory(start: weft_source_start_fn?, stop: weft_source_stop_fn?) -> EventSourceFactory? {
        guard let start, let stop else { return nil }
        return { instance in .success(PluginSource(instance: instance, start: start, stop: stop)) }
    }

    func start(_ emitter: EventEmitter) throws(EventSourceError) {
        lock.withLock { self.emitter = emitter }
        _ = Self.withLive { $0.insert(address) }
        let status = startFn(instance.state, OpaquePointer(Unmanaged.passUnretained(self).toOpaque()))
        if status != WEFT_OK {
            throw EventSourceError("start failed: returned \(StatusCode.name(status))")
        }
    }

    func stop() {
        let first = lock.withLock { () -> Bool in
            if stopped { return false }
            stopped = true
            return true
        }
        if first { stopFn(instance.state) }
    }

    var acceptingEmitter: EventEmitter? {
        lock.withLock { stopped ? nil : emitter }
    }

    // MARK: the table of live emitters

    nonisolated(unsafe) private static var live = Set<UInt>()
    private static let liveLock = ConditionLock()
    static func withLive<T>(_ body: (inout Set<UInt>) -> T) -> T { liveLock.withLock { body(&live) } }

    static func lookup(_ pointer: OpaquePointer?, _ function: String) -> PluginSource? {
        guard let pointer else {
            PluginLog.misuse(function, "a NULL emitter")
            return nil
        }
        let raw = UnsafeMutableRawPointer(pointer)
        guard withLive({ $0.contains(UInt(bitPattern: raw)) }) else {
            PluginLog.misuse(function, "an emitter that is not a running source's (kept after its run, or made up)")
            return nil
        }
        return Unmanaged<PluginSource>.fromOpaque(raw).takeUnretainedValue()
    }

    // MARK: host functions

    static func emitBegin(_ pointer: OpaquePointer?) -> OpaquePointer? {
        guard let source = lookup(pointer, "emit_begin") else { return nil }
        guard let emitter = source.acceptingEmitter, emitter.isAccepting else { return nil }
        guard weft_shim_current_ctx() == nil else {
            PluginLog.misuse("emit_begin", "a thread already inside a callback or an event; end that first")
            return nil
        }
        let c = CallContext()
        c.prepareOutputs(source.instance.ports.outputCount, accept: source.instance.ports.outputAccept)
        c.savedPrevious = c.begin(.emit, instance: source.instance)
        c.emitter = emitter
        // The thread-local holds the context unretained: keep it alive until emit_end.
        _ = Unmanaged.passRetained(c)
        return c.pointer
    }

    static func emitEnd(_ ctx: OpaquePointer?, _ send: Int32) -> Int32 {
        guard let c = HostFunctions.call(ctx, "emit_end") else { return WEFT_ERR_HANDLE }
        guard c.phase == .emit, let emitter = c.emitter else {
            return c.error(WEFT_ERR_STATE, "emit_end: this ctx is a node call, not an event begun with emit_begin")
        }
        let payload = c.outputs
        c.emitter = nil
        c.end(restoring: c.savedPrevious)
        Unmanaged.passUnretained(c).release()
        guard send != 0 else { return WEFT_OK }
        return emitter.emit(payload) ? WEFT_OK : WEFT_ERR_STATE
    }

    static func sourceDone(_ pointer: OpaquePointer?, _ error: UnsafePointer<CChar>?) {
        guard let source = lookup(pointer, "source_done") else { return }
        let message = error.map { String(cString: $0) }
        source.lock.withLock { source.emitter }?.finish(error: message)
    }
}
