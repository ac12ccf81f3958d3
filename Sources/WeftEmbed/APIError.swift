import WeftNative
import CWeft
import CWeftShims
import WeftScheduler
#if canImport(Glibc)
import Glibc
#endif

/// A failed C API call: the status to return and the message for
/// `weft_last_error()`.
struct APIError: Error {
    var status: Int32
    var message: String

    init(_ status: Int32, _ message: String) {
        self.status = status
        self.message = message
    }
}

/// Runs the body of a C API function: WEFT_OK, or the error's status with
/// its message stored as this thread's last error.
@inline(__always)
func api(_ body: () throws(APIError) -> Void) -> Int32 {
    do {
        try body()
        return WEFT_OK
    } catch {
        weft_shim_set_last_error(error.message)
        return error.status
    }
}

/// Records `error` as the last error without returning a status (for
/// functions that return a value rather than a status).
func record(_ error: APIError) {
    weft_shim_set_last_error(error.message)
}

extension Handles {
    static func object<T: EmbedObject>(_ handle: OpaquePointer?, _ type: T.Type, _ function: String) throws(APIError) -> T {
        try get(handle, type, function).get()
    }
}

/// Argument checks shared by the API functions.
enum Arg {
    /// A required C string, as a Swift string (must be UTF-8).
    static func string(_ p: UnsafePointer<CChar>?, _ what: String, _ function: String) throws(APIError) -> String {
        guard let p else { throw APIError(WEFT_ERR_INVALID, "\(function): \(what) is NULL") }
        guard let s = String(validatingCString: p) else {
            throw APIError(WEFT_ERR_INVALID, "\(function): \(what) is not valid UTF-8")
        }
        return s
    }

    /// A required out-pointer.
    static func out<T>(_ p: UnsafeMutablePointer<T>?, _ what: String, _ function: String) throws(APIError) -> UnsafeMutablePointer<T> {
        guard let p else { throw APIError(WEFT_ERR_INVALID, "\(function): the out-pointer \(what) is NULL") }
        return p
    }
}

/// C strings the library hands out.
enum CString {
    /// A malloc'd copy the caller frees with `weft_free` (never NULL: aborts
    /// only if malloc itself fails for a few bytes).
    static func owned(_ s: String) -> UnsafeMutablePointer<CChar> {
        guard let p = strdup(s) else { fatalError("weft: out of memory") }
        return p
    }
}

/// Strings kept for the lifetime of an object and lent out as `const char *`.
final class StringStore: @unchecked Sendable {
    private let lock = ConditionLock()
    private var strings: [UnsafeMutablePointer<CChar>] = []

    /// Keeps a NUL-terminated copy of `s` (embedded NULs included) until
    /// this store is released and returns it.
    func keep(_ s: String) -> UnsafePointer<CChar> {
        var s = s
        let p = s.withUTF8 { bytes -> UnsafeMutablePointer<CChar> in
            let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            if let base = bytes.baseAddress {
                UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: bytes.count)
            }
            p[bytes.count] = 0
            return p
        }
        lock.withLock { strings.append(p) }
        return UnsafePointer(p)
    }

    deinit {
        for p in strings { p.deallocate() }
    }
}
