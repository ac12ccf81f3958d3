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
            lines.append(event)
            lines.bytes.withUnsafeBufferPointer { file.write($0) }
            lines.bytes.removeAll(keepingCapacity: true)
            if case .runFinished = event { file.flush() }
        }
    }

    /// The line being made (handed to stdio's buffer at once).
    private var lines = EventLines()

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

    /// Writes `bytes`. Does nothing after an error or `close()`.
    func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let handle, firstError == nil, let base = bytes.baseAddress, bytes.count > 0 else { return }
        if fwrite(base, 1, bytes.count, handle) != bytes.count {
            firstError = OutputFileError(path: path, action: "cannot write", errno: errno)
        }
    }

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

/// Events as JSON lines (`RunEvent.jsonValue`, one object a line): the
/// `--events` format, also the run store's. The events of node calls and
/// loop passes, which are most of a log, are written straight from their
/// fields (the same text, without building a `WeftValue`).
public struct EventLines: Sendable {
    /// The lines so far (UTF-8, each ending in a newline).
    public var bytes: [UInt8] = []
    /// Node ids as JSON strings (UTF-8), by node index.
    private var quoted: [[UInt8]?] = []

    public init() {}

    /// Appends `event`'s line.
    public mutating func append(_ event: RunEvent) {
        if !appendNodeEvent(event) { bytes.append(contentsOf: (JSON.encode(event.jsonValue) + "\n").utf8) }
    }

    private mutating func appendQuoted(_ node: Int, _ id: String) {
        guard node >= 0 else {
            bytes.append(contentsOf: JSON.encode(.string(id)).utf8)
            return
        }
        if node >= quoted.count { quoted += Array(repeating: nil, count: node + 1 - quoted.count) }
        if quoted[node] == nil { quoted[node] = Array(JSON.encode(.string(id)).utf8) }
        bytes.append(contentsOf: quoted[node].unsafelyUnwrapped)
    }

    private mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A number's decimal digits.
    private mutating func append<T: BinaryInteger>(_ value: T) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var v = UInt64(truncatingIfNeeded: value.magnitude)
        let start = bytes.count
        repeat {
            bytes.append(UInt8(ascii: "0") + UInt8(v % 10))
            v /= 10
        } while v > 0
        bytes[start...].reverse()
    }

    /// The events of node calls and loop passes. False: another kind.
    private mutating func appendNodeEvent(_ event: RunEvent) -> Bool {
        switch event {
        case .nodeStarted(let t, let n, let id, let thread):
            append("{\"event\":\"node_started\",\"time_ns\":")
            append(t)
            append(",\"node\":")
            appendQuoted(n, id)
            append(",\"thread\":")
            append(thread)
            append("}\n")
        case .nodeFinished(let t, let n, let id, let thread, let d):
            append("{\"event\":\"node_finished\",\"time_ns\":")
            append(t)
            append(",\"node\":")
            appendQuoted(n, id)
            append(",\"thread\":")
            append(thread)
            append(",\"duration_ns\":")
            append(d)
            append("}\n")
        case .loopIteration(let t, let n, let id, let i):
            append("{\"event\":\"loop_iteration\",\"time_ns\":")
            append(t)
            append(",\"node\":")
            appendQuoted(n, id)
            append(",\"iteration\":")
            append(i)
            append("}\n")
        case .nodeSkipped(let t, let n, let id):
            append("{\"event\":\"node_skipped\",\"time_ns\":")
            append(t)
            append(",\"node\":")
            appendQuoted(n, id)
            append("}\n")
        default:
            return false
        }
        return true
    }
}
