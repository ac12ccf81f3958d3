#if canImport(Glibc)
import Glibc
#endif

/// A test hook: records the thread of every `dlclose` of a plugin
/// (`LoadedPlugin.unload()`), so tests can check where unloading happens.
/// Off (records nothing) until a test turns it on. Thread-safe.
package enum UnloadHook {
    /// One `dlclose`: the plugin file and the calling thread (`pthread_self`).
    package struct Record: Sendable, Equatable {
        package var path: String
        package var thread: UInt

        package init(path: String, thread: UInt) {
            self.path = path
            self.thread = thread
        }
    }

    private static let lock = ConditionLock()
    nonisolated(unsafe) private static var enabled = false
    nonisolated(unsafe) private static var records: [Record] = []

    /// Starts recording (tests running at once share the records: each
    /// looks at the paths of its own plugins).
    package static func start() {
        lock.withLock { enabled = true }
    }

    /// The records so far.
    package static var recorded: [Record] { lock.withLock { records } }

    /// Makes the lock (see `HostTable.make`).
    static func prepare() { _ = lock }

    static func record(path: String) {
        lock.withLock {
            if enabled { records.append(Record(path: path, thread: UInt(pthread_self()))) }
        }
    }
}
