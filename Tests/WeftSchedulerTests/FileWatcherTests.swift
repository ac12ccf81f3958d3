import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import WeftScheduler

/// A value shared between threads, guarded by a lock.
private final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// The changes a watcher reported, guarded by a lock; tests wait on
/// conditions over it with a generous deadline.
private final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var changes: [FileChange] = []

    func record(_ change: FileChange) {
        lock.lock()
        changes.append(change)
        lock.unlock()
    }

    var all: [FileChange] {
        lock.lock()
        defer { lock.unlock() }
        return changes
    }

    func kinds(of path: String) -> [FileChange.Kind] { all.filter { $0.path == path }.map(\.kind) }

    /// Polls until `condition` holds, at most `seconds`; true if it held.
    func wait(seconds: Double = 10, until condition: ([FileChange]) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(all) { return true }
            usleep(5_000)
        }
        return condition(all)
    }

    func wait(for change: FileChange, seconds: Double = 10) -> Bool {
        wait(seconds: seconds) { $0.contains(change) }
    }
}

/// A fresh folder under the temporary directory, removed afterwards.
private func withTemporaryFolder(_ body: (String) throws -> Void) throws {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("weft-filewatcher-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try body(folder)
}

/// Writes `text` with open/write/close (no temporary file and rename, which
/// Foundation's atomic writes would do).
private func write(_ text: String, to path: String, append: Bool = false) {
    let fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0o644)
    precondition(fd >= 0, "open \(path): \(String(cString: strerror(errno)))")
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

private func remove(_ path: String) { unlink(path) }

/// The process's open descriptors: their number and how many are inotify
/// instances.
private func openDescriptors() -> (total: Int, inotify: Int) {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
    let inotify = entries.filter {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == "anon_inode:inotify"
    }
    return (entries.count, inotify.count)
}

@Suite("file watcher", .serialized)
struct FileWatcherTests {
    @Test("a created file is reported once as created")
    func created() throws {
        try withTemporaryFolder { folder in
            let watcher = try FileWatcher(path: folder, debounceMilliseconds: 100)
            let recorder = Recorder()
            watcher.start(recorder.record)
            defer { watcher.stop() }

            let file = folder + "/new.txt"
            write("hello", to: file)  // IN_CREATE, IN_MODIFY, IN_CLOSE_WRITE
            #expect(recorder.wait(for: FileChange(path: file, kind: .created)))
            // A later change's report proves nothing more is coming for `file`.
            let marker = folder + "/marker.txt"
            write("m", to: marker)
            #expect(recorder.wait(for: FileChange(path: marker, kind: .created)))
            #expect(recorder.kinds(of: file) == [.created])
        }
    }

    @Test("modifying, deleting and renaming existing files")
    func modifyDeleteRename() throws {
        try withTemporaryFolder { folder in
            let edited = folder + "/edited.txt", doomed = folder + "/doomed.txt"
            let old = folder + "/old.txt", new = folder + "/new.txt"
            write("1", to: edited)
            write("1", to: doomed)
            write("1", to: old)
            let watcher = try FileWatcher(path: folder)
            let recorder = Recorder()
            watcher.start(recorder.record)
            defer { watcher.stop() }

            write("2", to: edited, append: true)
            #expect(recorder.wait(for: FileChange(path: edited, kind: .modified)))
            remove(doomed)
            #expect(recorder.wait(for: FileChange(path: doomed, kind: .deleted)))
            #expect(rename(old, new) == 0)
            #expect(recorder.wait { $0.contains(FileChange(path: old, kind: .moved))
                && $0.contains(FileChange(path: new, kind: .moved)) })

            #expect(recorder.kinds(of: edited) == [.modified])
            #expect(recorder.kinds(of: doomed) == [.deleted])
            #expect(recorder.kinds(of: old) == [.moved])
            #expect(recorder.kinds(of: new) == [.moved])
        }
    }

    @Test("created and deleted within the window reports nothing")
    func createdThenDeleted() throws {
        try withTemporaryFolder { folder in
            let watcher = try FileWatcher(path: folder, debounceMilliseconds: 500)
            let recorder = Recorder()
            watcher.start(recorder.record)
            defer { watcher.stop() }

            let file = folder + "/fleeting.txt"
            write("x", to: file)
            remove(file)
            let marker = folder + "/marker.txt"
            write("m", to: marker)
            #expect(recorder.wait(for: FileChange(path: marker, kind: .created)))
            #expect(recorder.kinds(of: file) == [])
        }
    }

    @Test("debounce 0 reports each raw change in order")
    func raw() throws {
        try withTemporaryFolder { folder in
            let watcher = try FileWatcher(path: folder, debounceMilliseconds: 0)
            let recorder = Recorder()
            watcher.start(recorder.record)
            defer { watcher.stop() }

            let file = folder + "/raw.txt"
            write("data", to: file)
            remove(file)
            // IN_CREATE, IN_MODIFY, IN_CLOSE_WRITE, IN_DELETE.
            #expect(recorder.wait { $0.contains(FileChange(path: file, kind: .deleted)) })
            #expect(recorder.kinds(of: file) == [.created, .modified, .modified, .deleted])
        }
    }

    @Test("only the chosen kinds are reported")
    func kindsFilter() throws {
        try withTemporaryFolder { folder in
            let kept = folder + "/kept.txt"
            write("1", to: kept)
            let watcher = try FileWatcher(path: folder, kinds: [.deleted], debounceMilliseconds: 0)
            let recorder = Recorder()
            watcher.start(recorder.record)
            defer { watcher.stop() }

            let file = folder + "/file.txt"
            write("1", to: file)
            write("2", to: kept, append: true)
            #expect(rename(kept, folder + "/renamed.txt") == 0)
            remove(file)
            // Changes are reported in order, so every earlier one was seen.
            #expect(recorder.wait(for: FileChange(path: file, kind: .deleted)))
            #expect(recorder.all == [FileChange(path: file, kind: .deleted)])
        }
    }

    @Test("a single file: siblings are ignored, delete and re-create keep working")
    func singleFile() throws {
        try withTemporaryFolder { folder in
            let target = folder + "/target.txt", sibling = folder + "/sibling.txt"
            write("1", to: target)
            let watcher = try FileWatcher(path: target, debounceMilliseconds: 200)
            let recorder = Recorder()
            watcher.start(recorder.record)
            defer { watcher.stop() }

            write("s", to: sibling)
            write("2", to: target, append: true)
            #expect(recorder.wait(for: FileChange(path: target, kind: .modified)))
            remove(target)
            #expect(recorder.wait(for: FileChange(path: target, kind: .deleted)))
            write("3", to: target)
            #expect(recorder.wait(for: FileChange(path: target, kind: .created)))
            write("s2", to: sibling, append: true)
            remove(sibling)
            write("4", to: target, append: true)
            #expect(recorder.wait { $0.filter { $0 == FileChange(path: target, kind: .modified) }.count == 2 })

            #expect(recorder.all.allSatisfy { $0.path == target })
            #expect(recorder.kinds(of: target) == [.modified, .deleted, .created, .modified])
        }
    }

    @Test("a missing path throws, naming the path")
    func missingPath() throws {
        try withTemporaryFolder { folder in
            let missing = folder + "/no/such/file.txt"
            do throws(FileWatchError) {
                _ = try FileWatcher(path: missing)
                Issue.record("watching a missing path did not throw")
            } catch {
                #expect(error.message.contains(missing))
                #expect(error.description.contains("No such file or directory"))
            }
        }
    }

    @Test("stop returns promptly and no handler call follows it")
    func stopIsFinal() throws {
        try withTemporaryFolder { folder in
            // Stopping without start, and twice.
            let unused = try FileWatcher(path: folder)
            unused.stop()
            unused.stop()

            let watcher = try FileWatcher(path: folder, debounceMilliseconds: 0)
            let control = try FileWatcher(path: folder, debounceMilliseconds: 0)
            let stopped = Locked(false)
            let lateCalls = Locked(0)
            let recorder = Recorder()
            watcher.start { change in
                if stopped.withLock({ $0 }) { lateCalls.withLock { $0 += 1 } }
                recorder.record(change)
            }
            let controlRecorder = Recorder()
            control.start(controlRecorder.record)
            defer { control.stop() }

            let first = folder + "/first.txt"
            write("1", to: first)
            #expect(recorder.wait(for: FileChange(path: first, kind: .created)))

            // Keep the folder busy while stopping.
            let keepWriting = Locked(true)
            let writerDone = Locked(false)
            let writer = Thread {
                var i = 0
                while keepWriting.withLock({ $0 }) {
                    write("\(i)", to: folder + "/busy-\(i % 8).txt")
                    i += 1
                }
                writerDone.withLock { $0 = true }
            }
            writer.start()
            #expect(recorder.wait { $0.count > 20 })

            let began = Date()
            watcher.stop()
            let elapsed = Date().timeIntervalSince(began)
            stopped.withLock { $0 = true }
            #expect(elapsed < 1, "stop took \(elapsed) s")
            watcher.stop()  // twice is fine

            keepWriting.withLock { $0 = false }
            #expect(controlRecorder.wait { _ in writerDone.withLock { $0 } })
            // The control watcher sees this change; the stopped one must not.
            let last = folder + "/last.txt"
            write("last", to: last)
            #expect(controlRecorder.wait(for: FileChange(path: last, kind: .created)))
            #expect(lateCalls.withLock { $0 } == 0)
            #expect(recorder.kinds(of: last) == [])

            // A watcher waiting out a long window stops at once too.
            let slow = try FileWatcher(path: folder, debounceMilliseconds: 10_000)
            slow.start { _ in }
            write("x", to: folder + "/pending.txt")
            #expect(controlRecorder.wait(for: FileChange(path: folder + "/pending.txt", kind: .created)))
            let slowBegan = Date()
            slow.stop()
            #expect(Date().timeIntervalSince(slowBegan) < 1)
        }
    }

    @Test("starting and stopping 20 watchers leaks no descriptors")
    func noLeaks() throws {
        try withTemporaryFolder { folder in
            // Other suites may open and close descriptors meanwhile: retry,
            // a leak (three per watcher) would show every time.
            var leaked = true
            var report = ""
            for _ in 0..<5 where leaked {
                let before = openDescriptors()
                for i in 0..<20 {
                    let watcher = try FileWatcher(path: folder, debounceMilliseconds: i % 2 == 0 ? 0 : 100)
                    watcher.start { _ in }
                    if i % 3 == 0 { write("\(i)", to: folder + "/f.txt") }
                    watcher.stop()
                }
                let after = openDescriptors()
                report = "before \(before), after \(after)"
                leaked = after.total > before.total || after.inotify != before.inotify
            }
            #expect(!leaked, "\(report)")
            // And a watcher that is only dropped is stopped by deinit.
            let before = openDescriptors()
            do {
                let watcher = try FileWatcher(path: folder)
                watcher.start { _ in }
                withExtendedLifetime(watcher) {
                    #expect(openDescriptors().inotify == before.inotify + 1)
                }
            }
            #expect(openDescriptors().inotify == before.inotify)
        }
    }
}
