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
        /// Plugins by the file they were loaded from.
        var files: [FileSystem.Identity: LoadedPlugin] = [:]
        /// Namespaces of nodes registered by an embedding host.
        var hostNamespaces: Set<String> = []
        var isolation = IsolationPolicy()
    }

    private let state = Locked(State())
    let ffi = FFICatalog()

    public init() {}

    /// Which libraries `ffi` nodes may load (default: system sonames only).
    public var libraryPolicy: LibraryPolicy {
        get { ffi.policy }
        set { ffi.policy = newValue }
    }

    /// Which plugins' nodes run in child processes, and the worker program.
    public var isolationPolicy: IsolationPolicy {
        get { state.withLock { $0.isolation } }
        set { state.withLock { $0.isolation = newValue } }
    }

    /// The node type for a graph node of type `type` with `params`: a
    /// registered type, or a built-in parameterized one (`ffi`).
    public func nodeType(_ type: String, params: [String: WeftValue]) -> Result<NodeType, ParameterizedSpecError> {
        if type == FFINodes.typeName { return ffi.nodeType(params: params) }
        guard let t = node(named: type) else {
            return .failure(ParameterizedSpecError(param: nil, "node type '\(type)' is not loaded"))
        }
        return .success(t)
    }

    /// The node type called `fullName`, or nil.
    public func node(named fullName: String) -> NodeType? {
        state.withLock { $0.nodes[fullName] }
    }

    /// All node types, sorted by full name.
    public var nodes: [NodeType] {
        state.withLock { Array($0.nodes.values) }.sorted { $0.fullName < $1.fullName }
    }

    /// Registers node types built into the host (the `event.*` sources)
    /// under `namespace`, which then belongs to the host like an embedding
    /// host's namespace. Types already registered under a name are kept.
    public func registerBuiltin(namespace: String, _ types: [NodeType]) {
        withState { s in
            s.hostNamespaces.insert(namespace)
            for t in types where s.nodes[t.fullName] == nil { s.nodes[t.fullName] = t }
        }
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

    /// Unloads every plugin on the calling thread, newest first: each
    /// plugin's `deinit`, then `dlclose` (`LoadedPlugin.unload()`). Call it
    /// once, when nothing made from this registry runs any more: every run
    /// and source joined, every graph and node instance released (the C
    /// API's `weft_engine_destroy` and the destroy of the last graph or run
    /// made from the engine do). Node types still being released on other
    /// threads are waited for, briefly; a plugin whose node types are still
    /// held after that stays loaded (a warning says so).
    ///
    /// Afterwards the registry knows no plugin and none of their node types;
    /// loading into it again is allowed. Returns the plugins unloaded.
    @discardableResult
    public func unloadPlugins() -> [LoadedPlugin] {
        unloadPlugins(timeoutNanoseconds: LoadedPlugin.unloadTimeout)
    }

    /// `unloadPlugins()` waiting at most `timeoutNanoseconds` per plugin
    /// for its node types to be released (tests shorten it).
    @discardableResult
    package func unloadPlugins(timeoutNanoseconds: UInt64) -> [LoadedPlugin] {
        let taken: [LoadedPlugin] = state.withLock { s in
            let plugins = s.plugins
            s.nodes = s.nodes.filter { $0.value.plugin == nil }
            s.plugins = []
            s.pluginsByName = [:]
            s.files = [:]
            return plugins
        }
        // The registry's node types of these plugins are released now; any
        // left are held elsewhere, and `unload` waits for them.
        let unloaded = taken.reversed().filter { $0.unload(timeoutNanoseconds: timeoutNanoseconds) }
        PluginLog.reportSuppressed()
        return unloaded
    }

    func withState<T>(_ body: (inout State) -> T) -> T {
        state.withLock { body(&$0) }
    }

    /// The plugin already loaded from `file`, if any.
    func plugin(file: FileSystem.Identity) -> LoadedPlugin? {
        state.withLock { $0.files[file] }
    }

    /// Adds a plugin and its nodes atomically, or throws without changing
    /// anything.
    func add(plugin: LoadedPlugin, file: FileSystem.Identity?, nodes: [NodeType]) throws(PluginLoadError) {
        let result: PluginLoadError? = state.withLock { s in
            if s.hostNamespaces.contains(plugin.name) {
                return PluginLoadError(
                    path: plugin.path, kind: .duplicatePlugin,
                    "the namespace '\(plugin.name)' holds nodes the embedding host registered; "
                        + "plugin names are namespaces and must be unique — rename the plugin or the host's namespace")
            }
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
            if let file { s.files[file] = plugin }
            return nil
        }
        if let result { throw result }
    }
}

extension NodeRegistry: NodeCatalog {
    public func spec(named fullName: String) -> NodeSpec? {
        fullName == FFINodes.typeName ? FFINodes.baseSpec : node(named: fullName)?.spec
    }

    public func suggestions(for name: String) -> [String] { suggestions(for: name, limit: 3) }

    public func canIsolate(_ fullName: String) -> Bool { node(named: fullName)?.plugin != nil }

    public func parameterizedSpec(type: String, params: [String: WeftValue]) -> Result<NodeSpec, ParameterizedSpecError>? {
        if type == FFINodes.typeName { return ffi.nodeType(params: params).map(\.spec) }
        guard let t = node(named: type), let check = t.checkParams else { return nil }
        if let e = check(params) { return .failure(e) }
        return .success(t.spec)
    }
}
