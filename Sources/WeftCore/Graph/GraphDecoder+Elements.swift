// GraphDecoder.Decoder's readers of a graph's elements: graph inputs, value types, nodes, edges.

import OrderedCollections

extension GraphDecoder.Decoder {
    /// The graph's inputs, or nil when `value` is not an object. An input
    /// with a problem is reported and kept (as `any` when its type is
    /// wrong, without its default when that is wrong), so edges from it
    /// are not reported again as coming from an unknown input.
    mutating func graphInputs(_ value: WeftValue) -> [GraphInput]? {
        guard case .map(let m) = value else {
            error("$.inputs", "\"inputs\" must be an object mapping input names to a type or {\"type\", \"default\"}")
            return nil
        }
        var out: [GraphInput] = []
        for (name, spec) in m {
            let path = "$.inputs.\(name)"
            if !Identifier.isValid(name) {
                error(path, "input name \(JSON.quote(name)) is not a valid name (letters, digits, _)")
            }
            switch spec {
            case .string(let t):
                out.append(GraphInput(name: name, type: valueType(t, path: path) ?? .any, defaultValue: nil, summary: "", path: path))
            case .map(let fields):
                checkKeys(fields, allowed: GraphDecoder.inputKeys, path: path, what: "input '\(name)'")
                var type = ValueType.any
                var typeRead = true
                if let t = fields["type"] {
                    if case .string(let s) = t, let vt = valueType(s, path: path + ".type") {
                        type = vt
                    } else {
                        if case .string = t {} else { error(path + ".type", "type must be a string such as \"int\"") }
                        typeRead = false
                    }
                }
                var def: WeftValue?
                if let d = fields["default"], typeRead {
                    if let c = type.coerce(d) {
                        def = c
                    } else {
                        error(path + ".default", "default \(JSON.encode(d)) is \(d.kind), but input '\(name)' is \(type)")
                    }
                }
                var summary = ""
                if let d = fields["description"] {
                    if case .string(let s) = d { summary = s } else { error(path + ".description", "description must be a string") }
                }
                out.append(GraphInput(name: name, type: type, defaultValue: def, summary: summary, path: path))
            default:
                error(path, "an input is a type name (\"int\") or {\"type\": \"int\", \"default\": 3}")
                out.append(GraphInput(name: name, type: .any, defaultValue: nil, summary: "", path: path))
            }
        }
        return out
    }

    mutating func valueType(_ name: String, path: String) -> ValueType? {
        if let t = ValueType(name: name) { return t }
        error(path, "unknown type \(JSON.quote(name)); use one of: \(ValueType.allCases.map(\.description).joined(separator: ", "))")
        return nil
    }

    /// A node, or nil when it has no id to know it by. A node with other
    /// problems is reported and kept, what could not be read marked in
    /// `GraphNode.unread`.
    mutating func node(_ value: WeftValue, index: Int) -> GraphNode? {
        // The path is only made for a message (most nodes have none).
        var path: String { "$.nodes[\(index)]" }
        guard case .map(let m) = value else {
            error(path, "a node must be an object with \"id\" and \"type\"")
            return nil
        }
        guard case .string(let id)? = m["id"] else {
            error(path, m["id"] == nil ? "node has no \"id\"" : "node \"id\" must be a string")
            return nil
        }
        var unread: GraphNode.Fields = []
        // An unknown field may be a misspelling of a missing one.
        let fields: [String: GraphNode.Fields] = ["type": .type, "params": .params, "inputs": .inputs, "join": .join, "carry": .carry]
        for meant in checkKeys(m, allowed: GraphDecoder.nodeKeys, path: path, node: id, what: "node '\(id)'") where m[meant] == nil {
            unread.formUnion(fields[meant] ?? [])
        }
        if !NodeID.isValid(id) {
            error(path + ".id", node: id, "node id \(JSON.quote(id)) is not valid: use letters, digits, _ and -, starting with a letter or _ (no dots: edges use node.port)")
            // No edge can name it as it is: what feeds it is not known.
            unread.insert(.inputs)
        }
        var type = ""
        if case .string(let t)? = m["type"] {
            type = t
        } else {
            error(path, node: id, m["type"] == nil ? "node '\(id)' has no \"type\" (e.g. \"std.add\")" : "node \"type\" must be a string")
            unread.insert(.type)
        }
        var n = GraphNode(id: id, type: type, label: nil, params: [], constants: [], strategy: nil, join: .all,
                          maxIterations: nil, carry: [], index: index)
        if let l = m["label"] {
            if case .string(let s) = l { n.label = s } else { error(path + ".label", node: id, "label must be a string") }
        }
        if let p = m["params"] {
            if case .map(let pm) = p {
                n.params = pm.map { (name: $0.key, value: $0.value) }
            } else {
                error(path + ".params", node: id, "params must be an object of name: value")
                unread.insert(.params)
            }
        }
        if let c = m["inputs"] {
            if case .map(let cm) = c {
                n.constants = cm.map { (port: $0.key, value: $0.value) }
            } else {
                error(path + ".inputs", node: id, "a node's \"inputs\" binds input ports to constants: an object of port: value")
                unread.insert(.inputs)
            }
        }
        if let s = m["strategy"] {
            if case .string(let str) = s, let k = StrategyKind(rawValue: str) {
                n.strategy = k
            } else {
                error(path + ".strategy", node: id,
                      "strategy must be one of: \(StrategyKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if let j = m["join"] {
            if case .string(let str) = j, let k = JoinPolicy(rawValue: str) {
                n.join = k
            } else {
                error(path + ".join", node: id, "join must be \"all\" or \"any\"")
                unread.insert(.join)
            }
        }
        if let iso = m["isolate"] {
            if case .bool(let b) = iso { n.isolate = b } else { error(path + ".isolate", node: id, "isolate must be true or false") }
        }
        if let t = m["timeout_ms"] {
            if case .int(let v) = t, v > 0, v <= 86_400_000 {
                n.timeoutMs = Int(v)
            } else {
                error(path + ".timeout_ms", node: id, "timeout_ms must be a whole number of milliseconds from 1 to 86400000 (one day)")
            }
        }
        if let oe = m["on_error"] { n.onError = errorPolicy(oe, path: path + ".on_error", node: id) }
        if let r = m["retry"] { n.retry = retryPolicy(r, path: path + ".retry", node: id) }
        if let mp = m["map"] {
            switch mp {
            case .string(let port): n.map = [port]
            case .list(let items) where !items.isEmpty && items.allSatisfy({ if case .string = $0 { true } else { false } }):
                n.map = items.compactMap { if case .string(let s) = $0 { s } else { nil } }
            default:
                error(path + ".map", node: id, "map must name the input port whose list the node runs over (\"map\": \"items\"), "
                        + "or a list of them, zipped item by item")
            }
        }
        if let c = m["concurrency"] {
            if case .int(let v) = c, v >= 1, v <= Int64(PlanMap.maxConcurrency) {
                n.concurrency = Int(v)
            } else {
                error(path + ".concurrency", node: id, "concurrency must be a whole number from 1 to \(PlanMap.maxConcurrency): "
                        + "how many items of a mapped node run at once")
            }
        }
        if let e = m["on_item_error"] {
            if case .string(let s) = e, let k = ItemErrorPolicy(rawValue: s) {
                n.onItemError = k
            } else {
                error(path + ".on_item_error", node: id, "on_item_error must be one of: "
                        + ItemErrorPolicy.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
            }
        }
        if let me = m["max_events"] {
            if case .int(let v) = me, v > 0, v <= 1_000_000_000_000 {
                n.maxEvents = Int(v)
            } else {
                error(path + ".max_events", node: id, "max_events must be a whole number from 1 to 1000000000000")
            }
        }
        if let c = m["cache"] {
            switch c {
            case .bool(true): n.cache = CacheSpec()
            case .bool(false): break
            case .map(let cm):
                checkKeys(cm, allowed: ["ttl_s"], path: path + ".cache", node: id, what: "a cache")
                switch cm["ttl_s"] {
                case nil: n.cache = CacheSpec()
                case .int(let v)? where v > 0: n.cache = CacheSpec(ttlSeconds: Double(v))
                case .double(let v)? where v > 0 && v.isFinite: n.cache = CacheSpec(ttlSeconds: v)
                default: error(path + ".cache.ttl_s", node: id, "ttl_s must be a number of seconds above 0")
                }
            default:
                error(path + ".cache", node: id, "cache must be true, false or {\"ttl_s\": seconds}")
            }
        }
        if let h = m["before"] { n.before = hook(h, path: path + ".before", node: id) }
        if let h = m["after"] { n.after = hook(h, path: path + ".after", node: id) }
        if let st = m["start"] {
            if case .string(let s) = st { n.start = s } else { error(path + ".start", node: id, "start must be the id of the flow's first state") }
        }
        if let mc = m["max_cycles"] {
            if case .int(let v) = mc, v > 0, v <= Int64(FlowNode.maxCyclesLimit) {
                n.maxCycles = Int(v)
            } else {
                error(path + ".max_cycles", node: id, "max_cycles must be a whole number from 1 to \(FlowNode.maxCyclesLimit): the most states a flow runs")
            }
        }
        if let mi = m["max_iterations"] {
            if case .int(let v) = mi, v > 0, v <= Int64(Int32.max) {
                n.maxIterations = Int(v)
            } else {
                error(path + ".max_iterations", node: id, "max_iterations must be a positive integer")
            }
        }
        if let c = m["carry"] {
            if case .map(let cm) = c, !cm.isEmpty {
                for (name, t) in cm {
                    guard Identifier.isValid(name) else {
                        error("\(path).carry.\(name)", node: id, "carried variable name \(JSON.quote(name)) is not valid (letters, digits, _)")
                        unread.insert(.carry)
                        continue
                    }
                    guard case .string(let ts) = t, let vt = valueType(ts, path: "\(path).carry.\(name)") else {
                        if case .string = t {} else { error("\(path).carry.\(name)", node: id, "a carried variable's value is its type name, e.g. \"int\"") }
                        unread.insert(.carry)
                        continue
                    }
                    n.carry.append((name: name, type: vt))
                }
            } else {
                error(path + ".carry", node: id, "carry must be a non-empty object of variable: type, e.g. {\"i\": \"int\"}")
                unread.insert(.carry)
            }
        }
        n.unread = unread
        return n
    }

    /// An edge, or nil when either end is missing or wrong; then the end
    /// that parsed is kept aside (`unreadSources`, `unreadTargets`).
    mutating func edge(_ value: WeftValue, index: Int) -> GraphEdge? {
        var path: String { "$.edges[\(index)]" }
        guard case .map(let m) = value else {
            error(path, "an edge must be an object {\"from\": \"node.port\", \"to\": \"node.port\"}")
            return nil
        }
        checkKeys(m, allowed: GraphDecoder.edgeKeys, path: path, what: "an edge")
        if let when = m["when"] {
            transition(m, when: when, index: index)
            return nil
        }
        var from: PortRef?, to: PortRef?
        if case .string(let f)? = m["from"] {
            from = PortRef(parsing: f)
            if from == nil { error(path + ".from", "\(JSON.quote(f)) is not \"node.port\" or \"$input\"") }
        } else {
            error(path, "edge has no \"from\" string (\"node.port\" or \"$input\")")
        }
        if case .string(let t)? = m["to"] {
            to = PortRef(parsing: t)
            if let ref = to, ref.isGraphInput { to = nil }
            if to == nil { error(path + ".to", "\(JSON.quote(t)) is not \"node.port\"") }
        } else {
            error(path, "edge has no \"to\" string (\"node.port\")")
        }
        guard let from, let to else {
            if let from { unreadSources.append(from) }
            if let to { unreadTargets.append(to) }
            return nil
        }
        return GraphEdge(from: from, to: to, index: index)
    }

    /// A hook (or an observer): "plugin.node", or {"type": "plugin.node", "params": {…}}.
    mutating func hook(_ v: WeftValue, path: String, node id: String?, what: String = "a hook") -> HookRef? {
        switch v {
        case .string(let t): return HookRef(type: t)
        case .map(let m):
            checkKeys(m, allowed: ["type", "params"], path: path, node: id, what: what)
            guard case .string(let t)? = m["type"] else {
                error(path, node: id, "\(what) needs \"type\": the type to call, e.g. \"plugin.name\"")
                return nil
            }
            var params: [(name: String, value: WeftValue)] = []
            if let p = m["params"] {
                guard case .map(let pm) = p else {
                    error(path + ".params", node: id, "\(what)'s params must be an object of name: value")
                    return nil
                }
                params = pm.map { (name: $0.key, value: $0.value) }
            }
            return HookRef(type: t, params: params)
        default:
            error(path, node: id, "\(what) is a type name (\"plugin.name\") or {\"type\": \"plugin.name\", \"params\": {…}}")
            return nil
        }
    }

    /// An edge labelled `"when"`: a transition between two states of a
    /// flow, from and to naming nodes (no port).
    mutating func transition(_ m: OrderedDictionary<String, WeftValue>, when: WeftValue, index: Int) {
        let path = "$.edges[\(index)]"
        guard case .string(let action) = when, !action.isEmpty else {
            error(path + ".when", "\"when\" must be a non-empty string: the action that takes this transition (\"default\": a state that writes no action)")
            return
        }
        var ends: [String] = []
        for key in ["from", "to"] {
            guard case .string(let id)? = m[key] else {
                error(path, "a transition (an edge with \"when\") needs \"\(key)\": a state's node id")
                continue
            }
            guard NodeID.isValid(id) else {
                error(path + "." + key, "\(JSON.quote(id)) is not a node id; a transition goes from a state to a state: "
                        + "write node ids without a port (\"from\": \"decide\", \"to\": \"act\")")
                continue
            }
            ends.append(id)
        }
        guard ends.count == 2 else { return }
        transitions.append(GraphTransition(from: ends[0], to: ends[1], when: action, index: index))
    }

    /// A node's `"on_error"`: "fail", "route" or {"default": {port: value}}.
    mutating func errorPolicy(_ v: WeftValue, path: String, node id: String) -> ErrorPolicy? {
        switch v {
        case .string("fail"): return .fail
        case .string("route"): return .route
        case .map(let m) where m.count == 1:
            guard case .map(let values)? = m["default"] else { break }
            return .defaults(values.map { (port: $0.key, value: $0.value) })
        default: break
        }
        error(path, node: id, "on_error must be \"fail\", \"route\" (a failure fires the node's 'error' output) "
                + "or {\"default\": {\"port\": value, …}} (a failure gives these outputs)")
        return nil
    }

    /// A `"retry"` object (of a node, or the graph's default).
    mutating func retryPolicy(_ v: WeftValue, path: String, node id: String?) -> RetryPolicy? {
        guard case .map(let m) = v else {
            error(path, node: id, "retry must be an object: {\"max_attempts\": 3, \"backoff_ms\": 100, \"multiplier\": 2, "
                    + "\"max_backoff_ms\": 10000, \"jitter\": 0.1} (only max_attempts is required)")
            return nil
        }
        var ok = !m.keys.contains { !RetryPolicy.keys.contains($0) }
        _ = checkKeys(m, allowed: RetryPolicy.keys, path: path, node: id, what: "retry")
        func whole(_ key: String, _ range: ClosedRange<Int64>, _ what: String) -> Int? {
            guard let value = m[key] else { return nil }
            if case .int(let i) = value, range.contains(i) { return Int(i) }
            error(path + "." + key, node: id, "\(key) must be \(what)")
            ok = false
            return nil
        }
        func fraction(_ key: String, _ range: ClosedRange<Double>, _ what: String) -> Double? {
            guard let value = m[key] else { return nil }
            let d: Double? = switch value {
            case .int(let i): Double(i)
            case .double(let x): x
            default: nil
            }
            if let d, range.contains(d) { return d }
            error(path + "." + key, node: id, "\(key) must be \(what)")
            ok = false
            return nil
        }
        let attempts = whole("max_attempts", 1...1_000, "a whole number of attempts from 1 to 1000 (the first included)")
        if m["max_attempts"] == nil {
            error(path, node: id, "retry needs \"max_attempts\": how many attempts in all, the first included")
            ok = false
        }
        var p = RetryPolicy(maxAttempts: attempts ?? 1)
        if let b = whole("backoff_ms", 0...86_400_000, "a whole number of milliseconds from 0 to 86400000") { p.backoffMs = b }
        if let x = fraction("multiplier", 1...100, "a number from 1 to 100") { p.multiplier = x }
        if let x = whole("max_backoff_ms", 0...86_400_000, "a whole number of milliseconds from 0 to 86400000") { p.maxBackoffMs = x }
        if let j = fraction("jitter", 0...1, "a number from 0 to 1 (the largest fraction of a wait taken off at random)") {
            p.jitter = j
        }
        return ok ? p : nil
    }

}
