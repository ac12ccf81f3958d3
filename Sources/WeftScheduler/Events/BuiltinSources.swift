import WeftCore
import WeftNative
#if canImport(Glibc)
import Glibc
#endif

/// The event sources built into Weft, registered as `event.*` node types
/// in every registry the CLI and libweft make:
///
/// | type | params | outputs (one event) |
/// | --- | --- | --- |
/// | `event.timer` | `interval_ms`, `count` (0 = no end), `delay_ms` (first tick; default one interval) | `tick` (1, 2, …), `time_ms` (Unix ms) |
/// | `event.cron` | `schedule` (5 fields or @daily…), `tz` (UTC or ±HH:MM), `count` | `tick`, `time_s` (the scheduled Unix second) |
/// | `event.files` | `path` (file or folder), `kinds`, `pattern` (glob on the name), `debounce_ms` | `path`, `kind` |
/// | `event.lines` | `path` (none = stdin), `follow` (tail -f), `from_start` | `line`, `number` |
/// | `event.signal` | `signal` (SIGHUP, SIGUSR1, SIGUSR2), `count` | `signal`, `number` |
public enum BuiltinSources {
    public static let namespace = "event"

    /// Registers the `event.*` node types into `registry`.
    public static func register(into registry: NodeRegistry) {
        registry.registerBuiltin(namespace: namespace, [timer, cron, files, lines, signal])
    }

    static func spec(_ name: String, _ summary: String, outputs: [PortSpec], params: [PortSpec]) -> NodeSpec {
        NodeSpec(namespace: namespace, name: name, summary: summary, inputs: [], outputs: outputs, params: params,
                 flags: [.source])
    }

    static func int(_ params: [String: WeftValue], _ name: String) -> Int64? {
        if case .int(let v)? = params[name] { return v }
        return nil
    }

    static func string(_ params: [String: WeftValue], _ name: String) -> String? {
        if case .string(let v)? = params[name] { return v }
        return nil
    }

    static func param(_ instance: NodeInstance, _ name: String) -> WeftValue? {
        guard let i = instance.type.spec.params.firstIndex(where: { $0.name == name }) else { return nil }
        return instance.params[i]
    }

    static func intParam(_ instance: NodeInstance, _ name: String) -> Int64? {
        if case .int(let v)? = param(instance, name) { return v }
        return nil
    }

    static func stringParam(_ instance: NodeInstance, _ name: String) -> String? {
        if case .string(let v)? = param(instance, name) { return v }
        return nil
    }

    static func boolParam(_ instance: NodeInstance, _ name: String) -> Bool? {
        if case .bool(let v)? = param(instance, name) { return v }
        return nil
    }

    static func unixMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    // MARK: event.timer

    static let timer = NodeType(
        sourceSpec: spec("timer", "Fires every interval_ms (count times, or until the run stops).",
                         outputs: [PortSpec(name: "tick", type: .int, summary: "1 for the first event, then 2, 3, …"),
                                   PortSpec(name: "time_ms", type: .int, summary: "when it fired, Unix milliseconds")],
                         params: [PortSpec(name: "interval_ms", type: .int, summary: "milliseconds between events (≥ 1)"),
                                  PortSpec(name: "count", type: .int, defaultValue: .int(0), summary: "events to fire; 0 = no end"),
                                  PortSpec(name: "delay_ms", type: .int, optional: true,
                                           summary: "milliseconds before the first event (default: interval_ms)")]),
        checkParams: { p in
            if let v = int(p, "interval_ms"), v < 1 { return ParameterizedSpecError(param: "interval_ms", "interval_ms must be at least 1 (milliseconds)") }
            if let v = int(p, "count"), v < 0 { return ParameterizedSpecError(param: "count", "count must be 0 (no end) or more") }
            if let v = int(p, "delay_ms"), v < 0 { return ParameterizedSpecError(param: "delay_ms", "delay_ms must be 0 or more") }
            return nil
        },
        make: { instance in
            let interval = UInt64(max(1, intParam(instance, "interval_ms") ?? 1000)) * 1_000_000
            let count = intParam(instance, "count") ?? 0
            let delay = intParam(instance, "delay_ms").map { UInt64(max(0, $0)) * 1_000_000 } ?? interval
            return .success(ThreadSource { thread, emitter in
                var next = MonotonicClock.now() + delay
                var tick: Int64 = 0
                while thread.sleep(until: next) {
                    tick += 1
                    guard emitter.emit([.int(tick), .int(unixMilliseconds())]) else { return }
                    if count > 0 && tick >= count {
                        emitter.finish()
                        return
                    }
                    // Fixed rate; a late tick does not cause a burst to catch up.
                    next += interval
                    let now = MonotonicClock.now()
                    if next < now { next = now }
                }
            })
        })

    // MARK: event.cron

    static let cron = NodeType(
        sourceSpec: spec("cron", "Fires on a cron schedule (minute hour day-of-month month day-of-week).",
                         outputs: [PortSpec(name: "tick", type: .int, summary: "1, 2, …"),
                                   PortSpec(name: "time_s", type: .int, summary: "the scheduled time, Unix seconds")],
                         params: [PortSpec(name: "schedule", type: .string, summary: "\"0 * * * *\", \"*/5 9-17 * * mon-fri\", @daily, …"),
                                  PortSpec(name: "tz", type: .string, defaultValue: .string("UTC"),
                                           summary: "UTC or a fixed offset such as +02:00"),
                                  PortSpec(name: "count", type: .int, defaultValue: .int(0), summary: "events to fire; 0 = no end")]),
        checkParams: { p in
            if let s = string(p, "schedule") {
                do { _ = try CronSchedule(s, timeZone: string(p, "tz") ?? "UTC") } catch {
                    let m = "\(error)"
                    return ParameterizedSpecError(param: m.hasPrefix("time zone") ? "tz" : "schedule", m)
                }
            }
            if let v = int(p, "count"), v < 0 { return ParameterizedSpecError(param: "count", "count must be 0 (no end) or more") }
            return nil
        },
        make: { instance in
            let schedule: CronSchedule
            do {
                schedule = try CronSchedule(stringParam(instance, "schedule") ?? "", timeZone: stringParam(instance, "tz") ?? "UTC")
            } catch {
                return .failure(EventSourceError("\(error)"))
            }
            let count = intParam(instance, "count") ?? 0
            return .success(ThreadSource { thread, emitter in
                var tick: Int64 = 0
                var after = unixMilliseconds() / 1000
                while let due = schedule.next(after: after) {
                    // Sleep on the monotonic clock for the wall-clock distance.
                    let waitMs = max(0, due * 1000 - unixMilliseconds())
                    guard thread.sleep(until: MonotonicClock.now() + UInt64(waitMs) * 1_000_000) else { return }
                    if unixMilliseconds() < due * 1000 { continue }  // woke early (clock change): wait again
                    tick += 1
                    guard emitter.emit([.int(tick), .int(due)]) else { return }
                    if count > 0 && tick >= count {
                        emitter.finish()
                        return
                    }
                    after = due
                }
                emitter.finish()
            })
        })

    // MARK: event.files

    static let fileKinds = FileChange.Kind.allCases.map(\.rawValue)

    static func parseKinds(_ text: String) -> Result<Set<FileChange.Kind>, ParameterizedSpecError> {
        var kinds = Set<FileChange.Kind>()
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: " ")
            guard let k = FileChange.Kind(rawValue: name) else {
                return .failure(ParameterizedSpecError(param: "kinds", "unknown change kind '\(name)'; use a comma-separated list of "
                                                        + fileKinds.joined(separator: ", ")))
            }
            kinds.insert(k)
        }
        if kinds.isEmpty { return .failure(ParameterizedSpecError(param: "kinds", "kinds is empty; give at least one of " + fileKinds.joined(separator: ", "))) }
        return .success(kinds)
    }

    static let files = NodeType(
        sourceSpec: spec("files", "Fires when a file or the entries of a folder are created, modified, deleted or moved (inotify).",
                         outputs: [PortSpec(name: "path", type: .string, summary: "the file that changed"),
                                   PortSpec(name: "kind", type: .string, summary: "created, modified, deleted or moved")],
                         params: [PortSpec(name: "path", type: .string, summary: "a folder (its entries) or one file"),
                                  PortSpec(name: "kinds", type: .string, defaultValue: .string("created,modified,deleted,moved"),
                                           summary: "which changes fire, comma-separated"),
                                  PortSpec(name: "pattern", type: .string, defaultValue: .string("*"),
                                           summary: "only names matching this glob (\"*.txt\")"),
                                  PortSpec(name: "debounce_ms", type: .int, defaultValue: .int(100),
                                           summary: "changes to one file within this window make one event")]),
        checkParams: { p in
            if let k = string(p, "kinds"), case .failure(let e) = parseKinds(k) { return e }
            if let v = int(p, "debounce_ms"), v < 0 || v > 3_600_000 {
                return ParameterizedSpecError(param: "debounce_ms", "debounce_ms must be from 0 to 3600000")
            }
            return nil
        },
        make: { instance in
            let path = stringParam(instance, "path") ?? ""
            let kinds: Set<FileChange.Kind>
            switch parseKinds(stringParam(instance, "kinds") ?? "created,modified,deleted,moved") {
            case .success(let k): kinds = k
            case .failure(let e): return .failure(EventSourceError(e.message))
            }
            let pattern = stringParam(instance, "pattern") ?? "*"
            let watcher: FileWatcher
            do {
                watcher = try FileWatcher(path: path, kinds: kinds,
                                          debounceMilliseconds: Int(intParam(instance, "debounce_ms") ?? 100))
            } catch {
                let hint = "\(error)".contains("No such file") ? "; create it first, or change the node's \"path\" param" : ""
                return .failure(EventSourceError("\(error)" + hint))
            }
            return .success(CallbackSource(
                start: { emitter in
                    watcher.start { change in
                        let name = change.path.split(separator: "/").last.map(String.init) ?? change.path
                        guard fnmatch(pattern, name, 0) == 0 else { return }
                        emitter.emit([.string(change.path), .string(change.kind.rawValue)])
                    }
                },
                stop: { watcher.stop() }))
        })

    // MARK: event.lines

    static let lines = NodeType(
        sourceSpec: spec("lines", "Fires once per line of stdin, or of a file (optionally followed like tail -f).",
                         outputs: [PortSpec(name: "line", type: .string, summary: "the line, without its newline"),
                                   PortSpec(name: "number", type: .int, summary: "1 for the first line, then 2, 3, …")],
                         params: [PortSpec(name: "path", type: .string, optional: true, summary: "a file; none = stdin"),
                                  PortSpec(name: "follow", type: .bool, defaultValue: .bool(false),
                                           summary: "keep reading what is appended (tail -f)"),
                                  PortSpec(name: "from_start", type: .bool, defaultValue: .bool(true),
                                           summary: "with follow: read the lines already there first")]),
        make: { instance in
            let source: LineReader.Source
            if let path = stringParam(instance, "path") {
                source = .file(path: path, follow: boolParam(instance, "follow") ?? false,
                               fromStart: boolParam(instance, "from_start") ?? true)
            } else {
                source = .fileDescriptor(0)
            }
            let reader: LineReader
            do { reader = try LineReader(source) } catch { return .failure(EventSourceError("\(error)")) }
            return .success(CallbackSource(
                start: { emitter in
                    let counter = Counter()
                    reader.start(line: { line in
                        emitter.emit([.string(line), .int(counter.next())])
                    }, finished: { error in
                        emitter.finish(error: error)
                    })
                },
                stop: { reader.stop() }))
        })

    // MARK: event.signal

    static let signalNames = WatchedSignal.allCases.map(\.rawValue)

    static func watchedSignal(_ name: String) -> WatchedSignal? {
        let upper = name.uppercased()
        return WatchedSignal(rawValue: upper) ?? WatchedSignal(rawValue: "SIG" + upper)
    }

    static let signal = NodeType(
        sourceSpec: spec("signal", "Fires when the process receives SIGHUP, SIGUSR1 or SIGUSR2.",
                         outputs: [PortSpec(name: "signal", type: .string, summary: "the signal's name"),
                                   PortSpec(name: "number", type: .int, summary: "1 for the first delivery, then 2, 3, …")],
                         params: [PortSpec(name: "signal", type: .string, defaultValue: .string("SIGHUP"),
                                           summary: "SIGHUP, SIGUSR1 or SIGUSR2"),
                                  PortSpec(name: "count", type: .int, defaultValue: .int(0), summary: "events to fire; 0 = no end")]),
        checkParams: { p in
            if let s = string(p, "signal"), watchedSignal(s) == nil {
                return ParameterizedSpecError(param: "signal", "signal '\(s)' cannot be watched; use " + signalNames.joined(separator: ", "))
            }
            return nil
        },
        make: { instance in
            guard let which = watchedSignal(stringParam(instance, "signal") ?? "SIGHUP") else {
                return .failure(EventSourceError("signal cannot be watched; use " + signalNames.joined(separator: ", ")))
            }
            let count = intParam(instance, "count") ?? 0
            let watcher = SignalWatcher(which)
            return .success(CallbackSource(
                start: { emitter in
                    let counter = Counter()
                    watcher.start { sig in
                        let n = counter.next()
                        if count > 0 && n > count { return }
                        emitter.emit([.string(sig.rawValue), .int(n)])
                        if count > 0 && n == count { emitter.finish() }
                    }
                },
                stop: { watcher.stop() }))
        })
}

/// A thread-safe counter: 1, 2, 3, …
final class Counter: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value: Int64 = 0
    func next() -> Int64 { lock.withLock { value += 1; return value } }
}

/// A source around start/stop closures (the watchers have threads of their own).
final class CallbackSource: EventSource, @unchecked Sendable {
    private let startBody: @Sendable (EventEmitter) -> Void
    private let stopBody: @Sendable () -> Void

    init(start: @escaping @Sendable (EventEmitter) -> Void, stop: @escaping @Sendable () -> Void) {
        startBody = start
        stopBody = stop
    }

    func start(_ emitter: EventEmitter) throws(EventSourceError) { startBody(emitter) }
    func stop() { stopBody() }
}

/// A source that runs `body` on a thread of its own; `stop` wakes its
/// sleeps and waits for the thread to end.
final class ThreadSource: EventSource, @unchecked Sendable {
    private let lock = ConditionLock()
    private var stopping = false
    private var running = false
    private let body: @Sendable (ThreadSource, EventEmitter) -> Void

    init(_ body: @escaping @Sendable (ThreadSource, EventEmitter) -> Void) { self.body = body }

    func start(_ emitter: EventEmitter) throws(EventSourceError) {
        lock.withLock { running = true }
        let ok = POSIXThread.spawn { [self] in
            body(self, emitter)
            lock.withLock {
                running = false
                lock.broadcast()
            }
        }
        if !ok {
            lock.withLock { running = false }
            throw EventSourceError("could not start a thread")
        }
    }

    /// Sleeps until `deadline` (monotonic ns); false if the source is stopping.
    func sleep(until deadline: UInt64) -> Bool {
        lock.withLock {
            while !stopping {
                let now = MonotonicClock.now()
                if now >= deadline { return true }
                lock.wait(nanoseconds: deadline - now)
            }
            return false
        }
    }

    func stop() {
        lock.withLock {
            stopping = true
            lock.broadcast()
            while running { lock.wait() }
        }
    }
}

extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        var s = self
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
