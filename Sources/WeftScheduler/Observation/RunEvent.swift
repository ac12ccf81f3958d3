import WeftNative
import WeftCore

/// How a run ended.
public enum RunOutcome: Sendable, Equatable {
    case succeeded
    /// A node failed or a limit was hit. `node` is the node id, if any.
    case failed(message: String, node: String?)
    case cancelled

    public var name: String {
        switch self {
        case .succeeded: "succeeded"
        case .failed: "failed"
        case .cancelled: "cancelled"
        }
    }
}

/// One thing that happened in a run. Times are nanoseconds on the monotonic
/// clock since the run started; `thread` is 0 for the scheduler thread and
/// 1… for pool workers.
public enum RunEvent: Sendable, Equatable {
    case runStarted(time: UInt64, nodes: Int, mode: RunMode, workers: Int)
    case nodeStarted(time: UInt64, node: Int, id: String, thread: Int)
    case nodeFinished(time: UInt64, node: Int, id: String, thread: Int, duration: UInt64)
    case nodeFailed(time: UInt64, node: Int, id: String, thread: Int, message: String)
    /// The node failed (`nodeFailed` came just before) and its own
    /// `on_error` handled it: `how` is "route" (its `error` output fired)
    /// or "default" (its default outputs were given). The run goes on.
    case nodeRecovered(time: UInt64, node: Int, id: String, how: String)
    /// A cached node's outputs came from the cache: no call was made.
    case cacheHit(time: UInt64, node: Int, id: String)
    /// A resumed or partial run: the node's outputs came from its
    /// checkpoint (it completed before); no call was made.
    case nodeRestored(time: UInt64, node: Int, id: String)
    /// Attempt `attempt` (1-based) of the node failed with `message`
    /// (`nodeFailed` came just before); it is called again in `delayNs`
    /// (its `retry` policy).
    case nodeRetry(time: UInt64, node: Int, id: String, attempt: Int, delayNs: UInt64, message: String)
    /// Item `item` (0-based) of mapped node `id` failed with `message`;
    /// its `on_item_error` (skip or collect) let the node go on.
    case itemFailed(time: UInt64, node: Int, id: String, item: Int, message: String)
    /// The node was on a dead path (an untaken branch) and did not run.
    case nodeSkipped(time: UInt64, node: Int, id: String)
    /// A state of flow `id` ran (its `cycle`-th state run) and chose `action`.
    case flowState(time: UInt64, node: Int, id: String, state: String, cycle: Int, action: String)
    /// A loop starts iteration `iteration` (0-based).
    case loopIteration(time: UInt64, node: Int, id: String, iteration: Int)
    case runFinished(time: UInt64, outcome: RunOutcome, steps: Int)
    /// Event runs: wave `wave` (1-based) starts for event `event` (1-based,
    /// per source) of source node `source`.
    case waveStarted(time: UInt64, wave: Int, source: String, event: Int)
    case waveFinished(time: UInt64, wave: Int, outcome: RunOutcome, steps: Int)
    /// Event runs: an event of `source` was dropped (queue full, policy
    /// drop_oldest / drop_newest); `dropped` counts them so far in the run.
    case eventDropped(time: UInt64, source: String, dropped: Int)
    /// Event runs: a source finished (count reached, input ended) or
    /// failed (`message`).
    case sourceFinished(time: UInt64, source: String, message: String?)

    public var time: UInt64 {
        switch self {
        case .runStarted(let t, _, _, _), .nodeStarted(let t, _, _, _), .nodeFinished(let t, _, _, _, _),
             .nodeFailed(let t, _, _, _, _), .nodeRecovered(let t, _, _, _), .cacheHit(let t, _, _), .nodeRestored(let t, _, _), .nodeRetry(let t, _, _, _, _, _), .itemFailed(let t, _, _, _, _),
             .nodeSkipped(let t, _, _), .flowState(let t, _, _, _, _, _),
             .loopIteration(let t, _, _, _),
             .runFinished(let t, _, _), .waveStarted(let t, _, _, _), .waveFinished(let t, _, _, _),
             .eventDropped(let t, _, _), .sourceFinished(let t, _, _):
            t
        }
    }

    /// The event as one JSON object (the `--events` line format).
    public var jsonValue: WeftValue {
        switch self {
        case .runStarted(let t, let nodes, let mode, let workers):
            ["event": "run_started", "time_ns": .int(Int64(t)), "nodes": .int(Int64(nodes)),
             "mode": .string(mode.rawValue), "workers": .int(Int64(workers))]
        case .nodeStarted(let t, _, let id, let thread):
            ["event": "node_started", "time_ns": .int(Int64(t)), "node": .string(id), "thread": .int(Int64(thread))]
        case .nodeFinished(let t, _, let id, let thread, let d):
            ["event": "node_finished", "time_ns": .int(Int64(t)), "node": .string(id), "thread": .int(Int64(thread)),
             "duration_ns": .int(Int64(d))]
        case .nodeFailed(let t, _, let id, let thread, let message):
            ["event": "node_failed", "time_ns": .int(Int64(t)), "node": .string(id), "thread": .int(Int64(thread)),
             "message": .string(message)]
        case .cacheHit(let t, _, let id):
            ["event": "cache_hit", "time_ns": .int(Int64(t)), "node": .string(id)]
        case .nodeRestored(let t, _, let id):
            ["event": "node_restored", "time_ns": .int(Int64(t)), "node": .string(id)]
        case .nodeRecovered(let t, _, let id, let how):
            ["event": "node_recovered", "time_ns": .int(Int64(t)), "node": .string(id), "how": .string(how)]
        case .nodeRetry(let t, _, let id, let attempt, let delay, let message):
            ["event": "node_retry", "time_ns": .int(Int64(t)), "node": .string(id), "attempt": .int(Int64(attempt)),
             "delay_ns": .int(Int64(delay)), "message": .string(message)]
        case .itemFailed(let t, _, let id, let item, let message):
            ["event": "item_failed", "time_ns": .int(Int64(t)), "node": .string(id), "item": .int(Int64(item)),
             "message": .string(message)]
        case .nodeSkipped(let t, _, let id):
            ["event": "node_skipped", "time_ns": .int(Int64(t)), "node": .string(id)]
        case .flowState(let t, _, let id, let state, let cycle, let action):
            ["event": "flow_state", "time_ns": .int(Int64(t)), "node": .string(id), "state": .string(state),
             "cycle": .int(Int64(cycle)), "action": .string(action)]
        case .loopIteration(let t, _, let id, let i):
            ["event": "loop_iteration", "time_ns": .int(Int64(t)), "node": .string(id), "iteration": .int(Int64(i))]
        case .waveStarted(let t, let wave, let source, let event):
            ["event": "wave_started", "time_ns": .int(Int64(t)), "wave": .int(Int64(wave)), "source": .string(source),
             "source_event": .int(Int64(event))]
        case .waveFinished(let t, let wave, let outcome, let steps):
            {
                var v: WeftValue = ["event": "wave_finished", "time_ns": .int(Int64(t)), "wave": .int(Int64(wave)),
                                    "outcome": .string(outcome.name), "steps": .int(Int64(steps))]
                if case .failed(let message, let node) = outcome {
                    v = ["event": "wave_finished", "time_ns": .int(Int64(t)), "wave": .int(Int64(wave)),
                         "outcome": .string(outcome.name), "steps": .int(Int64(steps)), "message": .string(message),
                         "node": node.map { .string($0) } ?? .null]
                }
                return v
            }()
        case .eventDropped(let t, let source, let dropped):
            ["event": "event_dropped", "time_ns": .int(Int64(t)), "source": .string(source), "dropped": .int(Int64(dropped))]
        case .sourceFinished(let t, let source, let message):
            ["event": "source_finished", "time_ns": .int(Int64(t)), "source": .string(source),
             "message": message.map { .string($0) } ?? .null]
        case .runFinished(let t, let outcome, let steps):
            {
                var v: WeftValue = ["event": "run_finished", "time_ns": .int(Int64(t)), "outcome": .string(outcome.name),
                                    "steps": .int(Int64(steps))]
                if case .failed(let message, let node) = outcome {
                    v = ["event": "run_finished", "time_ns": .int(Int64(t)), "outcome": .string(outcome.name),
                         "steps": .int(Int64(steps)), "message": .string(message),
                         "node": node.map { .string($0) } ?? .null]
                }
                return v
            }()
        }
    }
}

/// Receives a run's events, in order, on the run's delivery thread (never
/// two calls at once), shortly after they happen: the run does not wait
/// for an observer unless it falls far behind (`EventHub`). Every event of
/// a run has been delivered when `Scheduler.run` returns.
public protocol RunObserver: AnyObject, Sendable {
    func receive(_ event: RunEvent)
}

/// Collects events in memory (for tests and small tools).
public final class EventRecorder: RunObserver, @unchecked Sendable {
    private let lock = ConditionLock()
    private var stored: [RunEvent] = []

    public init() {}

    public func receive(_ event: RunEvent) { lock.withLock { stored.append(event) } }

    public var events: [RunEvent] { lock.withLock { stored } }
}
