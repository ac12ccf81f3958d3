// Validation's per-node part: resolving a node's type, params and constants, and the stand-in for one that does not resolve.

extension Validation {
    /// Resolves a node's type, params, constants and strategy.
    mutating func resolveNode(_ n: GraphNode) -> GraphPlan.Node? {
        // The node's spec, read through its box (a copy of a spec retains
        // its six parts): the catalog's box, shared with the other nodes of
        // the type, or a box of its own (loops, ffi).
        var box: SpecBox
        let isLoop = n.type == LoopNode.typeName
        let isFlow = n.type == FlowNode.typeName
        if isLoop && (n.start != nil || n.maxCycles != nil) {
            error(n.path + (n.start != nil ? ".start" : ".max_cycles"), node: n.id,
                  "\"\(n.start != nil ? "start" : "max_cycles")\" is for flow nodes only (\"type\": \"flow\")")
        }
        if isLoop {
            guard !n.carry.isEmpty else {
                error(n.path, node: n.id, "loop '\(n.id)' needs \"carry\": the variables it carries, e.g. {\"i\": \"int\"}")
                return nil
            }
            box = SpecBox(LoopNode.spec(carry: n.carry))
            if !n.params.isEmpty { error(n.path + ".params", node: n.id, "a loop node takes no params") }
            if n.join == .any {
                error(n.path + ".join", node: n.id, "a loop node waits for all its initial values; remove \"join\": \"any\"")
            }
            if let s = n.strategy, s != .loop {
                error(n.path + ".strategy", node: n.id, "a loop node's strategy is \"loop\"")
            }
        } else if n.type == FlowNode.typeName {
            box = SpecBox(FlowNode.spec)
            if n.start == nil {
                error(n.path, node: n.id, "flow '\(n.id)' needs \"start\": the id of the state that runs first")
            }
            if !n.params.isEmpty { error(n.path + ".params", node: n.id, "a flow node takes no params") }
            if !n.carry.isEmpty { error(n.path + ".carry", node: n.id, "\"carry\" is for loop nodes only") }
            if n.maxIterations != nil {
                error(n.path + ".max_iterations", node: n.id, "a flow is bounded by \"max_cycles\" (the most states it runs), not max_iterations")
            }
            if let s = n.strategy, s != .sequential {
                error(n.path + ".strategy", node: n.id, "a flow node runs its states one after another; remove \"strategy\"")
            }
            if n.map != nil || n.onError != nil || n.retry != nil || n.isolate || n.timeoutMs != nil {
                let field = n.map != nil ? "map" : n.onError != nil ? "on_error" : n.retry != nil ? "retry" : n.isolate ? "isolate" : "timeout_ms"
                error(n.path + "." + field, node: n.id, "\(field) is not for flow nodes; set it on the states")
            }
        } else {
            // Graphs repeat types: the last lookup is kept (one string
            // comparison instead of a catalog lookup per node).
            let looked: SpecBox?
            if n.type == Subgraphs.typeName, let sub = doc.subgraphPlans[n.id] {
                looked = SpecBox(Subgraphs.interfaceSpec(sub.plan))
            } else if let last = lastSpec, last.type == n.type {
                looked = last.box
            } else {
                looked = catalog.spec(named: n.type).map(SpecBox.init)
                if let looked { lastSpec = (n.type, looked) }
            }
            guard let looked else {
                let near = catalog.suggestions(for: n.type)
                error(n.path + ".type", node: n.id, "unknown node type '\(n.type)'"
                        + (near.isEmpty ? "; run `weft plugins` to list the node types, or load the plugin with --plugins DIR"
                           : "; did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?"))
                return nil
            }
            box = looked
            if box.spec.flags.contains(.observer) {
                error(n.path + ".type", node: n.id, "'\(n.type)' is an observer, not a node type: list it in the graph's "
                        + "\"observers\" (or give --observer \(n.type) to weft run)")
                return nil
            }
            if !n.carry.isEmpty { error(n.path + ".carry", node: n.id, "\"carry\" is for loop nodes only") }
            if n.maxIterations != nil { error(n.path + ".max_iterations", node: n.id, "\"max_iterations\" is for loop nodes only") }
            if n.start != nil { error(n.path + ".start", node: n.id, "\"start\" is for flow nodes only (\"type\": \"flow\")") }
            if n.maxCycles != nil { error(n.path + ".max_cycles", node: n.id, "\"max_cycles\" is for flow nodes only (\"type\": \"flow\")") }
            let isSource = box.spec.flags.contains(.source)
            if n.maxEvents != nil && !isSource {
                error(n.path + ".max_events", node: n.id, "\"max_events\" is for event sources only ('\(n.type)' is not one)")
            }
            if isSource, let st = n.strategy, st != .event {
                error(n.path + ".strategy", node: n.id, "node '\(n.id)' (\(n.type)) is an event source: its strategy is \"event\"")
            }
            if !isSource && n.strategy == .event {
                error(n.path + ".strategy", node: n.id, "strategy \"event\" belongs to event sources such as event.timer; "
                        + "'\(n.type)' is not one")
            }
            if isSource && (n.isolate || n.timeoutMs != nil) {
                error(n.path + (n.timeoutMs != nil ? ".timeout_ms" : ".isolate"), node: n.id,
                      "node '\(n.id)' (\(n.type)) is an event source; sources cannot be isolated (isolate the nodes downstream instead)")
            } else if n.isolate && box.spec.flags.contains(.async) {
                error(n.path + ".isolate", node: n.id, "node '\(n.id)' (\(n.type)) is async (its calls end later) and cannot be isolated")
            } else if n.timeoutMs != nil && box.spec.flags.contains(.async) {
                error(n.path + ".timeout_ms", node: n.id, "node '\(n.id)' (\(n.type)) is async: timeout_ms is not for async nodes yet "
                        + "(give the node a time limit of its own, e.g. a param, and fail its call from its timer)")
            } else if n.isolate && !catalog.canIsolate(n.type) {
                error(n.path + ".isolate", node: n.id,
                      "node '\(n.id)' (\(n.type)) cannot be isolated: only nodes of plugin files run in a child process")
            }
            if n.strategy == .loop {
                error(n.path + ".strategy", node: n.id, "strategy \"loop\" belongs to nodes of type \"loop\"")
            }
            if n.strategy == .conditional && !box.spec.outputs.contains(where: \.optional) {
                error(n.path + ".strategy", node: n.id, "node '\(n.id)' (\(n.type)) cannot be conditional: it has no optional outputs to choose between")
            }
        }
        // Params.
        var params: [String: WeftValue] = [:]
        for p in n.params where !isLoop && !isFlow {
            guard let port = box.spec.params.first(where: { $0.name == p.name }) else {
                error(n.path + ".params." + p.name, node: n.id, "node '\(n.id)' (\(n.type)) has no param '\(p.name)'" + hint(p.name, among: box.spec.params.map(\.name)))
                continue
            }
            guard let c = port.type.coerce(p.value) else {
                error(n.path + ".params." + p.name, node: n.id, "param '\(p.name)' of node '\(n.id)' must be \(port.type), not \(p.value.kind) \(JSON.encode(p.value))")
                continue
            }
            params[p.name] = c
        }
        var missingParam = false
        let paramsUnread = n.unread.contains(.params)
        for port in box.spec.params where !port.optional && params[port.name] == nil {
            // Perhaps under the params the decoder could not read.
            if !paramsUnread {
                error(n.path + ".params", node: n.id, "node '\(n.id)' (\(n.type)) needs param '\(port.name)' (\(port.type))")
            }
            missingParam = true
        }
        // The ports of some types come from their params: unknown here.
        if missingParam && paramsUnread { return nil }
        // Types whose ports come from their params (ffi). A type the catalog
        // said has none keeps saying so (the answer depends on the type
        // alone), so a run of nodes of one type asks once.
        if !isLoop, !isFlow, !missingParam, lastPlainType != n.type {
            if let resolved = catalog.parameterizedSpec(type: n.type, params: params) {
                switch resolved {
                case .success(let s): box = SpecBox(s)
                case .failure(let e):
                    if !paramsUnread {
                        error(e.param.map { "\(n.path).params.\($0)" } ?? n.path, node: n.id, "node '\(n.id)' (\(n.type)): \(e.message)")
                    }
                    return nil
                }
            } else {
                lastPlainType = n.type
            }
        }
        // Map: the mapped inputs take lists, and every output gives one.
        var planMap: PlanMap?
        if n.map == nil && (n.concurrency != nil || n.onItemError != nil) {
            error(n.path + (n.concurrency != nil ? ".concurrency" : ".on_item_error"), node: n.id,
                  "\(n.concurrency != nil ? "concurrency" : "on_item_error") is for mapped nodes: add \"map\": the input "
                    + "port whose list the node runs over")
        }
        if let names = n.map, !isFlow {
            planMap = mapNode(n, names, isLoop: isLoop, box: &box)
        }
        // Constants.
        var constants: [(port: Int, value: WeftValue)] = []
        n.constantList.forEach { c in
            guard let p = box.spec.inputs.firstIndex(where: { $0.name == c.port }) else {
                error(n.path + ".inputs." + c.port, node: n.id, "node '\(n.id)' (\(n.type)) has no input '\(c.port)'" + hint(c.port, among: box.spec.inputs.map(\.name)))
                return
            }
            if isLoop && LoopNode.isBackInput(p, carryCount: n.carry.count) {
                error(n.path + ".inputs." + c.port, node: n.id, "loop input '\(c.port)' must come from the loop body, not a constant")
                return
            }
            guard let v = box.spec.inputs[p].type.coerce(c.value) else {
                error(n.path + ".inputs." + c.port, node: n.id, "input '\(c.port)' of node '\(n.id)' takes \(box.spec.inputs[p].type), not \(c.value.kind) \(JSON.encode(c.value))")
                return
            }
            constants.append((p, v))
        }
        // Error policy: "route" adds the output port `error`; a default
        // names output ports and values of their types.
        var errorPolicy: PlanErrorPolicy?
        switch n.onError {
        case nil, .fail?: break
        case _? where isFlow: break
        case _? where isLoop || box.spec.flags.contains(.source):
            error(n.path + ".on_error", node: n.id, "on_error is for nodes that run a call; '\(n.id)' is a "
                    + (isLoop ? "loop (set it on the nodes of its body)" : "source (set it on the nodes it feeds)"))
        case .route?:
            if box.spec.outputs.contains(where: { $0.name == ErrorPolicy.errorPort }) {
                error(n.path + ".on_error", node: n.id, "on_error \"route\" adds an output 'error', but '\(n.type)' already has "
                        + "an output of that name; use {\"default\": {…}} instead")
            } else {
                var spec = box.spec
                spec.outputs.append(PortSpec(name: ErrorPolicy.errorPort, type: .map, optional: true,
                                             summary: "fires when the node fails: {node, type, message, attempt}"))
                box = SpecBox(spec)
                errorPolicy = .route(port: spec.outputs.count - 1)
            }
        case .defaults(let values)?:
            var resolved: [(port: Int, value: WeftValue)] = []
            for (name, value) in values {
                let place = n.path + ".on_error.default." + name
                guard let p = box.spec.outputs.firstIndex(where: { $0.name == name }) else {
                    error(place, node: n.id, "node '\(n.id)' (\(n.type)) has no output '\(name)'"
                            + hint(name, among: box.spec.outputs.map(\.name)))
                    continue
                }
                guard let v = box.spec.outputs[p].type.coerce(value) else {
                    error(place, node: n.id, "output '\(name)' of node '\(n.id)' is \(box.spec.outputs[p].type), "
                            + "not \(value.kind) \(JSON.encode(value))")
                    continue
                }
                resolved.append((p, v))
            }
            errorPolicy = .defaults(resolved.sorted { $0.port < $1.port })
        }
        var node = GraphPlan.Node(id: n.id, type: n.type, label: n.label, specBox: box, params: params,
                              constants: constants,
                              strategy: isLoop ? .loop : (box.spec.flags.contains(.source) ? .event : (n.strategy ?? .sequential)),
                              join: n.join,
                              maxIterations: n.maxIterations ?? LoopNode.defaultMaxIterations,
                              carryCount: n.carry.count, enclosingLoop: nil, index: n.index,
                              isolate: n.isolate, timeoutMs: n.timeoutMs, maxEvents: n.maxEvents)
        node.errorPolicy = errorPolicy
        node.map = planMap
        if n.timeoutMs != nil && !n.isolate && planMap != nil {
            error(n.path + ".timeout_ms", node: n.id, "timeout_ms on a mapped node needs \"isolate\": true (each call then runs "
                    + "in a worker process that is killed at the limit); a deadline per item in this process is not there yet")
        }
        // Retries: the node's own, else the graph's (for nodes that run a call).
        let runsCall = !isLoop && !isFlow && !box.spec.flags.contains(.source)
        if n.retry != nil && !runsCall && !isFlow {
            error(n.path + ".retry", node: n.id, "retry is for nodes that run a call; '\(n.id)' is a "
                    + (isLoop ? "loop (set it on the nodes of its body)" : "source"))
        } else if runsCall, planMap == nil, let retry = n.retry ?? doc.retry, retry.maxAttempts > 1 {
            node.retry = retry
        }
        // Hooks: the node's own, else the graph's (nodes that run a plain call).
        let isAsync = box.spec.flags.contains(.async)
        if (n.before != nil || n.after != nil) && (!runsCall || planMap != nil || isAsync) {
            let field = n.before != nil ? "before" : "after"
            error(n.path + "." + field, node: n.id, "\(field) hooks are for nodes that run one call; '\(n.id)' is "
                    + (isLoop ? "a loop" : isFlow ? "a flow" : planMap != nil ? "mapped" : isAsync ? "async" : "a source"))
        } else if runsCall && planMap == nil && !isAsync {
            let before = (n.before.map { ($0, n.path + ".before") } ?? doc.hooks.before.map { ($0, "$.hooks.before") })
                .flatMap { resolveHook($0.0, after: false, path: $0.1, node: n.id) }
            let after = (n.after.map { ($0, n.path + ".after") } ?? doc.hooks.after.map { ($0, "$.hooks.after") })
                .flatMap { resolveHook($0.0, after: true, path: $0.1, node: n.id) }
            if before != nil || after != nil {
                node.hooks = PlanHooks(before: before, after: after, own: n.before != nil || n.after != nil)
            }
        }
        // A cache: for a node that runs one call, not hooked.
        if let cache = n.cache {
            if !runsCall || planMap != nil || isAsync || isFlow {
                error(n.path + ".cache", node: n.id, "cache is for nodes that run one call; '\(n.id)' is "
                        + (isLoop ? "a loop" : isFlow ? "a flow" : planMap != nil ? "mapped" : isAsync ? "async" : "a source"))
            } else if node.hooks != nil {
                error(n.path + ".cache", node: n.id, "a node with hooks cannot be cached yet (its hooks would not run on a hit)")
            } else {
                node.cache = cache
            }
        }
        return node
    }

    /// A hook's node type checked: it runs a call, takes `call` and gives
    /// `inputs` and/or `veto` (before) or `outputs` (after); its params
    /// known and of their types.
    mutating func resolveHook(_ ref: HookRef, after: Bool, path: String, node id: String) -> PlanHooks.Hook? {
        guard let spec = catalog.spec(named: ref.type) else {
            let near = catalog.suggestions(for: ref.type)
            error(path, node: id, "unknown hook type '\(ref.type)'"
                    + (near.isEmpty ? "; run `weft plugins` to list the node types" : "; did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?"))
            return nil
        }
        let kind = after ? "an after hook" : "a before hook"
        guard spec.flags.isDisjoint(with: [.source, .async, .observer]) else {
            error(path, node: id, "'\(ref.type)' cannot be \(kind): it is "
                    + (spec.flags.contains(.source) ? "an event source" : spec.flags.contains(.async) ? "async" : "an observer"))
            return nil
        }
        guard let call = spec.inputs.firstIndex(where: { $0.name == HookRef.callPort }),
              Self.compatible(.map, spec.inputs[call].type),
              !spec.inputs.enumerated().contains(where: { $0.offset != call && !$0.element.optional }) else {
            error(path, node: id, "'\(ref.type)' cannot be \(kind): a hook takes one input 'call' (a map: node, type, inputs"
                    + (after ? ", outputs" : "") + ")")
            return nil
        }
        func output(_ name: String, _ type: ValueType) -> Int {
            guard let i = spec.outputs.firstIndex(where: { $0.name == name }), Self.compatible(spec.outputs[i].type, type) else { return -1 }
            return i
        }
        let replace = output(after ? HookRef.outputsPort : HookRef.inputsPort, .map)
        let veto = after ? -1 : output(HookRef.vetoPort, .string)
        guard replace >= 0 || veto >= 0 else {
            error(path, node: id, "'\(ref.type)' cannot be \(kind): it needs an output "
                    + (after ? "'outputs' (a map)" : "'inputs' (a map) or 'veto' (a string)"))
            return nil
        }
        let params = refParams(ref, spec, path: path, node: id, what: "hook")
        return PlanHooks.Hook(type: ref.type, params: params, callPort: call, replacePort: replace, vetoPort: veto)
    }

    /// The params of a hook or observer reference, checked against its
    /// type's: known, of their types, the required ones given.
    mutating func refParams(_ ref: HookRef, _ spec: NodeSpec, path: String, node id: String?, what: String) -> [String: WeftValue] {
        var params: [String: WeftValue] = [:]
        for p in ref.params {
            guard let port = spec.params.first(where: { $0.name == p.name }) else {
                error(path + ".params." + p.name, node: id, "\(what) '\(ref.type)' has no param '\(p.name)'" + hint(p.name, among: spec.params.map(\.name)))
                continue
            }
            guard let v = port.type.coerce(p.value) else {
                error(path + ".params." + p.name, node: id, "param '\(p.name)' of \(what) '\(ref.type)' must be \(port.type), not \(p.value.kind)")
                continue
            }
            params[p.name] = v
        }
        for port in spec.params where !port.optional && !ref.params.contains(where: { $0.name == port.name }) {
            error(path, node: id, "\(what) '\(ref.type)' needs param '\(port.name)' (\(port.type)): {\"type\": \"\(ref.type)\", \"params\": {…}}")
        }
        return params
    }

    /// An observer of the graph (`"observers"`): a type flagged observer,
    /// its params checked.
    mutating func resolveObserver(_ ref: HookRef, path: String) -> PlanObserver? {
        guard let spec = catalog.spec(named: ref.type) else {
            let near = catalog.suggestions(for: ref.type)
            error(path, node: nil, "unknown observer type '\(ref.type)'"
                    + (near.isEmpty ? "; run `weft plugins` to list the types (observers are flagged observer)"
                       : "; did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?"))
            return nil
        }
        guard spec.flags.contains(.observer) else {
            error(path, node: nil, "'\(ref.type)' is a node type, not an observer: an observer is a type whose plugin sets "
                    + "desc.observe (`weft plugins` flags it observer)")
            return nil
        }
        return PlanObserver(type: ref.type, params: refParams(ref, spec, path: path, node: nil, what: "observer"))
    }

    /// A mapped node's ports: its mapped inputs become lists (required),
    /// each output a list of the items' values (with `collect`, one more:
    /// `errors`). Nil, with the errors reported, when it cannot be mapped.
    mutating func mapNode(_ n: GraphNode, _ names: [String], isLoop: Bool, box: inout SpecBox) -> PlanMap? {
        let at = n.path + ".map"
        guard !isLoop && !box.spec.flags.contains(.source) else {
            error(at, node: n.id, "map is for nodes that run a call; '\(n.id)' is a " + (isLoop ? "loop" : "source"))
            return nil
        }
        if let st = n.strategy, st != .sequential {
            error(at, node: n.id, "a mapped node runs with the sequential strategy (it fires every output, one list each); "
                    + "remove \"strategy\": \"\(st.rawValue)\"")
            return nil
        }
        if n.join == .any {
            error(at, node: n.id, "a mapped node waits for all its inputs; remove \"join\": \"any\"")
            return nil
        }
        if n.retry != nil {
            error(n.path + ".retry", node: n.id, "retry does not apply to a mapped node; use \"on_item_error\" for its items")
            return nil
        }
        var spec = box.spec
        var ports: [Int] = []
        for name in names {
            guard let p = spec.inputs.firstIndex(where: { $0.name == name }) else {
                error(at, node: n.id, "node '\(n.id)' (\(n.type)) has no input '\(name)' to map over"
                        + hint(name, among: spec.inputs.map(\.name)))
                return nil
            }
            guard !ports.contains(p) else {
                error(at, node: n.id, "input '\(name)' is mapped twice")
                return nil
            }
            ports.append(p)
        }
        let policy = n.onItemError ?? .fail
        if policy == .collect && spec.outputs.contains(where: { $0.name == PlanMap.errorsPort }) {
            error(n.path + ".on_item_error", node: n.id, "on_item_error \"collect\" adds an output 'errors', but '\(n.type)' "
                    + "already has one; use \"skip\" or \"fail\"")
            return nil
        }
        for p in ports {
            let item = spec.inputs[p]
            spec.inputs[p] = PortSpec(name: item.name, type: .list, summary: "a list, one \(item.type) per item")
        }
        let itemOutputs = spec.outputs.count
        spec.outputs = spec.outputs.map {
            PortSpec(name: $0.name, type: .list, summary: "per item, its '\($0.name)' (\($0.type))"
                        + ($0.optional ? ", null where it did not fire" : ""))
        }
        if policy == .collect {
            spec.outputs.append(PortSpec(name: PlanMap.errorsPort, type: .list,
                                         summary: "per item, null or its error: {item, message}"))
        }
        box = SpecBox(spec)
        return PlanMap(ports: ports, concurrency: n.concurrency ?? 1, onItemError: policy, itemOutputs: itemOutputs)
    }

    /// Holds the place of a node that did not resolve (never in a plan:
    /// its error stops validation).
    static func standIn(_ n: GraphNode) -> GraphPlan.Node {
        GraphPlan.Node(id: n.id, type: n.type, label: nil, specBox: emptySpec,
                       params: [:], constants: [], strategy: .sequential, join: .all, maxIterations: 0,
                       carryCount: 0, enclosingLoop: nil, index: n.index, isolate: false, timeoutMs: nil, maxEvents: nil)
    }
    static let emptySpec = SpecBox(NodeSpec(namespace: "", name: "", summary: "", inputs: [], outputs: [], flags: []))
}
