import CWeft
import CWeftShims
import Logging
import OrderedCollections
import WeftCore
#if canImport(Glibc)
import Glibc
#endif

/// The one `weft_host_t` every plugin receives. Built once, never freed.
enum HostTable {
    nonisolated(unsafe) static let shared: UnsafeMutablePointer<weft_host_t> = make()
    /// A static "" for functions that must return a string even on misuse.
    nonisolated(unsafe) static let emptyString: UnsafePointer<CChar> = UnsafePointer(strdupOrDie(""))

    private static func make() -> UnsafeMutablePointer<weft_host_t> {
        // Globals that plugin calls on any thread use, made now, on the
        // first loading thread, before a plugin can run: ThreadSanitizer
        // cannot see the Swift runtime's once-initialisation of a global
        // first touched by several threads at once.
        _ = PluginLog.logger
        _ = PluginLog.limiter
        UnloadHook.prepare()
        let t = UnsafeMutablePointer<weft_host_t>.allocate(capacity: 1)
        var h = weft_host_t()
        h.abi_version = WeftVersion.pluginABI
        h.struct_size = UInt32(MemoryLayout<weft_host_t>.size)
        h.host_name = UnsafePointer(strdupOrDie("weft"))
        h.host_version = UnsafePointer(strdupOrDie(WeftVersion.string))

        // Registration.
        h.register_node = { reg, desc in HostFunctions.registerNode(reg, desc) }
        h.registry_fail = { reg, message in
            guard let s = HostFunctions.session(reg, "registry_fail") else { return WEFT_ERR_HANDLE }
            s.failMessage = message.map { String(cString: $0) } ?? "(no message)"
            return WEFT_ERR_FAILED
        }
        h.log = { ctx, level, message in HostFunctions.log(ctx, level, message) }

        // The call.
        h.input = { ctx, index in
            guard let c = HostFunctions.call(ctx, "input") else { return 0 }
            guard c.phase == .run else { _ = c.error(WEFT_ERR_STATE, "input: inputs exist only in run"); return 0 }
            guard index >= 0, Int(index) < c.inputCount else {
                _ = c.error(WEFT_ERR_NOT_FOUND, "input: no input port \(index) (this node has \(c.inputCount))")
                return 0
            }
            guard let v = c.input(Int(index)) else { return 0 }
            return c.handle(for: v)
        }
        h.param = { ctx, index in
            guard let c = HostFunctions.call(ctx, "param"), let inst = c.instance else { return 0 }
            guard index >= 0, Int(index) < inst.params.count else {
                _ = c.error(WEFT_ERR_NOT_FOUND, "param: no param \(index) (this node has \(inst.params.count))")
                return 0
            }
            guard let v = inst.params[Int(index)] else { return 0 }
            return c.handle(for: v)
        }
        h.output = { ctx, index, value in
            guard let c = HostFunctions.call(ctx, "output") else { return WEFT_ERR_HANDLE }
            guard let v = c.value(value, in: "output") else { return WEFT_ERR_HANDLE }
            return HostFunctions.setOutput(c, index, v, "output")
        }
        h.fire = { ctx, index in
            guard let c = HostFunctions.call(ctx, "fire") else { return WEFT_ERR_HANDLE }
            guard c.phase.writesOutputs else { return c.error(WEFT_ERR_STATE, "fire: outputs exist only in run") }
            guard index >= 0, Int(index) < c.outputCount else {
                return c.error(WEFT_ERR_NOT_FOUND, "fire: no output port \(index) (this node has \(c.outputCount))")
            }
            if !c.outputWritten(Int(index)) {
                c.storeOutput(Int(index), .null)
            }
            return WEFT_OK
        }
        h.fail = { ctx, message in
            guard let c = HostFunctions.call(ctx, "fail") else { return WEFT_ERR_FAILED }
            c.failure = message.map { String(cString: $0) } ?? "failed (no message given)"
            return WEFT_ERR_FAILED
        }
        h.port_index = { ctx, kind, name in
            guard let c = HostFunctions.call(ctx, "port_index"), let inst = c.instance, let name else { return -1 }
            let n = String(cString: name)
            let ports: [PortSpec]
            switch kind {
            case WEFT_KIND_INPUT: ports = inst.type.spec.inputs
            case WEFT_KIND_OUTPUT: ports = inst.type.spec.outputs
            case WEFT_KIND_PARAM: ports = inst.type.spec.params
            default: _ = c.error(WEFT_ERR_INVALID, "port_index: unknown kind \(kind)"); return -1
            }
            return ports.firstIndex { $0.name == n }.map(Int32.init) ?? -1
        }
        h.node_id = { ctx in
            guard let c = HostFunctions.call(ctx, "node_id"), let inst = c.instance else { return nil }
            // A copy for this call (borrowed until it returns): instances do
            // not keep a C copy of their id, a big graph has a million.
            return c.borrow(inst.nodeId)
        }
        h.error_message = { ctx in
            guard let c = HostFunctions.call(ctx, "error_message") else { return HostTable.emptyString }
            return c.borrow(c.lastError)
        }

        // Values.
        h.type_of = { ctx, v in
            guard let c = HostFunctions.call(ctx, "type_of"), let value = c.value(v, in: "type_of") else { return -1 }
            return value.kind.rawValue
        }
        h.null_new = { ctx in HostFunctions.call(ctx, "null_new")?.handle(for: .null) ?? 0 }
        h.bool_new = { ctx, b in HostFunctions.call(ctx, "bool_new")?.handle(for: .bool(b != 0)) ?? 0 }
        h.int_new = { ctx, i in HostFunctions.call(ctx, "int_new")?.handle(for: .int(i)) ?? 0 }
        h.double_new = { ctx, d in HostFunctions.call(ctx, "double_new")?.handle(for: .double(d)) ?? 0 }
        h.string_new = { ctx, s, len in
            guard let c = HostFunctions.call(ctx, "string_new") else { return 0 }
            guard let s else { _ = c.error(WEFT_ERR_INVALID, "string_new: NULL string"); return 0 }
            let n = len == WEFT_NUL_TERMINATED ? strlen(s) : len
            let buf = UnsafeRawBufferPointer(start: s, count: n)
            guard let str = String(validating: buf, as: UTF8.self) else {
                _ = c.error(WEFT_ERR_INVALID, "string_new: not valid UTF-8; use bytes_new for binary data")
                return 0
            }
            return c.handle(for: .string(str))
        }
        h.bytes_new = { ctx, p, len in
            guard let c = HostFunctions.call(ctx, "bytes_new") else { return 0 }
            if len == 0 { return c.handle(for: .bytes([])) }
            guard let p else { _ = c.error(WEFT_ERR_INVALID, "bytes_new: NULL pointer with length \(len)"); return 0 }
            return c.handle(for: .bytes(Array(UnsafeRawBufferPointer(start: p, count: len))))
        }
        h.list_new = { ctx in HostFunctions.call(ctx, "list_new")?.handle(for: .list([])) ?? 0 }
        h.map_new = { ctx in HostFunctions.call(ctx, "map_new")?.handle(for: .map([:])) ?? 0 }

        h.get_bool = { ctx, v, out in
            guard let c = HostFunctions.call(ctx, "get_bool"), let value = c.value(v, in: "get_bool") else { return WEFT_ERR_HANDLE }
            guard case .bool(let b) = value else { return c.error(WEFT_ERR_TYPE, "get_bool: value is \(value.kind), not bool") }
            out?.pointee = b ? 1 : 0
            return WEFT_OK
        }
        h.get_int = { ctx, v, out in
            guard let c = HostFunctions.call(ctx, "get_int"), let value = c.value(v, in: "get_int") else { return WEFT_ERR_HANDLE }
            guard case .int(let i) = value else { return c.error(WEFT_ERR_TYPE, "get_int: value is \(value.kind), not int") }
            out?.pointee = i
            return WEFT_OK
        }
        h.get_double = { ctx, v, out in
            guard let c = HostFunctions.call(ctx, "get_double"), let value = c.value(v, in: "get_double") else { return WEFT_ERR_HANDLE }
            switch value {
            case .double(let d): out?.pointee = d
            case .int(let i): out?.pointee = Double(i)
            default: return c.error(WEFT_ERR_TYPE, "get_double: value is \(value.kind), not a number")
            }
            return WEFT_OK
        }
        h.get_string = { ctx, v, len in
            guard let c = HostFunctions.call(ctx, "get_string"), let value = c.value(v, in: "get_string") else { return nil }
            guard case .string(let s) = value else { _ = c.error(WEFT_ERR_TYPE, "get_string: value is \(value.kind), not string"); return nil }
            len?.pointee = s.utf8.count
            return c.borrow(s)
        }
        h.get_bytes = { ctx, v, len in
            guard let c = HostFunctions.call(ctx, "get_bytes"), let value = c.value(v, in: "get_bytes") else { return nil }
            guard case .bytes(let b) = value else { _ = c.error(WEFT_ERR_TYPE, "get_bytes: value is \(value.kind), not bytes"); return nil }
            len?.pointee = b.count
            return c.borrow(bytes: b)
        }
        h.length = { ctx, v in
            guard let c = HostFunctions.call(ctx, "length"), let value = c.value(v, in: "length") else { return -1 }
            switch value {
            case .list(let l): return Int64(l.count)
            case .map(let m): return Int64(m.count)
            case .string(let s): return Int64(s.utf8.count)
            case .bytes(let b): return Int64(b.count)
            default: _ = c.error(WEFT_ERR_TYPE, "length: a \(value.kind) has no length"); return -1
            }
        }
        h.list_get = { ctx, list, index in
            guard let c = HostFunctions.call(ctx, "list_get"), let value = c.value(list, in: "list_get") else { return 0 }
            guard case .list(let l) = value else { _ = c.error(WEFT_ERR_TYPE, "list_get: value is \(value.kind), not list"); return 0 }
            guard index < l.count else { _ = c.error(WEFT_ERR_NOT_FOUND, "list_get: index \(index) out of range (length \(l.count))"); return 0 }
            return c.handle(for: l[index])
        }
        h.list_push = { ctx, list, item in
            guard let c = HostFunctions.call(ctx, "list_push"), let li = c.index(of: list, in: "list_push"),
                  let itemValue = c.value(item, in: "list_push") else { return WEFT_ERR_HANDLE }
            guard case .list(var l) = c.arena[li] else {
                return c.error(WEFT_ERR_TYPE, "list_push: value is \(c.arena[li].kind), not list")
            }
            c.arena[li] = .null  // keep `l` uniquely referenced: append in place
            l.append(itemValue)
            c.arena[li] = .list(l)
            return WEFT_OK
        }
        h.map_get = { ctx, map, key in
            guard let c = HostFunctions.call(ctx, "map_get"), let value = c.value(map, in: "map_get") else { return 0 }
            guard let key else { _ = c.error(WEFT_ERR_INVALID, "map_get: NULL key"); return 0 }
            guard case .map(let m) = value else { _ = c.error(WEFT_ERR_TYPE, "map_get: value is \(value.kind), not map"); return 0 }
            guard let v = m[String(cString: key)] else {
                _ = c.error(WEFT_ERR_NOT_FOUND, "map_get: no key \(JSON.quote(String(cString: key)))")
                return 0
            }
            return c.handle(for: v)
        }
        h.map_set = { ctx, map, key, value in
            guard let c = HostFunctions.call(ctx, "map_set"), let mi = c.index(of: map, in: "map_set"),
                  let v = c.value(value, in: "map_set") else { return WEFT_ERR_HANDLE }
            guard let key else { return c.error(WEFT_ERR_INVALID, "map_set: NULL key") }
            guard let k = String(validatingCString: key) else { return c.error(WEFT_ERR_INVALID, "map_set: key is not valid UTF-8") }
            guard case .map(var m) = c.arena[mi] else {
                return c.error(WEFT_ERR_TYPE, "map_set: value is \(c.arena[mi].kind), not map")
            }
            c.arena[mi] = .null
            m[k] = v
            c.arena[mi] = .map(m)
            return WEFT_OK
        }
        h.map_key = { ctx, map, index in
            guard let c = HostFunctions.call(ctx, "map_key"), let value = c.value(map, in: "map_key") else { return nil }
            guard case .map(let m) = value else { _ = c.error(WEFT_ERR_TYPE, "map_key: value is \(value.kind), not map"); return nil }
            guard index < m.count else { _ = c.error(WEFT_ERR_NOT_FOUND, "map_key: index \(index) out of range (\(m.count) entries)"); return nil }
            return c.borrow(m.keys[index])
        }
        h.map_value = { ctx, map, index in
            guard let c = HostFunctions.call(ctx, "map_value"), let value = c.value(map, in: "map_value") else { return 0 }
            guard case .map(let m) = value else { _ = c.error(WEFT_ERR_TYPE, "map_value: value is \(value.kind), not map"); return 0 }
            guard index < m.count else { _ = c.error(WEFT_ERR_NOT_FOUND, "map_value: index \(index) out of range (\(m.count) entries)"); return 0 }
            return c.handle(for: m.values[index])
        }

        // Shortcuts.
        h.input_int = { ctx, index, out in
            guard let c = HostFunctions.call(ctx, "input_int") else { return WEFT_ERR_HANDLE }
            switch HostFunctions.inputValue(c, index, "input_int") {
            case .failure(let e): return e.status
            case .success(.int(let i)): out?.pointee = i; return WEFT_OK
            case .success(let v): return c.error(WEFT_ERR_TYPE, "input_int: input \(index) is \(v.kind), not int")
            }
        }
        h.input_double = { ctx, index, out in
            guard let c = HostFunctions.call(ctx, "input_double") else { return WEFT_ERR_HANDLE }
            switch HostFunctions.inputValue(c, index, "input_double") {
            case .failure(let e): return e.status
            case .success(.double(let d)): out?.pointee = d; return WEFT_OK
            case .success(.int(let i)): out?.pointee = Double(i); return WEFT_OK
            case .success(let v): return c.error(WEFT_ERR_TYPE, "input_double: input \(index) is \(v.kind), not a number")
            }
        }
        h.output_int = { ctx, index, v in
            guard let c = HostFunctions.call(ctx, "output_int") else { return WEFT_ERR_HANDLE }
            return HostFunctions.setOutput(c, index, .int(v), "output_int")
        }
        h.output_double = { ctx, index, v in
            guard let c = HostFunctions.call(ctx, "output_double") else { return WEFT_ERR_HANDLE }
            return HostFunctions.setOutput(c, index, .double(v), "output_double")
        }
        h.input_bool = { ctx, index, out in
            guard let c = HostFunctions.call(ctx, "input_bool") else { return WEFT_ERR_HANDLE }
            switch HostFunctions.inputValue(c, index, "input_bool") {
            case .failure(let e): return e.status
            case .success(.bool(let b)): out?.pointee = b ? 1 : 0; return WEFT_OK
            case .success(let v): return c.error(WEFT_ERR_TYPE, "input_bool: input \(index) is \(v.kind), not bool")
            }
        }
        h.output_bool = { ctx, index, v in
            guard let c = HostFunctions.call(ctx, "output_bool") else { return WEFT_ERR_HANDLE }
            return HostFunctions.setOutput(c, index, .bool(v != 0), "output_bool")
        }

        // The number shortcuts are served in C from the run's frame; the
        // Swift closures above stay as their slow path (other kinds,
        // conversions, misuse and its messages).
        weft_shim_set_slow_paths(h.input_int, h.input_double, h.output_int, h.output_double, h.input_bool, h.output_bool)
        h.input_int = weft_shim_input_int
        h.input_double = weft_shim_input_double
        h.output_int = weft_shim_output_int
        h.output_double = weft_shim_output_double
        h.input_bool = weft_shim_input_bool
        h.output_bool = weft_shim_output_bool

        // ABI v2.
        h.register_function = { reg, desc in HostFunctions.registerFunction(reg, desc) }

        // ABI v3: event sources (Events/PluginSource.swift).
        h.emit_begin = { emitter in PluginSource.emitBegin(emitter) }
        h.emit_end = { ctx, send in PluginSource.emitEnd(ctx, send) }
        h.source_done = { emitter, error in PluginSource.sourceDone(emitter, error) }

        // ABI v4: async nodes (AsyncCall.swift) and should_stop.
        h.defer_call = { ctx in
            guard let c = HostFunctions.call(ctx, "defer_call") else { return nil }
            guard c.phase == .run, let instance = c.instance else {
                _ = c.error(WEFT_ERR_STATE, "defer_call: only during a node's run")
                return nil
            }
            guard instance.type.isAsync else {
                _ = c.error(WEFT_ERR_STATE, "defer_call: node type '\(instance.type.fullName)' is not flagged WEFT_NODE_ASYNC")
                return nil
            }
            guard c.deferred == nil else {
                _ = c.error(WEFT_ERR_STATE, "defer_call: this call is deferred already")
                return nil
            }
            guard let sink = c.asyncSink else {
                _ = c.error(WEFT_ERR_STATE, "defer_call: this call cannot end later here (a mapped node's item, a flow's state, "
                                + "or a call outside a run); return its outputs now")
                return nil
            }
            let call = AsyncCall(instance: instance, sink: sink)
            call.register()
            c.deferred = call
            return call.token
        }
        h.resume_call = { token in AsyncCall.resume(token) }
        h.complete_call = { token in AsyncCall.complete(token) }
        h.fail_call = { token, message in AsyncCall.fail(token, message) }
        h.should_stop = { ctx in
            guard let c = HostFunctions.call(ctx, "should_stop") else { return 0 }
            if let stop = c.frame.pointee.stop, stop.pointee != 0 { return 1 }
            return c.deadline != 0 && MonotonicNow.nanoseconds() >= c.deadline ? 1 : 0
        }

        t.initialize(to: h)
        return t
    }
}
