import CWeft
import WeftCore

/// Turns a plugin's `weft_node_desc_t` into a `NodeSpec`, checking every
/// field. Messages name the node and the field, and say how to mend it.
enum DescriptorReader {
    /// More entries than this in one port list means a missing terminator.
    static let maxPorts = 256

    struct Callbacks {
        var create: weft_create_fn?
        var run: weft_run_fn
        var destroy: weft_destroy_fn?
        var userData: UnsafeMutableRawPointer?
        /// ABI v3 event sources.
        var start: weft_source_start_fn?
        var stop: weft_source_stop_fn?
        /// ABI v4 async nodes.
        var cancel: weft_cancel_fn?
        /// ABI v4 observers.
        var observe: weft_observe_fn?
    }

    /// Bytes of the ABI v1 descriptor (before the v3 `start` field).
    static let v1Size = MemoryLayout<weft_node_desc_t>.offset(of: \weft_node_desc_t.start)!

    static func read(_ descPointer: UnsafePointer<weft_node_desc_t>, namespace: String)
        -> Result<(NodeSpec, Callbacks), Message>
    {
        let size = UnsafeRawPointer(descPointer).load(as: UInt32.self)
        guard Int(size) >= v1Size else {
            return .failure(Message(message: "descriptor struct_size is \(size), smaller than ABI v1's \(v1Size): "
                                + "set desc.struct_size = sizeof(weft_node_desc_t)"))
        }
        // Copy only the fields the plugin's header had (an older plugin's
        // descriptor is shorter); later fields stay zero.
        var d = weft_node_desc_t()
        withUnsafeMutableBytes(of: &d) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: UnsafeRawPointer(descPointer),
                                                        count: min(Int(size), dst.count)))
        }
        guard let namePtr = d.name else { return .failure(Message(message: "node name is NULL")) }
        let name = String(cString: namePtr)
        guard Identifier.isValid(name) else {
            return .failure(Message(message: "node name \(JSON.quote(name)) is not a valid name: use letters, digits and _, not starting with a digit"))
        }
        let label = "node '\(namespace).\(name)'"
        guard let summaryPtr = d.summary, case let summary = String(cString: summaryPtr), !summary.isEmpty else {
            return .failure(Message(message: "\(label) has no summary: give every node a one-line summary"))
        }
        let isSource = d.start != nil
        let isObserver = d.observe != nil
        if isObserver {
            let extra = [d.run != nil ? "run" : nil, d.start != nil ? "start" : nil, d.stop != nil ? "stop" : nil,
                         d.cancel != nil ? "cancel" : nil].compactMap { $0 }
            guard extra.isEmpty else {
                return .failure(Message(message: "\(label) is an observer (observe is set) and has \(extra.joined(separator: ", ")): "
                                            + "observers only observe, set desc.\(extra[0]) = NULL"))
            }
            guard (d.inputs == nil || d.inputs.pointee.name == nil) && (d.outputs == nil || d.outputs.pointee.name == nil) else {
                return .failure(Message(message: "\(label) is an observer (observe is set) with inputs or outputs: "
                                            + "observers take params only, set desc.inputs and desc.outputs = NULL"))
            }
            guard d.flags == 0 else {
                return .failure(Message(message: "\(label) is an observer (observe is set) with node flags 0x\(String(d.flags, radix: 16)): "
                                            + "flags describe calls and an observer has none, set desc.flags = 0"))
            }
        } else if isSource {
            guard d.stop != nil else {
                return .failure(Message(message: "\(label) is an event source (start is set) without a stop callback: set desc.stop"))
            }
            guard d.run == nil else {
                return .failure(Message(message: "\(label) is an event source (start is set) and has a run callback: "
                                            + "sources do not run, set desc.run = NULL"))
            }
            guard d.inputs == nil || d.inputs.pointee.name == nil else {
                return .failure(Message(message: "\(label) is an event source (start is set) with inputs: "
                                            + "sources take params only, set desc.inputs = NULL"))
            }
        } else if d.stop != nil {
            return .failure(Message(message: "\(label) has a stop callback but no start: set both for an event source"))
        }
        guard let run = d.run ?? (isSource || isObserver ? Self.sourceRun : nil) else {
            return .failure(Message(message: "\(label) has no run callback"))
        }
        let unknownFlags = d.flags & ~NodeFlags.all.rawValue
        guard unknownFlags == 0 else {
            return .failure(Message(message: "\(label) has unknown flag bits 0x\(String(unknownFlags, radix: 16)); use WEFT_NODE_* flags only"))
        }
        let cheapAndBlocking = NodeFlags([.cheap, .blocking]).rawValue
        guard d.flags & cheapAndBlocking != cheapAndBlocking else {
            return .failure(Message(message: "\(label) is flagged both WEFT_NODE_CHEAP and WEFT_NODE_BLOCKING, which contradict each other: "
                                        + "drop WEFT_NODE_CHEAP if run may sleep or wait on I/O, else drop WEFT_NODE_BLOCKING"))
        }
        if d.flags & NodeFlags.async.rawValue != 0 {
            if d.flags & (NodeFlags.cheap.rawValue | NodeFlags.blocking.rawValue) != 0 {
                return .failure(Message(message: "\(label) is flagged WEFT_NODE_ASYNC with WEFT_NODE_\(d.flags & NodeFlags.cheap.rawValue != 0 ? "CHEAP" : "BLOCKING"): "
                                            + "an async node's run returns promptly and its call ends later; drop the other flag"))
            }
            if isSource {
                return .failure(Message(message: "\(label) is an event source and flagged WEFT_NODE_ASYNC; sources do not run: drop the flag"))
            }
        } else if d.cancel != nil {
            return .failure(Message(message: "\(label) has a cancel callback but is not flagged WEFT_NODE_ASYNC: set the flag, or desc.cancel = NULL"))
        }
        let inputs: [PortSpec], outputs: [PortSpec], params: [PortSpec]
        switch readPorts(d.inputs, kind: "input", label: label) {
        case .success(let p): inputs = p
        case .failure(let e): return .failure(e)
        }
        switch readPorts(d.outputs, kind: "output", label: label) {
        case .success(let p): outputs = p
        case .failure(let e): return .failure(e)
        }
        switch readPorts(d.params, kind: "param", label: label) {
        case .success(let p): params = p
        case .failure(let e): return .failure(e)
        }
        let spec = NodeSpec(namespace: namespace, name: name, summary: summary, inputs: inputs,
                            outputs: outputs, params: params,
                            flags: NodeFlags(rawValue: d.flags).union(isSource ? .source : []).union(isObserver ? .observer : []))
        return .success((spec, Callbacks(create: d.create, run: run, destroy: d.destroy, userData: d.user_data,
                                         start: d.start, stop: d.stop, cancel: d.cancel, observe: d.observe)))
    }

    struct Message: Error { var message: String }

    /// The `run` of a source or an observer: never called by the scheduler.
    static let sourceRun: weft_run_fn = { _, _ in WEFT_ERR_STATE }

    static func readPorts(_ list: UnsafePointer<weft_port_t>?, kind: String, label: String)
        -> Result<[PortSpec], Message>
    {
        guard let list else { return .success([]) }
        var ports: [PortSpec] = []
        var i = 0
        while let namePtr = list[i].name {
            if i >= maxPorts {
                return .failure(Message(message: "\(label) has more than \(maxPorts) \(kind)s: "
                                            + "is the list missing its WEFT_PORTS_END terminator?"))
            }
            let p = list[i]
            let name = String(cString: namePtr)
            guard Identifier.isValid(name) else {
                return .failure(Message(message: "\(label): \(kind) name \(JSON.quote(name)) is not a valid name "
                                            + "(letters, digits and _, not starting with a digit)"))
            }
            guard !ports.contains(where: { $0.name == name }) else {
                return .failure(Message(message: "\(label): two \(kind)s are named '\(name)'"))
            }
            guard let type = ValueType(rawValue: p.type) else {
                return .failure(Message(message: "\(label): \(kind) '\(name)' has unknown type \(p.type); "
                                            + "use a WEFT_TYPE_* constant (0...9)"))
            }
            guard p.flags & ~UInt32(WEFT_PORT_OPTIONAL) == 0 else {
                return .failure(Message(message: "\(label): \(kind) '\(name)' has unknown flag bits "
                                            + "0x\(String(p.flags, radix: 16)); use WEFT_PORT_* flags only"))
            }
            var defaultValue: WeftValue?
            if let dj = p.default_json {
                let text = String(cString: dj)
                if kind == "output" {
                    return .failure(Message(message: "\(label): output '\(name)' has a default; outputs take none (set default_json = NULL)"))
                }
                let parsed: WeftValue
                do {
                    parsed = try JSON.parse(text)
                } catch {
                    return .failure(Message(message: "\(label): \(kind) '\(name)' has a bad default \(JSON.quote(text)): "
                                                + "not valid JSON (\(error)); write it as JSON text, e.g. \"0\" or \"\\\"text\\\"\""))
                }
                guard let coerced = type.coerce(parsed) else {
                    return .failure(Message(message: "\(label): \(kind) '\(name)' is \(type) but its default "
                                                + "\(text) is \(parsed.kind)"))
                }
                defaultValue = coerced
            }
            let summary = p.summary.map { String(cString: $0) } ?? ""
            ports.append(PortSpec(name: name, type: type, optional: p.flags & UInt32(WEFT_PORT_OPTIONAL) != 0,
                                  defaultValue: defaultValue, summary: summary))
            i += 1
        }
        return .success(ports)
    }
}
