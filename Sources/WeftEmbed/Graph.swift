import CWeft
import WeftCore
import WeftNative
#if canImport(Glibc)
import Glibc
#endif

/// `weft_graph_t`: a validated graph and the registry its node types come
/// from (kept alive with it, so the engine may be destroyed first). Its
/// handle holds the engine's `lease`, so the plugins stay loaded while it
/// lives.
final class Graph: EmbedObject, @unchecked Sendable {
    static let typeName = "weft_graph_t"

    let plan: GraphPlan
    let registry: NodeRegistry
    let lease: PluginLease
    /// The document as given: a recorded run stores it, and a resumed one
    /// is refused unless it is unchanged (`RecordedRun`).
    let text: String
    /// Its file (real path), if it came from one.
    let file: String?

    init(plan: GraphPlan, registry: NodeRegistry, lease: PluginLease, text: String, file: String?) {
        self.plan = plan
        self.registry = registry
        self.lease = lease
        self.text = text
        self.file = file
    }

    /// Parses and validates; on failure the error holds every problem, one
    /// per line, and `diagnostics` the same list.
    /// `file`: the graph's file, if it came from one (subgraph paths start
    /// from its folder; else from the working directory).
    static func parse(_ text: String, engine: Engine, function: String, source: String, file: String? = nil)
        -> (Result<Graph, APIError>, [Diagnostic])
    {
        do {
            let plan = try GraphValidator.validate(try GraphDecoder.decodePartial(text: text), catalog: engine.registry,
                                                   subgraphs: .files(baseDirectory: nil, maxBytes: engine.maxGraphBytes),
                                                   file: file)
            return (.success(Graph(plan: plan, registry: engine.registry, lease: engine.lease, text: text, file: file)), plan.warnings)
        } catch {
            // Control characters in names escaped (a NUL would end the C
            // string): `Diagnostic.description`.
            let lines = error.diagnostics.map { "\(source)\($0)" }
            let count = error.errors.count
            return (.failure(APIError(WEFT_ERR_INVALID, "\(function): the graph is invalid (\(count) error\(count == 1 ? "" : "s")):\n"
                                          + lines.joined(separator: "\n"))), error.diagnostics)
        }
    }

    var describeJSON: String {
        let inputs: [WeftValue] = plan.inputs.map { i in
            var fields: [(String, WeftValue)] = [("name", .string(i.name)), ("type", .string(i.type.description))]
            if let d = i.defaultValue { fields.append(("default", d)) }
            return .object(fields)
        }
        let outputs: [WeftValue] = plan.outputs.map { o in
            .object([("name", .string(o.name)),
                     ("type", .string(plan.nodes[o.node].spec.outputs[o.port].type.description))])
        }
        return JSON.encode(.object([("inputs", .list(inputs)), ("outputs", .list(outputs)),
                                    ("nodes", .int(Int64(plan.nodes.count)))]))
    }
}

/// `weft_diagnostics_t`: problems found in a graph, with their strings kept
/// for the C side.
final class Diagnostics: EmbedObject, @unchecked Sendable {
    static let typeName = "weft_diagnostics_t"

    struct Entry {
        var severity: Int32
        var message: UnsafePointer<CChar>
        var node: UnsafePointer<CChar>?
        var path: UnsafePointer<CChar>
    }

    let entries: [Entry]
    let json: UnsafePointer<CChar>
    private let strings = StringStore()

    init(_ diagnostics: [Diagnostic]) {
        let store = strings
        entries = diagnostics.map { d in
            // C strings: control characters escaped as in the JSON (a NUL
            // in a name would end the string there).
            Entry(severity: d.severity == .error ? WEFT_SEVERITY_ERROR : WEFT_SEVERITY_WARNING,
                  message: store.keep(Diagnostic.escaped(d.message, keepingNewlines: true)), node: d.node.map { store.keep(Diagnostic.escaped($0)) },
                  path: store.keep(Diagnostic.escaped(d.path)))
        }
        json = store.keep(JSON.encode(.list(diagnostics.map(\.jsonValue))))
    }
}
