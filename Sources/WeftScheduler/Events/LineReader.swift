import WeftNative
#if canImport(Glibc)
import Glibc
#endif

/// Why a `LineReader` could not be created.
public struct LineReaderError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }

    init(_ message: String) { self.message = message }
}

/// Reads lines from a file descriptor (stdin, a pipe) or a file, optionally
/// following the file like `tail -F`, on a thread of its own.
///
/// - A descriptor (and a file that is not followed) is read with `poll` on
///   the descriptor plus a wake-up pipe, so `stop()` ends a blocked read at
///   once.
/// - A followed regular file is read to its current end, then **polled every
///   50 ms** (no inotify: it works the same on every file system, including
///   network ones, and needs no extra descriptor). At each poll the reader
///   checks, with `fstat`/`stat`, whether the file shrank below the read
///   position (truncated: read again from 0) or whether the path now names
///   another file (different device/inode: the old file is read to its end,
///   then the new one is opened and read from its start). A path that is
///   missing for a while (between rename and re-creation) is waited for.
///   As with `tail`, a truncation followed by writes that grow the file past
///   the old position before the next poll cannot be seen.
///   A partial line (no newline yet) pending when the file is truncated or
///   replaced is delivered as a line, since no more of it will come.
/// - A file that is not regular (FIFO, character device) is read like a
///   descriptor even with `follow`, and `fromStart` is ignored for it.
///
/// Lines are delivered without "\n" (and without a "\r" just before it),
/// with invalid UTF-8 repaired. A line longer than 1 MiB is delivered in
/// pieces of at most 1 MiB, cut at a UTF-8 character boundary when one lies
/// within the last 3 bytes of the piece.
public final class LineReader: @unchecked Sendable {
    public enum Source: Sendable, Equatable {
        /// Reads the descriptor to its end; the reader does not close it.
        case fileDescriptor(Int32)
        /// `follow` false: read the file to its end, then finish.
        /// `follow` true: like `tail -F`, see the type's documentation;
        /// `fromStart` false starts at the end of the file as it is when
        /// `start` is called.
        case file(path: String, follow: Bool, fromStart: Bool)
    }

    /// The longest line delivered in one piece.
    static let maxLineBytes = 1 << 20

    private let source: Source
    private let shared: Shared
    /// The source descriptor until `start` hands it to the reader thread.
    private var fd: Int32
    private let ownsFD: Bool
    private let regular: Bool

    /// Throws (message naming the path and strerror) if a file cannot be
    /// opened, or if the descriptor is not open.
    public init(_ source: Source) throws(LineReaderError) {
        self.source = source
        switch source {
        case .fileDescriptor(let descriptor):
            guard descriptor >= 0, fcntl(descriptor, F_GETFD) != -1 else {
                throw LineReaderError("cannot read file descriptor \(descriptor): \(errnoMessage(EBADF))")
            }
            fd = descriptor
            ownsFD = false
            regular = false
        case .file(let path, _, _):
            // O_NONBLOCK so that opening a FIFO does not wait for a writer;
            // cleared again right after.
            let opened = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard opened >= 0 else { throw LineReaderError("cannot open \(path): \(errnoMessage(errno))") }
            var st = stat()
            if fstat(opened, &st) != 0 {
                let message = errnoMessage(errno)
                close(opened)
                throw LineReaderError("cannot open \(path): \(message)")
            }
            if st.st_mode & S_IFMT == S_IFDIR {
                close(opened)
                throw LineReaderError("cannot open \(path): \(errnoMessage(EISDIR))")
            }
            let flags = fcntl(opened, F_GETFL)
            if flags >= 0 { _ = fcntl(opened, F_SETFL, flags & ~O_NONBLOCK) }
            fd = opened
            ownsFD = true
            regular = st.st_mode & S_IFMT == S_IFREG
        }
        var pipeFDs: [Int32] = [-1, -1]
        guard makeWakePipe(&pipeFDs) else {
            let message = errnoMessage(errno)
            if ownsFD { close(fd) }
            throw LineReaderError("cannot create a wake-up pipe: \(message)")
        }
        shared = Shared(wakeRead: pipeFDs[0], wakeWrite: pipeFDs[1])
    }

    deinit { stop() }

    /// Starts a thread of its own: `line` for each complete line in order;
    /// a final line without newline is delivered at EOF (not while
    /// following). `finished` is called once when the source ends (EOF of a
    /// descriptor or an unfollowed file: nil; a read error: its message),
    /// never after `stop()` returned. Only the first call does anything.
    public func start(line: @escaping @Sendable (String) -> Void,
                      finished: @escaping @Sendable (String?) -> Void) {
        shared.lock.lock()
        guard case .idle = shared.state else {
            shared.lock.unlock()
            return
        }
        let label: String
        var path: String?
        var following = false
        switch source {
        case .fileDescriptor(let descriptor):
            label = "file descriptor \(descriptor)"
        case .file(let filePath, let follow, let fromStart):
            label = filePath
            if follow && regular {
                following = true
                path = filePath
                // Positioned here, not on the thread: whatever is appended
                // once `start` has returned is delivered.
                if !fromStart { lseek(fd, 0, SEEK_END) }
            }
        }
        let worker = Worker(fd: fd, ownsFD: ownsFD, label: label, followPath: following ? path : nil,
                            shared: shared, line: line, finished: finished)
        fd = -1
        if let thread = POSIXThread.spawnJoinable({ worker.run() }) {
            shared.state = .running(thread)
            shared.lock.unlock()
        } else {
            // No thread: the worker never ran; clean up as `stop` would.
            shared.state = .stopped
            shared.lock.unlock()
            worker.closeSource()
            shared.closeWakePipe()
            finished("cannot start a thread to read \(label)")
        }
    }

    /// Stops promptly even while blocked waiting for input, and joins the
    /// thread: no callback after it returns. Idempotent. Called from a
    /// callback, it returns at once and the reader thread ends as soon as
    /// the callback returns.
    public func stop() {
        shared.lock.lock()
        switch shared.state {
        case .idle:
            shared.state = .stopped
            shared.stopRequested = true
            let unstarted = fd
            fd = -1
            shared.lock.unlock()
            if ownsFD && unstarted >= 0 { close(unstarted) }
            shared.closeWakePipe()
        case .stopped:
            shared.lock.unlock()
        case .stopping(let thread):
            // Another thread is joining. From the reader thread (a callback)
            // waiting would deadlock; the stop flag is already set.
            if pthread_equal(thread, pthread_self()) == 0 {
                while case .stopping = shared.state { shared.lock.wait() }
            }
            shared.lock.unlock()
        case .running(let thread):
            shared.stopRequested = true
            if pthread_equal(thread, pthread_self()) != 0 {
                // From a callback: the thread sees the flag when the callback
                // returns, closes the wake-up pipe and exits on its own.
                shared.state = .stopped
                shared.detached = true
                shared.lock.unlock()
                pthread_detach(thread)
                return
            }
            shared.state = .stopping(thread)
            shared.lock.unlock()
            shared.wake()
            pthread_join(thread, nil)
            shared.closeWakePipe()
            shared.lock.lock()
            shared.state = .stopped
            shared.lock.broadcast()
            shared.lock.unlock()
        }
    }
}

// MARK: - Helpers

func errnoMessage(_ code: Int32) -> String {
    String(cString: strerror(code))
}

/// A close-on-exec, non-blocking pipe (Glibc's Swift module has no pipe2).
private func makeWakePipe(_ fds: inout [Int32]) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    for fd in fds {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }
    return true
}
