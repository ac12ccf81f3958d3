#if canImport(Glibc)
import Glibc
#endif

/// A file that always ends with a fixed suffix: each `append` writes its
/// bytes over the previous suffix and the suffix after them, in one
/// `pwrite`. A document written this way (`[` … `]`) is complete after every
/// append, so a process that dies between appends (a crash, SIGKILL)
/// leaves a valid file holding everything appended so far.
///
/// Not thread-safe; owners lock. Write errors cannot be reported where
/// they happen; the first one is kept and thrown by `close()`.
final class SuffixedFile {
    let path: String
    private var fd: Int32
    private let suffix: [UInt8]
    /// Where the suffix starts: the bytes before it are the content.
    private var end: Int64 = 0
    /// The first write error; reported by `close()`.
    private(set) var firstError: OutputFileError?

    /// Creates (or truncates) the file at `path` and writes `prefix` and
    /// `suffix` to it. Throws naming the path and the system's reason.
    init(path: String, prefix: String, suffix: String) throws(OutputFileError) {
        self.path = path
        self.suffix = Array(suffix.utf8)
        // O_CLOEXEC: plugins that spawn processes do not inherit it.
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw OutputFileError(path: path, action: "cannot open for writing", errno: errno) }
        append(Array(prefix.utf8))
        if let firstError {
            Glibc.close(fd)
            fd = -1
            throw firstError
        }
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }

    var isOpen: Bool { fd >= 0 }

    /// Writes `bytes` followed by the suffix where the suffix was. Does
    /// nothing after an error or `close()`.
    func append(_ bytes: [UInt8]) {
        guard fd >= 0, firstError == nil else { return }
        var out = bytes
        out.append(contentsOf: suffix)
        let ok = out.withUnsafeBytes { buf -> Bool in
            guard let base = buf.baseAddress else { return true }
            var done = 0
            while done < buf.count {
                let n = pwrite(fd, base + done, buf.count - done, off_t(end) + off_t(done))
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
        if ok {
            end += Int64(bytes.count)
        } else {
            firstError = OutputFileError(path: path, action: "cannot write", errno: errno)
        }
    }

    /// Closes the file; throws the first error seen. Idempotent.
    func close() throws(OutputFileError) {
        guard fd >= 0 else { return }
        let f = fd
        fd = -1
        if Glibc.close(f) != 0 && firstError == nil {
            firstError = OutputFileError(path: path, action: "cannot close", errno: errno)
        }
        if let firstError { throw firstError }
    }
}
