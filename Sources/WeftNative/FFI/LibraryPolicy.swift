#if canImport(Glibc)
import Glibc
#endif

/// Which shared libraries a graph's `ffi` nodes may load.
///
/// A graph that names an arbitrary `.so` runs arbitrary code, so a graph may
/// name only: a system library by soname (`libm.so.6`, found in the system
/// library folders), a library inside a plugin folder, or a library the user
/// allowed explicitly (`--allow-library PATH_OR_GLOB`). See Docs/security.md.
public struct LibraryPolicy: Sendable, Equatable {
    /// Explicitly allowed paths or glob patterns (`fnmatch`, e.g. `./build/*.so`).
    public var allowed: [String]
    /// Plugin folders: libraries inside them are allowed.
    public var pluginFolders: [String]

    /// Where sonames are looked up, in order.
    public static let systemFolders = [
        "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64",
        "/lib", "/usr/lib", "/usr/local/lib",
    ]

    public init(allowed: [String] = [], pluginFolders: [String] = []) {
        self.allowed = allowed
        self.pluginFolders = pluginFolders
    }

    /// The path to `dlopen` for `library`, or why it is refused.
    public func resolve(_ library: String) -> Result<String, LibraryRefusal> {
        guard !library.isEmpty else {
            return .failure(LibraryRefusal(library: library, message: "library is empty (dlopen(\"\") would open the host itself)"))
        }
        if !library.contains("/") {
            // A soname: the system folders, then the plugin folders.
            for dir in Self.systemFolders + pluginFolders {
                let candidate = dir + "/" + library
                if FileSystem.kind(candidate) == .file { return .success(candidate) }
            }
            if matchesAllowList(library) { return .success(library) }
            return .failure(LibraryRefusal(
                library: library,
                message: "no library named '\(library)' in the system library folders or the plugin folders; "
                    + "give a path, or allow it with --allow-library"))
        }
        guard FileSystem.kind(library) == .file, let real = FileSystem.realPath(library) else {
            return .failure(LibraryRefusal(library: library, message: "no such file '\(library)'"))
        }
        let inside = (Self.systemFolders + pluginFolders).contains { folder in
            guard let dir = FileSystem.realPath(folder) else { return false }
            return real.hasPrefix(dir.hasSuffix("/") ? dir : dir + "/")
        }
        if inside || matchesAllowList(library) || matchesAllowList(real) { return .success(real) }
        return .failure(LibraryRefusal(
            library: library,
            message: "not allowed: a graph may load only system libraries by soname (e.g. libm.so.6), libraries in a "
                + "plugin folder, or libraries you allow with --allow-library PATH_OR_GLOB (here: --allow-library '\(library)'); "
                + "see Docs/security.md"))
    }

    func matchesAllowList(_ path: String) -> Bool {
        allowed.contains { pattern in
            if pattern == path { return true }
            if let a = FileSystem.realPath(pattern), a == path { return true }
            return fnmatch(pattern, path, FNM_PATHNAME) == 0
        }
    }
}

/// A library a graph may not load, and why.
public struct LibraryRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public var library: String
    public var message: String
    public var description: String { "library '\(library)': \(message)" }
}
