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

    /// `$.edges[3].to: error: …`: control characters (from names in the
    /// file) escaped as in JSON (`Diagnostic.escaped`), but for the line
    /// breaks of a message that spans lines by design (an ffi signature
    /// error points at the column on a line of its own).
    public var description: String {
        "\(Self.escaped(path)): \(severity.rawValue): \(Self.escaped(message, keepingNewlines: true))"
    }

    /// `text` with its control characters (U+0000–U+001F) written as JSON
    /// writes them in a string (`\u0000`, `\t`, `\u001b`…), for text
    /// output: a NUL would end a C string there (cutting the line short),
    /// an escape sequence would reach the terminal. `keepingNewlines` leaves
    /// U+000A as it is. Other characters are kept as they are.
    public static func escaped(_ text: String, keepingNewlines: Bool = false) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 && !(keepingNewlines && $0 == 0x0A) }) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 && !(keepingNewlines && scalar == "\n") {
                var quoted = JSON.quote(String(scalar))
                quoted.removeFirst()
                quoted.removeLast()
                out += quoted
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

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
