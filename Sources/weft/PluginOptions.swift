import ArgumentParser
import WeftNative

/// The options every command that loads plugins shares.
struct PluginOptions: ParsableArguments {
    @Option(name: .customLong("plugins"), help: ArgumentHelp(
        "A folder of plugins (*.so) to load; repeatable. Loaded after the shipped plugins and WEFT_PLUGIN_PATH.",
        valueName: "dir"))
    var folders: [String] = []

    @Flag(name: .customLong("no-default-plugins"),
          help: "Do not load the shipped plugins or WEFT_PLUGIN_PATH; only --plugins folders.")
    var noDefaultPlugins = false

    @Option(name: .customLong("allow-library"), help: ArgumentHelp(
        "Let ffi nodes load this library (a path or a glob such as './build/*.so'); repeatable. "
            + "Without it they may load system libraries by soname and libraries in plugin folders only.",
        valueName: "path-or-glob"))
    var allowLibrary: [String] = []

    /// The library policy for ffi nodes: system sonames, plugin folders, --allow-library.
    var libraryPolicy: LibraryPolicy {
        let path = searchPath
        let fileFolders = path.files.compactMap { f in f.lastIndex(of: "/").map { String(f[..<$0]) } }
        return LibraryPolicy(allowed: allowLibrary, pluginFolders: path.folders + fileFolders)
    }

    var searchPath: PluginSearchPath {
        .standard(folders: folders, environment: !noDefaultPlugins, shipped: !noDefaultPlugins)
    }

    /// Splits plugin load failures by the one rule every command follows:
    /// a folder named in WEFT_PLUGIN_PATH that does not exist (or is not a
    /// folder) is a warning, and the command goes on, because the variable
    /// may be shared by machines that do not all have every folder; every
    /// other failure stays an error. (A `--plugins DIR` that does not exist
    /// never gets here: `validate` refuses it as a usage error, exit 2.)
    func split(_ failures: [PluginLoadError]) -> (warnings: [PluginLoadError], errors: [PluginLoadError]) {
        let environment = noDefaultPlugins ? [] : Set(PluginSearchPath.environmentFolders)
        var warnings: [PluginLoadError] = [], errors: [PluginLoadError] = []
        for e in failures {
            let skipped = e.kind == .folderMissing && environment.contains(e.path) && !folders.contains(e.path)
                && FileSystem.kind(e.path) != .directory  // one that exists but cannot be read is an error
            if skipped { warnings.append(e) } else { errors.append(e) }
        }
        return (warnings, errors)
    }

    /// A folder named on the command line must exist (a typo would
    /// otherwise only show as unknown node types). Missing folders in
    /// WEFT_PLUGIN_PATH are warnings (see `split`).
    func validate() throws {
        for folder in folders where FileSystem.kind(folder) != .directory {
            let what = FileSystem.kind(folder) == .missing ? "no such folder" : "not a folder (give the folder that holds the .so files)"
            throw ValidationError("--plugins \(folder): \(what)")
        }
    }
}
