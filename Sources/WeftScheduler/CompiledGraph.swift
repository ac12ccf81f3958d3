import CWeftShims
import WeftCore
import WeftNative

/// A graph ready to run: node types bound, node instances created (each
/// node's `create` has run), ids turned into indices and edges into flat
/// arrays, so the run loop does no string lookups.
///
/// One run at a time: `Scheduler.run` refuses a second concurrent run of the
/// same compiled graph. Compile the graph again to run it concurrently.
/// Instances live as long as this object (their `destroy` runs in its
/// deinit), so stateful nodes keep their state from one run to the next.
public final class CompiledGraph: @unchecked Sendable {
    public let plan: GraphPlan

    // Tables per node and per edge are kept small: a graph may have a
    // million nodes. What the run loop reads of a node is one 32-byte row;
    // names come from the plan when a message needs them.

    /// Per node: its instance (nil for loop nodes). Keeps them alive; the
    /// rows hold them unretained.
    let instances: [NodeInstance?]
    /// The run loop's view of each node (`count` rows).
    let rows: UnsafeMutablePointer<NodeRow>
    /// The run loop's view of each edge (`edgeCount` rows).
    let edgeRows: UnsafeMutablePointer<EdgeRow>
    public let count: Int
    let edgeCount: Int

    // Slots: one per node input port, then one per graph output (its tap
    // slot, written by the top-level program).
    let slotCount: Int
    /// Graph output `k`'s tap slot is `tapBase + k`.
    let tapBase: Int
    /// Per slot: the port is required (no default, not optional).
    let slotRequired: [Bool]
    /// Slots holding constants from the file (never cleared): numbers and
    /// bools as slot contents (`numberConstantSlots[i]` gets
    /// `numberConstants[i]`), other values as they are.
    let numberConstantSlots: [Int32]
    let numberConstants: [weft_shim_number_t]
    let boxedConstants: [(slot: Int, value: WeftValue)]

    /// Per output port key (output port `p` of node `n` is
    /// `rows[n].outPortBase + p`): the edges leaving it.
    let outEdges: FlatLists
    /// Per graph input: the edges leaving it.
    let inputEdges: [[Int]]
    /// Per node: non-back edges coming in.
    let inEdges: FlatLists
    /// Per output port key: graph output indices fed by it.
    let outputTaps: FlatLists

    // Loops, in tables the run loop reads every iteration without reference
    // counting. Per node, but empty when the graph has no loops.
    /// Number of carried values (loop nodes).
    let loopCarry: [Int]
    let loopMaxIterations: [Int]
    /// Nodes whose innermost loop is this one.
    let loopDirectMembers: [Int]
    /// Where a loop's current carry values start in a run's carry table
    /// (loop nodes only); `carryCount` entries in all.
    let carryBase: [Int]
    let carryCount: Int
    /// Per carry entry: the variable's declared type, and the slot kinds a
    /// value takes into it as it is (`PortTable.kindsTaken`); anything
    /// else is widened (int into double) or refused when it arrives.
    let carryTypes: [ValueType]
    let carryAccept: UnsafeMutablePointer<UInt8>
    /// Every node in a loop's body, nested bodies included.
    let loopBody: FlatLists
    /// Edges re-armed at each iteration: into the body from inside it (or
    /// from the loop), plus the loop's own back edges.
    let loopReset: FlatLists
    /// Per loop whose body nodes are all plain (sequential, join all, an
    /// instance; no nested loop, no event source): its body compiled into a
    /// fixed program, which a quiet run goes round without the ready queue
    /// (`RunState.runCompiledPasses`); else nil.
    let passPrograms: [StepProgram?]
    /// For a graph without loops or event sources whose nodes are all
    /// plain: every node compiled into one program, which a sequential run
    /// runs instead of the ready queue (`RunState.runTopProgram`); else nil.
    let topProgram: StepProgram?
    let hasLoops: Bool

    /// Nodes whose failure their own `on_error` handles (`NodeRow.handlesErrors`).
    let errorPolicies: [Int: PlanErrorPolicy]
    /// Nodes whose failure is retried (`NodeRow.handlesErrors` too).
    let retryPolicies: [Int: RetryPolicy]
    /// Mapped nodes (`NodeRow.handlesErrors` too).
    let maps: [Int: PlanMap]
    /// Nodes with a `timeout_ms` that are not isolated: the limit per
    /// attempt, in ns (`RunState.runTimed`).
    let timeouts: [Int: UInt64]
    /// Cached nodes (`"cache"`): their key's fixed part and time to live.
    let caches: [Int: CachedNode]
    /// Per node: whether a run's checkpoints keep its outputs (a node that
    /// runs one call of a plugin's node: not a source, loop, flow, mapped,
    /// async or hooked node). See `RunCheckpoints`.
    let checkpointed: [Bool]
    struct CachedNode {
        var prefix: String
        var ttlSeconds: Double?
    }
    /// Timed BLOCKING nodes not flagged THREAD_SAFE: one call at a time,
    /// an abandoned one included.
    let timedGates: [Int: CallGate]
    /// Calls abandoned at their `timeout_ms` that have not returned yet
    /// (`close` waits for them: their instance is in use).
    let abandoned = CallGate()
    /// Mapped nodes with more than one lane, of types that may not run
    /// concurrently: the instances of lanes 1… (lane 0 uses the node's).
    let mapInstances: [Int: [NodeInstance]]
    /// Flow nodes: their states and transitions (a flow node has no
    /// instance; `RunState.runFlow` calls its states').
    let flows: [Int: PlanFlow]
    /// The nodes that are states of a flow: only their flow runs them.
    let isState: [Bool]
    /// Nodes of async types (`WEFT_NODE_ASYNC`): called on the scheduler
    /// thread, their calls may end later (`RunState.awaitCall`).
    let isAsync: [Bool]
    let hasAsync: Bool
    /// Nodes with hooks (`"before"`, `"after"`): their hooks and the
    /// hooks' instances (`NodeRow.handlesErrors` too).
    let hooks: [Int: NodeHooks]
    struct NodeHooks {
        var plan: PlanHooks
        var before: NodeInstance?
        var after: NodeInstance?
    }
    /// The graph's observers (`"observers"`, ABI v4): one instance each,
    /// which sees every run of this compiled graph.
    let observers: [PluginObserver]

    /// The instance lane `lane` of mapped node `n` calls.
    func mapInstance(_ n: Int, lane: Int) -> NodeInstance {
        if lane > 0, let more = mapInstances[n] { return more[lane - 1] }
        return instances[n]!
    }
    /// The number of distinct node types (`NodeRow.typeIndex`).
    let typeCount: Int
    /// Per node type: whether a parallel run starts out calling it on the
    /// scheduler thread (`typeCheap`; measuring may move it to the pool).
    /// Whether a type is pure plays no part: purity is about caching and
    /// reordering, not cost.
    let typeStartsInline: [Bool]
    /// Per node type: declared `WEFT_NODE_CHEAP` and not blocking (the
    /// loader refuses both, so not blocking holds for every plugin type).
    let typeCheap: [Bool]

    /// Event source nodes, in node order (empty for an ordinary graph).
    public let sources: [Int]
    /// Where the node types came from (to compile copies for concurrent waves).
    let registry: NodeRegistry

    let running = RunningFlag()
    /// Set by `close`: the instances are gone.
    var closed = false

    /// Strategies hold no per-node state: one shared object per kind and
    /// graph (`NodeRow.strategy` indexes this).
    let strategyObjects: [any ExecutionStrategy] = [
        SequentialStrategy(), ConditionalStrategy(), LoopStrategy(), ParallelStrategy(), EventStrategy(),
    ]
    @inline(__always) static var conditionalCode: UInt8 { strategyCode(.conditional) }
    static func strategyCode(_ kind: StrategyKind) -> UInt8 {
        switch kind {
        case .sequential: 0
        case .conditional: 1
        case .loop: 2
        case .parallel: 3
        case .event: 4
        }
    }

    /// Binds `plan` to the node types in `registry` and creates every node
    /// instance (and one instance of each of the graph's observers).
    /// - Throws: `NodeError` if a node type is missing or a node's
    ///   `create` fails (instances already made are destroyed).
    public convenience init(plan: GraphPlan, registry: NodeRegistry) throws(NodeError) {
        try self.init(plan: plan, registry: registry, observed: true)
    }

    /// `observed: false`: without the graph's observers (a copy of a graph
    /// for another lane of the same run, whose observers see it already).
    init(plan: GraphPlan, registry: NodeRegistry, observed: Bool) throws(NodeError) {
        self.plan = plan
        self.registry = registry
        let nodes = plan.nodes
        // Per-node tables are filled by index, reading each plan node in
        // place (a copy of a plan node retains all its parts), and lists
        // go into flat arrays.
        let count = nodes.count
        var instances: [NodeInstance?] = []
        instances.reserveCapacity(count)
        // The last plain type looked up (graphs repeat types).
        var last: (name: String, type: NodeType)?
        let noPolicyIsolation = registry.isolationPolicy.plugins.isEmpty
        for i in 0..<count {
            if nodes[i].inputCount > Int(UInt16.max) || nodes[i].outputCount > Int(UInt16.max) {
                throw NodeError(nodeId: nodes[i].id, type: nodes[i].type,
                                message: "has more than 65,535 input or output ports, more than a graph node can have")
            }
            if nodes[i].isLoop || nodes[i].isFlow {
                instances.append(nil)
                continue
            }
            if let last, last.name == nodes[i].type, nodes[i].params.isEmpty, !nodes[i].isolate, nodes[i].timeoutMs == nil,
               noPolicyIsolation {
                instances.append(try NodeInstance(type: last.type, nodeId: nodes[i].id, params: [:]))
                continue
            }
            if let sub = plan.subgraphs[i] {
                // A mapped subgraph: a node type of its own that runs its graph.
                instances.append(try NodeInstance(type: SubgraphNode.type(sub, registry: registry), nodeId: nodes[i].id,
                                                  params: nodes[i].params))
                continue
            }
            let n = nodes[i]
            switch registry.nodeType(n.type, params: n.params) {
            case .success(let found):
                let type = try Self.isolating(found, node: n, policy: registry.isolationPolicy)
                instances.append(try NodeInstance(type: type, nodeId: n.id, params: n.params))
                if n.type != FFINodes.typeName { last = (n.type, found) }
            case .failure(let e): throw NodeError(nodeId: n.id, type: n.type, message: e.message)
            }
        }
        self.instances = instances
        self.count = count

        // Node types, numbered in order of first use.
        var typeIds: [ObjectIdentifier: Int] = [:]
        var lastTypeId: (ObjectIdentifier, Int)?
        var typeIndex = [Int32](repeating: -1, count: count)
        var cheap: [Bool] = []
        var sources: [Int] = []
        for n in 0..<count {
            guard let t = instances[n]?.type else { continue }
            let id = ObjectIdentifier(t)
            if let lastTypeId, lastTypeId.0 == id {
                typeIndex[n] = Int32(lastTypeId.1)
            } else {
                let index: Int
                if let i = typeIds[id] {
                    index = i
                } else {
                    index = typeIds.count
                    typeIds[id] = index
                    let flags = t.spec.flags
                    cheap.append(flags.contains(.cheap) && !flags.contains(.blocking))
                }
                lastTypeId = (id, index)
                typeIndex[n] = Int32(index)
            }
            if t.isSource { sources.append(n) }
        }
        typeCount = typeIds.count
        typeCheap = cheap
        typeStartsInline = cheap
        self.sources = sources

        // Slots and constants.
        var base = [Int32](repeating: 0, count: count)
        var required: [Bool] = []
        var total = 0
        var numberSlots: [Int32] = [], numbers: [weft_shim_number_t] = []
        var boxedConstants: [(slot: Int, value: WeftValue)] = []
        for i in 0..<count {
            base[i] = Int32(total)
            for port in nodes[i].inputPorts { required.append(!port.optional) }
            nodes[i].forEachConstant { port, value in
                let n = weft_shim_number_t(value)
                if n.isBoxed {
                    boxedConstants.append((total + port, value))
                } else {
                    numberSlots.append(Int32(total + port))
                    numbers.append(n)
                }
            }
            total += nodes[i].inputCount
        }
        tapBase = total
        slotCount = total + plan.outputs.count
        slotRequired = required + Array(repeating: false, count: plan.outputs.count)
        numberConstantSlots = numberSlots
        numberConstants = numbers
        self.boxedConstants = boxedConstants

        var portBase = [Int32](repeating: 0, count: count + 1)
        for i in 0..<count { portBase[i + 1] = portBase[i] + Int32(nodes[i].outputCount) }
        let portCount = Int(portBase[count])

        // Rows.
        var errorPolicies: [Int: PlanErrorPolicy] = [:]
        var retryPolicies: [Int: RetryPolicy] = [:]
        var maps: [Int: PlanMap] = [:]
        var timeouts: [Int: UInt64] = [:]
        var caches: [Int: CachedNode] = [:]
        rows = .allocate(capacity: max(count, 1))
        for n in 0..<count {
            // Fields read in place: a copy of a plan node retains its parts.
            let strategy = nodes[n].strategy, join = nodes[n].join
            var flags: UInt8 = 0
            if strategy == .loop { flags |= NodeRow.loop }
            if join == .any { flags |= NodeRow.joinAny }
            if strategy == .sequential { flags |= NodeRow.sequential }
            if let type = instances[n]?.type {
                let flagsOfType = type.spec.flags
                if flagsOfType.contains(.cheap) && !flagsOfType.contains(.blocking) { flags |= NodeRow.cheap }
                if flagsOfType.contains(.blocking) { flags |= NodeRow.blocking }
                // (An isolated node's timeout_ms is its worker's: killed at the limit.)
                let timeout = type.isIsolated ? nil : nodes[n].timeoutMs
                if let cache = nodes[n].cache {
                    caches[n] = CachedNode(prefix: CacheKeys.prefix(type: type, params: nodes[n].params), ttlSeconds: cache.ttlSeconds)
                }
                if nodes[n].errorPolicy != nil || nodes[n].retry != nil || nodes[n].map != nil || type.isAsync || nodes[n].hooks != nil
                    || timeout != nil || caches[n] != nil {
                    flags |= NodeRow.handlesErrors
                    if let timeout { timeouts[n] = UInt64(timeout) * 1_000_000 }
                    errorPolicies[n] = nodes[n].errorPolicy
                    retryPolicies[n] = nodes[n].retry
                    maps[n] = nodes[n].map
                } else if strategy == .sequential && join == .all {
                    flags |= NodeRow.plain
                }
                if type.isSource { flags |= NodeRow.source }
            }
            (rows + n).initialize(to: NodeRow(
                instance: instances[n].map { Unmanaged.passUnretained($0) }, slotBase: base[n], outPortBase: portBase[n],
                enclosingLoop: nodes[n].enclosingLoop.map { Int32($0) } ?? -1, typeIndex: typeIndex[n],
                inputCount: UInt16(nodes[n].inputCount), outputCount: UInt16(portBase[n + 1] - portBase[n]),
                flags: flags, strategy: Self.strategyCode(strategy)))
        }

        self.errorPolicies = errorPolicies
        self.retryPolicies = retryPolicies
        self.maps = maps
        self.timeouts = timeouts
        self.caches = caches
        self.checkpointed = (0..<count).map { n in
            guard let type = instances[n]?.type else { return false }
            return !type.isSource && !type.isAsync && nodes[n].map == nil && nodes[n].hooks == nil && nodes[n].strategy != .loop
        }
        self.timedGates = Dictionary(uniqueKeysWithValues: timeouts.keys.compactMap { n in
            instances[n].flatMap { $0.type.spec.flags.contains(.blocking) && !$0.type.spec.flags.contains(.threadSafe) ? (n, CallGate()) : nil }
        })
        // A mapped node running items on several lanes at once: an
        // instance per lane unless its type may run concurrently.
        var mapInstances: [Int: [NodeInstance]] = [:]
        for (n, map) in maps where map.concurrency > 1 {
            guard let instance = instances[n], !instance.type.spec.flags.contains(.threadSafe) else { continue }
            var more: [NodeInstance] = []
            for _ in 1..<map.concurrency {
                more.append(try NodeInstance(type: instance.type, nodeId: nodes[n].id, params: nodes[n].params))
            }
            mapInstances[n] = more
        }
        self.mapInstances = mapInstances
        var flows: [Int: PlanFlow] = [:]
        var isState = [Bool](repeating: false, count: count)
        for n in 0..<count where nodes[n].isFlow {
            guard let flow = nodes[n].flow else { continue }
            flows[n] = flow
            for s in flow.states { isState[s.node] = true }
        }
        self.flows = flows
        self.isState = isState
        var hooks: [Int: NodeHooks] = [:]
        for n in 0..<count {
            guard let h = nodes[n].hooks else { continue }
            func instance(_ hook: PlanHooks.Hook?, _ kind: String) throws(NodeError) -> NodeInstance? {
                guard let hook else { return nil }
                switch registry.nodeType(hook.type, params: hook.params) {
                case .success(let t): return try NodeInstance(type: t, nodeId: "\(nodes[n].id).\(kind)", params: hook.params)
                case .failure(let e): throw NodeError(nodeId: nodes[n].id, type: hook.type, message: e.message)
                }
            }
            hooks[n] = NodeHooks(plan: h, before: try instance(h.before, "before"), after: try instance(h.after, "after"))
        }
        self.hooks = hooks
        var observers: [PluginObserver] = []
        if observed {
            for (i, o) in plan.observers.enumerated() {
                let id = "$observers[\(i)]"
                switch registry.nodeType(o.type, params: o.params) {
                case .success(let t): observers.append(PluginObserver(try NodeInstance(type: t, nodeId: id, params: o.params)))
                case .failure(let e): throw NodeError(nodeId: id, type: o.type, message: e.message)
                }
            }
        }
        self.observers = observers
        let isAsync = (0..<count).map { instances[$0]?.type.isAsync ?? false }
        self.isAsync = isAsync
        hasAsync = isAsync.contains(true)

        // Edges.
        let edgeCount = plan.edges.count
        self.edgeCount = edgeCount
        edgeRows = .allocate(capacity: max(edgeCount, 1))
        var inputEdges = [[Int]](repeating: [], count: plan.inputs.count)
        let edges = plan.edges
        for i in 0..<edgeCount {
            let e = edges[i]
            (edgeRows + i).initialize(to: EdgeRow(target: Int32(e.target), slot: base[e.target] + Int32(e.targetPort),
                                                  isBack: e.isBack, targetJoinsAny: nodes[e.target].join == .any))
            if case .graphInput(let g) = e.source { inputEdges[g].append(i) }
        }
        self.outEdges = FlatLists(count: portCount) { pair in
            for i in 0..<edgeCount {
                if case .node(let s, let p) = edges[i].source { pair(portBase[s] + Int32(p), Int32(i)) }
            }
        }
        self.inputEdges = inputEdges
        self.inEdges = FlatLists(count: count) { pair in
            for i in 0..<edgeCount where !edges[i].isBack { pair(Int32(edges[i].target), Int32(i)) }
        }
        outputTaps = FlatLists(count: portCount, keys: plan.outputs.map { portBase[$0.node] + Int32($0.port) },
                               items: plan.outputs.indices.map { Int32($0) })

        // Loops.
        hasLoops = !plan.loopBodies.isEmpty
        let loopTable = hasLoops ? count : 0
        var loopCarry = [Int](repeating: 0, count: loopTable)
        var loopMaxIterations = [Int](repeating: 0, count: loopTable)
        var loopDirectMembers = [Int](repeating: 0, count: loopTable)
        var carryBase = [Int](repeating: 0, count: loopTable)
        var bodyKeys: [Int32] = [], bodyItems: [Int32] = [], resetKeys: [Int32] = [], resetItems: [Int32] = []
        var passPrograms = [StepProgram?](repeating: nil, count: loopTable)
        if hasLoops {
            for l in 0..<count {
                if let e = nodes[l].enclosingLoop { loopDirectMembers[e] += 1 }
            }
        }
        var carries = 0
        var carryTypes: [ValueType] = []
        for (l, body) in plan.loopBodies.sorted(by: { $0.key < $1.key }) {
            let inBody = Set(body)
            var reset: [Int] = []
            for (i, e) in plan.edges.enumerated() {
                let sourceInside: Bool
                switch e.source {
                case .node(let s, _): sourceInside = s == l || inBody.contains(s)
                case .graphInput: sourceInside = false
                }
                if (inBody.contains(e.target) && sourceInside) || (e.target == l && e.isBack) { reset.append(i) }
            }
            loopCarry[l] = nodes[l].carryCount
            loopMaxIterations[l] = nodes[l].maxIterations
            carryBase[l] = carries
            carries += nodes[l].carryCount
            carryTypes += nodes[l].spec.inputs.prefix(nodes[l].carryCount).map(\.type)
            for n in body { bodyKeys.append(Int32(l)); bodyItems.append(Int32(n)) }
            for e in reset { resetKeys.append(Int32(l)); resetItems.append(Int32(e)) }
            passPrograms[l] = StepProgram(loop: l, body: body, count: count, typeCount: typeCount, rows: rows,
                                          edgeRows: edgeRows, plan: plan, outEdges: outEdges, inEdges: inEdges)
        }
        self.loopCarry = loopCarry
        self.loopMaxIterations = loopMaxIterations
        self.loopDirectMembers = loopDirectMembers
        self.carryBase = carryBase
        carryCount = carries
        self.carryTypes = carryTypes
        carryAccept = .allocate(capacity: max(carries, 1))
        carryAccept.initialize(repeating: 0, count: max(carries, 1))
        for (c, t) in carryTypes.enumerated() { carryAccept[c] = PortTable.kindsTaken(by: t) }
        loopBody = FlatLists(count: loopTable, keys: bodyKeys, items: bodyItems)
        loopReset = FlatLists(count: loopTable, keys: resetKeys, items: resetItems)
        self.passPrograms = passPrograms
        topProgram = hasLoops ? nil : StepProgram(
            loop: nil, body: nil, count: count, typeCount: typeCount, rows: rows, edgeRows: edgeRows, plan: plan,
            outEdges: outEdges, inEdges: inEdges, inputEdges: inputEdges, outputTaps: outputTaps, tapBase: tapBase)
    }

    deinit {
        rows.deallocate()
        edgeRows.deallocate()
        outEdges.deallocate()
        inEdges.deallocate()
        outputTaps.deallocate()
        loopBody.deallocate()
        loopReset.deallocate()
        carryAccept.deallocate()
    }

    /// Node `n`'s number of output ports.
    @inline(__always) func outputCount(_ n: Int) -> Int { Int(rows[n].outputCount) }
    /// The key of node `n`'s output port `p` in `outEdges` / `outputTaps`.
    @inline(__always) func outPort(_ n: Int, _ p: Int) -> Int { Int(rows[n].outPortBase) + p }
    /// Node `n`'s first input slot.
    @inline(__always) func slotBase(_ n: Int) -> Int { Int(rows[n].slotBase) }
    /// Node `n`'s number of input ports.
    @inline(__always) func inputCount(_ n: Int) -> Int { Int(rows[n].inputCount) }
    /// The slot edge `e` fills.
    @inline(__always) func edgeSlot(_ e: Int) -> Int { Int(edgeRows[e].slot) }
    @inline(__always) func isLoop(_ n: Int) -> Bool { rows[n].flags & NodeRow.loop != 0 }
    @inline(__always) func joinsAny(_ n: Int) -> Bool { rows[n].flags & NodeRow.joinAny != 0 }
    @inline(__always) func isSequential(_ n: Int) -> Bool { rows[n].flags & NodeRow.sequential != 0 }
    /// Node `n`'s innermost loop, if any.
    @inline(__always) func enclosingLoop(_ n: Int) -> Int? {
        let l = rows[n].enclosingLoop
        return l < 0 ? nil : Int(l)
    }
    /// Node `n`'s strategy (a shared object).
    @inline(__always) func strategy(_ n: Int) -> any ExecutionStrategy { strategyObjects[Int(rows[n].strategy)] }
    /// Node ids, read from the plan (messages and events only).
    var ids: NodeIDs { NodeIDs(nodes: plan.nodes) }

    struct NodeIDs {
        let nodes: [GraphPlan.Node]
        subscript(_ n: Int) -> String { nodes[n].id }
    }

    /// `type` wrapped to run in worker processes if the node asks for it
    /// (`isolate`, `timeout_ms`) or the engine isolates its plugin.
    static func isolating(_ type: NodeType, node n: GraphPlan.Node, policy: IsolationPolicy) throws(NodeError) -> NodeType {
        let byPolicy = type.plugin.map { policy.isolates(plugin: $0.name) } ?? false
        guard n.isolate || byPolicy else { return type }
        switch Isolation.isolated(type, timeoutMs: n.timeoutMs, policy: policy) {
        case .success(let t): return t
        case .failure(let e): throw NodeError(nodeId: n.id, type: n.type, message: e.message)
        }
    }

    /// Destroys every node instance now, on the calling thread, instead of
    /// whenever the last reference goes. Call it only when no run of this
    /// graph is in progress; the graph cannot run afterwards.
    public func close() {
        guard running.acquire() else { return }
        closed = true
        // A call abandoned at its timeout_ms is still inside its instance.
        abandoned.waitUntilIdle()
        for instance in instances { instance?.close() }
        for more in mapInstances.values { for instance in more { instance.close() } }
        for h in hooks.values {
            h.before?.close()
            h.after?.close()
        }
        for o in observers { o.instance.close() }
        running.release()
    }
}
