import WeftNative
#if canImport(Glibc)
import Glibc
#endif

/// One change to a watched file or to an entry of a watched folder.
public struct FileChange: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case created, modified, deleted, moved
    }

    /// Full path of the file that changed (the watched folder's path, made
    /// absolute, joined with the entry's name).
    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }
}

/// Why a `FileWatcher` could not be created. The message names the path.
public struct FileWatchError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    init(_ message: String) { self.message = message }
}

/// Watches a folder, or a single file through its folder, with inotify, on a
/// POSIX thread of its own; optionally debounces the changes per path.
///
/// Debounce: every change to a path (re)starts that path's quiet window; when
/// the window has passed without a new change, one change is reported:
/// - created, then modified → created; created, then deleted → nothing;
/// - anything else, then deleted → deleted; modified, then modified → modified;
/// - moved, then anything but deleted → moved; anything, then moved → moved;
/// - deleted, then created or modified (the file was replaced) → modified.
/// Changes still waiting for their window when `stop()` is called are dropped.
/// If the kernel's event queue overflows (IN_Q_OVERFLOW), the lost events are
/// not reported.
public final class FileWatcher: @unchecked Sendable {
    private enum State {
        case idle
        case running(pthread_t)
        case stopping(pthread_t)
        case stopped
    }

    private let core: FileWatchCore
    /// Guards `state`; its condition is broadcast when a stop completes.
    private let lock = ConditionLock()
    private var state = State.idle

    /// Watches `path`: a folder (changes to the entries directly inside it) or
    /// a single file (watched through its parent folder, filtered by name, so
    /// deleting and re-creating it keeps working).
    /// `kinds`: which kinds to report. `debounceMilliseconds`: 0 reports each
    /// change at once; otherwise changes to the same path are coalesced until
    /// that path has been quiet for the window, then one change is reported.
    public init(path: String, kinds: Set<FileChange.Kind> = Set(FileChange.Kind.allCases),
                debounceMilliseconds: Int = 100) throws(FileWatchError) {
        core = try FileWatchCore(path: path, kinds: kinds,
                                 debounceNanoseconds: UInt64(max(0, debounceMilliseconds)) * 1_000_000)
    }

    deinit { stop() }

    /// Starts a thread of its own that calls `handler` for each reported
    /// change, in order. Call once; later calls (and calls after `stop()`) do
    /// nothing.
    public func start(_ handler: @escaping @Sendable (FileChange) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard case .idle = state else { return }
        let core = self.core
        guard let tid = POSIXThread.spawnJoinable({ core.run(handler) }) else {
            fatalError("FileWatcher: cannot start a thread for '\(core.displayPath)' (pthread_create failed)")
        }
        state = .running(tid)
    }

    /// Stops the thread and joins it: after `stop` returns, the handler is
    /// never called again. Safe to call more than once, without `start`, from
    /// several threads and from the handler itself (which then finishes its
    /// current call; no call follows).
    public func stop() {
        lock.lock()
        switch state {
        case .idle:
            state = .stopped
            lock.unlock()
            core.close()
        case .stopped:
            lock.unlock()
        case .stopping(let tid):
            // Another thread is joining; wait for it, unless this is the
            // watcher thread itself (its handler calling stop).
            if pthread_equal(tid, pthread_self()) == 0 {
                while case .stopping = state { lock.wait() }
            }
            lock.unlock()
        case .running(let tid):
            state = .stopping(tid)
            lock.unlock()
            core.requestStop()
            if pthread_equal(tid, pthread_self()) != 0 {
                // Called from the handler: the thread ends when the handler
                // returns; it cannot join itself. The core closes its
                // descriptors once the thread has released it.
                pthread_detach(tid)
            } else {
                pthread_join(tid, nil)
                core.close()
            }
            lock.lock()
            state = .stopped
            lock.broadcast()
            lock.unlock()
        }
    }
}
