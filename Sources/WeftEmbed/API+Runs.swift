// The C API's run functions (weft.h "Runs"): options, create, inputs, start, wait, cancel, what a finished run did, destroy.

import CWeft
import WeftCore
import WeftScheduler
import WeftStore
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Runs

private let optionsSize = MemoryLayout<weft_run_options_t>.size
/// The size before `keep_going` (hosts built against a header without it).
/// Computed, not a lazy global: ThreadSanitizer cannot see the Swift
/// runtime's once-initialisation and reported concurrent first runs.
private var optionsV1Size: Int { MemoryLayout<weft_run_options_t>.offset(of: \weft_run_options_t.keep_going)! }

/// The size before `store_path` (hosts built against a header without the
/// run store's fields): what the exported `weft_run_options_init` symbol
/// writes, so such a host's smaller struct is never written past.
private var optionsV2Size: Int { MemoryLayout<weft_run_options_t>.offset(of: \weft_run_options_t.store_path)! }

/// Fills the first `size` bytes of `options` (at most the whole struct)
/// with the defaults, `struct_size` saying how many.
private func fillOptions(_ options: UnsafeMutablePointer<weft_run_options_t>?, size: Int) {
    guard let options, size >= MemoryLayout<UInt32>.size else { return }
    var o = weft_run_options_t()
    let n = min(size, optionsSize)
    o.struct_size = UInt32(n)
    o.mode = WEFT_MODE_SEQUENTIAL
    withUnsafeBytes(of: &o) { UnsafeMutableRawPointer(options).copyMemory(from: $0.baseAddress!, byteCount: n) }
}

/// The symbol that hosts built before `weft_run_options_init_sized` call
/// (weft.h now calls the sized one through a macro): it fills what those
/// headers' struct held, up to `keep_going`; the fields after it are then
/// the defaults (not recorded).
@_cdecl("weft_run_options_init")
public func weftRunOptionsInit(_ options: UnsafeMutablePointer<weft_run_options_t>?) {
    fillOptions(options, size: optionsV2Size)
}

@_cdecl("weft_run_options_init_sized")
public func weftRunOptionsInitSized(_ options: UnsafeMutablePointer<weft_run_options_t>?, _ size: Int) {
    fillOptions(options, size: size)
}

/// Reads and checks the host's options (the run store's for a run of `graph`).
private func runOptions(_ p: UnsafePointer<weft_run_options_t>?, graph: Graph, _ fn: String) throws(APIError)
    -> (RunOptions, Double, EventBridge?, RunStoreOptions?)
{
    var options = RunOptions()
    options.maxStepsHint = "raise max_steps in weft_run_options_t"
    guard let p else { return (options, 0, nil, nil) }
    let size = UnsafeRawPointer(p).load(as: UInt32.self)
    guard Int(size) >= optionsV1Size else {
        throw APIError(WEFT_ERR_INVALID, "\(fn): options.struct_size is \(size), not sizeof(weft_run_options_t) "
                           + "(\(optionsSize)); fill the options with weft_run_options_init first")
    }
    // Fields past struct_size are not the host's: read only what it has.
    var o = weft_run_options_t()
    memcpy(&o, p, min(Int(size), optionsSize))
    options.keepGoing = o.keep_going != 0
    switch o.mode {
    case WEFT_MODE_SEQUENTIAL: options.mode = .sequential
    case WEFT_MODE_PARALLEL: options.mode = .parallel
    default:
        throw APIError(WEFT_ERR_INVALID, "\(fn): options.mode \(o.mode) is not WEFT_MODE_SEQUENTIAL (0) or WEFT_MODE_PARALLEL (1)")
    }
    guard o.workers >= 0 else { throw APIError(WEFT_ERR_INVALID, "\(fn): options.workers is \(o.workers); give 0 (the CPU count) or more") }
    if o.workers > 0 { options.workers = Int(o.workers) }
    guard o.max_steps >= 0 else {
        throw APIError(WEFT_ERR_INVALID, "\(fn): options.max_steps is \(o.max_steps); give 0 (the default, 1,000,000) or more")
    }
    if o.max_steps > 0 { options.maxSteps = Int(o.max_steps) }
    guard o.duration_s.isFinite, o.duration_s >= 0, o.duration_s < 1e9 else {
        throw APIError(WEFT_ERR_INVALID, "\(fn): options.duration_s is \(o.duration_s); give 0 (no limit) or a number of seconds")
    }
    var bridge: EventBridge?
    if let callback = o.on_event {
        let b = EventBridge(callback: callback, userData: o.user_data)
        options.observers = [b]
        bridge = b
    }
    // (Zero, so not recorded, for a host whose options end before them.)
    let store = try RunStoreOptions.from(path: o.store_path, resume: o.resume_run_id, graph: graph, fn)
    return (options, o.duration_s, bridge, store)
}

private func makeRun(_ graph: OpaquePointer?, _ options: UnsafePointer<weft_run_options_t>?, _ fn: String) throws(APIError) -> Run {
    let g = try Handles.object(graph, Graph.self, fn)
    let (opts, duration, bridge, store) = try runOptions(options, graph: g, fn)
    let compiled: CompiledGraph
    do {
        compiled = try CompiledGraph(plan: g.plan, registry: g.registry)
    } catch {
        throw APIError(WEFT_ERR_FAILED, "\(fn): \(error)")
    }
    return Run(plan: g.plan, compiled: compiled, options: opts, duration: duration, events: bridge, lease: g.lease, store: store)
}

@_cdecl("weft_run_create")
public func weftRunCreate(_ graph: OpaquePointer?, _ options: UnsafePointer<weft_run_options_t>?,
                          _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_run_create"
        let out = try Arg.out(out, "out", fn)
        let r = try makeRun(graph, options, fn)
        try r.lease.acquire(fn)
        out.pointee = Handles.make(r)
    }
}

/// `{"name": value}` from JSON text.
private func inputObject(_ json: UnsafePointer<CChar>?, _ fn: String) throws(APIError) -> [(String, WeftValue)] {
    let text = try Arg.string(json, "json_object", fn)
    let value: WeftValue
    do {
        value = try JSON.parse(text)
    } catch {
        throw APIError(WEFT_ERR_INVALID, "\(fn): the inputs are not valid JSON: \(error)")
    }
    guard let entries = value.mapEntries else {
        throw APIError(WEFT_ERR_INVALID, "\(fn): the inputs must be a JSON object {\"name\": value, ...}, not \(value.kind)")
    }
    return entries.map { ($0.0, $0.1) }
}

@_cdecl("weft_run_set_inputs_json")
public func weftRunSetInputsJSON(_ run: OpaquePointer?, _ json: UnsafePointer<CChar>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_run_set_inputs_json"
        let r = try Handles.object(run, Run.self, fn)
        try r.setInputs(try inputObject(json, fn), fn)
    }
}

private func setInput(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ fn: String,
                      _ value: () throws(APIError) -> WeftValue) -> Int32 {
    api { () throws(APIError) in
        let r = try Handles.object(run, Run.self, fn)
        let name = try Arg.string(name, "name", fn)
        try r.setInputs([(name, try value())], fn)
    }
}

@_cdecl("weft_run_set_input_json")
public func weftRunSetInputJSON(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ json: UnsafePointer<CChar>?) -> Int32 {
    let fn = "weft_run_set_input_json"
    return setInput(run, name, fn) { () throws(APIError) -> WeftValue in
        let text = try Arg.string(json, "json", fn)
        do {
            return try JSON.parse(text)
        } catch {
            throw APIError(WEFT_ERR_INVALID, "\(fn): the value is not valid JSON: \(error)")
        }
    }
}

@_cdecl("weft_run_set_input_int")
public func weftRunSetInputInt(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: Int64) -> Int32 {
    setInput(run, name, "weft_run_set_input_int") { () throws(APIError) in .int(value) }
}

@_cdecl("weft_run_set_input_double")
public func weftRunSetInputDouble(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: Double) -> Int32 {
    setInput(run, name, "weft_run_set_input_double") { () throws(APIError) in .double(value) }
}

@_cdecl("weft_run_set_input_bool")
public func weftRunSetInputBool(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: Int32) -> Int32 {
    setInput(run, name, "weft_run_set_input_bool") { () throws(APIError) in .bool(value != 0) }
}

@_cdecl("weft_run_set_input_string")
public func weftRunSetInputString(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ value: UnsafePointer<CChar>?,
                                  _ length: Int) -> Int32 {
    let fn = "weft_run_set_input_string"
    return setInput(run, name, fn) { () throws(APIError) -> WeftValue in
        guard let value else { throw APIError(WEFT_ERR_INVALID, "\(fn): value is NULL") }
        let count = length == -1 ? strlen(value) : length
        guard count >= 0 else { throw APIError(WEFT_ERR_INVALID, "\(fn): length \(length) is negative") }
        guard let s = String(validating: UnsafeRawBufferPointer(start: value, count: count), as: UTF8.self) else {
            throw APIError(WEFT_ERR_INVALID, "\(fn): value is not valid UTF-8")
        }
        return .string(s)
    }
}

@_cdecl("weft_run_start")
public func weftRunStart(_ run: OpaquePointer?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_run_start"
        try Handles.object(run, Run.self, fn).start(fn)
    }
}

@_cdecl("weft_run_wait")
public func weftRunWait(_ run: OpaquePointer?, _ timeoutMs: Int64) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_run_wait"
        let r = try Handles.object(run, Run.self, fn)
        let timeout: UInt64? = timeoutMs < 0 ? nil : UInt64(timeoutMs) &* 1_000_000
        guard try r.wait(timeout: timeout, fn) else {
            throw APIError(WEFT_ERR_TIMEOUT, "\(fn): the run is still running after \(timeoutMs) ms")
        }
    }
}

@_cdecl("weft_run_state")
public func weftRunState(_ run: OpaquePointer?) -> Int32 {
    switch Handles.get(run, Run.self, "weft_run_state") {
    case .success(let r): return r.state
    case .failure(let error):
        record(error)
        return -1
    }
}

@_cdecl("weft_run_cancel")
public func weftRunCancel(_ run: OpaquePointer?) -> Int32 {
    api { () throws(APIError) in try Handles.object(run, Run.self, "weft_run_cancel").cancel() }
}

@_cdecl("weft_run_pause")
public func weftRunPause(_ run: OpaquePointer?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_run_pause"
        try Handles.object(run, Run.self, fn).pause(fn)
    }
}

@_cdecl("weft_run_id")
public func weftRunId(_ run: OpaquePointer?) -> Int64 {
    switch Handles.get(run, Run.self, "weft_run_id") {
    case .success(let r): return r.storedId
    case .failure(let error):
        record(error)
        return -1
    }
}

@_cdecl("weft_run_graph")
public func weftRunGraph(_ graph: OpaquePointer?, _ options: UnsafePointer<weft_run_options_t>?,
                         _ inputs: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_run_graph"
        let out = try Arg.out(out, "out", fn)
        let r = try makeRun(graph, options, fn)
        if inputs != nil { try r.setInputs(try inputObject(inputs, fn), fn) }
        try r.start(fn)
        _ = try r.wait(timeout: nil, fn)
        try r.lease.acquire(fn)
        out.pointee = Handles.make(r)
    }
}

@_cdecl("weft_run_error")
public func weftRunError(_ run: OpaquePointer?) -> UnsafePointer<CChar>? {
    switch Handles.get(run, Run.self, "weft_run_error") {
    case .success(let r): return r.error
    case .failure(let error):
        record(error)
        return nil
    }
}

@_cdecl("weft_run_failed_node")
public func weftRunFailedNode(_ run: OpaquePointer?) -> UnsafePointer<CChar>? {
    switch Handles.get(run, Run.self, "weft_run_failed_node") {
    case .success(let r): return r.failedNodeId
    case .failure(let error):
        record(error)
        return nil
    }
}

@_cdecl("weft_run_steps")
public func weftRunSteps(_ run: OpaquePointer?) -> Int64 {
    switch Handles.get(run, Run.self, "weft_run_steps") {
    case .success(let r): return Int64(r.steps)
    case .failure(let error):
        record(error)
        return -1
    }
}

@_cdecl("weft_run_duration_ns")
public func weftRunDurationNs(_ run: OpaquePointer?) -> UInt64 {
    switch Handles.get(run, Run.self, "weft_run_duration_ns") {
    case .success(let r): return r.durationNanoseconds
    case .failure(let error):
        record(error)
        return 0
    }
}

@_cdecl("weft_run_destroy")
public func weftRunDestroy(_ run: OpaquePointer?) -> Int32 {
    guard run != nil else { return WEFT_OK }
    return api { () throws(APIError) in
        let fn = "weft_run_destroy"
        // The run is joined and this call's references to it dropped (the
        // closure returns) before the lease is given back: the last handle
        // unloads the plugins, which waits for the run's node types.
        let lease = try { () throws(APIError) -> PluginLease in
            let r = try Handles.object(run, Run.self, fn)
            try r.stop(fn)
            return try Handles.remove(run, Run.self, fn).get().lease
        }()
        lease.release()
    }
}
