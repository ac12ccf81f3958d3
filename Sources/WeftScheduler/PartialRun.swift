import WeftCore

/// A partial run (`weft run --from/--until/--only`): which nodes run,
/// which take their outputs from an earlier run, which are left out.
///
/// Selection is by top-level node (a loop counts with its body): `from`
/// selects the node and everything downstream of it, `until` the node and
/// everything upstream, `only` the node alone; `from` and `until` together
/// select what lies between. Upstream nodes of the selection that are not
/// selected are restored (their outputs kept by an earlier run, each an
/// error if missing); every other node is skipped, as on an untaken branch.
public struct PartialRun: Sendable {
    /// Ids of the nodes that run.
    public var selected: Set<String> = []
    /// Ids of the nodes whose outputs come from an earlier run.
    public var restored: Set<String> = []
    /// Ids of the nodes left out.
    public var skipped: Set<String> = []
    /// Of `restored`, the top-level nodes that run one call (each must have
    /// its outputs kept): by id.
    public var needed: [String] = []

    /// The selection in `plan`, or errors naming what is wrong (an unknown
    /// node, with the closest ids; a node inside a loop; an empty selection).
    public init(plan: GraphPlan, from: [String], until: [String], only: [String]) throws(RunInputError) {
        let count = plan.nodes.count
        // Each node's top-level unit: itself, or its outermost loop.
        var unit = Array(0..<count)
        for n in 0..<count {
            var u = n
            while let l = plan.nodes[u].enclosingLoop { u = l }
            unit[n] = u
        }
        var index: [String: Int] = [:]
        for n in 0..<count { index[plan.nodes[n].id] = n }
        var problems: [String] = []
        func resolve(_ ids: [String], _ flag: String) -> [Int] {
            ids.compactMap { id in
                guard let n = index[id] else {
                    let near = EditDistance.closest(to: id, among: plan.nodes.map(\.id), limit: 3)
                    problems.append("--\(flag) \(id): the graph has no node '\(id)'"
                                        + (near.isEmpty ? "" : " (did you mean \(near.map { "'\($0)'" }.joined(separator: ", "))?)"))
                    return nil
                }
                guard unit[n] == n else {
                    problems.append("--\(flag) \(id): '\(id)' is inside loop '\(plan.nodes[unit[n]].id)'; "
                                        + "a partial run selects a loop whole: name '\(plan.nodes[unit[n]].id)'")
                    return nil
                }
                return n
            }
        }
        let fromNodes = resolve(from, "from"), untilNodes = resolve(until, "until"), onlyNodes = resolve(only, "only")
        if !only.isEmpty && !(from.isEmpty && until.isEmpty) {
            problems.append("--only cannot be given with --from or --until (--from A --until B selects what lies between)")
        }
        guard problems.isEmpty else { throw RunInputError(messages: problems) }

        // Units downstream and upstream, along edges between units.
        var down = [[Int]](repeating: [], count: count), up = [[Int]](repeating: [], count: count)
        for e in plan.edges where !e.isBack {
            guard case .node(let s, _) = e.source, unit[s] != unit[e.target] else { continue }
            down[unit[s]].append(unit[e.target])
            up[unit[e.target]].append(unit[s])
        }
        func reach(_ starts: [Int], _ next: [[Int]]) -> Set<Int> {
            var seen = Set(starts)
            var stack = starts
            while let u = stack.popLast() {
                for v in next[u] where seen.insert(v).inserted { stack.append(v) }
            }
            return seen
        }
        var units: Set<Int>
        if !onlyNodes.isEmpty {
            units = Set(onlyNodes)
        } else {
            units = Set((0..<count).filter { unit[$0] == $0 })
            if !fromNodes.isEmpty { units.formIntersection(reach(fromNodes, down)) }
            if !untilNodes.isEmpty { units.formIntersection(reach(untilNodes, up)) }
        }
        guard !units.isEmpty else {
            throw RunInputError(messages: ["--from \(from.joined(separator: ",")) --until \(until.joined(separator: ",")): "
                                           + "no node lies between them (is --until upstream of --from?)"])
        }
        let upstream = reach(Array(units), up).subtracting(units)
        for n in 0..<count {
            let id = plan.nodes[n].id
            if units.contains(unit[n]) {
                selected.insert(id)
            } else if upstream.contains(unit[n]) {
                restored.insert(id)
                let node = plan.nodes[n]
                if unit[n] == n, !node.isLoop, !node.isFlow, node.map == nil, node.hooks == nil,
                   node.spec.flags.isDisjoint(with: [.source, .async]) {
                    needed.append(id)
                }
            } else {
                skipped.insert(id)
            }
        }
    }

    /// The restored nodes whose outputs `kept` (an earlier run's
    /// checkpoints, per node) does not hold.
    public func missing(in kept: [String: [[WeftValue?]]]) -> [String] {
        needed.filter { kept[$0]?.isEmpty ?? true }
    }

    /// The run's checkpoints: restored nodes from `kept`, skipped nodes
    /// left out, the rest through `inner` (a recorded run's, or none).
    /// `targets`' outputs are kept for the caller (`PartialCheckpoints.outputs`).
    public func checkpoints(kept: [String: [[WeftValue?]]], inner: (any RunCheckpoints)?, targets: [String]) -> PartialCheckpoints {
        PartialCheckpoints(restoring: kept.filter { restored.contains($0.key) }, skipping: skipped, inner: inner, targets: Set(targets))
    }
}

/// `RunCheckpoints` of a partial run (`PartialRun.checkpoints`).
public final class PartialCheckpoints: RunCheckpoints, @unchecked Sendable {
    let restoring: [String: [[WeftValue?]]]
    let skipping: Set<String>
    let inner: (any RunCheckpoints)?
    let targets: Set<String>
    /// The last outputs of each target node that ran (by id).
    public private(set) var outputs: [String: [WeftValue?]] = [:]

    init(restoring: [String: [[WeftValue?]]], skipping: Set<String>, inner: (any RunCheckpoints)?, targets: Set<String>) {
        self.restoring = restoring
        self.skipping = skipping
        self.inner = inner
        self.targets = targets
    }

    public func restored(node id: String, occurrence: Int) -> [WeftValue?]? {
        // (A completion the earlier run did not reach is made: the node is called.)
        if let kept = restoring[id] { return occurrence < kept.count ? kept[occurrence] : nil }
        let values = inner?.restored(node: id, occurrence: occurrence)
        if let values, targets.contains(id) { outputs[id] = values }
        return values
    }

    public func completed(_ completion: NodeCompletion) -> Bool {
        if targets.contains(completion.node) { outputs[completion.node] = completion.outputs }
        return inner?.completed(completion) ?? true
    }

    public var failure: String? { inner?.failure }

    public var skipsNodes: Bool { !skipping.isEmpty }

    public func skips(node id: String) -> Bool { skipping.contains(id) }
}
