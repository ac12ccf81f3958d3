import WeftCore

/// What the complexity analyzer reads off a validated graph (subgraphs
/// included), once per graph.
struct GraphTraits: Sendable {
    var nodes = 0
    var sources: [String] = []
    /// The most node calls the graph's loops allow (each loop: its body
    /// size × max_iterations, times the loops it is nested in).
    var loopSteps = 0
    /// Nodes that block on the outside world: `blocking`, `async`,
    /// isolated or `ffi` nodes.
    var blocking: [String] = []

    init(_ plan: GraphPlan) {
        add(plan, factor: 1)
    }

    private mutating func add(_ plan: GraphPlan, factor: Int) {
        nodes += plan.nodes.count
        for node in plan.nodes {
            let flags = node.spec.flags
            if flags.contains(.source) { sources.append(node.id) }
            if flags.contains(.blocking) || flags.contains(.async) || node.isolate || node.type == "ffi" {
                blocking.append(node.id)
            }
        }
        for (loop, body) in plan.loopBodies {
            // Nested loops multiply: the outer loops' iterations times this one's.
            var steps = Self.times(body.count + 1, Self.times(factor, plan.nodes[loop].maxIterations))
            var outer = plan.nodes[loop].enclosingLoop
            while let o = outer {
                steps = Self.times(steps, plan.nodes[o].maxIterations)
                outer = plan.nodes[o].enclosingLoop
            }
            loopSteps = max(loopSteps, steps)
        }
        for (_, sub) in plan.subgraphs { add(sub, factor: factor) }
    }

    /// a × b, saturating at Int.max (a count below 1 counts as 1).
    static func times(_ a: Int, _ b: Int) -> Int {
        let (p, overflow) = max(1, a).multipliedReportingOverflow(by: max(1, b))
        return overflow ? Int.max : p
    }
}

/// `mode: auto`: whether a run goes to the queue or runs in the request,
/// and why (each rule checked is one reason). Rules, in order: event
/// sources, size, loops, blocking nodes, past durations.
struct Complexity {
    static let maxNodes = 1000
    static let maxLoopSteps = 100_000
    static let maxPastMedian = 0.050

    var queued = false
    var reasons: [String] = []

    init(_ t: GraphTraits, past: (median: Double, count: Int)?) {
        func rule(_ queue: Bool, _ why: String) {
            if queue { queued = true }
            reasons.append(why)
        }
        rule(!t.sources.isEmpty, t.sources.isEmpty ? "no event sources"
             : "event sources (\(Self.list(t.sources))) run until they end")
        rule(t.nodes > Self.maxNodes, "\(t.nodes) node\(t.nodes == 1 ? "" : "s") (\(t.nodes > Self.maxNodes ? "more than" : "at most") \(Self.maxNodes))")
        rule(t.loopSteps > Self.maxLoopSteps, t.loopSteps == 0 ? "no loops"
             : "loops allow up to \(t.loopSteps == Int.max ? "more than \(Int.max)" : "\(t.loopSteps)") node calls "
                 + "(\(t.loopSteps > Self.maxLoopSteps ? "more than" : "at most") \(Self.maxLoopSteps))")
        rule(!t.blocking.isEmpty, t.blocking.isEmpty ? "no blocking, async, isolated or ffi nodes"
             : "blocking, async, isolated or ffi nodes: \(Self.list(t.blocking))")
        if let past {
            let ms = past.median * 1000
            rule(past.median > Self.maxPastMedian, "past runs of this graph: median \(Self.format(ms)) ms over \(past.count) "
                 + "(\(past.median > Self.maxPastMedian ? "more than" : "at most") \(Int(Self.maxPastMedian * 1000)) ms)")
        } else {
            reasons.append("no past runs of this graph in the store")
        }
    }

    var jsonValue: WeftValue {
        .object([("decision", .string(queued ? "queued" : "immediate")), ("reasons", .list(reasons.map { .string($0) }))])
    }

    static func list(_ ids: [String]) -> String {
        ids.count <= 5 ? ids.joined(separator: ", ") : ids.prefix(5).joined(separator: ", ") + " and \(ids.count - 5) more"
    }

    static func format(_ x: Double) -> String {
        let r = (x * 100).rounded() / 100
        return r == r.rounded() ? String(Int(r)) : String(r)
    }
}
