// HostFunctions: the bodies of the longer host functions, and StatusError.

import CWeft
import CWeftShims
import Logging
import WeftCore

struct StatusError: Error { var status: Int32 }

/// The bodies of the host functions that are more than a line or two.
enum HostFunctions {
    /// The live call behind `ctx`, or nil if `ctx` is not this thread's
    /// current call (stale, foreign, NULL, or from another thread). Compares
    /// pointers only: a bad pointer is never dereferenced.
    @inline(__always)
    static func call(_ ctx: OpaquePointer?, _ function: String) -> CallContext? {
        guard let ctx, UnsafeMutableRawPointer(ctx) == weft_shim_current_ctx() else {
            PluginLog.misuse(function, ctx == nil ? "a NULL ctx"
                                : "a ctx that is not a live call on this thread (used after its callback returned, or from another thread)")
            return nil
        }
        guard let call = weft_shim_current_call() else { return nil }
        return Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue()
    }

    static func session(_ reg: OpaquePointer?, _ function: String) -> RegistrationSession? {
        guard let reg, UnsafeMutableRawPointer(reg) == weft_shim_current_registry() else {
            PluginLog.misuse(function, reg == nil ? "a NULL registry"
                                : "a registry that is not the one of the running init on this thread")
            return nil
        }
        return Unmanaged<RegistrationSession>.fromOpaque(UnsafeRawPointer(reg)).takeUnretainedValue()
    }

    static func registerNode(_ reg: OpaquePointer?, _ desc: UnsafePointer<weft_node_desc_t>?) -> Int32 {
        guard let s = session(reg, "register_node") else { return WEFT_ERR_HANDLE }
        guard let desc else {
            s.errors.append(PluginLoadError(path: s.plugin.path, kind: .invalidDescriptor, "register_node was given a NULL descriptor"))
            return WEFT_ERR_INVALID
        }
        switch DescriptorReader.read(desc, namespace: s.plugin.name) {
        case .failure(let message):
            s.errors.append(PluginLoadError(path: s.plugin.path, kind: .invalidDescriptor, message.message))
            return WEFT_ERR_INVALID
        case .success(let (spec, cb)):
            if s.nodes.contains(where: { $0.spec.name == spec.name }) {
                s.errors.append(PluginLoadError(path: s.plugin.path, kind: .duplicateNode,
                                                "node '\(spec.fullName)' is registered twice by this plugin; give each node its own name"))
                return WEFT_ERR_DUPLICATE
            }
            s.nodes.append(NodeType(spec: spec, plugin: s.plugin, create: cb.create, run: cb.run,
                                    destroy: cb.destroy, userData: cb.userData,
                                    source: PluginSource.factory(start: cb.start, stop: cb.stop), cancel: cb.cancel,
                                    observe: cb.observe))
            return WEFT_OK
        }
    }

    static func registerFunction(_ reg: OpaquePointer?, _ desc: UnsafePointer<weft_function_desc_t>?) -> Int32 {
        guard let s = session(reg, "register_function") else { return WEFT_ERR_HANDLE }
        func invalid(_ message: String) -> Int32 {
            s.errors.append(PluginLoadError(path: s.plugin.path, kind: .invalidDescriptor, message))
            return WEFT_ERR_INVALID
        }
        guard let desc else { return invalid("register_function was given a NULL descriptor") }
        let size = UnsafeRawPointer(desc).load(as: UInt32.self)
        guard Int(size) >= MemoryLayout<weft_function_desc_t>.size else {
            return invalid("function descriptor struct_size is \(size), smaller than \(MemoryLayout<weft_function_desc_t>.size): "
                               + "set desc.struct_size = sizeof(weft_function_desc_t)")
        }
        let d = desc.pointee
        guard let namePtr = d.name, case let name = String(cString: namePtr), Identifier.isValid(name) else {
            return invalid("function name is missing or not a valid name (letters, digits and _, not starting with a digit)")
        }
        let label = "function '\(s.plugin.name).\(name)'"
        guard let summaryPtr = d.summary, case let summary = String(cString: summaryPtr), !summary.isEmpty else {
            return invalid("\(label) has no summary: give every function a one-line summary")
        }
        guard let fn = d.function else { return invalid("\(label) has a NULL function pointer") }
        guard let sigPtr = d.signature else { return invalid("\(label) has no signature") }
        let text = String(cString: sigPtr)
        let signature: FFISignature
        do {
            signature = try FFISignatureParser.parse(text)
        } catch {
            return invalid("\(label): bad signature: \(error)")
        }
        if d.free_string != nil && signature.returnType != .cString {
            return invalid("\(label): free_string is set but the function does not return const char *")
        }
        let function: FFIFunction
        do {
            function = try FFIFunction(pointer: unsafeBitCast(fn, to: UnsafeRawPointer.self), signature: signature,
                                       freeString: d.free_string.map { unsafeBitCast($0, to: UnsafeRawPointer.self) })
        } catch {
            return invalid("\(label): \(error)")
        }
        if s.nodes.contains(where: { $0.spec.name == name }) {
            s.errors.append(PluginLoadError(path: s.plugin.path, kind: .duplicateNode,
                                            "node '\(s.plugin.name).\(name)' is registered twice by this plugin; give each node its own name"))
            return WEFT_ERR_DUPLICATE
        }
        let binding = FFIBinding(function: function, library: nil)
        let spec = FFINodes.spec(for: signature, symbol: name, namespace: s.plugin.name, name: name, summary: summary, params: [])
        let type = NodeType(spec: spec, plugin: s.plugin, create: nil, run: ffiRun, destroy: nil,
                            userData: Unmanaged.passUnretained(binding).toOpaque(), owner: binding)
        s.nodes.append(type)
        return WEFT_OK
    }

    static func log(_ ctx: OpaquePointer?, _ level: Int32, _ message: UnsafePointer<CChar>?) {
        let text = message.map { String(cString: $0) } ?? ""
        var metadata: Logger.Metadata = [:]
        // Attribute the line only when ctx is this thread's live call; log
        // may be called from any thread, so no misuse warning otherwise.
        if let ctx, UnsafeMutableRawPointer(ctx) == weft_shim_current_ctx(), let call = weft_shim_current_call() {
            let c = Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue()
            if let inst = c.instance {
                metadata["node"] = "\(inst.nodeId)"
                metadata["type"] = "\(inst.type.fullName)"
            }
        }
        let lvl: Logger.Level = switch level {
        case WEFT_LOG_DEBUG: .debug
        case WEFT_LOG_INFO: .info
        case WEFT_LOG_WARN: .warning
        default: .error
        }
        PluginLog.logger.log(level: lvl, "\(text)", metadata: metadata)
    }

    static func inputValue(_ c: CallContext, _ index: Int32, _ function: String) -> Result<WeftValue, StatusError> {
        if c.phase == .run, index >= 0, Int(index) < c.inputCount, let v = c.input(Int(index)) { return .success(v) }
        guard c.phase == .run else { return .failure(StatusError(status: c.error(WEFT_ERR_STATE, "\(function): inputs exist only in run"))) }
        guard index >= 0, Int(index) < c.inputCount else {
            return .failure(StatusError(status: c.error(WEFT_ERR_NOT_FOUND, "\(function): no input port \(index) (this node has \(c.inputCount))")))
        }
        guard let v = c.input(Int(index)) else {
            return .failure(StatusError(status: c.error(WEFT_ERR_NOT_FOUND, "\(function): input \(index) has no value")))
        }
        return .success(v)
    }

    static func setOutput(_ c: CallContext, _ index: Int32, _ value: WeftValue, _ function: String) -> Int32 {
        guard c.phase.writesOutputs, let inst = c.instance else { return c.error(WEFT_ERR_STATE, "\(function): outputs exist only in run") }
        // The common case without copying the port's spec: a port of the
        // value's own type (or any), not yet written.
        let i = Int(index)
        if i >= 0, i < c.outputCount, i < inst.ports.outputTypes.count, !c.outputWritten(i) {
            let t = inst.ports.outputTypes[i]
            if t == .any || t == value.kind {
                c.storeOutput(i, value)
                return WEFT_OK
            }
        }
        let ports = inst.type.spec.outputs
        guard index >= 0, Int(index) < ports.count else {
            return c.error(WEFT_ERR_NOT_FOUND, "\(function): no output port \(index) (this node has \(ports.count))")
        }
        let port = ports[Int(index)]
        guard !c.outputWritten(Int(index)) else {
            return c.error(WEFT_ERR_STATE, "\(function): output '\(port.name)' was already written in this run")
        }
        guard let v = port.type.coerce(value) else {
            return c.error(WEFT_ERR_TYPE, "\(function): output '\(port.name)' is \(port.type), not \(value.kind)")
        }
        c.storeOutput(Int(index), v)
        return WEFT_OK
    }
}
