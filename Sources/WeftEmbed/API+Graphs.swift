// The C API's diagnostics and graph functions (weft.h "Diagnostics" and "Graphs"): parse or load a graph, describe it, read what is wrong with it.

import CWeft
import WeftNative
#if canImport(Glibc)
import Glibc
#endif

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

private func parseGraph(_ engine: OpaquePointer?, _ fn: String, source: String, file: String? = nil,
                        text: (Engine) throws(APIError) -> String,
                        _ out: UnsafeMutablePointer<OpaquePointer?>?,
                        _ diagsOut: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api { () throws(APIError) in
        let e = try Handles.object(engine, Engine.self, fn)
        let out = try Arg.out(out, "out", fn)
        let text = try text(e)
        let (result, diagnostics) = Graph.parse(text, engine: e, function: fn, source: source, file: file)
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
    // (Subgraph paths start from the file's folder.)
    let real = path.flatMap { realpath($0, nil) }
    let canonical = real.map { String(cString: $0) }
    free(real)
    return parseGraph(engine, fn, source: file + ":", file: canonical, text: { (e: Engine) throws(APIError) -> String in
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
