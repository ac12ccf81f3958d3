import CWeftShims
import WeftCore
import WeftNative

/// A block of plain nodes compiled to run without the ready queue: the
/// nodes in the order the queue would run them, each with the slots its
/// outputs go to. Two kinds of block, one program: a loop body whose nodes
/// are all plain (gone round in passes, `RunState.runCompiledPasses`), and
/// the top level of a graph without loops or event sources whose nodes are
/// all plain (run once, `RunState.runTopProgram`). Both run in C
/// (`CWeftShims/passes.c`), step by step, and hand a step to the host
/// whenever it needs more than plain numbers and a successful call.
///
/// What C runs is a *window* of the program: `steps` and `writes` for
/// `order[windowStart ..< windowStart + windowCount]`. A loop body's window
/// is the whole body, made once. The top level's is made as the run goes
/// (`emit`, `topWindow` steps at a time), so a graph of a million nodes
/// keeps 4 bytes a node (`order`), not a 32-byte step and its writes; a
/// graph that fits in one window makes it once.
final class StepProgram: @unchecked Sendable {
    /// Every node of the block, in the order the queue would run them.
    let order: [Int32]
    /// `order.count`.
    let stepCount: Int
    /// The window: steps `windowStart ..< windowStart + windowCount` of the
    /// program, made by `emit`.
    private(set) var windowStart = 0
    private(set) var windowCount = 0
    /// Per step of the window: its node's instance (unretained, the graph
    /// keeps it), state, first slot, where its writes end (32 bytes, in the
    /// C layout `CWeftShims/passes.c` runs).
    private(set) var steps: UnsafeMutablePointer<weft_shim_step_t>
    /// A loop's current values' writes (`carryWrites` of them: port = the
    /// carried value), then the window's steps' (port = the step's
    /// output); each into `slot`. The top level's steps also write their
    /// outputs that are graph outputs into the graph's tap slots
    /// (`CompiledGraph.tapBase`).
    private(set) var writes: UnsafeMutablePointer<weft_shim_write_t>
    private var writesCapacity: Int
    let carryWrites: Int
    /// Per node type of the graph (`NodeRow.typeIndex`): its run function
    /// and port facts (zero for types the block does not use).
    let calls: UnsafeMutablePointer<weft_shim_call_t>
    /// The window as C takes it (`steps`, `writes`, `calls`).
    let c: UnsafeMutablePointer<weft_shim_program_t>
    /// The most output ports of a step.
    let maxOutputs: Int
    /// Edges into the block from outside it (not from the loop): each must
    /// have delivered before a pass runs compiled (for the top level: the
    /// graph inputs' edges, delivered when the run starts).
    let external: [Int]
    /// Steps in a window of the top level.
    static let topWindow = 4_096

    // What `emit` reads (the graph's tables; the graph owns them and this).
    private let loop: Int?
    private let carry: Int
    private let rows: UnsafeMutablePointer<NodeRow>
    private let edgeRows: UnsafeMutablePointer<EdgeRow>
    private let outEdges: FlatLists
    private let outputTaps: FlatLists?
    private let tapBase: Int

    /// Nil when a node is not plain (those need the ready queue).
    /// `loop`: the loop whose body `body` is, or nil for the top level
    /// (`body` nil: every node, in node order). The order simulates the
    /// queue (`order(...)`). Linear in the block's nodes and edges.
    init?(loop: Int?, body: [Int]?, count: Int, typeCount: Int, rows: UnsafeMutablePointer<NodeRow>,
          edgeRows: UnsafeMutablePointer<EdgeRow>, plan: GraphPlan, outEdges: FlatLists, inEdges: FlatLists,
          inputEdges: [[Int]] = [], outputTaps: FlatLists? = nil, tapBase: Int = 0) {
        let size = body?.count ?? count
        guard size > 0 else { return nil }
        for i in 0..<size {
            let f = rows[body?[i] ?? i].flags
            guard f & NodeRow.plain != 0, f & (NodeRow.loop | NodeRow.source) == 0, rows[body?[i] ?? i].instance != nil
            else { return nil }
        }
        let carry = loop.map { plan.nodes[$0].carryCount } ?? 0
        guard let (order, external) = Self.order(loop: loop, body: body, size: size, carry: carry, rows: rows,
                                                   edgeRows: edgeRows, plan: plan, outEdges: outEdges, inEdges: inEdges,
                                                   inputEdges: inputEdges)
        else { return nil }
        self.order = order
        self.external = external
        stepCount = size
        self.loop = loop
        self.carry = carry
        self.rows = rows
        self.edgeRows = edgeRows
        self.outEdges = outEdges
        self.outputTaps = outputTaps
        self.tapBase = tapBase
        carryWrites = loop.map { Self.edges(from: $0, ports: carry, rows, outEdges) } ?? 0
        let calls = UnsafeMutablePointer<weft_shim_call_t>.allocate(capacity: max(typeCount, 1))
        calls.initialize(repeating: weft_shim_call_t(), count: max(typeCount, 1))
        var maxOutputs = 0
        for n32 in order {
            let row = rows[Int(n32)]
            if calls[Int(row.typeIndex)].run == nil { calls[Int(row.typeIndex)] = row.instance!.takeUnretainedValue().programCall }
            maxOutputs = max(maxOutputs, Int(row.outputCount))
        }
        self.calls = calls
        self.maxOutputs = maxOutputs
        let window = loop == nil ? min(size, Self.topWindow) : size
        steps = .allocate(capacity: window)
        writesCapacity = max(carryWrites + window, 16)
        writes = .allocate(capacity: writesCapacity)
        c = .allocate(capacity: 1)
        c.initialize(to: weft_shim_program_t())
        // A loop's carry writes, then its whole body, once.
        if let loop {
            var w = 0
            for p in 0..<carry {
                outEdges.forEach(Int(rows[loop].outPortBase) + p) { e in
                    writes[w] = weft_shim_write_t(port: Int32(p), slot: edgeRows[e].slot)
                    w += 1
                }
            }
        }
        emit(from: 0)
    }

    /// Makes the window of steps from `start` on: up to `topWindow` steps
    /// of the top level (a loop body's window is the whole body). Returns
    /// where it ends. (In the run for the top level: plain loops, no
    /// closures, `writes` grown when a node's writes would not fit.)
    @discardableResult
    func emit(from start: Int) -> Int {
        let end = loop == nil ? min(stepCount, start + Self.topWindow) : stepCount
        // Made already (a graph that fits in one window makes it once, at
        // compile; its content depends on nothing a run changes).
        if windowCount > 0 && start == windowStart && end == start + windowCount { return end }
        var w = carryWrites
        for i in start..<end {
            let n = Int(order[i])
            let row = rows[n]
            for p in 0..<Int(row.outputCount) {
                let key = Int(row.outPortBase) + p
                let edges = outEdges.range(key)
                let taps = outputTaps?.range(key) ?? 0..<0
                if w + edges.count + taps.count > writesCapacity { grow(to: 2 * (w + edges.count + taps.count)) }
                for e in edges {
                    writes[w] = weft_shim_write_t(port: Int32(p), slot: edgeRows[outEdges.item(e)].slot)
                    w += 1
                }
                // (The top level's graph outputs: into their tap slots.)
                for t in taps {
                    writes[w] = weft_shim_write_t(port: Int32(p), slot: Int32(tapBase + outputTaps.unsafelyUnwrapped.item(t)))
                    w += 1
                }
            }
            (steps + (i - start)).initialize(to: row.instance.unsafelyUnwrapped._withUnsafeGuaranteedRef {
                $0.programStep(node: n, typeIndex: row.typeIndex, slotBase: row.slotBase, writesEnd: Int32(w))
            })
        }
        windowStart = start
        windowCount = end - start
        c.pointee = weft_shim_program_t(steps: steps, writes: writes, calls: calls, step_count: Int32(windowCount),
                                        carry_writes: Int32(carryWrites))
        return end
    }

    /// `writes` with room for `capacity`, the writes made so far kept.
    private func grow(to capacity: Int) {
        let grown = UnsafeMutablePointer<weft_shim_write_t>.allocate(capacity: capacity)
        grown.initialize(from: writes, count: writesCapacity)
        writes.deallocate()
        writes = grown
        writesCapacity = capacity
    }

    /// How many edges leave node `s`'s first `ports` outputs.
    private static func edges(from s: Int, ports: Int, _ rows: UnsafeMutablePointer<NodeRow>, _ outEdges: FlatLists) -> Int {
        (0..<ports).reduce(0) { $0 + outEdges.count(Int(rows[s].outPortBase) + $1) }
    }

    /// The block's nodes in the order the queue would run them, and the
    /// edges into the block from outside; nil if some node never becomes
    /// ready. For a body: nodes fed only from outside first, in body order;
    /// for the top level: the nodes the graph inputs complete, in the order
    /// the run delivers the inputs, then those with no input edge, in node
    /// order — then each node as its last input arrives, with inputs
    /// delivered port by port, edge by edge (`feeds`): the order a
    /// sequential run gives, so side effects keep their order.
    private static func order(loop: Int?, body: [Int]?, size: Int, carry: Int, rows: UnsafeMutablePointer<NodeRow>,
                              edgeRows: UnsafeMutablePointer<EdgeRow>, plan: GraphPlan, outEdges: FlatLists,
                              inEdges: FlatLists, inputEdges: [[Int]]) -> (order: [Int32], external: [Int])? {
        /// Each edge leaving `s` (a node of the block, or the loop's current
        /// values), port by port, edge by edge.
        func feeds(_ s: Int, _ body: (_ edge: Int) -> Void) {
            let ports = s == loop ? carry : Int(rows[s].outputCount)
            for p in 0..<ports { outEdges.forEach(Int(rows[s].outPortBase) + p, body) }
        }
        // Nodes by their place in `body` (the top level's is the node).
        var place: [Int: Int] = [:]
        if let body { for (i, n) in body.enumerated() { place[n] = i } }
        func local(_ n: Int) -> Int? { body == nil ? n : place[n] }
        func node(_ i: Int) -> Int { body?[i] ?? i }
        // Per node of the block: its inputs from inside (or from the loop)
        // still to come; edges from outside are `external`.
        var waiting = [Int32](repeating: 0, count: size)
        var external: [Int] = []
        for i in 0..<size {
            inEdges.forEach(node(i)) { e in
                if case .node(let s, let p) = plan.edges[e].source, local(s) != nil || (s == loop && p < carry) {
                    waiting[i] += 1
                } else {
                    external.append(e)
                }
            }
        }
        var order: [Int32] = []
        order.reserveCapacity(size)
        func deliver(from s: Int) {
            feeds(s) { e in
                guard !edgeRows[e].isBack, let t = local(Int(edgeRows[e].target)) else { return }
                waiting[t] -= 1
                if waiting[t] == 0 { order.append(Int32(node(t))) }
            }
        }
        if let loop {
            for i in 0..<size where waiting[i] == 0 { order.append(Int32(node(i))) }
            deliver(from: loop)
        } else {
            // The run delivers the graph inputs before anything runs: a
            // node is queued by its last input edge, if nothing else feeds it.
            var fromInputs = [Int32](repeating: 0, count: size)
            for e in external { fromInputs[plan.edges[e].target] += 1 }
            for edges in inputEdges {
                for e in edges {
                    let t = plan.edges[e].target
                    fromInputs[t] -= 1
                    if fromInputs[t] == 0 && waiting[t] == 0 { order.append(Int32(t)) }
                }
            }
            for n in 0..<size where waiting[n] == 0 && inEdges.isEmpty(n) { order.append(Int32(n)) }
        }
        var next = 0
        while next < order.count {
            deliver(from: Int(order[next]))
            next += 1
        }
        return order.count == size ? (order, external) : nil
    }

    deinit {
        steps.deallocate()
        writes.deallocate()
        calls.deallocate()
        c.deallocate()
    }
}
