import CWeft
import CWeftShims
import WeftCore
#if canImport(Glibc)
import Glibc
#endif

/// Crash and hang isolation: a node type whose instances each live in a
/// worker process of their own.
///
/// The wrapper is itself an ordinary node type (create/run/destroy through
/// the plugin ABI), so the scheduler, strategies and events do not know
/// about isolation. Each instance starts `weft isolate-worker`, which loads
/// the plugin file and creates the real instance there; every call sends
/// the inputs over a socket and brings the outputs back (copied). A crash
/// (SIGSEGV, abort, …) or a call longer than `timeout_ms` fails that call of
/// that node with a message; the worker is started again, and the node
/// created again, at its next call.
public enum Isolation {
    /// `type` (a node type of a plugin file) running in worker processes,
    /// or why it cannot.
    public static func isolated(_ type: NodeType, timeoutMs: Int?, policy: IsolationPolicy) -> Result<NodeType, IsolationError> {
        guard let plugin = type.plugin else {
            return .failure(IsolationError("only nodes of plugin files can run isolated; '\(type.fullName)' was registered by the host or is built in"))
        }
        guard let worker = policy.workerExecutable else {
            return .failure(IsolationError("isolation needs the weft executable as its worker process and none is known; "
                                               + "set WEFT_WORKER=/path/to/weft"))
        }
        let shared = IsolatedType(spec: type.spec, plugin: plugin, timeoutMs: timeoutMs, worker: worker)
        // A call is a round trip to another process, cheap as the node may be.
        var spec = type.spec
        spec.flags.remove(.cheap)
        return .success(NodeType(spec: spec, plugin: plugin, create: isolatedCreate, run: isolatedRun,
                                 destroy: isolatedDestroy, userData: Unmanaged.passUnretained(shared).toOpaque(),
                                 owner: shared))
    }
}

/// Why a node cannot run isolated, or why an isolated call failed.
public struct IsolationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What every instance of one isolated node type shares.
final class IsolatedType: @unchecked Sendable {
    let spec: NodeSpec
    let plugin: LoadedPlugin
    let timeoutMs: Int?
    let worker: String

    init(spec: NodeSpec, plugin: LoadedPlugin, timeoutMs: Int?, worker: String) {
        self.spec = spec
        self.plugin = plugin
        self.timeoutMs = timeoutMs
        self.worker = worker
    }
}

/// One node instance living in a worker process (started again after a
/// crash or timeout).
final class IsolatedInstance: @unchecked Sendable {
    let type: IsolatedType
    let nodeId: String
    let params: [(String, WeftValue)]
    private var worker: WorkerProcess?
    private var mutex = pthread_mutex_t()

    init(type: IsolatedType, nodeId: String, params: [(String, WeftValue)]) {
        self.type = type
        self.nodeId = nodeId
        self.params = params
        pthread_mutex_init(&mutex, nil)
    }

    deinit {
        worker?.stop()
        pthread_mutex_destroy(&mutex)
    }

    private func locked<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return body()
    }

    /// Starts the worker, loads the plugin and creates the instance there.
    /// Called with the lock held.
    private func start() -> Result<WorkerProcess, IsolationError> {
        let w: WorkerProcess
        switch WorkerProcess.spawn(type.worker) {
        case .success(let p): w = p
        case .failure(let f): return .failure(IsolationError(describe(f, pid: nil, during: "start")))
        }
        var load = WireFormat.Writer()
        load.u8(WireFormat.Op.load.rawValue)
        load.string(type.plugin.path)
        if let e = reply(w.exchange(load, timeoutMs: nil), worker: w, during: "load its plugin") {
            w.stop()
            return .failure(IsolationError(e))
        }
        var create = WireFormat.Writer()
        create.u8(WireFormat.Op.create.rawValue)
        create.string(type.spec.fullName)
        create.string(nodeId)
        create.u32(UInt32(params.count))
        for (name, value) in params {
            create.string(name)
            create.value(value)
        }
        if let e = reply(w.exchange(create, timeoutMs: type.timeoutMs), worker: w, during: "create") {
            w.stop()
            return .failure(IsolationError(e))
        }
        return .success(w)
    }

    /// Creates the instance in a new worker (the node's `create`).
    func create() -> String? {
        locked {
            switch start() {
            case .success(let w):
                worker = w
                return nil
            case .failure(let e): return e.message
            }
        }
    }

    /// One call: inputs over, outputs back.
    func run(_ inputs: [WeftValue?]) -> Result<[WeftValue?], IsolationError> {
        locked {
            let w: WorkerProcess
            if let existing = worker {
                w = existing
            } else {
                switch start() {
                case .success(let started):
                    worker = started
                    w = started
                case .failure(let e): return .failure(e)
                }
            }
            var request = WireFormat.Writer()
            request.u8(WireFormat.Op.run.rawValue)
            request.optionalValues(inputs)
            switch w.exchange(request, timeoutMs: type.timeoutMs) {
            case .failure(let f):
                worker = nil
                w.stop()
                return .failure(IsolationError(describe(f, pid: w.pid, during: "run")))
            case .success(let bytes):
                var r = WireFormat.Reader(bytes)
                do {
                    if try r.u8() != 0 { return .failure(IsolationError(try r.string())) }
                    return .success(try r.optionalValues())
                } catch {
                    worker = nil
                    w.stop()
                    return .failure(IsolationError("its isolated worker process (pid \(w.pid)) sent a malformed reply (\(error)); "
                                                       + "the worker restarts at the next call"))
                }
            }
        }
    }

    func close() {
        locked {
            worker?.stop()
            worker = nil
        }
    }

    /// nil for an OK reply, else the message.
    private func reply(_ result: Result<[UInt8], WorkerProcess.Failure>, worker w: WorkerProcess, during: String) -> String? {
        switch result {
        case .failure(let f): return describe(f, pid: w.pid, during: during)
        case .success(let bytes):
            var r = WireFormat.Reader(bytes)
            do {
                if try r.u8() == 0 { return nil }
                return try r.string()
            } catch {
                return "its isolated worker process (pid \(w.pid)) sent a malformed reply (\(error))"
            }
        }
    }

    private func describe(_ f: WorkerProcess.Failure, pid: pid_t?, during: String) -> String {
        let whose = "its isolated worker process" + (pid.map { " (pid \($0))" } ?? "")
        let origin = "plugin '\(type.plugin.name)' from \(type.plugin.path)"
        switch f {
        case .died(let how):
            return "\(whose) \(how) during \(during == "run" ? "the call" : during) (\(origin)); the worker restarts at the next call"
        case .timedOut:
            return "did not finish within its timeout_ms of \(type.timeoutMs ?? 0) ms; \(whose) was killed "
                + "(\(origin)); the worker restarts at the next call"
        case .broken(let m):
            return m + (during == "start" ? "; the worker is the weft executable (set WEFT_WORKER to choose another)" : "")
        }
    }
}

/// The call behind `ctx`, if it is the live one on this thread.
func currentCall(_ ctx: OpaquePointer?) -> CallContext? {
    guard let ctx, let callPointer = weft_shim_current_call(),
          UnsafeMutableRawPointer(ctx) == weft_shim_current_ctx() else { return nil }
    return Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(callPointer)).takeUnretainedValue()
}

let isolatedCreate: weft_create_fn = { ctx, userData, stateOut in
    guard let userData, let stateOut, let call = currentCall(ctx), let instance = call.instance else { return WEFT_ERR_HANDLE }
    let type = Unmanaged<IsolatedType>.fromOpaque(userData).takeUnretainedValue()
    var params: [(String, WeftValue)] = []
    for (i, p) in type.spec.params.enumerated() where i < instance.params.count {
        if let v = instance.params[i] { params.append((p.name, v)) }
    }
    let isolated = IsolatedInstance(type: type, nodeId: instance.nodeId, params: params)
    if let e = isolated.create() {
        call.failure = e
        return WEFT_ERR_FAILED
    }
    stateOut.pointee = Unmanaged.passRetained(isolated).toOpaque()
    return WEFT_OK
}

let isolatedRun: weft_run_fn = { ctx, state in
    guard let state, let call = currentCall(ctx) else { return WEFT_ERR_HANDLE }
    let isolated = Unmanaged<IsolatedInstance>.fromOpaque(state).takeUnretainedValue()
    switch isolated.run(call.inputs) {
    case .failure(let e):
        call.failure = e.message
        return WEFT_ERR_FAILED
    case .success(let outputs):
        for (i, v) in outputs.enumerated() where i < call.outputCount { if let v { call.storeOutput(i, v) } }
        return WEFT_OK
    }
}

let isolatedDestroy: weft_destroy_fn = { state in
    guard let state else { return }
    let isolated = Unmanaged<IsolatedInstance>.fromOpaque(state).takeRetainedValue()
    isolated.close()
}

/// The worker side: `weft isolate-worker` serves one node instance over
/// fd 3 until the host closes the socket or says exit.
public enum IsolationWorker {
    /// Serves requests; returns the process exit code.
    public static func serve(fd: Int32 = 3) -> Int32 {
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK else {
            let m = "weft isolate-worker: fd \(fd) is not open (or not a socket); this command is started by weft itself for isolated nodes\n"
            _ = m.withCString { write(2, $0, strlen($0)) }
            return 2
        }
        watchParent()
        let registry = NodeRegistry()
        var instance: NodeInstance?
        let context = CallContext()
        while let request = readFrame(fd) {
            var r = WireFormat.Reader(request)
            var reply = WireFormat.Writer()
            func fail(_ message: String) {
                reply = WireFormat.Writer()
                reply.u8(1)
                reply.string(message)
            }
            do {
                guard let op = WireFormat.Op(rawValue: try r.u8()) else {
                    fail("unknown request")
                    _ = writeFrame(fd, reply)
                    continue
                }
                switch op {
                case .load:
                    let path = try r.string()
                    do {
                        _ = try PluginLoader(registry: registry).load(file: path)
                        reply.u8(0)
                    } catch {
                        fail(error.message)
                    }
                case .create:
                    let typeName = try r.string()
                    let nodeId = try r.string()
                    var params: [String: WeftValue] = [:]
                    for _ in 0..<Int(try r.u32()) {
                        let name = try r.string()
                        params[name] = try r.value()
                    }
                    switch registry.nodeType(typeName, params: params) {
                    case .failure(let e): fail(e.message)
                    case .success(let type):
                        do {
                            instance = try NodeInstance(type: type, nodeId: nodeId, params: params)
                            reply.u8(0)
                        } catch {
                            fail(error.message)
                        }
                    }
                case .run:
                    let inputs = try r.optionalValues()
                    guard let instance else {
                        fail("the worker has no node instance (create failed or was not sent)")
                        break
                    }
                    switch instance.run(inputs: inputs, context: context) {
                    case .failure(let e): fail(e.message)
                    case .success(let out):
                        reply.u8(0)
                        reply.optionalValues(out.values)
                    }
                case .exit:
                    instance = nil  // the plugin's destroy runs here
                    return 0
                }
            } catch {
                fail("malformed request: \(error)")
            }
            guard writeFrame(fd, reply) else { break }
        }
        instance = nil
        return 0
    }

    /// Ends the worker within a second of its host's death, even while a
    /// node hangs in native code (no orphans left sleeping forever). A
    /// thread polls getppid(): PR_SET_PDEATHSIG would fire when the host
    /// *thread* that started the worker exits, which pool threads do.
    private static func watchParent() {
        let parent = getppid()
        POSIXThread.spawn {
            while true {
                sleep(1)
                if getppid() != parent { _exit(70) }
            }
        }
    }

    private static func readFrame(_ fd: Int32) -> [UInt8]? {
        guard let header = readFully(fd, 4) else { return nil }
        var r = WireFormat.Reader(header)
        guard let n = try? r.u32(), Int(n) <= WireFormat.maxFrame else { return nil }
        return readFully(fd, Int(n))
    }

    private static func readFully(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, count - got) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            got += n
        }
        return out
    }

    private static func writeFrame(_ fd: Int32, _ w: WireFormat.Writer) -> Bool {
        let bytes = w.frame
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }
}
