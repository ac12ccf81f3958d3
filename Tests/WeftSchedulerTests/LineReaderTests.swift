import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import WeftScheduler

/// LineReader and SignalWatcher tests, one at a time: the descriptor-leak
/// test looks at the process's descriptors (the first SignalWatcher creates
/// a process-wide pipe) and the signal tests change process-wide signal
/// dispositions.
@Suite("Event sources", .serialized)
struct EventSourceTests {}

/// What a reader delivered, guarded by a lock; tests wait on conditions over
/// it with a generous deadline.
private final class LineLog: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [String] = []
    private var ends: [String?] = []

    var lines: [String] { lock.withLock { received } }
    var finished: [String?] { lock.withLock { ends } }

    func start(_ reader: LineReader) {
        reader.start(line: { text in self.lock.withLock { self.received.append(text) } },
                     finished: { error in self.lock.withLock { self.ends.append(error) } })
    }

    func wait(until condition: (LineLog) -> Bool) -> Bool { waitUntil { condition(self) } }

    func waitForLines(_ expected: [String]) -> Bool { wait { $0.lines == expected } }
    func waitForFinish() -> Bool { wait { !$0.finished.isEmpty } }
}

/// Polls until `condition` holds, at most `seconds`; true if it held.
private func waitUntil(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

/// A pipe: (read end, write end).
private func makeTestPipe() -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    precondition(pipe(&fds) == 0)
    return (fds[0], fds[1])
}

private func send(_ bytes: [UInt8], to fd: Int32) {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        precondition(n > 0, "write: \(String(cString: strerror(errno)))")
        offset += n
    }
}

private func send(_ text: String, to fd: Int32) { send(Array(text.utf8), to: fd) }

/// Appends with open(O_APPEND)/write/close.
private func append(_ text: String, to path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    precondition(fd >= 0, "open \(path): \(String(cString: strerror(errno)))")
    send(text, to: fd)
    close(fd)
}

/// A fresh folder under the temporary directory, removed afterwards.
private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("weft-linereader-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try body(folder)
}

/// The process's open descriptors and what they refer to.
private func descriptorTargets() -> [Int32: String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    var targets: [Int32: String] = [:]
    for entry in entries {
        guard let fd = Int32(entry),
              let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(entry)")
        else { continue }
        targets[fd] = target
    }
    return targets
}

extension EventSourceTests {
    @Suite("LineReader")
    struct LineReaderTests {
        @Test("pipe: lines split across writes and CRLF, then finished(nil) at EOF")
        func pipeLines() throws {
            let (readEnd, writeEnd) = makeTestPipe()
            defer { close(readEnd) }
            let reader = try LineReader(.fileDescriptor(readEnd))
            defer { reader.stop() }
            let log = LineLog()
            log.start(reader)

            send("alpha\nbe", to: writeEnd)
            #expect(log.waitForLines(["alpha"]))
            send("ta\r\ngamma\n", to: writeEnd)
            close(writeEnd)
            #expect(log.waitForFinish())
            #expect(log.lines == ["alpha", "beta", "gamma"])
            #expect(log.finished == [nil])
            // The reader does not close a descriptor it was given.
            #expect(fcntl(readEnd, F_GETFD) != -1)
        }

        @Test("a final line without newline is delivered at EOF")
        func finalLineWithoutNewline() throws {
            let (readEnd, writeEnd) = makeTestPipe()
            defer { close(readEnd) }
            let reader = try LineReader(.fileDescriptor(readEnd))
            defer { reader.stop() }
            let log = LineLog()
            log.start(reader)
            send("one\ntwo", to: writeEnd)
            close(writeEnd)
            #expect(log.waitForFinish())
            #expect(log.lines == ["one", "two"])
            #expect(log.finished == [nil])
        }

        @Test("invalid UTF-8 is repaired")
        func invalidUTF8() throws {
            let (readEnd, writeEnd) = makeTestPipe()
            defer { close(readEnd) }
            let reader = try LineReader(.fileDescriptor(readEnd))
            defer { reader.stop() }
            let log = LineLog()
            log.start(reader)
            send([0x61, 0xFF, 0x62, 0x0A, 0xC3, 0xA9, 0x0A], to: writeEnd)
            close(writeEnd)
            #expect(log.waitForFinish())
            #expect(log.lines == ["a\u{FFFD}b", "é"])
        }

        @Test("a file not followed is read to its end")
        func fileNotFollowed() throws {
            try withTemporaryDirectory { folder in
                let path = folder + "/plain.txt"
                append("x\r\ny\n\nz", to: path)
                let reader = try LineReader(.file(path: path, follow: false, fromStart: false))
                defer { reader.stop() }
                let log = LineLog()
                log.start(reader)
                #expect(log.waitForFinish())
                #expect(log.lines == ["x", "y", "", "z"])
                #expect(log.finished == [nil])
            }
        }

        @Test("lines over 1 MiB are cut into pieces of at most 1 MiB, on UTF-8 boundaries")
        func longLines() throws {
            try withTemporaryDirectory { folder in
                let path = folder + "/long.txt"
                let ascii = String(repeating: "x", count: 5 << 19)  // 2.5 MiB
                let accented = "x" + String(repeating: "é", count: 600_000)  // 1_200_001 bytes
                append(ascii + "\n" + accented + "\nend\n", to: path)
                let reader = try LineReader(.file(path: path, follow: false, fromStart: true))
                defer { reader.stop() }
                let log = LineLog()
                log.start(reader)
                #expect(log.waitForFinish())
                let lines = log.lines
                #expect(lines.map(\.utf8.count) == [1 << 20, 1 << 20, 1 << 19, 1_048_575, 1_200_001 - 1_048_575, 3])
                #expect(lines.prefix(3).joined() == ascii)
                #expect(lines[3...4].joined() == accented)
                #expect(!lines.joined().contains("\u{FFFD}"))
                #expect(lines.last == "end")
            }
        }

        @Test("follow from the end: only appended lines, also after truncation")
        func followFromEnd() throws {
            try withTemporaryDirectory { folder in
                let path = folder + "/log.txt"
                append("old1\nold2\n", to: path)
                let reader = try LineReader(.file(path: path, follow: true, fromStart: false))
                defer { reader.stop() }
                let log = LineLog()
                log.start(reader)

                append("new1\n", to: path)
                #expect(log.waitForLines(["new1"]))
                append("new2\n", to: path)
                #expect(log.waitForLines(["new1", "new2"]))
                // A partial line waits for its newline while following.
                append("tail", to: path)
                append(" end\n", to: path)
                #expect(log.waitForLines(["new1", "new2", "tail end"]))
                // Truncated, then shorter than the old read position.
                #expect(truncate(path, 0) == 0)
                append("after\n", to: path)
                #expect(log.waitForLines(["new1", "new2", "tail end", "after"]))
                append("more\n", to: path)
                #expect(log.waitForLines(["new1", "new2", "tail end", "after", "more"]))
                #expect(log.finished.isEmpty)
            }
        }

        @Test("follow from the start: existing lines, then appended ones")
        func followFromStart() throws {
            try withTemporaryDirectory { folder in
                let path = folder + "/log.txt"
                append("a\nb\n", to: path)
                let reader = try LineReader(.file(path: path, follow: true, fromStart: true))
                defer { reader.stop() }
                let log = LineLog()
                log.start(reader)
                #expect(log.waitForLines(["a", "b"]))
                append("c\n", to: path)
                #expect(log.waitForLines(["a", "b", "c"]))
                #expect(log.finished.isEmpty)
            }
        }

        @Test("follow reopens a file replaced by rename")
        func followReplaced() throws {
            try withTemporaryDirectory { folder in
                let path = folder + "/log.txt"
                append("a\n", to: path)
                let reader = try LineReader(.file(path: path, follow: true, fromStart: true))
                defer { reader.stop() }
                let log = LineLog()
                log.start(reader)
                #expect(log.waitForLines(["a"]))
                append("b\nc\n", to: folder + "/log.txt.new")
                #expect(rename(folder + "/log.txt.new", path) == 0)
                #expect(log.waitForLines(["a", "b", "c"]))
                append("d\n", to: path)
                #expect(log.waitForLines(["a", "b", "c", "d"]))
                #expect(log.finished.isEmpty)
            }
        }

        @Test("a missing file throws, naming the path")
        func missingFile() throws {
            let path = "/nonexistent-\(UUID().uuidString)/missing.log"
            do {
                _ = try LineReader(.file(path: path, follow: true, fromStart: false))
                Issue.record("no error for \(path)")
            } catch {
                #expect(error.message.contains(path))
                #expect(error.description.contains("No such file or directory"))
            }
            #expect(throws: LineReaderError.self) { try LineReader(.fileDescriptor(-1)) }
        }

        @Test("stop() while blocked on an open pipe returns promptly; no callback follows")
        func stopWhileBlocked() throws {
            let (readEnd, writeEnd) = makeTestPipe()
            defer { close(readEnd) }
            let reader = try LineReader(.fileDescriptor(readEnd))
            let log = LineLog()
            log.start(reader)
            send("first\n", to: writeEnd)
            #expect(log.waitForLines(["first"]))

            let started = ContinuousClock.now
            reader.stop()
            #expect(ContinuousClock.now - started < .seconds(5))
            reader.stop()  // idempotent

            // More input and EOF: a second reader gets them all, the stopped
            // one nothing (neither a line nor finished).
            send("late\n", to: writeEnd)
            close(writeEnd)
            let second = try LineReader(.fileDescriptor(readEnd))
            defer { second.stop() }
            let secondLog = LineLog()
            secondLog.start(second)
            #expect(secondLog.waitForFinish())
            #expect(secondLog.lines == ["late"])
            #expect(log.lines == ["first"])
            #expect(log.finished.isEmpty)
        }

        @Test("20 readers started and stopped leak no descriptors")
        func noDescriptorLeak() throws {
            try withTemporaryDirectory { folder in
                let path = folder + "/shared.txt"
                append("x\n", to: path)
                let before = descriptorTargets()
                var readers: [LineReader] = []
                var logs: [LineLog] = []
                var pipes: [(read: Int32, write: Int32)] = []
                for index in 0..<20 {
                    let source: LineReader.Source
                    switch index % 3 {
                    case 0: source = .file(path: path, follow: true, fromStart: true)
                    case 1: source = .file(path: path, follow: false, fromStart: true)
                    default:
                        let pipe = makeTestPipe()
                        pipes.append(pipe)
                        source = .fileDescriptor(pipe.read)
                    }
                    let reader = try LineReader(source)
                    let log = LineLog()
                    log.start(reader)
                    readers.append(reader)
                    logs.append(log)
                }
                // Never started: stop() (and deinit) close what init opened.
                let unstarted = try LineReader(.file(path: path, follow: true, fromStart: false))
                for (index, log) in logs.enumerated() where index % 3 != 2 {
                    #expect(log.waitForLines(["x"]))
                }
                let ownPipes = Set(pipes.flatMap { [$0.read, $0.write] })
                let during = descriptorTargets()
                // How /proc names the file (the temporary folder's path may
                // go through a symbolic link).
                let probe = open(path, O_RDONLY)
                let fileTarget = try #require(
                    try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(probe)"))
                close(probe)
                // What the readers opened: a wake-up pipe (two descriptors)
                // each, and the file for each file reader still reading it
                // (at least the 7 following it and the unstarted one).
                let opened = during.filter { fd, target in
                    before[fd] != target && !ownPipes.contains(fd)
                        && (target == fileTarget || target.hasPrefix("pipe:"))
                }
                #expect(opened.filter { $0.value == fileTarget }.count >= 8)
                #expect(opened.filter { $0.value.hasPrefix("pipe:") }.count >= 21 * 2)

                for reader in readers { reader.stop() }
                unstarted.stop()
                for pipe in pipes {
                    close(pipe.read)
                    close(pipe.write)
                }
                // Other tests may open descriptors meanwhile; only those the
                // readers opened must all be closed (a pipe's target names
                // its inode, so a reused number does not match).
                let closed = waitUntil {
                    let now = descriptorTargets()
                    return !opened.contains { fd, target in now[fd] == target }
                }
                #expect(closed)
            }
        }
    }
}
