import Synchronization
import WeftScheduler
#if canImport(Glibc)
import Glibc
#endif

/// A one-line live status of a run on stderr, for terminals only:
///
///     weft 2.4s  done 12/40  skipped 3  running 2 (slow_fetch)  loop rows #3
///
/// and for a run with event sources:
///
///     weft 12.1s  events 42  waves 41  failed 1  dropped 0  in wave 42 (ticks)
///
/// The line is redrawn in place (`\r`, then the text, then clear-to-end of
/// line) at most every 100 ms, by the events themselves and by a ticker
/// thread so the clock moves while a long node runs. It first appears 100 ms
/// into the run, so quick runs show nothing, and it is erased when the run
/// finishes, before any results are printed.
final class ProgressLine: RunObserver, @unchecked Sendable {
    private static let interval: UInt64 = 100_000_000  // ns

    private struct Key: Hashable {
        var node: Int
        var thread: Int
    }

    private struct State {
        var total: Int
        /// Monotonic time of `runStarted`; nil before the run starts.
        var started: UInt64?
        var finished = false
        var tickerRunning = false
        var lastDraw: UInt64 = 0
        var drawn = false
        var done = Set<Int>()
        var skipped = Set<Int>()
        var steps = 0
        /// Executions in flight: id and start time (event clock).
        var running: [Key: (id: String, since: UInt64)] = [:]
        /// Loops in progress: id, current iteration, and when that was reported.
        var loops: [Int: (id: String, iteration: Int, order: Int)] = [:]
        var order = 0
        /// Event runs.
        var waves = 0
        var wavesStarted = 0
        var failedWaves = 0
        var dropped = 0
        var currentWave: (number: Int, source: String)?
    }

    private let state: Mutex<State>

    /// A progress line for a run of `nodes` nodes, or nil when stderr is not
    /// a terminal (or `TERM` is `dumb`).
    init?(total nodes: Int) {
        guard isatty(2) == 1 else { return nil }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return nil }
        state = Mutex(State(total: nodes))
    }

    func receive(_ event: RunEvent) {
        let startTicker = state.withLock { s -> Bool in
            guard !s.finished else { return false }
            switch event {
            case .runStarted(_, let nodes, _, _):
                s.started = MonotonicClock.now()
                if nodes > 0 { s.total = nodes }
            case .nodeStarted(let t, let node, let id, let thread):
                s.running[Key(node: node, thread: thread)] = (id, t)
            case .nodeFinished(_, let node, _, let thread, _):
                if s.running.removeValue(forKey: Key(node: node, thread: thread)) != nil { s.steps += 1 }
                s.loops[node] = nil
                s.done.insert(node)
            case .nodeFailed(_, let node, _, let thread, _):
                if s.running.removeValue(forKey: Key(node: node, thread: thread)) != nil { s.steps += 1 }
                s.loops[node] = nil
            case .nodeSkipped(_, let node, _):
                s.skipped.insert(node)
            case .loopIteration(_, let node, let id, let iteration):
                s.order += 1
                s.loops[node] = (id, iteration, s.order)
            case .waveStarted(_, let wave, let source, _):
                s.currentWave = (wave, source)
                s.wavesStarted += 1
            case .waveFinished(_, let wave, let outcome, _):
                s.waves += 1
                if case .failed = outcome { s.failedWaves += 1 }
                if s.currentWave?.number == wave { s.currentWave = nil }
                s.running.removeAll()
            case .eventDropped(_, _, let dropped):
                s.dropped = dropped
            case .sourceFinished:
                break
            case .runFinished:
                s.finished = true
                if s.drawn { Self.write("\r\u{1B}[K") }
                s.drawn = false
                return false
            }
            Self.drawIfDue(&s)
            if s.started != nil && !s.tickerRunning {
                s.tickerRunning = true
                return true
            }
            return false
        }
        if startTicker { startTickerThread() }
    }

    /// Redraws every interval until the run finishes, so the elapsed time
    /// moves while nodes run. Holds the observer until it stops.
    private func startTickerThread() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            guard let raw else { return nil }
            let line = Unmanaged<ProgressLine>.fromOpaque(raw).takeRetainedValue()
            line.tick()
            return nil
        }, box)
        if rc == 0 {
            pthread_detach(tid)
        } else {
            Unmanaged<ProgressLine>.fromOpaque(box).release()
        }
    }

    private func tick() {
        while true {
            usleep(UInt32(Self.interval / 1000))
            let finished = state.withLock { s -> Bool in
                if !s.finished { Self.drawIfDue(&s) }
                return s.finished
            }
            if finished { return }
        }
    }

    /// Draws the line if the run has gone at least one interval and the last
    /// draw is at least one interval old. Call with the lock held.
    private static func drawIfDue(_ s: inout State) {
        guard let started = s.started else { return }
        let now = MonotonicClock.now()
        guard now &- started >= interval, now &- s.lastDraw >= interval else { return }
        s.lastDraw = now
        s.drawn = true
        write("\r" + truncated(text(s, elapsed: now &- started)) + "\u{1B}[K")
    }

    private static func text(_ s: State, elapsed: UInt64) -> String {
        let tenths = elapsed / 100_000_000
        if s.waves > 0 || s.currentWave != nil {
            // Events seen so far: those that started a wave or were dropped.
            var parts = ["weft \(tenths / 10).\(tenths % 10)s", "events \(s.wavesStarted + s.dropped)", "waves \(s.waves)",
                         "failed \(s.failedWaves)", "dropped \(s.dropped)"]
            if let w = s.currentWave { parts.append("in wave \(w.number) (\(w.source))") }
            return parts.joined(separator: "  ")
        }
        var parts = ["weft \(tenths / 10).\(tenths % 10)s", "done \(s.done.count)/\(s.total)"]
        if s.steps > s.done.count { parts.append("steps \(s.steps)") }
        if !s.skipped.isEmpty { parts.append("skipped \(s.skipped.count)") }
        if !s.running.isEmpty {
            // The longest-running execution is the one worth naming.
            let oldest = s.running.min { ($0.value.since, $0.key.node) < ($1.value.since, $1.key.node) }
            parts.append("running \(s.running.count)" + (oldest.map { " (\($0.value.id))" } ?? ""))
        }
        if let loop = s.loops.values.max(by: { $0.order < $1.order }) {
            parts.append("loop \(loop.id) #\(loop.iteration)")
        }
        return parts.joined(separator: "  ")
    }

    /// `text` cut to the terminal's width less one, so it never wraps (a
    /// wrapped line cannot be redrawn with `\r`).
    private static func truncated(_ text: String) -> String {
        var size = winsize()
        let columns = ioctl(2, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
        let limit = max(10, columns - 1)
        return text.count <= limit ? text : String(text.prefix(limit - 1)) + "…"
    }

    private static func write(_ text: String) {
        var text = text
        text.withUTF8 { buf in
            guard var p = buf.baseAddress else { return }
            var left = buf.count
            while left > 0 {
                let n = Glibc.write(2, p, left)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                p += n
                left -= n
            }
        }
    }
}
