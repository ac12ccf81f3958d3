// FileWatchCore: the inotify descriptors and the watcher thread behind a FileWatcher, with the debounce.

import WeftNative
#if canImport(Glibc)
import Glibc
#endif

private func errorText(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "error \(code)" }
    return String(cString: text)
}

// inotify event bits (linux/inotify.h; stable kernel ABI).
private let inModify: UInt32 = 0x0000_0002
private let inCloseWrite: UInt32 = 0x0000_0008
private let inMovedFrom: UInt32 = 0x0000_0040
private let inMovedTo: UInt32 = 0x0000_0080
private let inCreate: UInt32 = 0x0000_0100
private let inDelete: UInt32 = 0x0000_0200
private let inDeleteSelf: UInt32 = 0x0000_0400
private let inMoveSelf: UInt32 = 0x0000_0800
private let inQueueOverflow: UInt32 = 0x0000_4000
private let inIgnored: UInt32 = 0x0000_8000

/// The state the watcher thread shares with `FileWatcher`: the descriptors,
/// the settings and the stop flag. Retained by the thread while it runs, so
/// the descriptors stay open until both are done with them.
final class FileWatchCore: @unchecked Sendable {
    let displayPath: String
    /// The watched folder, absolute, without a trailing slash.
    let folder: String
    /// Set when watching a single file: only this entry of `folder` counts.
    let fileName: String?
    let kinds: Set<FileChange.Kind>
    let debounceNanoseconds: UInt64

    private let inotifyFD: Int32
    private let watchDescriptor: Int32
    /// A socket pair: `stop` writes to [1] to wake the thread's poll on [0].
    private let wakeFDs: (Int32, Int32)

    private let lock = ConditionLock()
    private var stopRequested = false  // guarded by lock
    private var closed = false  // guarded by lock

    init(path: String, kinds: Set<FileChange.Kind>, debounceNanoseconds: UInt64) throws(FileWatchError) {
        displayPath = path
        self.kinds = kinds
        self.debounceNanoseconds = debounceNanoseconds
        func failure(_ what: String) -> FileWatchError {
            FileWatchError("file watcher: cannot watch '\(path)': \(what)")
        }
        guard !path.isEmpty else { throw failure("the path is empty") }

        var info = stat()
        guard stat(path, &info) == 0 else { throw failure(errorText(errno)) }
        guard access(path, R_OK) == 0 else { throw failure("not readable: \(errorText(errno))") }

        let absolute = Self.absolute(path)
        if (info.st_mode & S_IFMT) == S_IFDIR {
            folder = absolute
            fileName = nil
        } else {
            let slash = absolute.lastIndex(of: "/")!  // absolute paths have one
            let parent = String(absolute[..<slash])
            folder = parent.isEmpty ? "/" : parent
            fileName = String(absolute[absolute.index(after: slash)...])
        }

        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else {
            let code = errno
            if code == EMFILE {
                throw failure("inotify_init1: \(errorText(code)) (the open file limit or the inotify instance limit "
                              + "was reached; raise fs.inotify.max_user_instances or close other watchers)")
            }
            throw failure("inotify_init1: \(errorText(code))")
        }
        let mask = inCreate | inModify | inCloseWrite | inDelete | inMovedFrom | inMovedTo | inDeleteSelf | inMoveSelf
        let wd = inotify_add_watch(fd, folder, mask)
        guard wd >= 0 else {
            let code = errno
            Glibc.close(fd)
            let watched = fileName == nil ? "" : " (watching its folder '\(folder)')"
            if code == ENOSPC {
                throw failure("inotify_add_watch\(watched): \(errorText(code)): the limit on inotify watches was "
                              + "reached; raise fs.inotify.max_user_watches "
                              + "(e.g. sudo sysctl fs.inotify.max_user_watches=524288)")
            }
            throw failure("inotify_add_watch\(watched): \(errorText(code))")
        }

        var pair: [Int32] = [-1, -1]
        let socketType = Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue)
        guard socketpair(AF_UNIX, socketType, 0, &pair) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw failure("socketpair (wake-up channel): \(errorText(code))")
        }
        inotifyFD = fd
        watchDescriptor = wd
        wakeFDs = (pair[0], pair[1])
    }

    deinit { close() }

    /// `path` made absolute (against the working directory, symbolic links
    /// kept) without trailing slashes.
    private static func absolute(_ path: String) -> String {
        var result = path
        if !result.hasPrefix("/"), let cwd = getcwd(nil, 0) {
            let base = String(cString: cwd)
            free(cwd)
            result = base.hasSuffix("/") ? base + result : base + "/" + result
        }
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return result
    }

    /// Closes the descriptors; once only. Call when no thread polls them.
    func close() {
        lock.lock()
        let wasClosed = closed
        closed = true
        lock.unlock()
        guard !wasClosed else { return }
        Glibc.close(inotifyFD)
        Glibc.close(wakeFDs.0)
        Glibc.close(wakeFDs.1)
    }

    func requestStop() {
        lock.lock()
        stopRequested = true
        let skip = closed
        lock.unlock()
        guard !skip else { return }
        var byte: UInt8 = 1
        _ = write(wakeFDs.1, &byte, 1)
    }

    private var isStopRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    // MARK: The watcher thread

    private struct Pending {
        /// nil: the changes cancelled out (created, then deleted).
        var kind: FileChange.Kind?
        var deadline: UInt64
        var sequence: UInt64
    }

    func run(_ handler: @Sendable (FileChange) -> Void) {
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 8)
        defer { buffer.deallocate() }
        var pending: [String: Pending] = [:]
        var sequence: UInt64 = 0
        var fds = [pollfd(fd: inotifyFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: wakeFDs.0, events: Int16(POLLIN), revents: 0)]

        /// Reports `change` unless it is filtered out or a stop was requested
        /// (possibly by the handler itself); false once stopping.
        func emit(_ change: FileChange) -> Bool {
            if isStopRequested { return false }
            if kinds.contains(change.kind) { handler(change) }
            return true
        }

        while !isStopRequested {
            var timeout: Int32 = -1
            if let next = pending.values.map(\.deadline).min() {
                let now = MonotonicClock.now()
                let wait = next > now ? (next - now + 999_999) / 1_000_000 : 0
                timeout = Int32(min(wait, 60_000))
            }
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, 2, timeout)
            if ready < 0 {
                if errno == EINTR || errno == ENOMEM || errno == EAGAIN {
                    if errno != EINTR { usleep(10_000) }
                    continue
                }
                return
            }
            if fds[1].revents != 0 { return }  // woken by stop()

            if fds[0].revents & Int16(POLLIN) != 0 {
                let now = MonotonicClock.now()
                var changes: [FileChange] = []
                drain(buffer: buffer, size: bufferSize, into: &changes)
                for change in changes {
                    if debounceNanoseconds == 0 {
                        guard emit(change) else { return }
                        continue
                    }
                    sequence += 1
                    let deadline = now + debounceNanoseconds
                    if var entry = pending[change.path] {
                        entry.kind = Self.coalesce(entry.kind, change.kind)
                        entry.deadline = deadline
                        entry.sequence = sequence
                        pending[change.path] = entry
                    } else {
                        pending[change.path] = Pending(kind: change.kind, deadline: deadline, sequence: sequence)
                    }
                }
            } else if fds[0].revents != 0 {
                return  // POLLERR / POLLNVAL on the inotify descriptor: nothing more will come
            }

            if !pending.isEmpty {
                let now = MonotonicClock.now()
                let due = pending.filter { $0.value.deadline <= now }
                    .sorted { ($0.value.deadline, $0.value.sequence) < ($1.value.deadline, $1.value.sequence) }
                for (path, entry) in due {
                    pending[path] = nil
                    if let kind = entry.kind {
                        guard emit(FileChange(path: path, kind: kind)) else { return }
                    }
                }
            }
        }
    }

    /// Reads every queued inotify event and appends the changes they report.
    private func drain(buffer: UnsafeMutableRawPointer, size: Int, into changes: inout [FileChange]) {
        while true {
            let count = read(inotifyFD, buffer, size)
            if count < 0 {
                if errno == EINTR { continue }
                return  // EAGAIN: the queue is empty
            }
            if count == 0 { return }
            var offset = 0
            let headerSize = 16  // wd, mask, cookie, len: four 32-bit fields
            while offset + headerSize <= count {
                let wd = buffer.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = buffer.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let nameLength = Int(buffer.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                var name = ""
                if nameLength > 0 {
                    let start = buffer + offset + headerSize
                    var end = 0
                    while end < nameLength && start.load(fromByteOffset: end, as: UInt8.self) != 0 { end += 1 }
                    name = String(decoding: UnsafeRawBufferPointer(start: start, count: end), as: UTF8.self)
                }
                offset += headerSize + nameLength
                if let change = change(wd: wd, mask: mask, name: name) { changes.append(change) }
            }
        }
    }

    private func change(wd: Int32, mask: UInt32, name: String) -> FileChange? {
        if mask & (inQueueOverflow | inIgnored) != 0 || wd != watchDescriptor { return nil }
        if name.isEmpty {
            // The watched folder itself. When watching a single file, its
            // folder going away is not a change to the file.
            guard fileName == nil else { return nil }
            if mask & inDeleteSelf != 0 { return FileChange(path: folder, kind: .deleted) }
            if mask & inMoveSelf != 0 { return FileChange(path: folder, kind: .moved) }
            return nil
        }
        if let fileName, name != fileName { return nil }
        let kind: FileChange.Kind
        if mask & inCreate != 0 {
            kind = .created
        } else if mask & (inModify | inCloseWrite) != 0 {
            kind = .modified
        } else if mask & inDelete != 0 {
            kind = .deleted
        } else if mask & (inMovedFrom | inMovedTo) != 0 {
            kind = .moved
        } else {
            return nil
        }
        return FileChange(path: folder == "/" ? "/" + name : folder + "/" + name, kind: kind)
    }

    /// The one change that stands for `old` followed by `new` on one path
    /// (nil: nothing to report).
    static func coalesce(_ old: FileChange.Kind?, _ new: FileChange.Kind) -> FileChange.Kind? {
        guard let old else {
            // Created and deleted again: as if nothing had happened.
            return new == .deleted ? nil : new
        }
        switch (old, new) {
        case (.created, .deleted): return nil
        case (_, .deleted): return .deleted
        case (_, .moved): return .moved
        case (.created, _): return .created
        case (.moved, _): return .moved
        case (.deleted, _): return .modified  // replaced
        case (.modified, _): return .modified
        }
    }
}
