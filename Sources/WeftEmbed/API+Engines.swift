// The C API's engine functions (weft.h "Engines"): create and destroy an engine, load plugins, register host nodes, list node types.

import CWeft
import WeftNative

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
