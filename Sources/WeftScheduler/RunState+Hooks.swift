import CWeftShims
import OrderedCollections
import WeftCore
import WeftNative

// Hooks (`"before"`, `"after"`, or the graph's `"hooks"`): node types
// called around a node's call on this thread. A before hook gets
// {node, type, inputs} and may give `inputs` (replacing those it names) or
// `veto` (the node is skipped: its outputs dead); an after hook gets
// {node, type, inputs, outputs} and may give `outputs` (replacing those it
// names). A hook that fails fails the node (retries and on_error apply).
// Nodes without hooks never come here: they keep their plain path.
extension RunState {
    /// Node `n` (its step counted) with its hooks, on this thread.
    func runHooked(_ n: Int, _ hooks: CompiledGraph.NodeHooks, _ unmanaged: Unmanaged<NodeInstance>) {
        let row = graph.rows[n]
        let base = Int(row.slotBase)
        let node = graph.plan.nodes[n]
        let inputPorts = node.inputPorts
        let outputPorts = node.spec.outputs
        func inputsMap() -> WeftValue {
            var m = OrderedDictionary<String, WeftValue>()
            for (p, port) in inputPorts.enumerated() {
                if let v = value(base + p) { m[port.name] = v }
            }
            return .map(m)
        }
        func hookError(_ kind: String, _ type: String, _ message: String) -> NodeError {
            nodeError(n, "\(kind) hook '\(type)': \(message)")
        }
        if let hook = hooks.plan.before, let instance = hooks.before {
            let call: WeftValue = .object([("node", .string(graph.ids[n])), ("type", .string(node.type)), ("inputs", inputsMap())])
            switch callHook(instance, hook, call) {
            case .failure(let e):
                nodeFailed(n, hookError("before", hook.type, e.message))
                return
            case .success(let out):
                if hook.vetoPort >= 0, let veto = out[hook.vetoPort] {
                    _ = veto
                    skip(n)
                    return
                }
                if hook.replacePort >= 0, let replaced = out[hook.replacePort] {
                    guard case .map(let m) = replaced else {
                        nodeFailed(n, hookError("before", hook.type, "its output 'inputs' must be a map, got \(replaced.kind)"))
                        return
                    }
                    for (name, v) in m {
                        guard let p = inputPorts.firstIndex(where: { $0.name == name }) else {
                            nodeFailed(n, hookError("before", hook.type, "gave input '\(name)', which '\(graph.ids[n])' (\(node.type)) "
                                                        + "does not have"))
                            return
                        }
                        setSlot(base + p, .value(v))
                    }
                }
            }
        }
        // (A timed hooked node's call gets a deadline here, BLOCKING or not.)
        let ok = graph.timeouts[n].map { callWithin($0, n, unmanaged, base, Int(row.typeIndex)) }
            ?? call(n, unmanaged, base, Int(row.typeIndex))
        guard ok else {
            nodeFailed(n, callError(n))
            return
        }
        guard let hook = hooks.plan.after, let instance = hooks.after else {
            succeeded(n, row, context.frame.pointee.outputs!, context.boxedOutputs)
            return
        }
        let outs = context.frame.pointee.outputs!
        let boxes = context.boxedOutputs
        // The call's outputs as values (before the hook's call reuses nothing of them).
        let made = Int(context.frame.pointee.output_count)
        var values: [WeftValue?] = (0..<outputPorts.count).map { $0 < made && outs[$0].taken != 0 ? Self.value(of: outs[$0], boxes + $0) : nil }
        var given = OrderedDictionary<String, WeftValue>()
        for (p, port) in outputPorts.enumerated() { if let v = values[p] { given[port.name] = v } }
        let callValue: WeftValue = .object([("node", .string(graph.ids[n])), ("type", .string(node.type)), ("inputs", inputsMap()),
                                            ("outputs", .map(given))])
        switch callHook(instance, hook, callValue) {
        case .failure(let e):
            nodeFailed(n, hookError("after", hook.type, e.message))
            return
        case .success(let out):
            if hook.replacePort >= 0, let replaced = out[hook.replacePort] {
                guard case .map(let m) = replaced else {
                    nodeFailed(n, hookError("after", hook.type, "its output 'outputs' must be a map, got \(replaced.kind)"))
                    return
                }
                for (name, v) in m {
                    guard let p = outputPorts.firstIndex(where: { $0.name == name }) else {
                        nodeFailed(n, hookError("after", hook.type, "gave output '\(name)', which '\(graph.ids[n])' (\(node.type)) "
                                                    + "does not have"))
                        return
                    }
                    guard let taken = outputPorts[p].type.coerce(v) else {
                        nodeFailed(n, hookError("after", hook.type, "gave output '\(name)' as \(v.kind); it is \(outputPorts[p].type)"))
                        return
                    }
                    values[p] = taken
                }
            }
        }
        succeeded(n, values: values)
    }

    /// Calls hook `instance` with its `call` input; its outputs as values
    /// (nil: not written).
    private func callHook(_ instance: NodeInstance, _ hook: PlanHooks.Hook, _ call: WeftValue) -> Result<[WeftValue?], NodeError> {
        var inputs = [WeftValue?](repeating: nil, count: instance.type.spec.inputs.count)
        inputs[hook.callPort] = call
        return instance.run(inputs: inputs, context: hookContext).map(\.values)
    }
}
