import OrderedCollections
import WeftCore
import WeftNative
import WeftScheduler
import WeftStore

/// What the server is allowed to run, and where its plugins come from.
public struct ServerPolicy: Sendable {
    /// Node namespaces graphs may use (`std`, `time`, `event`, …); nil: all loaded.
    public var allowedNamespaces: Set<String>?
    /// Libraries `ffi` nodes may name: sonames, paths or globs (`fnmatch`).
    public var allowedFFI: [String]
    /// The plugins to load.
    public var searchPath: PluginSearchPath
    /// The longest an immediate run may take, in seconds.
    public var immediateTimeout: Double

    public init(allowedNamespaces: Set<String>?, allowedFFI: [String], searchPath: PluginSearchPath, immediateTimeout: Double) {
        self.allowedNamespaces = allowedNamespaces
        self.allowedFFI = allowedFFI
        self.searchPath = searchPath
        self.immediateTimeout = immediateTimeout
    }
}

/// A failure to report to an HTTP client: a status, a message that names
/// the fix, and a graph's problems (`diagnostics`, each with its path).
public struct APIFailure: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var diagnostics: [Diagnostic]

    public init(_ status: Int, _ message: String, diagnostics: [Diagnostic] = []) {
        self.status = status
        self.message = message
        self.diagnostics = diagnostics
    }

    public var description: String { message }

    var jsonValue: WeftValue {
        var error: [(String, WeftValue)] = [("status", .int(Int64(status))), ("message", .string(message))]
        if !diagnostics.isEmpty { error.append(("diagnostics", .list(diagnostics.map(\.jsonValue)))) }
        return .object([("error", .object(error))])
    }
}

/// A graph the server validated: its text and id (hash), plan, what the
/// complexity analyzer makes of it, and compiled copies ready to run (one
/// run at a time each; more are compiled as concurrent runs need them).
final class PreparedGraph: @unchecked Sendable {
    let id: String
    let text: String
    let plan: GraphPlan
    let traits: GraphTraits
    private let idle = Locked<[CompiledGraph]>([])

    init(id: String, text: String, plan: GraphPlan) {
        self.id = id
        self.text = text
        self.plan = plan
        traits = GraphTraits(plan)
    }

    /// A compiled copy for one run; give it back with `checkIn`.
    func checkOut(_ registry: NodeRegistry) throws(APIFailure) -> CompiledGraph {
        if let ready = idle.withLock({ $0.popLast() }) { return ready }
        do {
            return try CompiledGraph(plan: plan, registry: registry)
        } catch {
            throw APIFailure(422, "the graph could not be prepared to run: \(error)")
        }
    }

    /// Keeps `compiled` for the next run (up to 8 idle copies; stateful
    /// nodes keep their state from run to run, as in one process).
    func checkIn(_ compiled: CompiledGraph) {
        idle.withLock { if $0.count < 8 { $0.append(compiled) } }
    }
}

/// The server's node host: the plugins it loaded, the allow lists, and
/// the graphs it validated (by id). Validating the same text again is a
/// lookup. Thread-safe.
public final class NodeHost: @unchecked Sendable {
    let registry = NodeRegistry()
    public let policy: ServerPolicy
    /// Plugin files that failed to load (reported at start).
    public let loadErrors: [String]
    private let prepared = Locked<[String: PreparedGraph]>([:])
    private let preparedOrder = Locked<[String]>([])
    /// The most validated graphs kept.
    static let keep = 256

    public init(policy: ServerPolicy) {
        self.policy = policy
        BuiltinSources.register(into: registry)
        let folders = policy.searchPath.folders + policy.searchPath.files.compactMap { f in f.lastIndex(of: "/").map { String(f[..<$0]) } }
        registry.libraryPolicy = LibraryPolicy(allowed: policy.allowedFFI, pluginFolders: folders)
        let report = PluginLoader(registry: registry).load(searchPath: policy.searchPath)
        loadErrors = report.errors.map(\.message)
    }

    /// The node namespaces graphs may use.
    var namespaces: [String] {
        let all = Set(registry.nodes.map(\.spec.namespace)).subtracting([""])
        return all.filter { policy.allowedNamespaces?.contains($0) ?? true }.sorted()
    }

    /// `GET /v1/plugins`: what graphs on this server can use.
    var pluginsJSON: WeftValue {
        let allowed = Set(namespaces)
        let nodes = registry.nodes.filter { $0.spec.namespace.isEmpty || allowed.contains($0.spec.namespace) }
        let plugins = registry.plugins.filter { p in
            registry.nodes.contains { $0.spec.namespace == p.name && allowed.contains($0.spec.namespace) }
                || policy.allowedNamespaces == nil
        }
        return .object([("plugins", .list(plugins.map(\.jsonValue))), ("nodes", .list(nodes.map(\.spec.jsonValue)))])
    }

    /// Validates `text` against the plugins and allow lists (or finds it
    /// validated before).
    func prepare(_ text: String) throws(APIFailure) -> PreparedGraph {
        let id = RunStore.hash(text)
        if let known = prepared.withLock({ $0[id] }) { return known }
        let plan: GraphPlan
        do {
            // No subgraph files: a server graph's subgraphs are inline.
            plan = try GraphValidator.validate(try GraphDecoder.decode(text: text), catalog: registry, subgraphs: nil, file: nil)
        } catch {
            let n = error.errors.count
            throw APIFailure(422, "the graph is not valid: \(n) problem\(n == 1 ? "" : "s") (each in diagnostics, with its path)",
                             diagnostics: error.diagnostics)
        }
        let refused = refusals(plan)
        if !refused.isEmpty {
            throw APIFailure(422, "the graph uses what this server does not allow (each in diagnostics)", diagnostics: refused)
        }
        let graph = PreparedGraph(id: id, text: text, plan: plan)
        prepared.withLock { $0[id] = graph }
        let evicted: String? = preparedOrder.withLock { order in
            order.append(id)
            return order.count > Self.keep ? order.removeFirst() : nil
        }
        if let evicted { prepared.withLock { _ = $0.removeValue(forKey: evicted) } }
        return graph
    }

    /// The plan's nodes (subgraphs' too) that the allow lists refuse.
    private func refusals(_ plan: GraphPlan, prefix: String = "") -> [Diagnostic] {
        var out: [Diagnostic] = []
        for node in plan.nodes {
            let ns = node.spec.namespace
            if !ns.isEmpty, let allowed = policy.allowedNamespaces, !allowed.contains(ns) {
                out.append(Diagnostic(path: prefix + node.path + ".type", node: node.id,
                                      "node type '\(node.type)' is from '\(ns)', which this server does not allow "
                                          + "(allowed: \(allowed.sorted().joined(separator: ", "))); "
                                          + "the server's --allow-plugin option names the allowed ones"))
            }
            if node.type == "ffi" {
                let library = node.params["library"]?.stringValue ?? ""
                if !policy.allowedFFI.contains(where: { fnmatch($0, library, 0) == 0 }) {
                    out.append(Diagnostic(path: prefix + node.path + ".params.library", node: node.id,
                                          "ffi library '\(library)' is not allowed on this server"
                                              + (policy.allowedFFI.isEmpty ? " (it allows none)" : " (allowed: \(policy.allowedFFI.joined(separator: ", ")))")
                                              + "; the server's --allow-ffi option names the allowed ones"))
                }
            }
        }
        for (index, sub) in plan.subgraphs.sorted(by: { $0.key < $1.key }) {
            out += refusals(sub, prefix: prefix + plan.nodes[index].path + ".graph/")
        }
        return out
    }

    /// The inputs of a request (a JSON object) for `plan`, checked: every
    /// problem in one message.
    static func inputs(_ value: WeftValue?, for plan: GraphPlan) throws(APIFailure) -> [String: WeftValue] {
        var given: [String: WeftValue] = [:]
        switch value {
        case nil:
            break
        case .map(let m)?:
            for (k, v) in m { given[k] = v }
        case let other?:
            throw APIFailure(400, "\"inputs\" must be an object of input values by name, not \(other.kind)")
        }
        do {
            try Scheduler.checkInputs(plan, given)
        } catch {
            throw APIFailure(422, error.messages(hint: "give it in \"inputs\"").joined(separator: "\n"))
        }
        return given
    }
}

#if canImport(Glibc)
import Glibc
#endif
