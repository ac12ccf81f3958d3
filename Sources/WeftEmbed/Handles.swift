import WeftNative
import CWeft
import WeftScheduler

/// An object the C API hands out as an opaque handle.
protocol EmbedObject: AnyObject, Sendable {
    /// The C type name, for messages: "weft_engine_t".
    static var typeName: String { get }
}

/// The live handles of the C API.
///
/// A handle is not a pointer to the object: it is a number from a counter
/// that never repeats, looked up here on every call. So NULL, a handle
/// already destroyed (a double destroy), a handle of another kind or any
/// other pointer is recognised and refused — never dereferenced — and a
/// stale handle can never come to mean a newer object.
enum Handles {
    private struct Table {
        var next: UInt = 0x1_0000
        var objects: [UInt: any EmbedObject] = [:]
    }
    // A pthread mutex rather than Synchronization.Mutex: ThreadSanitizer
    // sees its ordering (the stdlib's futex-based Mutex, handed over by the
    // kernel when contended, showed up as races in a TSan-built host).
    private static let lock = ConditionLock()
    nonisolated(unsafe) private static var tableStorage = Table()
    private static func withTable<R>(_ body: (inout Table) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&tableStorage)
    }

    /// Registers `object` and returns its new handle.
    static func make(_ object: some EmbedObject) -> OpaquePointer {
        let id = withTable { t -> UInt in
            let id = t.next
            t.next += 16  // looks like an aligned pointer to tools that print it
            t.objects[id] = object
            return id
        }
        return OpaquePointer(bitPattern: id)!
    }

    /// The live object of kind `T` behind `handle`.
    static func get<T: EmbedObject>(_ handle: OpaquePointer?, _ type: T.Type, _ function: String) -> Result<T, APIError> {
        guard let handle else {
            return .failure(APIError(WEFT_ERR_INVALID, "\(function): the \(T.typeName) handle is NULL"))
        }
        let id = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))
        let object = withTable { $0.objects[id] }
        return check(object, id, T.self, function)
    }

    /// Removes the handle and returns its object (which lives on while
    /// graphs or runs still hold it).
    static func remove<T: EmbedObject>(_ handle: OpaquePointer?, _ type: T.Type, _ function: String) -> Result<T, APIError> {
        guard let handle else {
            return .failure(APIError(WEFT_ERR_INVALID, "\(function): the \(T.typeName) handle is NULL"))
        }
        let id = UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(handle)))
        let object = withTable { t -> (any EmbedObject)? in
            guard let o = t.objects[id], o is T else { return t.objects[id] }
            return t.objects.removeValue(forKey: id)
        }
        return check(object, id, T.self, function)
    }

    private static func check<T: EmbedObject>(_ object: (any EmbedObject)?, _ id: UInt, _ type: T.Type,
                                              _ function: String) -> Result<T, APIError> {
        guard let object else {
            return .failure(APIError(WEFT_ERR_HANDLE, "\(function): 0x\(String(id, radix: 16)) is not a live \(T.typeName) "
                                         + "(destroyed already, or not a handle this library made)"))
        }
        guard let typed = object as? T else {
            return .failure(APIError(WEFT_ERR_HANDLE, "\(function): the handle is a \(Swift.type(of: object).typeName), "
                                         + "not a \(T.typeName)"))
        }
        return .success(typed)
    }

    /// The number of live handles (for tests and leak checks).
    static var count: Int { withTable { $0.objects.count } }
}
