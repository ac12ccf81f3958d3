// The C functions of include/weft/weft.h. Each is a thin shell: check the
// arguments, look the handles up, call the Swift object, map errors to a
// status and a last-error message. The header is the contract; the
// comments there say what each function does.

import CWeft
import CWeftShims
import WeftCore
import WeftNative
import WeftScheduler
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Versions, errors, memory

nonisolated(unsafe) private let versionString = UnsafePointer(CString.owned(WeftVersion.string))

@_cdecl("weft_version")
public func weftVersion() -> UnsafePointer<CChar> { versionString }

@_cdecl("weft_api_version")
public func weftAPIVersion() -> UInt32 { UInt32(WEFT_API_VERSION) }

@_cdecl("weft_plugin_abi_version")
public func weftPluginABIVersion() -> UInt32 { WeftVersion.pluginABI }

nonisolated(unsafe) private let statusNames: [Int32: UnsafePointer<CChar>] = {
    var names: [Int32: UnsafePointer<CChar>] = [:]
    for code in Int32(0)...Int32(WEFT_ERR_TIMEOUT) {
        names[code] = UnsafePointer(CString.owned(StatusCode.name(code)))
    }
    return names
}()
nonisolated(unsafe) private let unknownStatus = UnsafePointer(CString.owned("WEFT_ERR_UNKNOWN"))

@_cdecl("weft_status_name")
public func weftStatusName(_ status: Int32) -> UnsafePointer<CChar> { statusNames[status] ?? unknownStatus }

@_cdecl("weft_last_error")
public func weftLastError() -> UnsafePointer<CChar> { weft_shim_last_error() }

@_cdecl("weft_free")
public func weftFree(_ p: UnsafeMutableRawPointer?) { free(p) }

@_cdecl("weft_host_table")
public func weftHostTable() -> UnsafePointer<weft_host_t> { PluginHost.table }

// MARK: - Engines

@_cdecl("weft_engine_create")
public func weftEngineCreate(_ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api { () throws(APIError) in
        let out = try Arg.out(out, "out", "weft_engine_create")
        out.pointee = Handles.make(Engine())
    }
}

@_cdecl("weft_engine_destroy")
public func weftEngineDestroy(_ engine: OpaquePointer?) -> Int32 {
    guard engine != nil else { return WEFT_OK }
    return api { () throws(APIError) in
        // The last handle of the engine's family unloads its plugins here.
        try Handles.remove(engine, Engine.self, "weft_engine_destroy").get().lease.release()
    }
}

@_cdecl("weft_engine_load_default_plugins")
public func weftEngineLoadDefaultPlugins(_ engine: OpaquePointer?) -> Int32 {
    api { () throws(APIError) in
        let e = try Handles.object(engine, Engine.self, "weft_engine_load_default_plugins")
        var path = Engine.shippedPlugins
        path.folders += PluginSearchPath.environmentFolders
        try e.load(path, "weft_engine_load_default_plugins")
    }
}

@_cdecl("weft_engine_add_plugin_folder")
public func weftEngineAddPluginFolder(_ engine: OpaquePointer?, _ folder: UnsafePointer<CChar>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_engine_add_plugin_folder"
        let e = try Handles.object(engine, Engine.self, fn)
        let folder = try Arg.string(folder, "folder", fn)
        guard FileSystem.kind(folder) == .directory else {
            throw APIError(WEFT_ERR_NOT_FOUND, "\(fn): \(folder): no such folder")
        }
        try e.load(PluginSearchPath(folders: [folder]), fn)
    }
}

@_cdecl("weft_engine_load_plugin")
public func weftEngineLoadPlugin(_ engine: OpaquePointer?, _ path: UnsafePointer<CChar>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_engine_load_plugin"
        let e = try Handles.object(engine, Engine.self, fn)
        try e.loadFile(try Arg.string(path, "path", fn), fn)
    }
}

@_cdecl("weft_engine_isolate_plugin")
public func weftEngineIsolatePlugin(_ engine: OpaquePointer?, _ plugin: UnsafePointer<CChar>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_engine_isolate_plugin"
        let e = try Handles.object(engine, Engine.self, fn)
        try e.isolate(try Arg.string(plugin, "plugin", fn), fn)
    }
}

@_cdecl("weft_engine_allow_library")
public func weftEngineAllowLibrary(_ engine: OpaquePointer?, _ pattern: UnsafePointer<CChar>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_engine_allow_library"
        let e = try Handles.object(engine, Engine.self, fn)
        let pattern = try Arg.string(pattern, "path_or_glob", fn)
        guard !pattern.isEmpty else { throw APIError(WEFT_ERR_INVALID, "\(fn): path_or_glob is empty") }
        e.allow(pattern)
    }
}

@_cdecl("weft_engine_set_max_graph_bytes")
public func weftEngineSetMaxGraphBytes(_ engine: OpaquePointer?, _ maxBytes: UInt64) -> Int32 {
    api { () throws(APIError) in
        let e = try Handles.object(engine, Engine.self, "weft_engine_set_max_graph_bytes")
        e.maxGraphBytes = maxBytes == 0 ? FileSystem.defaultGraphLimit : Int(clamping: maxBytes)
    }
}

@_cdecl("weft_engine_register_node")
public func weftEngineRegisterNode(_ engine: OpaquePointer?, _ namespace: UnsafePointer<CChar>?,
                                   _ desc: UnsafePointer<weft_node_desc_t>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_engine_register_node"
        let e = try Handles.object(engine, Engine.self, fn)
        let ns = try Arg.string(namespace, "namespace", fn)
        guard let desc else { throw APIError(WEFT_ERR_INVALID, "\(fn): the node descriptor is NULL") }
        if case .failure(let error) = e.registry.registerHostNode(namespace: ns, descriptor: desc) {
            throw APIError(error.status, "\(fn): \(error.message)")
        }
    }
}

@_cdecl("weft_engine_nodes_json")
public func weftEngineNodesJSON(_ engine: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_engine_nodes_json"
        let e = try Handles.object(engine, Engine.self, fn)
        let out = try Arg.out(out, "json_out", fn)
        out.pointee = CString.owned(e.nodesJSON)
    }
}

// MARK: - Diagnostics

@_cdecl("weft_diagnostics_count")
public func weftDiagnosticsCount(_ diags: OpaquePointer?) -> Int {
    switch Handles.get(diags, Diagnostics.self, "weft_diagnostics_count") {
    case .success(let d): return d.entries.count
    case .failure(let error):
        record(error)
        return 0
    }
}

@_cdecl("weft_diagnostics_get")
public func weftDiagnosticsGet(_ diags: OpaquePointer?, _ index: Int, _ severity: UnsafeMutablePointer<Int32>?,
                               _ message: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                               _ node: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                               _ path: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_diagnostics_get"
        let d = try Handles.object(diags, Diagnostics.self, fn)
        guard index >= 0, index < d.entries.count else {
            throw APIError(WEFT_ERR_NOT_FOUND, "\(fn): index \(UInt(bitPattern: index)) is out of range; there are \(d.entries.count) diagnostics")
        }
        let entry = d.entries[index]
        severity?.pointee = entry.severity
        message?.pointee = entry.message
        node?.pointee = entry.node
        path?.pointee = entry.path
    }
}

@_cdecl("weft_diagnostics_json")
public func weftDiagnosticsJSON(_ diags: OpaquePointer?) -> UnsafePointer<CChar>? {
    switch Handles.get(diags, Diagnostics.self, "weft_diagnostics_json") {
    case .success(let d): return d.json
    case .failure(let error):
        record(error)
        return nil
    }
}

@_cdecl("weft_diagnostics_destroy")
public func weftDiagnosticsDestroy(_ diags: OpaquePointer?) -> Int32 {
    guard diags != nil else { return WEFT_OK }
    return api { () throws(APIError) in _ = try Handles.remove(diags, Diagnostics.self, "weft_diagnostics_destroy").get() }
}

// MARK: - Graphs

private func parseGraph(_ engine: OpaquePointer?, _ fn: String, source: String, text: (Engine) throws(APIError) -> String,
                        _ out: UnsafeMutablePointer<OpaquePointer?>?,
                        _ diagsOut: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api { () throws(APIError) in
        let e = try Handles.object(engine, Engine.self, fn)
        let out = try Arg.out(out, "out", fn)
        let text = try text(e)
        let (result, diagnostics) = Graph.parse(text, engine: e, function: fn, source: source)
        if let diagsOut { diagsOut.pointee = Handles.make(Diagnostics(diagnostics)) }
        let graph = try result.get()
        try graph.lease.acquire(fn)
        out.pointee = Handles.make(graph)
    }
}

@_cdecl("weft_graph_parse")
public func weftGraphParse(_ engine: OpaquePointer?, _ json: UnsafePointer<CChar>?, _ length: Int,
                           _ out: UnsafeMutablePointer<OpaquePointer?>?,
                           _ diagsOut: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let fn = "weft_graph_parse"
    return parseGraph(engine, fn, source: "", text: { (e: Engine) throws(APIError) -> String in
        guard let json else { throw APIError(WEFT_ERR_INVALID, "\(fn): json is NULL") }
        let count = length == -1 ? strlen(json) : length
        guard count >= 0 else { throw APIError(WEFT_ERR_INVALID, "\(fn): length \(length) is negative") }
        let limit = e.maxGraphBytes
        guard count <= limit else {
            throw APIError(WEFT_ERR_INVALID, "\(fn): the graph text is too big: \(FileSystem.ReadError.tooLarge(limit: limit, size: count).reason); "
                               + "raise the limit with weft_engine_set_max_graph_bytes")
        }
        let bytes = UnsafeRawBufferPointer(start: json, count: count)
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw APIError(WEFT_ERR_INVALID, "\(fn): the graph text is not valid UTF-8")
        }
        return s
    }, out, diagsOut)
}

@_cdecl("weft_graph_load")
public func weftGraphLoad(_ engine: OpaquePointer?, _ path: UnsafePointer<CChar>?,
                          _ out: UnsafeMutablePointer<OpaquePointer?>?,
                          _ diagsOut: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    let fn = "weft_graph_load"
    var file = ""
    if let path { file = String(cString: path) }
    return parseGraph(engine, fn, source: file + ":", text: { (e: Engine) throws(APIError) -> String in
        let path = try Arg.string(path, "path", fn)
        let bytes: [UInt8]
        switch FileSystem.read(path, limit: e.maxGraphBytes) {
        case .success(let b):
            bytes = b
        case .failure(let error):
            if case .tooLarge = error {
                throw APIError(WEFT_ERR_INVALID, "\(fn): \(path): the graph file is too big: \(error.reason); "
                                   + "raise the limit with weft_engine_set_max_graph_bytes")
            }
            throw APIError(WEFT_ERR_NOT_FOUND, "\(fn): \(path): cannot read the graph file: \(error.reason)")
        }
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw APIError(WEFT_ERR_INVALID, "\(fn): \(path): the graph file is not valid UTF-8")
        }
        return s
    }, out, diagsOut)
}

@_cdecl("weft_graph_describe_json")
public func weftGraphDescribeJSON(_ graph: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_graph_describe_json"
        let g = try Handles.object(graph, Graph.self, fn)
        let out = try Arg.out(out, "json_out", fn)
        out.pointee = CString.owned(g.describeJSON)
    }
}

@_cdecl("weft_graph_destroy")
public func weftGraphDestroy(_ graph: OpaquePointer?) -> Int32 {
    guard graph != nil else { return WEFT_OK }
    return api { () throws(APIError) in
        try Handles.remove(graph, Graph.self, "weft_graph_destroy").get().lease.release()
    }
}

// MARK: - Runs

private let optionsSize = MemoryLayout<weft_run_options_t>.size
/// The size before `keep_going` (hosts built against a header without it).
/// Computed, not a lazy global: ThreadSanitizer cannot see the Swift
/// runtime's once-initialisation and reported concurrent first runs.
private var optionsV1Size: Int { MemoryLayout<weft_run_options_t>.offset(of: \weft_run_options_t.keep_going)! }

@_cdecl("weft_run_options_init")
public func weftRunOptionsInit(_ options: UnsafeMutablePointer<weft_run_options_t>?) {
    guard let options else { return }
    var o = weft_run_options_t()
    o.struct_size = UInt32(optionsSize)
    o.mode = WEFT_MODE_SEQUENTIAL
    options.pointee = o
}

/// Reads and checks the host's options.
private func runOptions(_ p: UnsafePointer<weft_run_options_t>?, _ fn: String) throws(APIError)
    -> (RunOptions, Double, EventBridge?)
{
    var options = RunOptions()
    options.maxStepsHint = "raise max_steps in weft_run_options_t"
    guard let p else { return (options, 0, nil) }
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
    return (options, o.duration_s, bridge)
}

private func makeRun(_ graph: OpaquePointer?, _ options: UnsafePointer<weft_run_options_t>?, _ fn: String) throws(APIError) -> Run {
    let g = try Handles.object(graph, Graph.self, fn)
    let (opts, duration, bridge) = try runOptions(options, fn)
    let compiled: CompiledGraph
    do {
        compiled = try CompiledGraph(plan: g.plan, registry: g.registry)
    } catch {
        throw APIError(WEFT_ERR_FAILED, "\(fn): \(error)")
    }
    return Run(plan: g.plan, compiled: compiled, options: opts, duration: duration, events: bridge, lease: g.lease)
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

@_cdecl("weft_run_outputs_json")
public func weftRunOutputsJSON(_ run: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_run_outputs_json"
        let r = try Handles.object(run, Run.self, fn)
        let out = try Arg.out(out, "json_out", fn)
        out.pointee = CString.owned(JSON.encode(try r.finishedResult(fn).outputsJSON))
    }
}

private func output<T>(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<T>?, _ fn: String,
                       _ convert: (WeftValue, String) throws(APIError) -> T) -> Int32 {
    api { () throws(APIError) in
        let r = try Handles.object(run, Run.self, fn)
        let name = try Arg.string(name, "name", fn)
        let out = try Arg.out(out, "out", fn)
        out.pointee = try convert(try r.output(name, fn), name)
    }
}

@_cdecl("weft_run_output_json")
public func weftRunOutputJSON(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                              _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    output(run, name, out, "weft_run_output_json") { (v, _) throws(APIError) in CString.owned(JSON.encode(v)) }
}

@_cdecl("weft_run_output_int")
public func weftRunOutputInt(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    output(run, name, out, "weft_run_output_int") { (v, name) throws(APIError) in
        guard case .int(let i) = v else {
            throw APIError(WEFT_ERR_TYPE, "weft_run_output_int: output '\(name)' is \(v.kind), not an int")
        }
        return i
    }
}

@_cdecl("weft_run_output_double")
public func weftRunOutputDouble(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Double>?) -> Int32 {
    output(run, name, out, "weft_run_output_double") { (v, name) throws(APIError) in
        switch v {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: throw APIError(WEFT_ERR_TYPE, "weft_run_output_double: output '\(name)' is \(v.kind), not a number")
        }
    }
}

@_cdecl("weft_run_output_bool")
public func weftRunOutputBool(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    output(run, name, out, "weft_run_output_bool") { (v, name) throws(APIError) in
        guard case .bool(let b) = v else {
            throw APIError(WEFT_ERR_TYPE, "weft_run_output_bool: output '\(name)' is \(v.kind), not a bool")
        }
        return b ? 1 : 0
    }
}

@_cdecl("weft_run_output_string")
public func weftRunOutputString(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                                _ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?, _ length: UnsafeMutablePointer<Int>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_run_output_string"
        let r = try Handles.object(run, Run.self, fn)
        let name = try Arg.string(name, "name", fn)
        let out = try Arg.out(out, "out", fn)
        let (p, n) = try r.outputString(name, fn)
        out.pointee = p
        length?.pointee = n
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
