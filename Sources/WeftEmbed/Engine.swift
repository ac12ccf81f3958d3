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
final class Engine: EmbedObject, @unchecked Sendable {
    static let typeName = "weft_engine_t"

    let registry = NodeRegistry()
    private let lock = ConditionLock()
    private var allowed: [String] = []
    private var pluginFolders: [String] = []

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
