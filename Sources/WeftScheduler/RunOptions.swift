import Synchronization
import WeftCore

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
    /// Observers of the run's events.
    public var observers: [any RunObserver] = []

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

/// Cancels a run from any thread. The run stops dispatching nodes at once,
/// lets the nodes already running finish (native code cannot be interrupted
/// safely), and ends with `.cancelled`.
public final class CancellationToken: Sendable {
    private let flag = Atomic<Bool>(false)
    private let onCancel = Mutex<[@Sendable () -> Void]>([])

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

/// A run could not start: bad graph inputs.
public struct RunInputError: Error, Sendable, CustomStringConvertible {
    public var messages: [String]
    public var description: String { messages.joined(separator: "\n") }
}
