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

    /// Per node: its instance (nil for loop nodes).
    let instances: [NodeInstance?]
    /// The same, unretained, for the run loop (`instances` keeps them alive).
    let unmanagedInstances: [Unmanaged<NodeInstance>?]
    let strategies: [any ExecutionStrategy]
    /// Per node: its strategy is `SequentialStrategy` (the run loop calls
    /// that one's code directly).
    let isSequential: [Bool]
    let ids: [String]

    // Slots: one per node input port.
    let slotBase: [Int]
    let slotCount: Int
    /// Per slot: the port is required (no default, not optional).
    let slotRequired: [Bool]
    /// Slots holding constants from the file (never cleared): numbers and
    /// bools as slot contents (`numberConstantSlots[i]` gets
    /// `numberConstants[i]`), other values as they are.
    let numberConstantSlots: [Int32]
    let numberConstants: [weft_shim_number_t]
    let boxedConstants: [(slot: Int, value: WeftValue)]

    // Edges, flattened.
    let edgeTarget: [Int]
    let edgeSlot: [Int]
    let edgeIsBack: [Bool]
    /// Per node: the key of its first output port in `outEdges` and
    /// `outputTaps` (output port `p` of node `n` is `outPortBase[n] + p`;
    /// one more entry at the end).
    let outPortBase: [Int32]
    /// Per output port key: the edges leaving it.
    let outEdges: FlatLists
    /// Per graph input: the edges leaving it.
    let inputEdges: [[Int]]
    /// Per node: non-back edges coming in.
    let inEdges: FlatLists
    /// Per node: whether edges fill every one of its input slots it waits on
    /// with a single edge (join all) — used to tell "all dead".
    let join: [JoinPolicy]
    let enclosingLoop: [Int?]
    let isLoop: [Bool]
    /// Per node: number of input ports.
    let inputCount: [Int]
    /// Per output port key: graph output indices fed by it.
    let outputTaps: FlatLists

    /// The run loop's view of each node, one 32-byte row (`count` rows).
    let rows: UnsafeMutablePointer<NodeRow>
    /// The run loop's view of each edge (`edgeTarget.count` rows).
    let edgeRows: UnsafeMutablePointer<EdgeRow>

    // Per node: its loop facts (0 or empty for other nodes), in flat
    // tables the run loop reads every iteration without reference counting.
    /// Number of carried values.
    let loopCarry: [Int]
    let loopMaxIterations: [Int]
    /// Nodes whose innermost loop is this one.
    let loopDirectMembers: [Int]
    /// Every node in the body, nested bodies included.
    let loopBody: FlatLists
    /// Edges re-armed at each iteration: into the body from inside it (or
    /// from the loop), plus the loop's own back edges.
    let loopReset: FlatLists
    /// Per node: where a loop's current carry values start in a run's
    /// carry table (loop nodes only); `carryCount` entries in all.
    let carryBase: [Int]
    let carryCount: Int

    /// Per node: the index of its node type among the graph's distinct
    /// types (-1 for loop nodes), for per-type call statistics.
    let typeIndex: [Int]
    let typeCount: Int
    /// Per node: its type is flagged pure / blocking.
    let isPure: [Bool]
    let isBlocking: [Bool]
    /// Per node type: whether a parallel run starts out calling it on the
    /// scheduler thread (pure and not blocking; measuring decides later).
    let typeStartsInline: [Bool]

    /// Event source nodes, in node order (empty for an ordinary graph).
    public let sources: [Int]
    let isSource: [Bool]
    /// Per node: `max_events` (sources only).
    let maxEvents: [Int?]
    /// Where the node types came from (to compile copies for concurrent waves).
    let registry: NodeRegistry

    let running = RunningFlag()
    /// Set by `close`: the instances are gone.
    var closed = false

    /// Binds `plan` to the node types in `registry` and creates every node
    /// instance. - Throws: `NodeError` if a node type is missing or a
    /// node's `create` fails (instances already made are destroyed).
    public init(plan: GraphPlan, registry: NodeRegistry) throws(NodeError) {
        self.plan = plan
        self.registry = registry
        let nodes = plan.nodes
        // Per-node tables are filled by index, reading each plan node in
        // place (a copy of a plan node retains all its parts), and lists
        // go into flat arrays: a graph may have a million nodes.
        let count = nodes.count
        var instances: [NodeInstance?] = []
        instances.reserveCapacity(count)
        // The last plain type looked up (graphs repeat types).
        var last: (name: String, type: NodeType)?
        let noPolicyIsolation = registry.isolationPolicy.plugins.isEmpty
        for i in 0..<count {
            if nodes[i].isLoop {
                instances.append(nil)
                continue
            }
            if let last, last.name == nodes[i].type, nodes[i].params.isEmpty, !nodes[i].isolate, nodes[i].timeoutMs == nil,
               noPolicyIsolation {
                instances.append(try NodeInstance(type: last.type, nodeId: nodes[i].id, params: [:]))
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
        unmanagedInstances = instances.map { $0.map { Unmanaged.passUnretained($0) } }
        ids = nodes.map { $0.id }
        // Strategies hold no per-node state: one shared object per kind.
        let sequential = SequentialStrategy(), conditional = ConditionalStrategy(), loop = LoopStrategy()
        let parallel = ParallelStrategy(), event = EventStrategy()
        strategies = nodes.map { n -> any ExecutionStrategy in
            switch n.strategy {
            case .sequential: sequential
            case .conditional: conditional
            case .loop: loop
            case .parallel: parallel
            case .event: event
            }
        }
        isSequential = nodes.map { $0.strategy == .sequential }
        var typeIds: [ObjectIdentifier: Int] = [:]
        var lastTypeId: (ObjectIdentifier, Int)?
        typeIndex = instances.map { inst in
            guard let t = inst?.type else { return -1 }
            let id = ObjectIdentifier(t)
            if let lastTypeId, lastTypeId.0 == id { return lastTypeId.1 }
            let index: Int
            if let i = typeIds[id] { index = i } else { index = typeIds.count; typeIds[id] = index }
            lastTypeId = (id, index)
            return index
        }
        typeCount = typeIds.count
        isPure = instances.map { $0?.type.spec.flags.contains(.pure) ?? false }
        isBlocking = instances.map { $0?.type.spec.flags.contains(.blocking) ?? false }
        var startsInline = [Bool](repeating: false, count: typeCount)
        for n in 0..<count where typeIndex[n] >= 0 { startsInline[typeIndex[n]] = !isBlocking[n] && isPure[n] }
        typeStartsInline = startsInline
        let isSource = instances.map { $0?.type.isSource ?? false }
        self.isSource = isSource
        sources = isSource.indices.filter { isSource[$0] }
        maxEvents = nodes.map { $0.maxEvents }
        var base: [Int] = []
        base.reserveCapacity(count)
        var required: [Bool] = []
        var total = 0
        var numberSlots: [Int32] = [], numbers: [weft_shim_number_t] = []
        var boxedConstants: [(slot: Int, value: WeftValue)] = []
        for i in 0..<count {
            base.append(total)
            for port in nodes[i].spec.inputs { required.append(!port.optional) }
            for c in nodes[i].constants {
                switch c.value {
                case .int(let v):
                    numberSlots.append(Int32(total + c.port))
                    numbers.append(weft_shim_number_t(bits: v, kind: Int32(WEFT_SHIM_INT), taken: 0))
                case .double(let d):
                    numberSlots.append(Int32(total + c.port))
                    numbers.append(weft_shim_number_t(bits: Int64(bitPattern: d.bitPattern), kind: Int32(WEFT_SHIM_DOUBLE), taken: 0))
                case .bool(let b):
                    numberSlots.append(Int32(total + c.port))
                    numbers.append(weft_shim_number_t(bits: b ? 1 : 0, kind: Int32(WEFT_SHIM_BOOL), taken: 0))
                default:
                    boxedConstants.append((total + c.port, c.value))
                }
            }
            total += nodes[i].spec.inputs.count
        }
        slotBase = base
        slotCount = total
        slotRequired = required
        numberConstantSlots = numberSlots
        numberConstants = numbers
        self.boxedConstants = boxedConstants

        var portBase: [Int32] = [0]
        portBase.reserveCapacity(count + 1)
        for i in 0..<count { portBase.append(portBase[portBase.count - 1] + Int32(nodes[i].spec.outputs.count)) }
        outPortBase = portBase
        let portCount = Int(portBase[count])

        var inputEdges = [[Int]](repeating: [], count: plan.inputs.count)
        var edgeTarget: [Int] = [], edgeSlot: [Int] = [], edgeIsBack: [Bool] = []
        edgeTarget.reserveCapacity(plan.edges.count)
        edgeSlot.reserveCapacity(plan.edges.count)
        edgeIsBack.reserveCapacity(plan.edges.count)
        var outKeys: [Int32] = [], outItems: [Int32] = [], inKeys: [Int32] = [], inItems: [Int32] = []
        for (i, e) in plan.edges.enumerated() {
            edgeTarget.append(e.target)
            edgeSlot.append(base[e.target] + e.targetPort)
            edgeIsBack.append(e.isBack)
            switch e.source {
            case .node(let s, let p):
                outKeys.append(portBase[s] + Int32(p))
                outItems.append(Int32(i))
            case .graphInput(let g): inputEdges[g].append(i)
            }
            if !e.isBack {
                inKeys.append(Int32(e.target))
                inItems.append(Int32(i))
            }
        }
        self.edgeTarget = edgeTarget
        self.edgeSlot = edgeSlot
        self.edgeIsBack = edgeIsBack
        self.outEdges = FlatLists(count: portCount, keys: outKeys, items: outItems)
        self.inputEdges = inputEdges
        self.inEdges = FlatLists(count: count, keys: inKeys, items: inItems)
        join = nodes.map { $0.join }
        enclosingLoop = nodes.map { $0.enclosingLoop }
        isLoop = nodes.map { $0.isLoop }
        inputCount = nodes.map { $0.spec.inputs.count }
        outputTaps = FlatLists(count: portCount, keys: plan.outputs.map { portBase[$0.node] + Int32($0.port) },
                               items: plan.outputs.indices.map { Int32($0) })

        var loopCarry = [Int](repeating: 0, count: count)
        var loopMaxIterations = [Int](repeating: 0, count: count)
        var loopDirectMembers = [Int](repeating: 0, count: count)
        var bodyKeys: [Int32] = [], bodyItems: [Int32] = [], resetKeys: [Int32] = [], resetItems: [Int32] = []
        for l in 0..<count {
            if let e = nodes[l].enclosingLoop { loopDirectMembers[e] += 1 }
        }
        for (l, body) in plan.loopBodies {
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
            for n in body { bodyKeys.append(Int32(l)); bodyItems.append(Int32(n)) }
            for e in reset { resetKeys.append(Int32(l)); resetItems.append(Int32(e)) }
        }
        self.loopCarry = loopCarry
        self.loopMaxIterations = loopMaxIterations
        self.loopDirectMembers = loopDirectMembers
        rows = .allocate(capacity: max(count, 1))
        for n in 0..<count {
            let inputs = nodes[n].spec.inputs.count, outputs = Int(portBase[n + 1] - portBase[n])
            let plain = !nodes[n].isLoop && nodes[n].strategy == .sequential && nodes[n].join == .all && instances[n] != nil
                && inputs <= Int(UInt16.max) && outputs <= Int(UInt16.max)
            (rows + n).initialize(to: NodeRow(
                instance: unmanagedInstances[n], slotBase: Int32(base[n]), outPortBase: portBase[n],
                enclosingLoop: nodes[n].enclosingLoop.map { Int32($0) } ?? -1, typeIndex: Int32(typeIndex[n]),
                inputCount: UInt16(truncatingIfNeeded: inputs), outputCount: UInt16(truncatingIfNeeded: outputs),
                flags: plain ? NodeRow.plain : 0))
        }
        let edgeCount = edgeTarget.count
        edgeRows = .allocate(capacity: max(edgeCount, 1))
        for e in 0..<edgeCount {
            (edgeRows + e).initialize(to: EdgeRow(target: Int32(edgeTarget[e]), slot: Int32(edgeSlot[e]),
                                                  isBack: edgeIsBack[e], targetJoinsAny: nodes[edgeTarget[e]].join == .any))
        }
        var carryBase = [Int](repeating: 0, count: count)
        var carries = 0
        for l in 0..<count where loopCarry[l] > 0 {
            carryBase[l] = carries
            carries += loopCarry[l]
        }
        self.carryBase = carryBase
        carryCount = carries
        loopBody = FlatLists(count: count, keys: bodyKeys, items: bodyItems)
        loopReset = FlatLists(count: count, keys: resetKeys, items: resetItems)
    }

    deinit {
        rows.deallocate()
        edgeRows.deallocate()
        outEdges.deallocate()
        inEdges.deallocate()
        outputTaps.deallocate()
        loopBody.deallocate()
        loopReset.deallocate()
    }

    /// Node count.
    public var count: Int { ids.count }

    /// Node `n`'s number of output ports.
    @inline(__always) func outputCount(_ n: Int) -> Int { Int(outPortBase[n + 1] - outPortBase[n]) }
    /// The key of node `n`'s output port `p` in `outEdges` / `outputTaps`.
    @inline(__always) func outPort(_ n: Int, _ p: Int) -> Int { Int(outPortBase[n]) + p }

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
        for instance in instances { instance?.close() }
        running.release()
    }
}

/// What the run loop reads of a node, in one row: one cache line holds two.
struct NodeRow {
    /// Its instance (nil for loop nodes), unretained: the graph keeps it.
    var instance: Unmanaged<NodeInstance>?
    var slotBase: Int32
    /// Its first output port key in `outEdges` / `outputTaps`.
    var outPortBase: Int32
    /// Its innermost loop, or -1.
    var enclosingLoop: Int32
    /// `CompiledGraph.typeIndex`.
    var typeIndex: Int32
    var inputCount: UInt16
    var outputCount: UInt16
    var flags: UInt8

    /// A sequential, join-all node with an instance (and fewer than 65,536
    /// ports each way): the run loop calls it directly when nothing
    /// observes the run.
    static let plain: UInt8 = 1
}

/// What the run loop reads of an edge.
struct EdgeRow {
    var target: Int32
    var slot: Int32
    var isBack: Bool
    /// The target node joins any (starts with its first live input).
    var targetJoinsAny: Bool
}

/// Guards against two concurrent runs of one compiled graph.
final class RunningFlag: @unchecked Sendable {
    private let lock = ConditionLock()
    private var busy = false

    func acquire() -> Bool { lock.withLock { if busy { return false }; busy = true; return true } }
    func release() { lock.withLock { busy = false } }
}

/// Lists of indices, one list per key, in two flat buffers (no array per
/// list): list `k` is `items[start[k]..<start[k + 1]]`. Built once; a plain
/// pair of pointers, so the run loop reads it without reference counting.
/// The owner calls `deallocate()` once (`CompiledGraph.deinit`).
struct FlatLists: @unchecked Sendable {
    private let start: UnsafeMutablePointer<Int32>
    private let items: UnsafeMutablePointer<Int32>
    /// Number of lists.
    let count: Int

    /// From (key, item) pairs in order: list `k` holds the items whose key
    /// is `k`, in their order (a counting sort; no array per list).
    init(count: Int, keys: [Int32], items: [Int32]) {
        let start = UnsafeMutablePointer<Int32>.allocate(capacity: count + 1)
        start.initialize(repeating: 0, count: count + 1)
        for k in keys { start[Int(k) + 1] += 1 }
        for i in 0..<count { start[i + 1] += start[i] }
        var fill = [Int32](UnsafeBufferPointer(start: start, count: count))
        let sorted = UnsafeMutablePointer<Int32>.allocate(capacity: max(items.count, 1))
        sorted.initialize(repeating: 0, count: max(items.count, 1))
        for (k, item) in zip(keys, items) {
            sorted[Int(fill[Int(k)])] = item
            fill[Int(k)] += 1
        }
        self.start = start
        self.items = sorted
        self.count = count
    }

    func deallocate() {
        start.deallocate()
        items.deallocate()
    }

    /// Length of list `k`.
    @inline(__always) func count(_ k: Int) -> Int { Int(start[k + 1] - start[k]) }
    @inline(__always) func isEmpty(_ k: Int) -> Bool { start[k + 1] == start[k] }
    /// Calls `body` with each item of list `k`, in order.
    @inline(__always) func forEach(_ k: Int, _ body: (Int) -> Void) {
        var i = Int(start[k])
        let end = Int(start[k + 1])
        while i < end {
            body(Int(items[i]))
            i += 1
        }
    }
    /// Whether an item of list `k` satisfies `predicate`.
    func contains(_ k: Int, where predicate: (Int) -> Bool) -> Bool {
        for i in Int(start[k])..<Int(start[k + 1]) where predicate(Int(items[i])) { return true }
        return false
    }
}
