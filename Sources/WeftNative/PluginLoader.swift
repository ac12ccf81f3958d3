import CWeft
import CWeftShims
import WeftCore

/// What loading a set of plugins gave: the plugins that loaded and one error
/// per file that did not. One bad plugin never stops the others.
public struct PluginLoadReport: Sendable {
    public var loaded: [LoadedPlugin] = []
    public var errors: [PluginLoadError] = []

    public init() {}

    mutating func merge(_ other: PluginLoadReport) {
        loaded += other.loaded
        errors += other.errors
    }
}

/// Loads plugin libraries into a `NodeRegistry`.
///
/// ```swift
/// let registry = NodeRegistry()
/// let loader = PluginLoader(registry: registry)
/// let report = loader.load(searchPath: .standard(folders: ["./plugins"]))
/// for e in report.errors { print(e) }
/// ```
///
/// Loading a file: `dlopen(RTLD_NOW | RTLD_LOCAL)`, find `weft_plugin_entry`,
/// check its ABI version before anything else, call `init` with the host
/// table, then add the plugin's nodes to the registry all at once. A file
/// already loaded (same real path) is not loaded twice. A file that fails
/// is closed again before the error is thrown; a loaded plugin stays loaded
/// until `NodeRegistry.unloadPlugins()`.
/// Thread-safe: several threads may load into one registry.
public struct PluginLoader: Sendable {
    public let registry: NodeRegistry

    public init(registry: NodeRegistry) {
        self.registry = registry
    }

    /// Loads one plugin file.
    public func load(file path: String) throws(PluginLoadError) -> LoadedPlugin {
        guard !path.isEmpty else {
            throw PluginLoadError(path: path, kind: .emptyPath,
                                  "empty plugin path refused (dlopen(\"\") would open the host program itself); give a file path")
        }
        let (kind, identity) = FileSystem.status(path)
        switch kind {
        case .missing:
            throw PluginLoadError(path: path, kind: .fileMissing, "no such file; check the path, or build the plugin first")
        case .directory:
            throw PluginLoadError(path: path, kind: .notAFile, "is a folder, not a plugin file; use it as a plugin folder (--plugins DIR)")
        case .other:
            throw PluginLoadError(path: path, kind: .notAFile, "is not a regular file")
        case .file:
            break
        }
        // The same file under another path (a symlink, `./x`) is the plugin
        // already loaded: files are told apart by device and inode.
        if let identity, let already = registry.plugin(file: identity) { return already }

        // dlopen a path with a slash, so the loader never searches its own
        // library path for a bare file name.
        let openPath = path.contains("/") ? path : "./" + path
        let handle: UnsafeMutableRawPointer
        switch DL.open(openPath) {
        case .success(let h): handle = h
        case .failure(let e):
            // dlerror repeats the path; keep only the reason.
            var reason = e.message
            if reason.hasPrefix(openPath + ": ") { reason.removeFirst(openPath.count + 2) }
            throw PluginLoadError(path: path, kind: .notALibrary,
                                  "not a loadable shared library: \(reason); a plugin is built with "
                                      + "`cc -shared -fPIC … -o libNAME.so` (see Docs/plugin-authoring.md)")
        }
        let entryPointer: UnsafeMutableRawPointer
        switch DL.symbol(handle, WEFT_PLUGIN_ENTRY_SYMBOL) {
        case .success(let p): entryPointer = p
        case .failure:
            DL.close(handle)
            throw PluginLoadError(path: path, kind: .entryMissing,
                                  "not a Weft plugin: it does not export the symbol '\(WEFT_PLUGIN_ENTRY_SYMBOL)'; define it with "
                                      + "WEFT_PLUGIN(name, version, summary, init, deinit) from <weft/plugin.h> "
                                      + "(check `nm -D --defined-only \(path)`)")
        }
        // The version is the first field and is read before anything else.
        let abi = entryPointer.load(as: UInt32.self)
        guard abi >= WeftVersion.oldestPluginABI, abi <= WeftVersion.pluginABI else {
            DL.close(handle)
            let supported = WeftVersion.oldestPluginABI == WeftVersion.pluginABI
                ? "\(WeftVersion.pluginABI)" : "\(WeftVersion.oldestPluginABI)…\(WeftVersion.pluginABI)"
            let fix = abi > WeftVersion.pluginABI
                ? "upgrade Weft, or rebuild the plugin against this Weft's <weft/plugin.h>"
                : "rebuild the plugin against this Weft's <weft/plugin.h>"
            throw PluginLoadError(path: path, kind: .abiMismatch,
                                  "built for plugin ABI \(abi), but this Weft (\(WeftVersion.string)) supports ABI \(supported); \(fix)")
        }
        let entry = entryPointer.assumingMemoryBound(to: weft_plugin_entry_t.self).pointee
        func invalid(_ why: String) -> PluginLoadError {
            DL.close(handle)
            return PluginLoadError(path: path, kind: .invalidEntry, why)
        }
        guard Int(entry.struct_size) >= MemoryLayout<weft_plugin_entry_t>.size else {
            throw invalid("weft_plugin_entry.struct_size is \(entry.struct_size), smaller than ABI v1's "
                              + "\(MemoryLayout<weft_plugin_entry_t>.size); define the entry with the WEFT_PLUGIN macro")
        }
        guard let namePtr = entry.name, case let name = String(cString: namePtr), Identifier.isValid(name) else {
            throw invalid("the plugin name in weft_plugin_entry is missing or not a valid name "
                              + "(letters, digits and _, not starting with a digit)")
        }
        guard let initFunction = entry.`init` else {
            throw invalid("weft_plugin_entry.init is NULL; every plugin needs an init function")
        }
        let plugin = LoadedPlugin(
            path: path, name: name,
            version: entry.version.map { String(cString: $0) } ?? "",
            summary: entry.summary.map { String(cString: $0) } ?? "",
            abiVersion: abi, handle: handle, deinitFunction: entry.deinit)

        // init runs with this registration as the thread's current one.
        let session = RegistrationSession(plugin: plugin)
        let previous = weft_shim_current_registry()
        weft_shim_set_current_registry(UnsafeMutableRawPointer(session.pointer))
        // The crash reporter (CLI) names this plugin if its init crashes.
        let status = "plugin '\(name)' from \(path)".withCString { label in
            let previousLabel = weft_shim_crash_set_plugin_init(label)
            defer { weft_shim_crash_set_plugin_init(previousLabel) }
            return initFunction(HostTable.shared, session.pointer)
        }
        weft_shim_set_current_registry(previous)

        guard status == WEFT_OK else {
            let why = session.failMessage
                ?? "init returned \(StatusCode.name(status)) without a message (call host->registry_fail(reg, \"why\"))"
            // A rejected descriptor is the precise reason, even if init then
            // called registry_fail with a vaguer one.
            let error = session.errors.first
                ?? PluginLoadError(path: path, kind: .initFailed, "plugin '\(name)' failed to initialise: \(why)")
            throw Self.discard(plugin, session, error)
        }
        plugin.initialized = true
        if let first = session.errors.first {
            throw Self.discard(plugin, session, first)
        }
        do {
            try registry.add(plugin: plugin, file: identity, nodes: session.nodes)
        } catch {
            throw Self.discard(plugin, session, error)
        }
        return plugin
    }

    /// A load that failed after `dlopen` and `init`: drops what the plugin
    /// registered (no one else saw it) and unloads it here, on the loading
    /// thread (`deinit` only if `init` succeeded). Returns `error`.
    private static func discard(_ plugin: LoadedPlugin, _ session: RegistrationSession,
                                _ error: PluginLoadError) -> PluginLoadError {
        session.nodes = []
        plugin.unload()
        return error
    }

    /// Loads every `*.so` file in a folder, in sorted order. Failures are
    /// collected; they do not stop the rest.
    public func load(folder: String) -> PluginLoadReport {
        var report = PluginLoadReport()
        guard FileSystem.kind(folder) == .directory else {
            report.errors.append(PluginLoadError(path: folder, kind: .folderMissing,
                                                 "plugin folder does not exist (or is not a folder); check --plugins and WEFT_PLUGIN_PATH"))
            return report
        }
        switch FileSystem.list(entries: folder) {
        case .failure(let e):
            report.errors.append(PluginLoadError(path: folder, kind: .folderMissing, "cannot read plugin folder: \(e.message)"))
        case .success(let entries):
            let base = folder.hasSuffix("/") ? folder : folder + "/"
            for (name, kind) in entries where name.hasSuffix(".so") {
                let path = base + name
                // Folders and the like are passed over; `load(file:)` stats
                // the rest, so a regular file needs no second `stat` here.
                switch kind {
                case .file: break
                case .directory, .other: continue
                case .unknown: guard FileSystem.kind(path) == .file else { continue }
                }
                do {
                    report.loaded.append(try load(file: path))
                } catch {
                    report.errors.append(error)
                }
            }
        }
        return report
    }

    /// Loads the search path: its files, then its folders, in order.
    public func load(searchPath: PluginSearchPath) -> PluginLoadReport {
        var report = PluginLoadReport()
        for file in searchPath.files {
            do {
                report.loaded.append(try load(file: file))
            } catch {
                report.errors.append(error)
            }
        }
        for folder in searchPath.folders {
            report.merge(load(folder: folder))
        }
        return report
    }
}
