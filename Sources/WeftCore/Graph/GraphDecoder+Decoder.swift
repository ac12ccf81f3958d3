// GraphDecoder.Decoder: the general decoder's state, its messages, and the top level of a graph file.

import OrderedCollections

extension GraphDecoder {
    /// One decoding: the problems found so far and the nodes and edges
    /// decoded while parsing. Its per-element readers are in
    /// GraphDecoder+Elements.swift.
    struct Decoder {
        var diagnostics: [Diagnostic] = []
        /// Nodes and edges decoded while parsing (with their diagnostics), used
        /// in place of the (then empty) lists under "nodes" and "edges".
        var streamedNodes: (items: [GraphNode], diagnostics: [Diagnostic])?
        var streamedEdges: (items: [GraphEdge], diagnostics: [Diagnostic])?
        /// The ends that parsed of edges left out (`GraphDocument.unreadEdgeSources`).
        var unreadSources: [PortRef] = []
        var unreadTargets: [PortRef] = []
        /// Edges labelled `"when"` (`GraphDocument.transitions`).
        var transitions: [GraphTransition] = []

        mutating func error(_ path: String, node: String? = nil, _ message: String) {
            diagnostics.append(Diagnostic(.error, path: path, node: node, message))
        }

        /// Reports the keys of `m` not in `allowed`; returns the allowed keys
        /// the unknown ones look like misspellings of (the "did you mean").
        @discardableResult
        mutating func checkKeys(_ m: OrderedDictionary<String, WeftValue>, allowed: [String], path: String, node: String? = nil,
                                what: String) -> [String] {
            var meant: [String] = []
            for key in m.keys where !allowed.contains(key) {
                let hint = EditDistanceHint.closest(key, allowed)
                if let hint { meant.append(hint) }
                error("\(path).\(key)", node: node,
                      "unknown field '\(key)' in \(what)" + (hint.map { "; did you mean '\($0)'?" } ?? "; known fields: \(allowed.joined(separator: ", "))"))
            }
            return meant
        }

        /// The document with its diagnostics and the ends of the edges left out.
        mutating func document(_ value: WeftValue) -> GraphDocument {
            var doc = GraphDocument()
            read(value, into: &doc)
            doc.diagnostics = diagnostics
            doc.unreadEdgeSources = unreadSources
            doc.unreadEdgeTargets = unreadTargets
            doc.transitions = transitions
            return doc
        }

        private mutating func read(_ value: WeftValue, into doc: inout GraphDocument) {
            guard case .map(let top) = value else {
                error("$", "a graph file must be a JSON object, not \(value.kind)")
                return
            }
            // A misspelt section ("edgs") is missing, not empty.
            let sections: [String: GraphDocument.Sections] = ["inputs": .inputs, "outputs": .outputs, "nodes": .nodes, "edges": .edges]
            for meant in checkKeys(top, allowed: GraphDecoder.topKeys, path: "$", what: "the graph") where top[meant] == nil {
                doc.unread.formUnion(sections[meant] ?? [])
            }
            switch top["weft"] {
            case .int(GraphDocument.formatVersion): break
            case nil: error("$", "missing \"weft\": \(GraphDocument.formatVersion) (the graph format version)")
            case .int(let v): error("$.weft", "graph format version \(v) is not supported; this Weft reads version \(GraphDocument.formatVersion)")
            case let v?: error("$.weft", "\"weft\" must be the integer \(GraphDocument.formatVersion), not \(v.kind)")
            }
            if let d = top["description"] {
                if case .string(let s) = d { doc.description = s } else { error("$.description", "description must be a string") }
            }
            if let e = top["error_strategy"] {
                if case .string(let str) = e, let k = ErrorStrategy(rawValue: str) {
                    doc.errorStrategy = k
                } else {
                    error("$.error_strategy", "error_strategy must be one of: "
                            + ErrorStrategy.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
                }
            }
            if let r = top["retry"] { doc.retry = retryPolicy(r, path: "$.retry", node: nil) }
            if let h = top["hooks"] {
                if case .map(let m) = h {
                    checkKeys(m, allowed: ["before", "after"], path: "$.hooks", what: "the graph's hooks")
                    if let b = m["before"] { doc.hooks.before = hook(b, path: "$.hooks.before", node: nil) }
                    if let a = m["after"] { doc.hooks.after = hook(a, path: "$.hooks.after", node: nil) }
                } else {
                    error("$.hooks", "\"hooks\" must be an object: {\"before\": hook, \"after\": hook}")
                }
            }
            if let o = top["observers"] {
                if case .list(let items) = o {
                    doc.observers = items.enumerated().compactMap { i, v in
                        hook(v, path: "$.observers[\(i)]", node: nil, what: "an observer")
                    }
                } else {
                    error("$.observers", "\"observers\" must be a list of observer types: [\"plugin.name\", {\"type\": \"plugin.name\", \"params\": {…}}]")
                }
            }
            if let inputs = top["inputs"] {
                if let list = graphInputs(inputs) { doc.inputs = list } else { doc.unread.insert(.inputs) }
            }
            if let nodes = top["nodes"] {
                if let streamed = streamedNodes.take() {
                    doc.nodes = streamed.items
                    diagnostics += streamed.diagnostics
                } else if case .list(let items) = nodes {
                    doc.nodes.reserveCapacity(items.count)
                    for (i, item) in items.enumerated() {
                        if let n = node(item, index: i) { doc.nodes.append(n) }
                    }
                } else {
                    error("$.nodes", "\"nodes\" must be a list of node objects")
                    doc.unread.insert(.nodes)
                }
            } else {
                error("$", "missing \"nodes\": a graph needs a list of nodes")
                doc.unread.insert(.nodes)
            }
            if let edges = top["edges"] {
                if let streamed = streamedEdges.take() {
                    doc.edges = streamed.items
                    diagnostics += streamed.diagnostics
                } else if case .list(let items) = edges {
                    doc.edges.reserveCapacity(items.count)
                    for (i, item) in items.enumerated() {
                        if let e = edge(item, index: i) { doc.edges.append(e) }
                    }
                } else {
                    error("$.edges", "\"edges\" must be a list of {\"from\": \"node.port\", \"to\": \"node.port\"} objects")
                    doc.unread.insert(.edges)
                }
            }
            if let outputs = top["outputs"] {
                if case .map(let m) = outputs {
                    for (name, v) in m {
                        let path = "$.outputs.\(name)"
                        // A bad name is reported and the output kept: what it
                        // reads is still checked (and counts as read).
                        if !Identifier.isValid(name) {
                            error(path, "output name \(JSON.quote(name)) is not a valid name (letters, digits, _)")
                        }
                        guard case .string(let s) = v, let ref = PortRef(parsing: s), !ref.isGraphInput else {
                            error(path, "an output must name a node output as \"node.port\"")
                            continue
                        }
                        doc.outputs.append(GraphOutput(name: name, source: ref, path: path))
                    }
                } else {
                    error("$.outputs", "\"outputs\" must be an object mapping output names to \"node.port\"")
                    doc.unread.insert(.outputs)
                }
            }
        }
    }
}

/// "Did you mean" for short lists.
enum EditDistanceHint {
    static func closest(_ word: String, _ candidates: [String]) -> String? {
        EditDistance.closest(to: word, among: candidates, limit: 1).first
    }
}
