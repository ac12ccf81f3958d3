import CWeft
import CWeftShims
import Synchronization
import WeftCore

/// How a deferred call ended: with its outputs (in the context it was
/// resumed on, ended but kept: `frame.outputs` and `boxedOutputs` hold
/// them), or failed.
package enum AsyncEnd {
    case completed(CallContext)
    case failed(NodeError)
}

/// A call of an async node (ABI v4) that ends later: made by `defer_call`
/// during `run`, ended once by the plugin from any thread
/// (`resume_call` + `complete_call`, or `fail_call`).
///
/// The `weft_token_t *` the plugin holds is the call's id, looked up in a
/// table of live calls, never trusted as an address: a token ended twice,
/// made up, or kept after it ended gets WEFT_ERR_HANDLE and a warning.
/// A call stays in the table until the plugin ends it, also after its run
/// ended (the run then ignores the result).
package final class AsyncCall: @unchecked Sendable {
    let id: UInt
    let instance: NodeInstance
    let sink: AsyncSink
    private let lock = ConditionLock()
    /// Set by the run once `run` returned WEFT_PENDING (`AsyncSink.arm`).
    private var node: Int?
    /// An end that came before the run armed the call.
    private var early: AsyncEnd?
    private var state = State.pending
    /// The context of a resumed call (held until the call ends).
    private var resumed: CallContext?

    enum State { case pending, resumed, ended }

    init(instance: NodeInstance, sink: AsyncSink) {
        id = Self.nextId.add(1, ordering: .relaxed).newValue
        self.instance = instance
        self.sink = sink
    }

    var token: OpaquePointer { OpaquePointer(bitPattern: id)! }

    // MARK: the table of live calls

    private static let nextId = Atomic<UInt>(0)
    // (A lock object and a plain table, as PluginSource's live emitters:
    // ThreadSanitizer reads a static Mutex's withLock as a modifying access.)
    nonisolated(unsafe) private static var table: [UInt: AsyncCall] = [:]
    private static let tableLock = ConditionLock()
    private static func withLive<T>(_ body: (inout [UInt: AsyncCall]) -> T) -> T { tableLock.withLock { body(&table) } }

    func register() { Self.withLive { $0[id] = self } }
    func unregister() { _ = Self.withLive { $0.removeValue(forKey: id) } }

    static func lookup(_ token: OpaquePointer?, _ function: String) -> AsyncCall? {
        guard let token else {
            PluginLog.misuse(function, "a NULL token")
            return nil
        }
        let id = UInt(bitPattern: Int(bitPattern: UnsafeMutableRawPointer(token)))
        guard let call = withLive({ $0[id] }) else {
            PluginLog.misuse(function, "a token that is not a pending call (ended already, or made up)")
            return nil
        }
        return call
    }

    /// How many calls are live (deferred, not yet ended by their plugin).
    package static var liveCount: Int { withLive { $0.count } }

    // MARK: ending

    /// The run took the call as node `n`'s: an end that came already is
    /// delivered now.
    func armed(node n: Int) -> AsyncEnd? {
        lock.withLock {
            node = n
            defer { early = nil }
            return early
        }
    }

    /// The plugin ended the call: delivered, or kept until armed.
    private func end(_ e: AsyncEnd) {
        let n = lock.withLock { () -> Int? in
            if node == nil { early = e }
            return node
        }
        if let n { sink.finish(self, node: n, e) }
    }

    /// The token's node, for messages.
    private var label: String { "node '\(instance.nodeId)' (\(instance.type.fullName))" }

    static func resume(_ token: OpaquePointer?) -> OpaquePointer? {
        guard let call = lookup(token, "resume_call") else { return nil }
        guard weft_shim_current_ctx() == nil else {
            PluginLog.misuse("resume_call", "a thread already inside a callback or a resumed call; end that first")
            return nil
        }
        let c = CallContext()
        let ok = call.lock.withLock { () -> Bool in
            guard call.state == .pending else { return false }
            call.state = .resumed
            call.resumed = c
            return true
        }
        guard ok else {
            PluginLog.misuse("resume_call", "a token resumed already (for \(call.label))")
            return nil
        }
        c.prepareOutputs(call.instance.ports.outputCount, accept: call.instance.ports.outputAccept)
        c.savedPrevious = c.begin(.run, instance: call.instance)
        return c.pointer
    }

    static func complete(_ token: OpaquePointer?) -> Int32 {
        guard let call = lookup(token, "complete_call") else { return WEFT_ERR_HANDLE }
        guard let c = call.lock.withLock({ call.state == .resumed ? call.resumed : nil }),
              UnsafeMutableRawPointer(c.pointer) == weft_shim_current_ctx() else {
            PluginLog.misuse("complete_call", "a token not resumed on this thread (call resume_call first, and end on its thread)")
            return WEFT_ERR_HANDLE
        }
        let ok = call.instance.finishCall(c, status: WEFT_OK)
        c.end(restoring: c.savedPrevious)
        call.lock.withLock { call.state = .ended }
        call.unregister()
        call.end(ok ? .completed(c) : .failed(c.nodeError ?? NodeError(nodeId: call.instance.nodeId, type: call.instance.type.fullName,
                                                                         message: "failed without a message (a host bug)")))
        return ok ? WEFT_OK : WEFT_ERR_FAILED
    }

    static func fail(_ token: OpaquePointer?, _ message: UnsafePointer<CChar>?) -> Int32 {
        guard let call = lookup(token, "fail_call") else { return WEFT_ERR_HANDLE }
        let (state, c) = call.lock.withLock { (call.state, call.resumed) }
        switch state {
        case .ended:
            PluginLog.misuse("fail_call", "a token ended already (for \(call.label))")
            return WEFT_ERR_HANDLE
        case .resumed:
            guard let c, UnsafeMutableRawPointer(c.pointer) == weft_shim_current_ctx() else {
                PluginLog.misuse("fail_call", "a resumed token from another thread than the one that resumed it")
                return WEFT_ERR_HANDLE
            }
            c.end(restoring: c.savedPrevious)
        case .pending:
            break
        }
        let done = call.lock.withLock { () -> Bool in
            if call.state == .ended { return false }
            call.state = .ended
            return true
        }
        guard done else { return WEFT_ERR_HANDLE }
        call.unregister()
        let text = message.map { String(cString: $0) } ?? ""
        call.end(.failed(NodeError(nodeId: call.instance.nodeId, type: call.instance.type.fullName,
                                   message: text.isEmpty ? "failed without a message" : text)))
        return WEFT_OK
    }

    /// The plugin deferred the call but `run` did not return WEFT_PENDING:
    /// the call is forgotten (a later end of its token is refused).
    package func abandon() {
        lock.withLock { state = .ended }
        unregister()
    }

    /// Asks the plugin to give up the call (its descriptor's `cancel`).
    func cancel() {
        guard lock.withLock({ state != .ended }), let cancel = instance.type.cancel else { return }
        cancel(instance.state, token)
    }
}

/// A run's side of its deferred calls: where their ends go (`deliver`,
/// called on the plugin's thread while the ended call's context still
/// holds its outputs), until the run stops waiting (`shutDown`).
package final class AsyncSink: @unchecked Sendable {
    private let lock = ConditionLock()
    private var open = true
    /// Armed calls not yet ended.
    private var pending: [UInt: AsyncCall] = [:]
    private var deliver: ((Int, AsyncEnd) -> Void)?

    package init(deliver: @escaping (_ node: Int, _ end: AsyncEnd) -> Void) {
        self.deliver = deliver
    }

    /// `run` of node `n` returned WEFT_PENDING after deferring `call`.
    package func arm(_ call: AsyncCall, node n: Int) {
        lock.withLock { pending[call.id] = call }
        if let early = call.armed(node: n) { finish(call, node: n, early) }
    }

    func finish(_ call: AsyncCall, node n: Int, _ e: AsyncEnd) {
        let to = lock.withLock { () -> ((Int, AsyncEnd) -> Void)? in
            guard open, pending.removeValue(forKey: call.id) != nil else { return nil }
            return deliver
        }
        to?(n, e)
    }

    /// Whether calls are still pending.
    package var hasPending: Bool { lock.withLock { !pending.isEmpty } }

    /// The run stops waiting: each pending call's plugin is asked to give
    /// it up (`cancel`); their ends are no longer delivered. Returns how
    /// many calls were pending. Later calls return 0.
    package func shutDown() -> Int {
        let calls = lock.withLock { () -> [AsyncCall] in
            open = false
            deliver = nil
            defer { pending.removeAll() }
            return Array(pending.values)
        }
        for c in calls { c.cancel() }
        return calls.count
    }
}
