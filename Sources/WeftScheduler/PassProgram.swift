import CWeftShims
import WeftCore
import WeftNative

/// A loop body compiled for passes without the ready queue: its nodes in
/// the order the queue would run them when nothing else is queued, each
/// with the slots its outputs go to, and where the loop's current values go.
/// Built once per loop whose body nodes are all plain.
final class PassProgram: @unchecked Sendable {
    /// Per body node: its call (instance unretained, the graph keeps it),
    /// first slot, where its writes end, in the C layout
    /// `CWeftShims/passes.c` runs.
    let steps: UnsafeMutablePointer<weft_shim_step_t>
    let stepCount: Int
    /// The loop's current values' writes (`carryWrites` of them: port =
    /// the carried value), then the steps' (port = the step's output);
    /// each into `slot`.
    let writes: UnsafeMutablePointer<weft_shim_write_t>
    let carryWrites: Int
    /// The most output ports of a step.
    let maxOutputs: Int
    /// Edges into the body from outside it (not from the loop): each must
    /// have delivered before a pass runs compiled.
    let external: [Int]

    /// Nil when a body node is not plain (those need the ready queue).
    /// The order simulates the queue: nodes fed only from outside first, in
    /// body order, then each node as its last input arrives, with inputs
    /// delivered port by port, edge by edge — the order a sequential run
    /// gives, so side effects keep their order.
    init?(loop l: Int, body: [Int], inBody: Set<Int>, rows: UnsafeMutablePointer<NodeRow>,
          edgeRows: UnsafeMutablePointer<EdgeRow>, plan: GraphPlan) {
        guard !body.isEmpty else { return nil }
        for n in body {
            let f = rows[n].flags
            guard f & NodeRow.plain != 0, f & (NodeRow.loop | NodeRow.source) == 0, rows[n].instance != nil else { return nil }
        }
        let carry = plan.nodes[l].carryCount
        var waiting: [Int: Int] = [:]
        // Per source (a body node or the loop): (port, edge), in edge order.
        var feeds: [Int: [(port: Int, edge: Int)]] = [:]
        var external: [Int] = []
        for (i, e) in plan.edges.enumerated() {
            guard case .node(let s, let p) = e.source, inBody.contains(s) || (s == l && p < carry) else {
                if inBody.contains(e.target) && !e.isBack { external.append(i) }
                continue
            }
            // From the body (or the loop's current values): into the body
            // or back to the loop.
            feeds[s, default: []].append((p, i))
            if !e.isBack { waiting[e.target, default: 0] += 1 }
        }
        func sorted(_ s: Int) -> [(port: Int, edge: Int)] {
            feeds[s, default: []].enumerated()
                .sorted { ($0.element.port, $0.offset) < ($1.element.port, $1.offset) }.map(\.element)
        }
        var order = body.filter { waiting[$0, default: 0] == 0 }
        func deliver(from s: Int) {
            for f in sorted(s) where !edgeRows[f.edge].isBack {
                let t = Int(edgeRows[f.edge].target)
                waiting[t]! -= 1
                if waiting[t] == 0 { order.append(t) }
            }
        }
        deliver(from: l)
        var next = 0
        while next < order.count {
            deliver(from: order[next])
            next += 1
        }
        guard order.count == body.count else { return nil }

        var writes = sorted(l).map { weft_shim_write_t(port: Int32($0.port), slot: edgeRows[$0.edge].slot) }
        carryWrites = writes.count
        var steps: [weft_shim_step_t] = []
        for n in order {
            writes += sorted(n).map { weft_shim_write_t(port: Int32($0.port), slot: edgeRows[$0.edge].slot) }
            let row = rows[n]
            steps.append(row.instance!.takeUnretainedValue().passStep(
                node: n, typeIndex: row.typeIndex, slotBase: row.slotBase, writesEnd: Int32(writes.count)))
        }
        maxOutputs = order.map { Int(rows[$0].outputCount) }.max() ?? 0
        stepCount = steps.count
        self.steps = .allocate(capacity: steps.count)
        self.steps.initialize(from: steps, count: steps.count)
        self.writes = .allocate(capacity: max(writes.count, 1))
        self.writes.initialize(from: writes, count: writes.count)
        self.external = external
    }

    deinit {
        steps.deallocate()
        writes.deallocate()
    }
}
