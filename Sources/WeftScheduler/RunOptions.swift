import Synchronization
import WeftCore
import WeftNative

/// How ready nodes are executed.
public enum RunMode: String, Sendable, Equatable, CaseIterable {
    /// One thread, nodes in ready-queue (FIFO) order: deterministic. Default.
    case sequential
    /// Ready nodes run concurrently on a bounded pool of threads.
    case parallel
}

/// Settings of one run.
public struct RunOptions: Sendable {
    public var mode: RunMode = .sequential
    /// Worker threads for compute nodes in parallel mode (default: the
    /// number of CPUs). Nodes flagged blocking run on extra threads, up to
    /// `maxBlockingThreads`, so a sleeping node never holds a compute worker.
    public var workers: Int = POSIXThread.cpuCount
    public var maxBlockingThreads: Int = 64
    /// The most node executions in the run before it fails.
    public var maxSteps: Int = 1_000_000
    /// After a node fails, keep running the nodes that do not depend on it
    /// (its outputs are dead, as on an untaken branch); the run still ends
    /// failed, naming the first failure. Limits (max_steps,
    /// max_iterations) always stop the run.
    public var keepGoing = false
    /// How the max-steps error tells the user to raise the limit (the CLI
    /// names its flag, the C API its struct field).
    public var maxStepsHint = "raise it with --max-steps"
    /// Observers of the run's events. An observed run takes the scheduler's
    /// general path for every node (see `progress` for a live status that
    /// does not).
    public var observers: [any RunObserver] = []
    /// Parallel mode: where calls run (inline, on the pool, in batches):
    /// every threshold in one place.
    public var placement = PlacementPolicy()
    /// Counters the run keeps up to date for a watcher on another thread
    /// (steps, the current node, waves); unlike an observer, it leaves the
    /// run on its fast paths.
    public var progress: RunProgress?
    /// Runs with event sources: waves, the event queue, when to stop.
    public var events = EventOptions()
    /// Whether the result keeps each flow run's state history
    /// (`RunResult.stateHistory`); off, a flow makes its history only
    /// when its `history` output is read (`weft run` keeps it for --json).
    public var keepsStateHistory = true
    /// Where cached nodes (`"cache"`) keep their outputs; nil: they run
    /// as any node.
    public var cache: (any NodeCache)?
    /// Where each checkpointed node's outputs are kept as it completes,
    /// and found again by a resumed or partial run (`RunCheckpoints`);
    /// nil: none. With checkpoints, every node takes the general path.
    public var checkpoints: (any RunCheckpoints)?
    /// For tests: one way of making calls forced on the run, so a suite can
    /// run the same graph through each path and compare the answers
    /// (`PathEquivalenceTests`). Never changes what a run computes.
    package var forcedPath: ForcedPath = .automatic
    /// For tests: a worker given a batch claims no chunk of it until the
    /// scheduler thread has claimed one (so the test of the scheduler's
    /// helping does not depend on timing). Never changes what a run computes.
    package var schedulerClaimsFirst = false

    /// The ways the scheduler can make a node's call.
    package enum ForcedPath: Sendable, CaseIterable {
        /// As the run decides: plain nodes straight from the run loop and
        /// loops as compiled passes when nothing observes the run; in
        /// parallel mode cheap types inline, batches of them when many are
        /// ready, the others on the pool.
        case automatic
        /// Every node through the ready queue's general path (`process`,
        /// `execute`), as an observed run does; no compiled passes.
        case queue
        /// Parallel mode: every call on the worker pool.
        case pool
        /// Parallel mode: every plain node is taken for batches, formed as
        /// soon as two are ready.
        case batches
    }

    public init(mode: RunMode = .sequential, workers: Int? = nil, maxSteps: Int = 1_000_000,
                observers: [any RunObserver] = []) {
        self.mode = mode
        if let workers { self.workers = max(1, workers) }
        self.maxSteps = maxSteps
        self.observers = observers
    }

    /// The default worker count: the number of online CPUs.
    public static var defaultWorkers: Int { POSIXThread.cpuCount }
}

/// Parallel mode: the thresholds that decide where a node's call runs. A
/// type starts on the scheduler thread when it is declared cheap
/// (`WEFT_NODE_CHEAP`, never with `WEFT_NODE_BLOCKING`), else on the pool;
/// its measured calls then move it (blocking types never leave the pool). The defaults were measured on 2 cores
/// (Benchmarks/RESULTS.md). Out-of-range values are clamped (`batchMin`
/// 2…2^30, `batchMax` 1…2^30, `costWindow` 1…1024, `sampleEvery` rounded
/// up to a power of two, at most 2^30).
public struct PlacementPolicy: Sendable, Equatable {
    /// Node types whose calls take less than this many ns run on the
    /// scheduler thread: a hop to a worker and back costs more than they do.
    public var inlineBelowNs: UInt64 = 5_000
    /// A batch of such nodes goes to a worker when at least this many are
    /// ready; it takes half of them, at most `batchMax`.
    public var batchMin = 64
    public var batchMax = 16_384
    /// A type's cost is the smallest of its last `costWindow` timed calls,
    /// so one slow call (a cold start, a preempted thread) does not move a
    /// cheap type to the pool, while a type whose calls all got slower does.
    public var costWindow = 8
    /// Once a type's window is full, one call in `sampleEvery` (a power of
    /// two) is timed: two clock reads cost about half a trivial node.
    public var sampleEvery = 256

    public init() {}
}

/// How a run with event sources handles its events (see `EventRun`).
public struct EventOptions: Sendable, Equatable {
    /// What a source's emit does when the event queue is full.
    public enum QueuePolicy: String, Sendable, CaseIterable {
        /// Wait for room (the source's thread blocks; nothing is lost).
        case block
        /// Drop the oldest queued event to make room.
        case dropOldest = "drop_oldest"
        /// Drop the new event.
        case dropNewest = "drop_newest"
    }

    /// Waves that may run at once (1 = one at a time, in event order).
    /// Above 1, each extra lane runs on its own copy of the graph (its own
    /// node instances).
    public var maxConcurrentWaves = 1
    /// Events waiting for a wave, at most.
    public var queueCapacity = 1000
    public var queuePolicy = QueuePolicy.block
    /// Stop the run after this many seconds (nil: run until the sources finish or it is cancelled).
    public var duration: Double?
    /// When stopping, how long the waves in flight may take to finish
    /// before they are cancelled, in seconds.
    public var grace: Double = 5
    /// A failing wave stops the run (default: it is counted and reported, the run goes on).
    public var stopOnError = false

    public init() {}
}

/// Cancels a run from any thread. The run stops dispatching nodes at once,
/// lets the nodes already running finish (native code cannot be interrupted
/// safely), and ends with `.cancelled`.
public final class CancellationToken: Sendable {
    private let flag = Atomic<Bool>(false)
    private let onCancel = Locked<[@Sendable () -> Void]>([])

    public init() {}

    public func cancel() {
        flag.store(true, ordering: .releasing)
        let callbacks = onCancel.withLock { $0 }
        for c in callbacks { c() }
    }

    public var isCancelled: Bool { flag.load(ordering: .acquiring) }

    /// Calls `body` when cancelled (used to wake a waiting scheduler).
    func whenCancelled(_ body: @escaping @Sendable () -> Void) {
        onCancel.withLock { $0.append(body) }
        if isCancelled { body() }
    }
}

/// What a run produced.
public struct RunResult: Sendable {
    public var outcome: RunOutcome
    /// The graph outputs that fired, by name, in the graph's order.
    public var outputs: [(name: String, value: WeftValue)]
    /// Graph outputs that did not fire (their node was skipped or never ran).
    public var missingOutputs: [String]
    /// Node executions.
    public var steps: Int
    /// Wall time of the run in nanoseconds.
    public var duration: UInt64
    /// Runs with event sources: what happened (nil for an ordinary run).
    /// `outputs` are then those of the last wave that finished.
    public var waves: WaveSummary?
    /// A cancelled run: the failure of a node that was running as the run
    /// was stopped (it noticed the stop, or its isolated worker died of the
    /// same Ctrl-C). The run still counts as cancelled; this says what the
    /// stop interrupted.
    public var failureWhileStopping: String?
    /// The flows that finished (`"type": "flow"`), in the order they did:
    /// each one's id and its states run (`{cycle, state, action}` maps; a
    /// flow that ran more than once, in a loop, appears once per run).
    public var stateHistory: [(flow: String, history: WeftValue)] = []
    /// Loop passes that ran as compiled passes (without the ready queue);
    /// for tests and diagnostics.
    package var compiledPasses = 0
    /// Parallel mode: chunks of a worker's batch that the scheduler thread
    /// ran itself, having nothing else to run; for tests and diagnostics.
    package var helpedChunks = 0

    public init(outcome: RunOutcome, outputs: [(name: String, value: WeftValue)], missingOutputs: [String],
                steps: Int, duration: UInt64) {
        self.outcome = outcome
        self.outputs = outputs
        self.missingOutputs = missingOutputs
        self.steps = steps
        self.duration = duration
    }

    /// The outputs as one JSON object.
    public var outputsJSON: WeftValue {
        .object(outputs.map { ($0.name, $0.value) })
    }

    public subscript(output name: String) -> WeftValue? {
        outputs.first { $0.name == name }?.value
    }
}

/// What a run with event sources did.
public struct WaveSummary: Sendable, Equatable {
    /// Why the run stopped.
    public enum StopReason: String, Sendable {
        /// Every source finished (count reached, input ended) and the last wave ran.
        case finished
        /// `duration` elapsed.
        case duration
        /// Cancelled (SIGINT/SIGTERM, `weft_run_cancel`).
        case interrupted
        /// A wave failed and `stopOnError` was set, or a limit (max_steps) was hit.
        case error
    }

    /// Events the sources emitted that the run took (queued or dropped).
    public var events = 0
    /// Waves that ran to an end (succeeded or failed).
    public var waves = 0
    public var failedWaves = 0
    /// Events dropped because the queue was full (drop_oldest / drop_newest).
    public var dropped = 0
    /// Events still queued when the run stopped early (never ran).
    public var discarded = 0
    /// A resumed run: events of sources that emit the same events again
    /// (`event.lines`) whose waves had ended before, skipped.
    public var doneBefore = 0
    public var stopReason = StopReason.finished
    /// Failures, in order: failed waves and sources that ended with an
    /// error — the first `keptFailures` of them, so that a long run whose
    /// waves keep failing keeps memory flat; `omittedFailures` counts the rest.
    public var failures: [String] = [] {
        didSet {
            let extra = failures.count - Self.keptFailures
            if extra > 0 {
                omittedFailures += extra
                failures.removeLast(extra)
            }
        }
    }
    /// Failures after the first `keptFailures`: counted, their messages not kept.
    public var omittedFailures = 0
    /// How many failure messages `failures` keeps.
    public static let keptFailures = 100

    public init() {}

    /// `events 12, waves 12, failed 0, dropped 0` (and discarded, if any).
    public var line: String {
        var s = "events \(events), waves \(waves), failed \(failedWaves), dropped \(dropped)"
        if discarded > 0 { s += ", discarded \(discarded)" }
        if doneBefore > 0 { s += ", done before \(doneBefore)" }
        let sourceErrors = failures.count + omittedFailures - failedWaves
        if sourceErrors > 0 { s += ", source errors \(sourceErrors)" }
        return s
    }
}

/// A run could not start: bad graph inputs.
public struct RunInputError: Error, Sendable, CustomStringConvertible {
    public var messages: [String]
    public var description: String { messages.joined(separator: "\n") }

    /// The messages, with the command line's hint for a missing input
    /// ("; give it with --input …") replaced by `hint` (how the caller's
    /// users give inputs).
    public func messages(hint: String) -> [String] {
        messages.map { m in
            guard let r = m.firstRange(of: "; give it with --input") else { return m }
            return String(m[..<r.lowerBound]) + "; " + hint
        }
    }
}
