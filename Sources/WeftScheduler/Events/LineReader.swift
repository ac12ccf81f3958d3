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

// MARK: - Shared state

private final class Shared: @unchecked Sendable {
    enum State {
        case idle
        case running(pthread_t)
        case stopping(pthread_t)
        case stopped
    }

    let lock = ConditionLock()
    // All guarded by `lock`.
    var state = State.idle
    var stopRequested = false
    /// stop() was called on the reader thread, which was then detached.
    var detached = false
    private(set) var wakeRead: Int32
    private var wakeWrite: Int32

    init(wakeRead: Int32, wakeWrite: Int32) {
        self.wakeRead = wakeRead
        self.wakeWrite = wakeWrite
    }

    deinit { closeWakePipe() }

    var isStopped: Bool { lock.withLock { stopRequested } }

    func wake() {
        lock.lock()
        var byte: UInt8 = 1
        if wakeWrite >= 0 { _ = write(wakeWrite, &byte, 1) }
        lock.unlock()
    }

    func closeWakePipe() {
        lock.lock()
        if wakeRead >= 0 { close(wakeRead) }
        if wakeWrite >= 0 { close(wakeWrite) }
        wakeRead = -1
        wakeWrite = -1
        lock.unlock()
    }
}

// MARK: - The reader thread

private final class Worker: @unchecked Sendable {
    private var fd: Int32
    private let ownsFD: Bool
    private let label: String
    /// Set when following a regular file.
    private let followPath: String?
    private let shared: Shared
    private let wakeRead: Int32
    private let line: @Sendable (String) -> Void
    private let finished: @Sendable (String?) -> Void
    private var splitter = LineSplitter(maxLine: LineReader.maxLineBytes)
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    init(fd: Int32, ownsFD: Bool, label: String, followPath: String?, shared: Shared,
         line: @escaping @Sendable (String) -> Void, finished: @escaping @Sendable (String?) -> Void) {
        self.fd = fd
        self.ownsFD = ownsFD
        self.label = label
        self.followPath = followPath
        self.shared = shared
        self.wakeRead = shared.wakeRead
        self.line = line
        self.finished = finished
    }

    func closeSource() {
        if ownsFD && fd >= 0 { close(fd) }
        fd = -1
    }

    func run() {
        loop()
        closeSource()
        if shared.lock.withLock({ shared.detached }) { shared.closeWakePipe() }
    }

    private enum Wait { case ready, stop, failed(String) }

    /// Waits until `fd` is readable (or hung up) or a stop is requested.
    private func waitReadable() -> Wait {
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        while true {
            let rc = poll(&fds, 2, -1)
            if rc < 0 {
                if errno == EINTR { continue }
                return .failed("cannot wait for \(label): \(errnoMessage(errno))")
            }
            if fds[0].revents != 0 { return .stop }
            if fds[1].revents & Int16(POLLNVAL) != 0 {
                return .failed("read error on \(label): \(errnoMessage(EBADF))")
            }
            if fds[1].revents != 0 { return .ready }
        }
    }

    /// Sleeps up to `milliseconds`; true if a stop was requested.
    private func sleepUnlessStopped(milliseconds: Int32) -> Bool {
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        let rc = poll(&fds, 1, milliseconds)
        return (rc > 0 && fds[0].revents != 0) || shared.isStopped
    }

    /// One read into `buffer`, retrying EINTR: byte count, 0 at EOF, -1 on
    /// error (errno set), -2 for EAGAIN.
    private func readChunk() -> Int {
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n >= 0 { return n }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return -2 }
            return -1
        }
    }

    /// Appends `count` bytes of `buffer` and delivers the complete lines;
    /// false once a stop is requested.
    private func consume(_ count: Int) -> Bool {
        buffer.withUnsafeBufferPointer { splitter.append(UnsafeBufferPointer(rebasing: $0[0..<count])) }
        while let next = splitter.nextLine() {
            if shared.isStopped { return false }
            line(next)
        }
        return !shared.isStopped
    }

    /// Delivers what is pending without a newline; false once stopped.
    private func flushPartial() -> Bool {
        while let next = splitter.takeRemainder() {
            if shared.isStopped { return false }
            line(next)
        }
        return !shared.isStopped
    }

    private func finish(_ error: String?) {
        if shared.isStopped { return }
        finished(error)
    }

    private func loop() {
        while true {
            switch waitReadable() {
            case .stop: return
            case .failed(let message):
                finish(message)
                return
            case .ready: break
            }
            let n = readChunk()
            if n > 0 {
                if !consume(n) { return }
            } else if n == 0 {
                if followPath != nil {
                    guard let again = checkRotation() else { return }
                    if !again && sleepUnlessStopped(milliseconds: 50) { return }
                } else {
                    if !flushPartial() { return }
                    finish(nil)
                    return
                }
            } else if n == -1 {
                finish("read error on \(label): \(errnoMessage(errno))")
                return
            }
            // n == -2: a non-blocking descriptor with nothing after all; poll again.
        }
    }

    /// At EOF of a followed file: handles truncation and replacement.
    /// nil once stopped; true to read again at once, false to wait a poll
    /// interval.
    private func checkRotation() -> Bool? {
        guard let path = followPath else { return false }
        var current = stat()
        guard fstat(fd, &current) == 0 else { return false }
        let position = lseek(fd, 0, SEEK_CUR)
        if position >= 0 && current.st_size < position {
            // Truncated: what is pending will not be completed.
            if !flushPartial() { return nil }
            lseek(fd, 0, SEEK_SET)
            return true
        }
        var named = stat()
        guard stat(path, &named) == 0,
              named.st_dev != current.st_dev || named.st_ino != current.st_ino else { return false }
        // Replaced: read the old file to its very end, then switch.
        let replacement = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard replacement >= 0 else { return false }
        var opened = stat()
        if fstat(replacement, &opened) != 0 || opened.st_mode & S_IFMT != S_IFREG {
            close(replacement)
            return false
        }
        let flags = fcntl(replacement, F_GETFL)
        if flags >= 0 { _ = fcntl(replacement, F_SETFL, flags & ~O_NONBLOCK) }
        while true {
            let n = readChunk()
            if n <= 0 { break }
            if !consume(n) {
                close(replacement)
                return nil
            }
        }
        if !flushPartial() {
            close(replacement)
            return nil
        }
        close(fd)
        fd = replacement
        return true
    }
}

// MARK: - Splitting bytes into lines

/// Accumulates bytes and cuts them into lines (see `LineReader`).
struct LineSplitter {
    private var bytes: [UInt8] = []
    private var start = 0
    /// Index from which to search for the next newline (>= start).
    private var scan = 0
    let maxLine: Int

    init(maxLine: Int) { self.maxLine = maxLine }

    mutating func append(_ chunk: UnsafeBufferPointer<UInt8>) {
        if start > 0 && start >= bytes.count / 2 {
            bytes.removeSubrange(0..<start)
            scan -= start
            start = 0
        }
        bytes.append(contentsOf: chunk)
    }

    /// The next complete line (or an over-long piece), nil if none yet.
    mutating func nextLine() -> String? {
        let newline: Int? = bytes.withUnsafeBufferPointer { all in
            guard scan < all.count,
                  let found = memchr(all.baseAddress! + scan, 10, all.count - scan) else { return nil }
            return all.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
        if let newline {
            var end = newline
            if end > start && bytes[end - 1] == 13 { end -= 1 }
            if end - start <= maxLine {
                let text = decode(start..<end)
                start = newline + 1
                scan = start
                return text
            }
            scan = newline
            return cutPiece()
        }
        scan = bytes.count
        let pending = bytes.count - start
        // A "\r" right after maxLine bytes may still turn out to end the line.
        if pending > maxLine + 1 || (pending == maxLine + 1 && bytes[start + maxLine] != 13) {
            return cutPiece()
        }
        return nil
    }

    /// At the end of the input: the rest, in pieces of at most maxLine.
    mutating func takeRemainder() -> String? {
        let pending = bytes.count - start
        if pending == 0 {
            bytes.removeAll(keepingCapacity: true)
            start = 0
            scan = 0
            return nil
        }
        if pending > maxLine { return cutPiece() }
        let text = decode(start..<bytes.count)
        start = bytes.count
        scan = start
        return text
    }

    /// Cuts maxLine bytes (fewer to stay on a UTF-8 boundary) off the front.
    private mutating func cutPiece() -> String {
        var cut = start + maxLine
        while cut > start + maxLine - 3 && cut > start + 1 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        let text = decode(start..<cut)
        start = cut
        if scan < start { scan = start }
        return text
    }

    private func decode(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }
}

// MARK: - Helpers

private func errnoMessage(_ code: Int32) -> String {
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
