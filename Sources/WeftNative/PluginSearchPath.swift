/// Where plugins are looked for, in load order.
///
/// The standard path is: the plugins shipped with Weft, then each folder of
/// `WEFT_PLUGIN_PATH` (colon-separated), then the folders given explicitly
/// (`--plugins DIR`). Loading is in this order and, inside a folder, by
/// file name, so it is the same on every run.
public struct PluginSearchPath: Sendable, Equatable {
    /// Individual plugin files (the shipped plugins in a build tree).
    public var files: [String]
    /// Folders whose `*.so` files are loaded.
    public var folders: [String]

    public init(files: [String] = [], folders: [String] = []) {
        self.files = files
        self.folders = folders
    }

    /// The file names of the plugins shipped with Weft.
    public static let shippedPluginFiles = ["libweft_std.so", "libweft_io.so", "libweft_time.so", "libweft_proc.so"]

    /// The environment variable holding extra plugin folders.
    public static let environmentVariable = "WEFT_PLUGIN_PATH"

    /// The standard search path.
    /// - Parameters:
    ///   - folders: explicit folders (`--plugins`), searched last.
    ///   - environment: whether to read `WEFT_PLUGIN_PATH`.
    ///   - shipped: whether to include the shipped plugins.
    ///   - executableDirectory: where to look for the shipped plugins; the
    ///     running program's folder if nil.
    public static func standard(folders: [String] = [], environment: Bool = true, shipped: Bool = true,
                                executableDirectory: String? = nil) -> PluginSearchPath {
        var path = PluginSearchPath()
        if shipped, let dir = executableDirectory ?? PluginSearchPath.executableDirectory() {
            path.merge(shippedPlugins(near: dir))
        }
        if environment { path.folders += environmentFolders }
        path.folders += folders
        return path
    }

    /// The shipped plugins for a program in `dir`: the folder
    /// `dir/../lib/weft/plugins` of an installed Weft if it exists, else the
    /// shipped plugin files beside the program (a SwiftPM build folder).
    public static func shippedPlugins(near dir: String) -> PluginSearchPath {
        let installed = dir + "/../lib/weft/plugins"
        if FileSystem.kind(installed) == .directory {
            return PluginSearchPath(folders: [installed])
        }
        let files = shippedPluginFiles.map { dir + "/" + $0 }.filter { FileSystem.kind($0) == .file }
        return PluginSearchPath(files: files)
    }

    /// The shipped plugins for a library (libweft) in `dir`: the folder
    /// `dir/weft/plugins` of an installed Weft if it exists, else the shipped
    /// plugin files beside the library (a SwiftPM build folder).
    public static func shippedPlugins(nearLibrary dir: String) -> PluginSearchPath {
        let installed = dir + "/weft/plugins"
        if FileSystem.kind(installed) == .directory {
            return PluginSearchPath(folders: [installed])
        }
        let files = shippedPluginFiles.map { dir + "/" + $0 }.filter { FileSystem.kind($0) == .file }
        return PluginSearchPath(files: files)
    }

    /// `WEFT_PLUGIN_PATH`'s folders, in order.
    public static var environmentFolders: [String] {
        guard let env = FileSystem.environment(environmentVariable) else { return [] }
        return env.split(separator: ":", omittingEmptySubsequences: true).map(String.init)
    }

    /// The folder of the running executable.
    public static func executableDirectory() -> String? {
        guard let exe = FileSystem.executablePath(), let slash = exe.lastIndex(of: "/") else { return nil }
        return String(exe[..<slash])
    }

    mutating func merge(_ other: PluginSearchPath) {
        files += other.files
        folders += other.folders
    }
}
