import WeftNative
#if canImport(Glibc)
import Glibc
#endif
import WeftCore

/// Writes a run as a Chrome trace (the trace-event JSON Object Format) that
/// opens in Perfetto (ui.perfetto.dev) and chrome://tracing.
///
/// The trace holds, all with `pid` 1 and times in microseconds:
/// - one complete event (`"ph": "X"`) for the run, on the scheduler thread;
/// - one complete event per node execution, on the thread that ran it
///   (`tid` 0 is the scheduler, 1… the workers). A failed execution carries
///   `args.error`. A loop node's event spans the whole loop;
/// - instant events (`"ph": "i"`) for skipped nodes, loop iterations, and
///   failures reported after a node had already finished;
/// - in event runs, one complete event per wave on the "waves" track
///   (`tid` 10000) and instants there for dropped events and finished
///   sources; wave lane L's threads are numbered from L × 100;
/// - metadata events naming the process and each thread seen.
///
/// The trace is streamed: rendered events are kept in a small buffer and
/// appended to the file when it holds 64 KiB, when an event comes 100 ms
/// of run time or more after the last append, when a node fails, and when
/// the run finishes (events of a quiet spell wait for the next event).
/// Each append rewrites the closing `]}` after the new events
/// (`SuffixedFile`), so the file is complete JSON after every append: a run
/// that ends in any way (finished, failed, interrupted, or the process
/// dies) leaves a valid trace of everything appended so far. Memory held is
/// the buffer plus the executions, loops and waves in flight, whatever the
/// length of the run.
///
/// The run's own event is written when the run finishes (or at `close()` if
/// it never did, marked `unfinished`, with any executions still open).
/// Events after that are dropped: use one writer per run.
///
/// Threading: `receive` may be called from any thread; calls are
/// serialised by a lock, and a call that appends writes to the file while
/// holding it.
public final class ChromeTraceWriter: RunObserver, @unchecked Sendable {
    private let lock = ConditionLock()
    private let file: SuffixedFile
    private var state = TraceState()
    private var written = false
    /// Rendered events not yet appended, each with its leading `,\n`.
    private var pending: [UInt8] = []
    /// Run time (event `time`) of the last append.
    private var lastAppend: UInt64?

    /// Pending bytes that trigger an append.
    static let appendBytes = 64 << 10
    /// Run time after which pending events are appended (nanoseconds).
    static let appendInterval: UInt64 = 100_000_000

    /// Creates (or truncates) the file at `path` and writes an empty trace
    /// to it. Throws `OutputFileError` naming the path and the system's
    /// reason if it cannot be opened or written.
    public init(path: String) throws {
        let head = [TraceState.metadata("process_name", thread: 0, args: [("name", "weft")])]
            + TraceState.threadMetadata(0)
        file = try SuffixedFile(path: path, prefix: "{\"traceEvents\": [\n" + head.joined(separator: ",\n"),
                                suffix: "\n],\n\"displayTimeUnit\": \"ms\"}\n")
    }

    public var path: String { file.path }

    public func receive(_ event: RunEvent) {
        lock.withLock {
            guard !written, file.isOpen else { return }
            state.add(event)
            if case .runFinished = event {
                state.finish()
                take()
                written = true
                append(at: event.time)
                return
            }
            take()
            var due = pending.count >= Self.appendBytes
            if case .nodeFailed = event { due = true }
            if let last = lastAppend {
                if event.time >= last + Self.appendInterval { due = true }
            } else {
                lastAppend = event.time
            }
            if due { append(at: event.time) }
        }
    }

    /// Writes the run's event and any executions still open (if the run did
    /// not finish) and closes the file. Throws the first write error, if
    /// any. Closing again does nothing.
    public func close() throws {
        try lock.withLock {
            if !written && file.isOpen {
                state.finish()
                take()
                written = true
                append(at: state.lastTime)
            }
            try file.close()
        }
    }

    /// Moves the state's rendered events into `pending`. Call with the lock held.
    private func take() {
        for e in state.out {
            pending.append(contentsOf: ",\n".utf8)
            pending.append(contentsOf: e.utf8)
        }
        state.out.removeAll(keepingCapacity: true)
    }

    /// Call with the lock held.
    private func append(at time: UInt64) {
        lastAppend = time
        guard !pending.isEmpty else { return }
        file.append(pending)
        pending.removeAll(keepingCapacity: pending.count <= Self.appendBytes * 2)
    }
}

/// The events of one run, turned into trace events as they arrive.
private struct TraceState {
    struct Key: Hashable {
        var node: Int
        var thread: Int
    }

    /// Rendered trace events not yet taken by the writer (thread metadata
    /// comes before a thread's first event).
    var out: [String] = []
    /// Start times of executions in flight, by node and thread (a stack, in
    /// case the same node somehow starts twice on one thread).
    var open: [Key: [UInt64]] = [:]
    var openIDs: [Key: String] = [:]
    /// Loop node → time its first iteration began, while the loop runs.
    var loopStarts: [Int: UInt64] = [:]
    var threads: Set<Int> = [0]
    var runStart: UInt64?
    var runArgs: [(String, WeftValue)] = []
    var runEnd: (time: UInt64, args: [(String, WeftValue)])?
    /// Wave → (start, source, event number) while the wave runs.
    var waveStarts: [Int: (UInt64, String, Int)] = [:]
    static let wavesTrack = 10_000
    var lastTime: UInt64 = 0

    mutating func add(_ event: RunEvent) {
        lastTime = max(lastTime, event.time)
        switch event {
        case .runStarted(let t, let nodes, let mode, let workers):
            if runStart == nil {
                runStart = t
                runArgs = [("mode", .string(mode.rawValue)), ("workers", .int(Int64(workers))), ("nodes", .int(Int64(nodes)))]
            }
        case .nodeStarted(let t, let node, let id, let thread):
            see(thread)
            let key = Key(node: node, thread: thread)
            open[key, default: []].append(t)
            openIDs[key] = id
        case .nodeFinished(let t, let node, let id, let thread, let duration):
            see(thread)
            let isLoop = loopStarts.removeValue(forKey: node) != nil
            if let start = popOpen(node: node, thread: thread) {
                complete(id, category: "node", thread: thread, start: start, end: t, args: [("node", .string(id))])
            } else {
                // A loop's finish has no matching start; the event says how long it ran.
                let start = t >= duration ? t - duration : 0
                complete(id, category: isLoop ? "loop" : "node", thread: thread, start: start, end: t,
                         args: [("node", .string(id))])
            }
        case .nodeFailed(let t, let node, let id, let thread, let message):
            see(thread)
            let args: [(String, WeftValue)] = [("node", .string(id)), ("error", .string(message))]
            if let start = popOpen(node: node, thread: thread) {
                complete(id, category: "node", thread: thread, start: start, end: t, args: args)
            } else if let start = loopStarts.removeValue(forKey: node) {
                complete(id, category: "loop", thread: thread, start: start, end: t, args: args)
            } else {
                // Reported after the node finished (e.g. a conditional node fired no output).
                instant("\(id) failed", category: "error", thread: thread, time: t, args: args)
            }
        case .nodeRetry(let t, _, let id, let attempt, let delay, let message):
            // (The failed attempt's slice ended at its node_failed.)
            instant("\(id) retry after attempt \(attempt)", category: "error", thread: 0, time: t,
                    args: [("node", .string(id)), ("attempt", .int(Int64(attempt))), ("delay_ns", .int(Int64(delay))),
                           ("error", .string(message))])
        case .itemFailed(let t, _, let id, let item, let message):
            instant("\(id) item \(item) failed", category: "error", thread: 0, time: t,
                    args: [("node", .string(id)), ("item", .int(Int64(item))), ("error", .string(message))])
        case .cacheHit(let t, _, let id):
            instant("\(id) from the cache", category: "cache", thread: 0, time: t, args: [("node", .string(id))])
        case .nodeRestored(let t, _, let id):
            instant("\(id) restored", category: "cache", thread: 0, time: t, args: [("node", .string(id))])
        case .nodeRecovered(let t, _, let id, let how):
            instant("\(id) recovered (\(how))", category: "error", thread: 0, time: t,
                    args: [("node", .string(id)), ("how", .string(how))])
        case .flowState(let t, _, let id, let state, let cycle, let action):
            instant("\(id) state \(state) → \(action)", category: "flow", thread: 0, time: t,
                    args: [("node", .string(id)), ("state", .string(state)), ("cycle", .int(Int64(cycle))), ("action", .string(action))])
        case .nodeSkipped(let t, _, let id):
            instant("\(id) skipped", category: "skip", thread: 0, time: t, args: [("node", .string(id))])
        case .loopIteration(let t, let node, let id, let iteration):
            if loopStarts[node] == nil { loopStarts[node] = t }
            instant("\(id) iteration \(iteration)", category: "loop", thread: 0, time: t,
                    args: [("node", .string(id)), ("iteration", .int(Int64(iteration)))])
        case .waveStarted(let t, let wave, let source, let event):
            see(Self.wavesTrack)
            waveStarts[wave] = (t, source, event)
        case .waveFinished(let t, let wave, let outcome, let steps):
            let (start, source, event) = waveStarts.removeValue(forKey: wave) ?? (t, "?", 0)
            var args: [(String, WeftValue)] = [("source", .string(source)), ("source_event", .int(Int64(event))),
                                               ("outcome", .string(outcome.name)), ("steps", .int(Int64(steps)))]
            if case .failed(let message, _) = outcome { args.append(("error", .string(message))) }
            complete("wave \(wave) (\(source))", category: "wave", thread: Self.wavesTrack, start: start, end: t, args: args)
        case .eventDropped(let t, let source, let dropped):
            see(Self.wavesTrack)
            instant("event of \(source) dropped", category: "event", thread: Self.wavesTrack, time: t,
                    args: [("source", .string(source)), ("dropped", .int(Int64(dropped)))])
        case .sourceFinished(let t, let source, let message):
            see(Self.wavesTrack)
            instant("\(source) finished", category: "event", thread: Self.wavesTrack, time: t,
                    args: [("source", .string(source)), ("error", message.map { .string($0) } ?? .null)])
        case .runFinished(let t, let outcome, let steps):
            var args: [(String, WeftValue)] = [("outcome", .string(outcome.name)), ("steps", .int(Int64(steps)))]
            if case .failed(let message, let node) = outcome {
                args.append(("error", .string(message)))
                if let node { args.append(("node", .string(node))) }
            }
            runEnd = (t, args)
        }
    }

    private mutating func popOpen(node: Int, thread: Int) -> UInt64? {
        let key = Key(node: node, thread: thread)
        guard var starts = open[key], let start = starts.popLast() else { return nil }
        if starts.isEmpty {
            open[key] = nil
            openIDs[key] = nil
        } else {
            open[key] = starts
        }
        return start
    }

    private mutating func complete(_ name: String, category: String, thread: Int, start: UInt64, end: UInt64,
                                   args: [(String, WeftValue)]) {
        out.append(Self.event(name: name, category: category, phase: "X", thread: thread, time: start,
                                 duration: end >= start ? end - start : 0, args: args))
    }

    private mutating func instant(_ name: String, category: String, thread: Int, time: UInt64, args: [(String, WeftValue)]) {
        out.append(Self.event(name: name, category: category, phase: "i", thread: thread, time: time, duration: nil,
                                 args: args, scope: "t"))
    }

    /// Notes a thread; the first time, renders its metadata.
    private mutating func see(_ thread: Int) {
        if threads.insert(thread).inserted { out += Self.threadMetadata(thread) }
    }

    /// Renders the run's own event and any executions still open (marked
    /// unfinished, ending at the last time seen): the end of the trace.
    mutating func finish() {
        let start = runStart ?? 0
        let end = runEnd?.time ?? lastTime
        let runArgs = self.runArgs + (runEnd?.args ?? [("outcome", "unfinished")])
        out.append(Self.event(name: "run", category: "run", phase: "X", thread: 0, time: start,
                              duration: end >= start ? end - start : 0, args: runArgs))
        for key in open.keys.sorted(by: { ($0.thread, $0.node) < ($1.thread, $1.node) }) {
            let id = openIDs[key] ?? "node \(key.node)"
            for s in open[key] ?? [] {
                out.append(Self.event(name: id, category: "node", phase: "X", thread: key.thread, time: s,
                                      duration: lastTime >= s ? lastTime - s : 0,
                                      args: [("node", .string(id)), ("unfinished", true)]))
            }
        }
    }

    /// A thread's name and sort index.
    static func threadMetadata(_ thread: Int) -> [String] {
        [metadata("thread_name", thread: thread, args: [("name", .string(threadName(thread)))]),
         metadata("thread_sort_index", thread: thread, args: [("sort_index", .int(Int64(thread)))])]
    }

    static func threadName(_ thread: Int) -> String {
        if thread == wavesTrack { return "waves" }
        let lane = thread / 100, t = thread % 100
        let name = t == 0 ? "scheduler" : "worker \(t)"
        return lane == 0 ? name : "wave lane \(lane) \(name)"
    }

    static func metadata(_ name: String, thread: Int, args: [(String, WeftValue)]) -> String {
        "{\"name\":\(JSON.quote(name)),\"ph\":\"M\",\"pid\":1,\"tid\":\(thread),\"args\":\(JSON.encode(.object(args)))}"
    }

    static func event(name: String, category: String, phase: String, thread: Int, time: UInt64, duration: UInt64?,
                      args: [(String, WeftValue)], scope: String? = nil) -> String {
        var out = "{\"name\":\(JSON.quote(name)),\"cat\":\(JSON.quote(category)),\"ph\":\"\(phase)\""
        out += ",\"ts\":" + microseconds(time)
        if let duration { out += ",\"dur\":" + microseconds(duration) }
        if let scope { out += ",\"s\":\"\(scope)\"" }
        out += ",\"pid\":1,\"tid\":\(thread),\"args\":" + JSON.encode(.object(args)) + "}"
        return out
    }

    /// Nanoseconds as exact decimal microseconds: 1234567 → `1234.567`.
    static func microseconds(_ ns: UInt64) -> String {
        let fraction = String(ns % 1000)
        return String(ns / 1000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
