/// Draws a validated graph as Graphviz DOT or Mermaid flowchart text.
///
/// Both drawings show the same things: graph inputs and outputs as their own
/// shapes, every node with its id, type and label, every edge labelled
/// `outPort → inPort`, branch edges (from a non-loop node's optional output)
/// in a dashed/thick orange style, loop nodes as hexagons, loop back edges in
/// a dotted blue style, and each loop's body as a cluster (nested loops
/// nested). The output depends only on the plan, so it is stable.
///
/// ```swift
/// let plan = try GraphValidator.load(text: text, catalog: registry)
/// print(GraphDrawing.dot(plan))   // | dot -Tsvg > graph.svg
/// ```
public enum GraphDrawing {
    /// The plan as a Graphviz `digraph` (render with `dot -Tsvg`).
    public static func dot(_ plan: GraphPlan) -> String {
        let layout = Layout(plan)
        var out = "digraph weft {\n"
        out += "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=11];\n"
        out += "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n"
        out += "  edge [fontname=\"Helvetica\", fontsize=9];\n"

        for (i, input) in plan.inputs.enumerated() {
            out += "  \(DOT.inputID(i, plan)) [shape=invhouse, style=filled, fillcolor=\"#e3f1e3\", "
                + "label=\(DOT.label(Layout.inputLines(input)))];\n"
        }

        func writeNode(_ n: Int, indent: String) {
            let node = plan.nodes[n]
            let attributes = node.isLoop
                ? "shape=hexagon, peripheries=2, style=filled, fillcolor=\"#e6e9f8\", "
                : (node.strategy == .conditional ? "style=\"rounded,filled\", fillcolor=\"#fdf0e0\", " : "")
            out += "\(indent)\(DOT.nodeID(n, plan)) [\(attributes)label=\(DOT.label(Layout.nodeLines(node)))];\n"
        }

        func writeCluster(_ loop: Int, indent: String) {
            let id = plan.nodes[loop].id
            out += "\(indent)subgraph \(DOT.quote("cluster_" + id)) {\n"
            let inner = indent + "  "
            out += "\(inner)label=\(DOT.quote("loop " + id)); style=\"rounded,dashed\"; color=\"#3355cc\"; fontcolor=\"#3355cc\";\n"
            writeNode(loop, indent: inner)
            for n in layout.members[loop] ?? [] { writeNode(n, indent: inner) }
            for child in layout.childLoops[loop] ?? [] { writeCluster(child, indent: inner) }
            out += "\(indent)}\n"
        }

        for n in layout.topMembers { writeNode(n, indent: "  ") }
        for loop in layout.topLoops { writeCluster(loop, indent: "  ") }

        for (o, output) in plan.outputs.enumerated() {
            out += "  \(DOT.outputID(o, plan)) [shape=house, style=filled, fillcolor=\"#f6e3ef\", "
                + "label=\(DOT.label([output.name]))];\n"
        }

        for edge in layout.edges {
            let from: String
            switch edge.source {
            case .input(let i): from = DOT.inputID(i, plan)
            case .node(let n): from = DOT.nodeID(n, plan)
            }
            let to: String
            switch edge.target {
            case .node(let n): to = DOT.nodeID(n, plan)
            case .output(let o): to = DOT.outputID(o, plan)
            }
            var attributes = "label=\(DOT.quote(edge.label))"
            switch edge.kind {
            case .plain: break
            case .branch: attributes += ", style=dashed, color=\"#d2691e\", fontcolor=\"#d2691e\", penwidth=1.5"
            case .back: attributes += ", style=\"dotted,bold\", color=\"#3355cc\", fontcolor=\"#3355cc\", constraint=false"
            case .transition: attributes += ", style=bold, color=\"#7b3fa0\", fontcolor=\"#7b3fa0\""
            }
            out += "  \(from) -> \(to) [\(attributes)];\n"
        }
        out += "}\n"
        return out
    }

    /// The plan as a Mermaid `flowchart` (paste into Markdown or mermaid.live).
    public static func mermaid(_ plan: GraphPlan) -> String {
        let layout = Layout(plan)
        var out = "flowchart LR\n"

        for (i, input) in plan.inputs.enumerated() {
            out += "  i\(i)([\(Mermaid.text(Layout.inputLines(input)))])\n"
        }

        func writeNode(_ n: Int, indent: String) {
            let text = Mermaid.text(Layout.nodeLines(plan.nodes[n]))
            out += plan.nodes[n].isLoop ? "\(indent)n\(n){{\(text)}}\n" : "\(indent)n\(n)[\(text)]\n"
        }

        func writeSubgraph(_ loop: Int, indent: String) {
            out += "\(indent)subgraph c\(loop) [\(Mermaid.text(["loop " + plan.nodes[loop].id]))]\n"
            let inner = indent + "  "
            writeNode(loop, indent: inner)
            for n in layout.members[loop] ?? [] { writeNode(n, indent: inner) }
            for child in layout.childLoops[loop] ?? [] { writeSubgraph(child, indent: inner) }
            out += "\(indent)end\n"
        }

        for n in layout.topMembers { writeNode(n, indent: "  ") }
        for loop in layout.topLoops { writeSubgraph(loop, indent: "  ") }

        for (o, output) in plan.outputs.enumerated() {
            out += "  o\(o)[/\(Mermaid.text([output.name]))\\]\n"
        }

        var branchLinks: [Int] = []
        var backLinks: [Int] = []
        var transitionLinks: [Int] = []
        for (k, edge) in layout.edges.enumerated() {
            let from: String
            switch edge.source {
            case .input(let i): from = "i\(i)"
            case .node(let n): from = "n\(n)"
            }
            let to: String
            switch edge.target {
            case .node(let n): to = "n\(n)"
            case .output(let o): to = "o\(o)"
            }
            let arrow: String
            switch edge.kind {
            case .plain: arrow = "-->"
            case .branch:
                arrow = "==>"
                branchLinks.append(k)
            case .back:
                arrow = "-.->"
                backLinks.append(k)
            case .transition:
                arrow = "==>"
                transitionLinks.append(k)
            }
            out += "  \(from) \(arrow)|\(Mermaid.text([edge.label]))| \(to)\n"
        }

        out += "  classDef input fill:#e3f1e3,stroke:#4a7a4a\n"
        out += "  classDef output fill:#f6e3ef,stroke:#8a4a70\n"
        out += "  classDef loop fill:#e6e9f8,stroke:#3355cc,stroke-width:3px\n"
        if !plan.inputs.isEmpty { out += "  class \(plan.inputs.indices.map { "i\($0)" }.joined(separator: ",")) input\n" }
        if !plan.outputs.isEmpty { out += "  class \(plan.outputs.indices.map { "o\($0)" }.joined(separator: ",")) output\n" }
        let loops = plan.nodes.indices.filter { plan.nodes[$0].isLoop }
        if !loops.isEmpty { out += "  class \(loops.map { "n\($0)" }.joined(separator: ",")) loop\n" }
        if !branchLinks.isEmpty {
            out += "  linkStyle \(branchLinks.map(String.init).joined(separator: ",")) stroke:#d2691e,stroke-width:2px,stroke-dasharray:6 3\n"
        }
        if !backLinks.isEmpty {
            out += "  linkStyle \(backLinks.map(String.init).joined(separator: ",")) stroke:#3355cc,stroke-width:2px\n"
        }
        if !transitionLinks.isEmpty {
            out += "  linkStyle \(transitionLinks.map(String.init).joined(separator: ",")) stroke:#7b3fa0,stroke-width:2px\n"
        }
        return out
    }
}

/// What both drawings share: where each node goes (top level or which loop
/// cluster) and the edges in drawing order, classified.
private struct Layout {
    enum EdgeSource { case input(Int), node(Int) }
    enum EdgeTarget { case node(Int), output(Int) }
    /// `transition`: a flow's (to its start state, and state to state by action).
    enum EdgeKind { case plain, branch, back, transition }

    struct Edge {
        var source: EdgeSource
        var target: EdgeTarget
        var label: String
        var kind: EdgeKind
    }

    /// Non-loop nodes outside every loop, in plan order.
    var topMembers: [Int] = []
    /// Loops outside every loop, in plan order.
    var topLoops: [Int] = []
    /// Loop → non-loop nodes directly in its body, in plan order.
    var members: [Int: [Int]] = [:]
    /// Loop → loops directly in its body, in plan order.
    var childLoops: [Int: [Int]] = [:]
    /// Plan edges, then edges into graph outputs.
    var edges: [Edge] = []

    init(_ plan: GraphPlan) {
        let count = plan.nodes.count
        /// The loop whose cluster holds node `n`, if it names a real loop.
        func container(_ n: Int) -> Int? {
            guard let l = plan.nodes[n].enclosingLoop, l != n, l >= 0, l < count, plan.nodes[l].isLoop else { return nil }
            return l
        }
        // A loop is placed under its parent only when the chain of parents
        // ends at the top; a malformed (cyclic) chain is drawn at the top.
        func reachesTop(_ loop: Int) -> Bool {
            var seen: Set<Int> = [loop]
            var current = loop
            while let parent = container(current) {
                if !seen.insert(parent).inserted { return false }
                current = parent
            }
            return true
        }
        for n in 0..<count {
            let node = plan.nodes[n]
            let parent = node.isLoop && !reachesTop(n) ? nil : container(n)
            switch (node.isLoop, parent) {
            case (false, nil): topMembers.append(n)
            case (false, let l?): members[l, default: []].append(n)
            case (true, nil): topLoops.append(n)
            case (true, let l?): childLoops[l, default: []].append(n)
            }
        }

        for e in plan.edges {
            guard e.target >= 0, e.target < count else { continue }
            let targetNode = plan.nodes[e.target]
            let inPort = e.targetPort < targetNode.spec.inputs.count ? targetNode.spec.inputs[e.targetPort].name : "#\(e.targetPort)"
            switch e.source {
            case .graphInput(let i):
                guard i >= 0, i < plan.inputs.count else { continue }
                edges.append(Edge(source: .input(i), target: .node(e.target), label: "\(plan.inputs[i].name) → \(inPort)",
                                  kind: e.isBack ? .back : .plain))
            case .node(let s, let p):
                guard s >= 0, s < count else { continue }
                let source = plan.nodes[s]
                let port = p >= 0 && p < source.spec.outputs.count ? source.spec.outputs[p] : nil
                let kind: EdgeKind = e.isBack ? .back : (!source.isLoop && port?.optional == true ? .branch : .plain)
                edges.append(Edge(source: .node(s), target: .node(e.target), label: "\(port?.name ?? "#\(p)") → \(inPort)", kind: kind))
            }
        }
        // Flows: the flow to its start state, then each state's transitions.
        for f in 0..<count {
            guard let flow = plan.nodes[f].flow, let start = flow.states.first else { continue }
            edges.append(Edge(source: .node(f), target: .node(start.node), label: "start", kind: .transition))
            for state in flow.states {
                for (action, next) in state.next where next >= 0 && next < flow.states.count {
                    edges.append(Edge(source: .node(state.node), target: .node(flow.states[next].node), label: "when " + action,
                                      kind: .transition))
                }
            }
        }
        for (o, output) in plan.outputs.enumerated() {
            guard output.node >= 0, output.node < count else { continue }
            let source = plan.nodes[output.node]
            let port = output.port >= 0 && output.port < source.spec.outputs.count ? source.spec.outputs[output.port] : nil
            let kind: EdgeKind = !source.isLoop && port?.optional == true ? .branch : .plain
            edges.append(Edge(source: .node(output.node), target: .output(o), label: "\(port?.name ?? "#\(output.port)") → \(output.name)",
                              kind: kind))
        }
    }

    /// The text lines of a node: id; type with non-default strategy/join
    /// (loops: their carried variables); the label, if any.
    static func nodeLines(_ node: GraphPlan.Node) -> [String] {
        var type = node.type
        if node.isLoop {
            let carry = node.spec.inputs.prefix(node.carryCount).map(\.name)
            type += " (carry " + carry.joined(separator: ", ") + "; max \(node.maxIterations))"
        } else {
            var notes: [String] = []
            if node.strategy != .sequential { notes.append(node.strategy.rawValue) }
            if node.join != .all { notes.append("join " + node.join.rawValue) }
            if !notes.isEmpty { type += " (" + notes.joined(separator: ", ") + ")" }
        }
        var lines = [node.id, type]
        if let label = node.label, !label.isEmpty { lines.append(label) }
        return lines
    }

    /// The text lines of a graph input: `$name`, then its type and default.
    static func inputLines(_ input: GraphInput) -> [String] {
        var type = "\(input.type)"
        if let d = input.defaultValue {
            var text = JSON.encode(d)
            if text.count > 24 { text = String(text.prefix(23)) + "…" }
            type += " = " + text
        }
        return ["$" + input.name, type]
    }
}

/// DOT identifiers and escaped strings.
private enum DOT {
    static func nodeID(_ n: Int, _ plan: GraphPlan) -> String { quote("node." + plan.nodes[n].id) }
    static func inputID(_ i: Int, _ plan: GraphPlan) -> String { quote("input." + plan.inputs[i].name) }
    static func outputID(_ o: Int, _ plan: GraphPlan) -> String { quote("output." + plan.outputs[o].name) }

    /// Lines joined by DOT's centred line break `\n`, as one quoted string.
    static func label(_ lines: [String]) -> String {
        "\"" + lines.map(escape).joined(separator: "\\n") + "\""
    }

    static func quote(_ s: String) -> String { "\"" + escape(s) + "\"" }

    /// Escapes `s` for a DOT double-quoted string: quotes and backslashes
    /// (which would otherwise start `\N`-style escapes), line breaks as `\n`,
    /// other control characters as spaces.
    static func escape(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": break
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { out += " " } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}

/// Mermaid node and edge text.
private enum Mermaid {
    /// Lines joined by `<br/>`, as one quoted Mermaid string. Characters
    /// Mermaid would read as markup become entity codes (`#quot;`, `#35;`…).
    static func text(_ lines: [String]) -> String {
        "\"" + lines.map(escape).joined(separator: "<br/>") + "\""
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "#quot;"
            case "#": out += "#35;"
            case "&": out += "#amp;"
            case "<": out += "#lt;"
            case ">": out += "#gt;"
            case "`": out += "#96;"
            case "\n": out += "<br/>"
            case "\r": break
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F { out += " " } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
