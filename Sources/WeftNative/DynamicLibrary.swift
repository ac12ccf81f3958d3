import CWeftShims
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

    /// Why `read(_:limit:)` gave no bytes.
    package enum ReadError: Error, Equatable {
        /// A system call failed, with this `errno` value.
        case system(Int32)
        /// The file holds more than `limit` bytes; reading stopped at the
        /// limit. `size` is the file's size when it is a regular file, nil
        /// for a pipe or device (`/dev/zero`, `yes |`) that was still going.
        case tooLarge(limit: Int, size: Int?)

        /// What went wrong, without the path: `No such file or directory`,
        /// `it is 2000000 bytes, more than the limit of 1048576 bytes (1 MiB)`.
        package var reason: String {
            switch self {
            case .system(let code):
                return strerror(code).map { String(cString: $0) } ?? "error \(code)"
            case .tooLarge(let limit, let size?):
                return "it is \(size) bytes, more than the limit of \(FileSystem.sizeText(limit))"
            case .tooLarge(let limit, nil):
                return "it holds more than the limit of \(FileSystem.sizeText(limit)); reading stopped there"
            }
        }
    }

    /// The default most bytes a graph file may hold: 1 GiB.
    package static let defaultGraphLimit = 1 << 30

    /// A whole file of at most `limit` bytes. A bigger regular file is
    /// refused from its size, before reading; anything else (a pipe,
    /// `/dev/stdin`, a device, a file that grows) is read until EOF or
    /// until it passes the limit — at most `limit` + 1 bytes are read, so
    /// an endless input (`/dev/zero`) is refused, never held whole.
    package static func read(_ path: String, limit: Int) -> Result<[UInt8], ReadError> {
        guard let f = fopen(path, "rbe") else { return .failure(.system(errno)) }
        defer { fclose(f) }
        var st = stat()
        let regular = fstat(fileno(f), &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        let expected = regular ? Int(st.st_size) : 0
        if expected > limit { return .failure(.tooLarge(limit: limit, size: expected)) }
        // A regular file is read into one buffer of its size; anything else
        // in chunks after that.
        var out = [UInt8](repeating: 0, count: expected)
        if expected > 0 {
            let n = out.withUnsafeMutableBytes { fread($0.baseAddress, 1, expected, f) }
            if n < expected {
                if ferror(f) != 0 { return .failure(.system(errno)) }
                out.removeLast(expected - n)
                return .success(out)
            }
        }
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let room = limit - out.count  // 0...limit: one byte past it tells a bigger input
            let want = room >= buf.count ? buf.count : room + 1
            let n = fread(&buf, 1, want, f)
            if n > 0 { out.append(contentsOf: buf[0..<n]) }
            if out.count > limit { return .failure(.tooLarge(limit: limit, size: nil)) }
            if n < want {
                if ferror(f) != 0 { return .failure(.system(errno)) }
                return .success(out)
            }
        }
    }

    /// A byte count for people: `1073741824 bytes (1 GiB)`, `1000 bytes`.
    package static func sizeText(_ bytes: Int) -> String {
        for (shift, unit) in [(30, "GiB"), (20, "MiB"), (10, "KiB")] where bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return "\(bytes) bytes (\(bytes >> shift) \(unit))"
        }
        return "\(bytes) bytes"
    }

    package static func kind(_ path: String) -> Kind {
        status(path).kind
    }

    /// Which file a path names: device and inode, the same for every path
    /// (symlink, hard link, `./x` or absolute) that reaches it.
    package struct Identity: Hashable, Sendable {
        var device: UInt64
        var inode: UInt64
    }

    /// The kind of `path` and, if it exists, its identity: one `stat`.
    package static func status(_ path: String) -> (kind: Kind, identity: Identity?) {
        var st = stat()
        guard stat(path, &st) == 0 else { return (.missing, nil) }
        let identity = Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
        switch st.st_mode & S_IFMT {
        case S_IFREG: return (.file, identity)
        case S_IFDIR: return (.directory, identity)
        default: return (.other, identity)
        }
    }

    /// The canonical absolute path (symlinks resolved), or nil.
    package static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// What `readdir` says of an entry without a `stat`: a regular file, a
    /// folder, something else, or unknown (a symlink, or a file system that
    /// does not say) — then `stat` it.
    enum EntryKind { case file, directory, other, unknown }

    /// Names in a directory (not `.`/`..`) with their `d_type`, sorted by
    /// their bytes, or the `errno` text.
    static func list(entries dir: String) -> Result<[(name: String, kind: EntryKind)], DynamicLoaderError> {
        guard let d = opendir(dir) else {
            return .failure(DynamicLoaderError(function: "opendir", message: String(cString: strerror(errno))))
        }
        defer { closedir(d) }
        var entries: [(name: String, kind: EntryKind)] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard name != "." && name != ".." else { continue }
            let kind: EntryKind
            switch Int32(e.pointee.d_type) {
            case Int32(DT_REG): kind = .file
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK), Int32(DT_UNKNOWN): kind = .unknown
            default: kind = .other
            }
            entries.append((name, kind))
        }
        entries.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return .success(entries)
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

/// How the process's allocator treats freed memory (see `Weft.keepFreedMemory`).
package enum ProcessMemory {
    /// Blocks up to `mappingsAbove` bytes come from the heap; up to
    /// `keepUpTo` freed bytes stay with the process.
    package static func keepFreed(mappingsAbove: Int, keepUpTo: Int) {
        weft_shim_keep_freed_memory(mappingsAbove, keepUpTo)
    }
}
