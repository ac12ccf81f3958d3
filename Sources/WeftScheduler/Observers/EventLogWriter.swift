import WeftNative
#if canImport(Glibc)
import Glibc
#endif
import WeftCore

/// Writes a run's events to a file as JSON Lines: one `RunEvent.jsonValue`
/// object per line, in the order received (the `--events FILE` format).
///
/// Lines go through stdio's buffer and are flushed when the run finishes and
/// at `close()`. A write error cannot be reported from `receive`; the first
/// one is kept and thrown by `close()`.
///
/// ```swift
/// let log = try EventLogWriter(path: "events.jsonl")
/// let result = try Scheduler.run(graph, inputs: inputs, options: RunOptions(observers: [log]))
/// try log.close()
/// ```
public final class EventLogWriter: RunObserver, @unchecked Sendable {
    private let lock = ConditionLock()
    private let file: OutputFile

    /// Creates (or truncates) the file at `path`. Throws `OutputFileError`
    /// naming the path and the system's reason if it cannot be opened.
    public init(path: String) throws {
        file = try OutputFile(path: path)
    }

    public var path: String { file.path }

    public func receive(_ event: RunEvent) {
        lock.withLock {
            if !writeNodeEvent(event) { file.write(JSON.encode(event.jsonValue) + "\n") }
            if case .runFinished = event { file.flush() }
        }
    }

    /// Node ids as JSON strings, by node index (the common events are
    /// written without building a `WeftValue`; the same text).
    private var quoted: [String?] = []

    private func quote(_ node: Int, _ id: String) -> String {
        guard node >= 0 else { return JSON.encode(.string(id)) }
        if node < quoted.count, let q = quoted[node] { return q }
        if node >= quoted.count { quoted += Array(repeating: nil, count: node + 1 - quoted.count) }
        let q = JSON.encode(.string(id))
        quoted[node] = q
        return q
    }

    /// Writes the events of node calls and loop passes, which are most of a
    /// log, straight from their fields (under the lock). False: another kind.
    private func writeNodeEvent(_ event: RunEvent) -> Bool {
        switch event {
        case .nodeStarted(let t, let n, let id, let thread):
            file.write("{\"event\":\"node_started\",\"time_ns\":\(t),\"node\":\(quote(n, id)),\"thread\":\(thread)}\n")
        case .nodeFinished(let t, let n, let id, let thread, let d):
            file.write("{\"event\":\"node_finished\",\"time_ns\":\(t),\"node\":\(quote(n, id)),\"thread\":\(thread),"
                           + "\"duration_ns\":\(d)}\n")
        case .loopIteration(let t, let n, let id, let i):
            file.write("{\"event\":\"loop_iteration\",\"time_ns\":\(t),\"node\":\(quote(n, id)),\"iteration\":\(i)}\n")
        case .nodeSkipped(let t, let n, let id):
            file.write("{\"event\":\"node_skipped\",\"time_ns\":\(t),\"node\":\(quote(n, id))}\n")
        default:
            return false
        }
        return true
    }

    /// Flushes and closes the file. Throws the first write error, if any.
    /// Later events are dropped; closing again does nothing.
    public func close() throws {
        try lock.withLock { try file.close() }
    }
}

/// A file an observer could not open, write or close.
public struct OutputFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    /// What failed and why, e.g. `cannot open for writing: Permission denied`.
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// An error for `action` with the text of the C `errno` value `code`.
    init(path: String, action: String, errno code: Int32) {
        let reason = strerror(code).map { String(cString: $0) } ?? "error \(code)"
        self.init(path: path, message: "\(action): \(reason)")
    }

    public var description: String { "\(path): \(message)" }
}

/// A stdio file opened for writing. Not thread-safe; owners lock.
final class OutputFile {
    let path: String
    private var handle: UnsafeMutablePointer<FILE>?
    /// The first write or flush error; reported by `close()`.
    private(set) var firstError: OutputFileError?

    init(path: String) throws(OutputFileError) {
        self.path = path
        // "e": close-on-exec, so plugins that spawn processes do not inherit it.
        guard let h = fopen(path, "we") else {
            throw OutputFileError(path: path, action: "cannot open for writing", errno: errno)
        }
        handle = h
    }

    deinit {
        if let handle { fclose(handle) }
    }

    var isOpen: Bool { handle != nil }

    /// Writes `text` as UTF-8. Does nothing after an error or `close()`.
    func write(_ text: String) {
        guard let handle, firstError == nil else { return }
        var text = text
        let ok = text.withUTF8 { buf -> Bool in
            guard let base = buf.baseAddress, buf.count > 0 else { return true }
            return fwrite(base, 1, buf.count, handle) == buf.count
        }
        if !ok { firstError = OutputFileError(path: path, action: "cannot write", errno: errno) }
    }

    func flush() {
        guard let handle, firstError == nil else { return }
        if fflush(handle) != 0 { firstError = OutputFileError(path: path, action: "cannot write", errno: errno) }
    }

    /// Flushes and closes; throws the first error seen. Idempotent.
    func close() throws(OutputFileError) {
        guard let h = handle else { return }
        flush()
        handle = nil
        if fclose(h) != 0 && firstError == nil {
            firstError = OutputFileError(path: path, action: "cannot close", errno: errno)
        }
        if let firstError { throw firstError }
    }
}
