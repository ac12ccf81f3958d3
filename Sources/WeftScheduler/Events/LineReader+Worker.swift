// LineReader's reader thread (Worker) and the state it shares with the LineReader (Shared).

import WeftNative
#if canImport(Glibc)
import Glibc
#endif

extension LineReader {
    // MARK: - Shared state

    final class Shared: @unchecked Sendable {
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

    final class Worker: @unchecked Sendable {
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
}
