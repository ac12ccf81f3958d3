import Synchronization
public import WeftCore

/// Every node type known to one engine, by full name (`plugin.node`).
///
/// A plugin's nodes are added all at once or not at all. A namespace belongs
/// to one plugin: a second plugin with the same name is refused, so a node
/// is never silently replaced. Thread-safe; lookups take a lock briefly, so
/// resolve node types once (when a graph is compiled), not per run.
public final class NodeRegistry: Sendable {
    struct State {
        var nodes: [String: NodeType] = [:]
        var plugins: [LoadedPlugin] = []
        var pluginsByName: [String: LoadedPlugin] = [:]
        var realPaths: [String: LoadedPlugin] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// The node type called `fullName`, or nil.
    public func node(named fullName: String) -> NodeType? {
        state.withLock { $0.nodes[fullName] }
    }

    /// All node types, sorted by full name.
    public var nodes: [NodeType] {
        state.withLock { Array($0.nodes.values) }.sorted { $0.fullName < $1.fullName }
    }

    /// The loaded plugins, in load order.
    public var plugins: [LoadedPlugin] {
        state.withLock { $0.plugins }
    }

    /// Known full names closest to `name` (for "did you mean" hints), best first.
    public func suggestions(for name: String, limit: Int) -> [String] {
        let names = state.withLock { Array($0.nodes.keys) }
        return EditDistance.closest(to: name, among: names, limit: limit)
    }

    /// The plugin already loaded from the file at `realPath`, if any.
    func plugin(atRealPath realPath: String) -> LoadedPlugin? {
        state.withLock { $0.realPaths[realPath] }
    }

    /// Adds a plugin and its nodes atomically, or throws without changing
    /// anything.
    func add(plugin: LoadedPlugin, realPath: String, nodes: [NodeType]) throws(PluginLoadError) {
        let result: PluginLoadError? = state.withLock { s in
            if let other = s.pluginsByName[plugin.name] {
                return PluginLoadError(
                    path: plugin.path, kind: .duplicatePlugin,
                    "a plugin named '\(plugin.name)' is already loaded from \(other.path); "
                        + "plugin names are namespaces and must be unique — rename one plugin "
                        + "(the name in its WEFT_PLUGIN(...) entry) or load only one of them")
            }
            for n in nodes {
                if let existing = s.nodes[n.fullName] {
                    return PluginLoadError(
                        path: plugin.path, kind: .duplicateNode,
                        "node '\(n.fullName)' is already registered by \(existing.plugin?.path ?? "the host"); "
                            + "rename one of them")
                }
            }
            for n in nodes { s.nodes[n.fullName] = n }
            s.plugins.append(plugin)
            s.pluginsByName[plugin.name] = plugin
            s.realPaths[realPath] = plugin
            return nil
        }
        if let result { throw result }
    }
}

extension NodeRegistry: NodeCatalog {
    public func spec(named fullName: String) -> NodeSpec? { node(named: fullName)?.spec }
    public func suggestions(for name: String) -> [String] { suggestions(for: name, limit: 3) }
}
