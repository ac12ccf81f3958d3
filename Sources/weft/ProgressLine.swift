import Synchronization
import WeftNative
import WeftScheduler
#if canImport(Glibc)
import Glibc
#endif

/// A one-line live status of a run on stderr, for terminals only:
///
///     weft 2.4s  steps 1204566  at inc
///
/// and for a run with event sources:
///
///     weft 12.1s  events 42  waves 41  failed 1  dropped 0  in wave 42 (ticks)
///
/// It reads the run's `RunProgress` counters on a ticker thread every
/// 100 ms; it does not observe the run's events, so a run in a terminal
/// takes the same paths at the same speed as one with `--quiet`. The line
/// is redrawn in place (`\r`, the text, clear-to-end of line), first 100 ms
/// into the run (quick runs show nothing), and erased by `finish`, before
/// any results are printed.
final class ProgressLine: @unchecked Sendable {
    private static let interval: UInt64 = 100_000_000  // ns

    /// The counters the run keeps; give them to it as `RunOptions.progress`.
    let progress = RunProgress()
    private let nodeId: @Sendable (Int) -> String
    private let eventRun: Bool

    private struct State {
        var started: UInt64 = 0
        var finished = false
        var drawn = false
    }

    private let state = Mutex(State())

    /// A progress line for a run whose node `i` is named `nodeId(i)`, or
    /// nil when stderr is not a terminal (or `TERM` is `dumb`).
    init?(eventRun: Bool, nodeId: @escaping @Sendable (Int) -> String) {
        guard isatty(2) == 1 else { return nil }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return nil }
        self.eventRun = eventRun
        self.nodeId = nodeId
    }

    /// Starts the clock and the ticker thread (call as the run starts).
    func start() {
        state.withLock { $0.started = MonotonicClock.now() }
        POSIXThread.spawn { [self] in tick() }
    }

    /// Stops drawing and erases the line (call when the run has finished).
    func finish() {
        state.withLock { s in
            s.finished = true
            if s.drawn { Self.write("\r\u{1B}[K") }
            s.drawn = false
        }
    }

    private func tick() {
        while true {
            usleep(UInt32(Self.interval / 1000))
            let finished = state.withLock { s -> Bool in
                guard !s.finished else { return true }
                let elapsed = MonotonicClock.now() &- s.started
                if elapsed >= Self.interval {
                    s.drawn = true
                    Self.write("\r" + Self.truncated(text(elapsed: elapsed)) + "\u{1B}[K")
                }
                return false
            }
            if finished { return }
        }
    }

    private func text(elapsed: UInt64) -> String {
        let tenths = elapsed / 100_000_000
        let clock = "weft \(tenths / 10).\(tenths % 10)s"
        let p = progress
        if eventRun {
            let started = p.wavesStarted.load(ordering: .relaxed)
            let finished = p.wavesFinished.load(ordering: .relaxed)
            let dropped = p.dropped.load(ordering: .relaxed)
            // Events seen so far: those that started a wave or were dropped.
            var parts = [clock, "events \(started + dropped)", "waves \(finished)",
                         "failed \(p.failedWaves.load(ordering: .relaxed))", "dropped \(dropped)"]
            let source = p.currentSource.load(ordering: .relaxed)
            if started > finished && source >= 0 {
                parts.append("in wave \(p.currentWave.load(ordering: .relaxed)) (\(nodeId(source)))")
            }
            return parts.joined(separator: "  ")
        }
        var parts = [clock, "steps \(p.steps.load(ordering: .relaxed))"]
        let node = p.node.load(ordering: .relaxed)
        if node >= 0 { parts.append("at \(nodeId(node))") }
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
