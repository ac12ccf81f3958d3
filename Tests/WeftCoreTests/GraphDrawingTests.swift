import Foundation
import Testing
import WeftCore

/// A handful of node types, enough to validate the test graphs.
private struct TinyCatalog: NodeCatalog {
    static let specs: [String: NodeSpec] = {
        let list = [
            NodeSpec(namespace: "t", name: "lt", summary: "a < b",
                     inputs: [PortSpec(name: "a", type: .int), PortSpec(name: "b", type: .int)],
                     outputs: [PortSpec(name: "result", type: .bool)]),
            NodeSpec(namespace: "t", name: "add", summary: "a + b",
                     inputs: [PortSpec(name: "a", type: .int), PortSpec(name: "b", type: .int)],
                     outputs: [PortSpec(name: "result", type: .int)]),
            NodeSpec(namespace: "t", name: "neg", summary: "-a",
                     inputs: [PortSpec(name: "a", type: .int)], outputs: [PortSpec(name: "result", type: .int)]),
            NodeSpec(namespace: "t", name: "id", summary: "value",
                     inputs: [PortSpec(name: "value", type: .any)], outputs: [PortSpec(name: "value", type: .any)]),
            NodeSpec(namespace: "t", name: "branch", summary: "value to true or false",
                     inputs: [PortSpec(name: "cond", type: .bool), PortSpec(name: "value", type: .any)],
                     outputs: [PortSpec(name: "true", type: .any, optional: true),
                               PortSpec(name: "false", type: .any, optional: true)]),
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.fullName, $0) })
    }()

    func spec(named fullName: String) -> NodeSpec? { Self.specs[fullName] }
    func suggestions(for name: String) -> [String] { [] }
}

private func plan(_ text: String) throws -> GraphPlan {
    try GraphValidator.validate(try GraphDecoder.decode(text: text), catalog: TinyCatalog())
}

/// Lines of `text` containing `needle`.
private func lines(_ text: String, containing needle: String) -> [Substring] {
    text.split(separator: "\n").filter { $0.contains(needle) }
}

@Suite("Graph drawing")
struct GraphDrawingTests {
    static let ifElse = #"""
        {"weft": 1,
         "inputs": {"x": {"type": "int", "default": -7}},
         "nodes": [
           {"id": "is_neg", "type": "t.lt", "inputs": {"b": 0}},
           {"id": "split", "type": "t.branch", "strategy": "conditional", "label": "if \"x\" < 0 \\ then"},
           {"id": "negate", "type": "t.neg"},
           {"id": "keep", "type": "t.id"},
           {"id": "abs-value", "type": "t.id", "join": "any", "label": "merge\nboth"}],
         "edges": [
           {"from": "$x", "to": "is_neg.a"}, {"from": "is_neg.result", "to": "split.cond"}, {"from": "$x", "to": "split.value"},
           {"from": "split.true", "to": "negate.a"}, {"from": "split.false", "to": "keep.value"},
           {"from": "negate.result", "to": "abs-value.value"}, {"from": "keep.value", "to": "abs-value.value"}],
         "outputs": {"abs": "abs-value.value"}}
        """#

    static let countLoop = #"""
        {"weft": 1,
         "nodes": [
           {"id": "l", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}},
           {"id": "more", "type": "t.lt", "inputs": {"b": 3}},
           {"id": "next", "type": "t.add", "inputs": {"b": 1}}],
         "edges": [
           {"from": "l.i", "to": "more.a"}, {"from": "more.result", "to": "l.continue"},
           {"from": "l.i", "to": "next.a"}, {"from": "next.result", "to": "l.next_i"}],
         "outputs": {"final": "l.done_i"}}
        """#

    static let nestedLoops = #"""
        {"weft": 1,
         "nodes": [
           {"id": "rows", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}},
           {"id": "more_rows", "type": "t.lt", "inputs": {"b": 2}},
           {"id": "next_i", "type": "t.add", "inputs": {"b": 1}},
           {"id": "cols", "type": "loop", "carry": {"j": "int"}},
           {"id": "more_cols", "type": "t.lt", "inputs": {"b": 2}},
           {"id": "next_j", "type": "t.add", "inputs": {"b": 1}},
           {"id": "after", "type": "t.id"}],
         "edges": [
           {"from": "rows.i", "to": "more_rows.a"}, {"from": "more_rows.result", "to": "rows.continue"},
           {"from": "rows.i", "to": "next_i.a"}, {"from": "next_i.result", "to": "rows.next_i"},
           {"from": "rows.i", "to": "cols.j"},
           {"from": "cols.j", "to": "more_cols.a"}, {"from": "more_cols.result", "to": "cols.continue"},
           {"from": "cols.j", "to": "next_j.a"}, {"from": "next_j.result", "to": "cols.next_j"},
           {"from": "rows.done_i", "to": "after.value"}],
         "outputs": {"rows": "after.value"}}
        """#

    @Test func ifElseMarksBranchEdgesInDot() throws {
        let dot = GraphDrawing.dot(try plan(Self.ifElse))
        #expect(dot.hasPrefix("digraph weft {\n"))
        #expect(dot.hasSuffix("}\n"))
        // Exactly the two edges out of the branch node's optional ports are dashed, labelled with the port.
        let dashed = lines(dot, containing: "style=dashed")
        #expect(dashed.count == 2)
        #expect(dashed.contains { $0.contains(#""node.split" -> "node.negate" [label="true → a""#) })
        #expect(dashed.contains { $0.contains(#""node.split" -> "node.keep" [label="false → value""#) })
        // Plain edges are not dashed, graph inputs and outputs have their own shapes.
        #expect(lines(dot, containing: #""input.x" -> "node.is_neg" [label="x → a"]"#).count == 1)
        #expect(lines(dot, containing: #""input.x" [shape=invhouse"#).count == 1)
        #expect(dot.contains(#"label="$x\nint = -7""#))
        #expect(lines(dot, containing: #""output.abs" [shape=house"#).count == 1)
        #expect(lines(dot, containing: #""node.abs-value" -> "output.abs" [label="value → abs"]"#).count == 1)
        // Labels: id, type (with strategy/join), label — quotes, backslashes and newlines escaped.
        #expect(dot.contains(#"label="split\nt.branch (conditional)\nif \"x\" < 0 \\ then""#))
        #expect(dot.contains(#"label="abs-value\nt.id (join any)\nmerge\nboth""#))
        #expect(!dot.contains("cluster"))
        #expect(!dot.contains("constraint=false"))
    }

    @Test func ifElseMarksBranchEdgesInMermaid() throws {
        let p = try plan(Self.ifElse)
        let mermaid = GraphDrawing.mermaid(p)
        #expect(mermaid.hasPrefix("flowchart LR\n"))
        let split = try #require(p.index(of: "split")), negate = try #require(p.index(of: "negate"))
        #expect(mermaid.contains("  n\(split) ==>|\"true → a\"| n\(negate)\n"))
        #expect(lines(mermaid, containing: "==>").count == 2)
        #expect(lines(mermaid, containing: "-.->").isEmpty)
        #expect(lines(mermaid, containing: "linkStyle").count == 1)
        #expect(mermaid.contains("  i0([\"$x<br/>int = -7\"])\n"))
        #expect(mermaid.contains("  o0[/\"abs\"\\]\n"))
        // A quote in a label becomes an entity; the label's newline a <br/>.
        #expect(mermaid.contains("if #quot;x#quot; #lt; 0 \\ then"))
        #expect(mermaid.contains("merge<br/>both"))
        // No raw double quote inside any quoted text: every line has an even count.
        for line in mermaid.split(separator: "\n") {
            #expect(line.filter { $0 == "\"" }.count % 2 == 0, "unbalanced quotes in \(line)")
        }
    }

    @Test func loopMarksBackEdgesAndCluster() throws {
        let p = try plan(Self.countLoop)
        let dot = GraphDrawing.dot(p)
        let back = lines(dot, containing: "constraint=false")
        #expect(back.count == 2)
        #expect(back.allSatisfy { $0.contains("style=\"dotted,bold\"") && $0.contains("-> \"node.l\"") })
        #expect(back.contains { $0.contains(#""node.next" -> "node.l" [label="result → next_i""#) })
        #expect(back.contains { $0.contains(#""node.more" -> "node.l" [label="result → continue""#) })
        // Loop outputs are optional, but they are not branches.
        #expect(lines(dot, containing: "style=dashed").isEmpty)
        #expect(lines(dot, containing: #""node.l" [shape=hexagon, peripheries=2"#).count == 1)
        #expect(dot.contains(#"label="l\nloop (carry i; max 1000)""#))
        // The cluster holds the loop node and its body; the output stays outside.
        let cluster = try #require(Self.block(dot, opening: #"subgraph "cluster_l" {"#, closing: "}"))
        for id in ["l", "more", "next"] { #expect(cluster.contains("\"node.\(id)\" [")) }
        #expect(!cluster.contains("output."))

        let mermaid = GraphDrawing.mermaid(p)
        #expect(lines(mermaid, containing: "-.->").count == 2)
        #expect(lines(mermaid, containing: "==>").isEmpty)
        #expect(mermaid.contains("  n0{{\"l<br/>loop (carry i; max 1000)\"}}"))
        let sub = try #require(Self.block(mermaid, opening: "subgraph c0 [\"loop l\"]", closing: "end"))
        for n in 0..<3 { #expect(sub.contains("n\(n)")) }
    }

    @Test func nestedLoopsNestClusters() throws {
        let p = try plan(Self.nestedLoops)
        let dot = GraphDrawing.dot(p)
        let outer = try #require(Self.block(dot, opening: #"subgraph "cluster_rows" {"#, closing: "}"))
        let inner = try #require(Self.block(dot, opening: #"subgraph "cluster_cols" {"#, closing: "}"))
        #expect(outer.contains(#"subgraph "cluster_cols" {"#))
        for id in ["rows", "more_rows", "next_i", "cols", "more_cols", "next_j"] { #expect(outer.contains("\"node.\(id)\" [")) }
        for id in ["cols", "more_cols", "next_j"] { #expect(inner.contains("\"node.\(id)\" [")) }
        for id in ["rows", "more_rows", "next_i", "after"] { #expect(!inner.contains("\"node.\(id)\" [")) }
        #expect(!outer.contains(#""node.after" ["#))
        #expect(lines(dot, containing: "constraint=false").count == 4)

        let mermaid = GraphDrawing.mermaid(p)
        let rows = try #require(p.index(of: "rows")), cols = try #require(p.index(of: "cols"))
        let outerSub = try #require(Self.block(mermaid, opening: "subgraph c\(rows) ", closing: "end"))
        #expect(outerSub.contains("subgraph c\(cols) "))
        #expect(lines(mermaid, containing: "-.->").count == 4)
    }

    @Test func outputIsDeterministic() throws {
        for text in [Self.ifElse, Self.countLoop, Self.nestedLoops] {
            #expect(GraphDrawing.dot(try plan(text)) == GraphDrawing.dot(try plan(text)))
            #expect(GraphDrawing.mermaid(try plan(text)) == GraphDrawing.mermaid(try plan(text)))
        }
    }

    @Test(.enabled(if: Graphviz.path != nil, "Graphviz `dot` is not installed"))
    func graphvizAcceptsTheDot() throws {
        let dotPath = try #require(Graphviz.path)
        for text in [Self.ifElse, Self.countLoop, Self.nestedLoops] {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("weft-dot-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("g.dot")
            try GraphDrawing.dot(try plan(text)).write(to: file, atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: dotPath)
            p.arguments = ["-Tsvg", "-o", dir.appendingPathComponent("g.svg").path, file.path]
            let err = Pipe()
            p.standardError = err
            try p.run()
            p.waitUntilExit()
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(p.terminationStatus == 0, "dot failed: \(message)")
            #expect(!message.lowercased().contains("warning"), "dot warned: \(message)")
        }
    }

    /// The text from the line containing `opening` to the line (at the same
    /// indentation) that is exactly `closing`.
    static func block(_ text: String, opening: String, closing: String) -> String? {
        let all = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = all.firstIndex(where: { $0.contains(opening) }) else { return nil }
        let indent = all[start].prefix { $0 == " " }
        guard let end = all[(start + 1)...].firstIndex(where: { $0 == indent + closing }) else { return nil }
        return all[start...end].joined(separator: "\n")
    }
}

/// Where Graphviz's `dot` is, if on the PATH.
private enum Graphviz {
    static let path: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return dirs.map { "\($0)/dot" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
}
