#if canImport(Glibc)
import Glibc
#endif

/// The few file operations the C API needs, on POSIX calls.
enum FileSystemCheck {
    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// A whole file, or nil (errno says why).
    static func read(_ path: String) -> [UInt8]? {
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
}
