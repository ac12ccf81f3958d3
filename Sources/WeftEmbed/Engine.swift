import CWeft
import CWeftShims
import WeftCore
import WeftNative
import WeftScheduler
#if canImport(Glibc)
import Glibc
#endif

/// `weft_engine_t`: node types (plugins and host nodes) and the library
/// policy of `ffi` nodes.
///
/// Its plugins are unloaded explicitly, by `lease`, when this handle and
/// every graph and run handle made from it are destroyed.
final class Engine: EmbedObject, @unchecked Sendable {
    static let typeName = "weft_engine_t"

    let registry = NodeRegistry()
    /// Held by this engine's handle and by each graph and run handle.
    let lease: PluginLease
    private let lock = ConditionLock()
    private var allowed: [String] = []
    private var pluginFolders: [String] = []
    private var graphLimit = FileSystem.defaultGraphLimit

    init() {
        lease = PluginLease(registry: registry)
        BuiltinSources.register(into: registry)
        // Graph nodes with "isolate"/"timeout_ms" need the worker too.
        registry.isolationPolicy = IsolationPolicy(workerExecutable: Self.workerExecutable)
    }

    /// Loads a search path; every failure becomes one line of the error.
    func load(_ path: PluginSearchPath, _ function: String) throws(APIError) {
        lock.withLock {
            pluginFolders += path.folders
            pluginFolders += path.files.compactMap { f in f.lastIndex(of: "/").map { String(f[..<$0]) } }
        }
        updatePolicy()
        let report = PluginLoader(registry: registry).load(searchPath: path)
        guard report.errors.isEmpty else {
            let lines = report.errors.map(\.message)  // each starts with its path
            throw APIError(WEFT_ERR_FAILED, "\(function): \(report.errors.count) plugin file(s) failed to load "
                               + "(\(report.loaded.count) loaded):\n" + lines.joined(separator: "\n"))
        }
    }

    func loadFile(_ path: String, _ function: String) throws(APIError) {
        do {
            let plugin = try PluginLoader(registry: registry).load(file: path)
            if let slash = plugin.path.lastIndex(of: "/") {
                let folder = String(plugin.path[..<slash])
                lock.withLock { pluginFolders.append(folder) }
                updatePolicy()
            }
        } catch {
            let status: Int32
            switch error.kind {
            case .fileMissing, .emptyPath: status = WEFT_ERR_NOT_FOUND
            case .abiMismatch: status = WEFT_ERR_VERSION
            case .duplicatePlugin, .duplicateNode: status = WEFT_ERR_DUPLICATE
            default: status = WEFT_ERR_FAILED
            }
            throw APIError(status, "\(function): \(error.message)")  // the message starts with the path
        }
    }

    /// Isolates the nodes of `plugin` ("*" = all plugins).
    func isolate(_ plugin: String, _ function: String) throws(APIError) {
        guard let worker = Self.workerExecutable else {
            throw APIError(WEFT_ERR_NOT_FOUND, "\(function): no weft executable to run isolated nodes in: none beside "
                               + "libweft (PREFIX/bin/weft) and WEFT_WORKER is not set; install Weft with scripts/install.sh "
                               + "or set WEFT_WORKER=/path/to/weft")
        }
        let loaded = registry.plugins.map(\.name)
        guard plugin == "*" || loaded.contains(plugin) else {
            throw APIError(WEFT_ERR_NOT_FOUND, "\(function): no plugin named '\(plugin)' is loaded; "
                               + (loaded.isEmpty ? "load it first" : "loaded: \(loaded.sorted().joined(separator: ", ")); or give \"*\" for all"))
        }
        var policy = registry.isolationPolicy
        policy.plugins.insert(plugin)
        policy.workerExecutable = worker
        registry.isolationPolicy = policy
    }

    /// The worker for isolated nodes: $WEFT_WORKER, else the weft installed
    /// beside the library (PREFIX/bin/weft for PREFIX/lib/libweft.so.0), else
    /// the one in the same folder (a SwiftPM build folder).
    static var workerExecutable: String? {
        if let env = getenv("WEFT_WORKER"), env.pointee != 0 { return String(cString: env) }
        guard let dir = libraryDirectory else { return nil }
        for candidate in [dir + "/../bin/weft", dir + "/weft"] where access(candidate, X_OK) == 0 {
            return FileSystem.realPath(candidate) ?? candidate
        }
        return nil
    }

    /// The most bytes `weft_graph_load` reads and `weft_graph_parse` takes
    /// (`weft_engine_set_max_graph_bytes`). Any thread.
    var maxGraphBytes: Int {
        get { lock.withLock { graphLimit } }
        set { lock.withLock { graphLimit = newValue } }
    }

    func allow(_ pattern: String) {
        lock.withLock { allowed.append(pattern) }
        updatePolicy()
    }

    private func updatePolicy() {
        let policy = lock.withLock { LibraryPolicy(allowed: allowed, pluginFolders: pluginFolders) }
        registry.libraryPolicy = policy
    }

    var nodesJSON: String {
        let doc: WeftValue = [
            "plugins": .list(registry.plugins.map(\.jsonValue)),
            "nodes": .list(registry.nodes.map(\.spec.jsonValue)),
        ]
        return JSON.encode(doc)
    }

    /// The shipped plugins for this library: `<libdir>/weft/plugins` of an
    /// installed Weft, or the plugin files beside libweft in a build folder.
    static var shippedPlugins: PluginSearchPath {
        guard let dir = libraryDirectory else { return PluginSearchPath() }
        return PluginSearchPath.shippedPlugins(nearLibrary: dir)
    }

    /// The folder libweft was loaded from (dladdr on one of its functions).
    static let libraryDirectory: String? = {
        guard let name = weft_shim_own_path() else { return nil }
        var path = String(cString: name)
        if let real = realpath(name, nil) {
            path = String(cString: real)
            free(real)
        }
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }()
}
