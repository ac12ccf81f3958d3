import Synchronization
import WeftCore

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
    public func suggestions(for name: String, limit: Int = 3) -> [String] {
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

/// Levenshtein distance, for suggestions.
public enum EditDistance {
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.utf8), b = Array(b.utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&prev, &cur)
        }
        return prev[b.count]
    }

    /// Up to `limit` candidates within a distance of about a third of the
    /// name's length (at least 2), nearest first; a candidate whose last
    /// component equals the name's last component always qualifies.
    public static func closest(to name: String, among candidates: [String], limit: Int) -> [String] {
        let maxDistance = max(2, name.count / 3)
        let tail = name.split(separator: ".").last.map(String.init) ?? name
        var scored: [(name: String, d: Int)] = []
        for c in candidates {
            let d = distance(name, c)
            let last = c.split(separator: ".").last.map(String.init) ?? c
            if d <= maxDistance || last == tail { scored.append((c, d)) }
        }
        scored.sort { $0.d != $1.d ? $0.d < $1.d : $0.name < $1.name }
        return scored.prefix(limit).map { $0.name }
    }
}
