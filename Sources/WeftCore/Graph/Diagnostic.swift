import OrderedCollections

/// One problem found in a graph: where it is, what it is, how to mend it.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    public enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    public var severity: Severity
    /// A JSON path into the graph file, e.g. `$.nodes[2].params.step`.
    public var path: String
    /// The node the problem is about, if any.
    public var node: String?
    /// What is wrong and how to fix it.
    public var message: String

    public init(_ severity: Severity = .error, path: String, node: String? = nil, _ message: String) {
        self.severity = severity
        self.path = path
        self.node = node
        self.message = message
    }

    /// `$.edges[3].to: error: …`
    public var description: String { "\(path): \(severity.rawValue): \(message)" }

    /// `{"severity", "path", "node"?, "message"}`.
    public var jsonValue: WeftValue {
        var m: OrderedDictionary<String, WeftValue> = ["severity": .string(severity.rawValue), "path": .string(path)]
        if let node { m["node"] = .string(node) }
        m["message"] = .string(message)
        return .map(m)
    }
}

/// A graph that failed to load or validate, with every problem found.
public struct GraphError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
