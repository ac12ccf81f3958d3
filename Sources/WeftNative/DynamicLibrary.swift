#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An error from the dynamic loader, carrying `dlerror()`'s text.
struct DynamicLoaderError: Error, Sendable {
    /// The failing function: `dlopen`, `dlsym` or `dlclose`.
    var function: String
    /// `dlerror()`'s text, or a description when it had none.
    var message: String
}

/// The raw calls into the dynamic loader, all in one place.
///
/// Each wrapper clears `dlerror()` first and reads it right after the call,
/// so the message belongs to that call. Not thread-safe in the sense that
/// `dlerror` is per thread: call and read on one thread (these do).
enum DL {
    /// Opens a shared library with `RTLD_NOW | RTLD_LOCAL`: unresolved symbols
    /// fail here, not at first call, and symbols of one plugin never satisfy
    /// another's. The corresponding C function is `dlopen`.
    /// An empty path is refused (`dlopen("")` would return the host itself).
    static func open(_ path: String) -> Result<UnsafeMutableRawPointer, DynamicLoaderError> {
        guard !path.isEmpty else {
            return .failure(DynamicLoaderError(function: "dlopen", message: "empty path"))
        }
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(DynamicLoaderError(function: "dlopen", message: lastError() ?? "dlopen failed"))
        }
        return .success(handle)
    }

    /// Looks a symbol up in one library. The corresponding C function is `dlsym`.
    static func symbol(_ handle: UnsafeMutableRawPointer, _ name: String) -> Result<UnsafeMutableRawPointer, DynamicLoaderError> {
        _ = dlerror()
        let p = dlsym(handle, name)
        if let error = lastError() {
            return .failure(DynamicLoaderError(function: "dlsym", message: error))
        }
        guard let p else {
            return .failure(DynamicLoaderError(function: "dlsym", message: "symbol \(name) is NULL"))
        }
        return .success(p)
    }

    /// Looks a symbol up in the process's global scope (`RTLD_DEFAULT`), the
    /// way a library's own undefined references (e.g. `malloc`) resolve.
    static func globalSymbol(_ name: String) -> UnsafeMutableRawPointer? {
        _ = dlerror()
        return dlsym(nil, name)
    }

    /// Closes a library. The corresponding C function is `dlclose`.
    static func close(_ handle: UnsafeMutableRawPointer) {
        _ = dlclose(handle)
    }

    @inline(never)
    private static func lastError() -> String? {
        guard let e = dlerror() else { return nil }
        return String(cString: e)
    }
}

/// File-system facts the loader, the CLI and the C API need, through POSIX
/// calls (no Foundation in the libraries).
package enum FileSystem {
    package enum Kind { case missing, file, directory, other }

    /// A whole file, or nil (errno says why).
    package static func read(_ path: String) -> [UInt8]? {
        guard let f = fopen(path, "rb") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n > 0 { out.append(contentsOf: buf[0..<n]) }
            if n < buf.count {
                if ferror(f) != 0 { return nil }
                break
            }
        }
        return out
    }

    package static func kind(_ path: String) -> Kind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The canonical absolute path (symlinks resolved), or nil.
    package static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// Names in a directory (not `.`/`..`), sorted by their bytes, or the
    /// `errno` text.
    static func list(_ dir: String) -> Result<[String], DynamicLoaderError> {
        guard let d = opendir(dir) else {
            return .failure(DynamicLoaderError(function: "opendir", message: String(cString: strerror(errno))))
        }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        return .success(names)
    }

    /// The running executable's path (`/proc/self/exe`).
    package static func executablePath() -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The environment variable `name`, or nil.
    package static func environment(_ name: String) -> String? {
        guard let v = getenv(name) else { return nil }
        return String(cString: v)
    }
}
