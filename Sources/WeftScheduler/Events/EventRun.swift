import Synchronization
import WeftCore
import WeftNative

/// The event strategy: a run of a graph with event sources.
///
/// Sources are started once and emit from threads of their own; each event
/// goes into a bounded queue (policy block / drop_oldest / drop_newest) and
/// becomes one *wave*: a `RunState` over the graph in which the firing
/// source's outputs carry the event's payload and the other sources' are
/// dead, so only what the event reaches runs (plus nodes that depend on no
/// source at all). Waves run one at a time, in event order, unless
/// `maxConcurrentWaves` allows more lanes (each lane its own compiled copy
/// of the graph).
///
/// The run stops when every source has finished and the queue is empty,
/// when `duration` elapses, when it is cancelled, or when a wave fails with
/// `stopOnError` (or a limit is hit). Stopping: sources stop first, queued
/// events are discarded, waves in flight get `grace` seconds to finish and
/// are then cancelled.
final class EventRun: @unchecked Sendable {
    let graph: CompiledGraph
    let inputs: [WeftValue]
    let options: RunOptions
    let cancellation: CancellationToken
    let hub: EventHub

    private let lock = ConditionLock()
    // Guarded by `lock`:
    private var queue = EventQueue()
    private var accepted: [Int: Int] = [:]
    private var finished = Set<Int>()
    /// Sources that reached max_events: the driver stops them.
    private var toStop: [Int] = []
    /// Sources already stopped (or being stopped) early, and how many of
    /// those stops are still running on their own threads.
    private var stoppedEarly = Set<Int>()
    private var earlyStopsRunning = 0
    private var stopping = false
    private var stopReason: WaveSummary.StopReason?
    private var inflight = 0
    private var freeLanes: [Int] = []
    private var waveTokens: [Int: CancellationToken] = [:]
    private var summary = WaveSummary()
    private var steps = 0
    /// `max_steps` for all waves together.
    private let budget: StepBudget
    private var limitFailure: (message: String, node: String?)?
    private var lastOutputs: [(name: String, value: WeftValue)] = []
    private var lastMissing: [String] = []
    private var nextWave = 1
    /// A resumed run: per source, its first events to skip (their waves
    /// ended before; see `replayable`).
    private var skip: [Int: Int] = [:]

    /// Source types that emit the same events when started again.
    static let replayable: Set<String> = ["event.lines"]

    init(graph: CompiledGraph, inputs: [WeftValue], options: RunOptions, cancellation: CancellationToken) {
        self.graph = graph
        self.inputs = inputs
        self.options = options
        self.cancellation = cancellation
        hub = EventHub(observers: options.observers, start: MonotonicClock.now(), graph: graph)
        budget = StepBudget(options.maxSteps, concurrentWaves: options.events.maxConcurrentWaves > 1)
        lastMissing = graph.plan.outputs.map(\.name)
    }

    private var queued: Int { queue.count }

    func run() -> RunResult {
        let t0 = MonotonicClock.now()
        let eo = options.events
        hub.startDelivery()
        hub.emit(.runStarted(time: 0, nodes: graph.count, mode: options.mode,
                             workers: options.mode == .parallel ? options.workers : 1))

        // Lanes: the graph itself, plus a compiled copy per extra concurrent wave.
        var lanes: [CompiledGraph] = [graph]
        for _ in 1..<max(1, eo.maxConcurrentWaves) {
            do {
                let copy = try CompiledGraph(plan: graph.plan, registry: graph.registry, observed: false)
                _ = copy.running.acquire()
                lanes.append(copy)
            } catch {
                return end(t0, .failed(message: "cannot compile a copy of the graph for a concurrent wave: \(error)", node: error.nodeId))
            }
        }
        freeLanes = Array((0..<lanes.count).reversed())
        defer { for copy in lanes.dropFirst() { copy.running.release(); copy.close() } }

        if let checkpoints = options.checkpoints {
            for s in graph.sources where Self.replayable.contains(graph.plan.nodes[s].type) {
                let done = checkpoints.eventsDone(source: graph.ids[s])
                if done > 0 { skip[s] = done }
            }
        }
        // Start the sources, in node order.
        var started: [(node: Int, source: any EventSource)] = []
        for s in graph.sources {
            guard let instance = graph.instances[s], let factory = instance.type.source else { continue }
            let id = graph.ids[s]
            let failure: String?
            switch factory(instance) {
            case .failure(let e):
                failure = e.message
            case .success(let source):
                let emitter = EventEmitter(
                    nodeId: id, outputCount: graph.outputCount(s),
                    sink: { [weak self] payload in self?.offer(s, payload) ?? false },
                    done: { [weak self] error in self?.sourceDone(s, error) },
                    accepting: { [weak self] in self?.accepts(s) ?? false })
                do {
                    try source.start(emitter)
                    started.append((s, source))
                    failure = nil
                } catch {
                    failure = error.message
                }
            }
            if let failure {
                for (_, src) in started.reversed() { src.stop() }
                lock.withLock { summary.stopReason = .error }
                return end(t0, .failed(message: "node '\(id)' (\(graph.plan.nodes[s].type)): \(failure)", node: id))
            }
        }

        cancellation.whenCancelled { [lock] in lock.withLock { lock.broadcast() } }
        let deadline = eo.duration.map { t0 + UInt64(max(0, $0) * 1e9) }

        // The driver loop: hand queued events to free lanes until told to stop.
        lock.lock()
        while true {
            if stopReason == nil && cancellation.isCancelled { stopReason = .interrupted }
            if stopReason == nil, let deadline, MonotonicClock.now() >= deadline { stopReason = .duration }
            if stopReason != nil { break }
            if !toStop.isEmpty {
                // On threads of their own: a source's thread may be waiting
                // for room in the queue, which only this loop makes.
                for (n, src) in started where toStop.contains(n) && stoppedEarly.insert(n).inserted {
                    earlyStopsRunning += 1
                    let spawned = POSIXThread.spawn { [self] in
                        src.stop()
                        lock.withLock {
                            earlyStopsRunning -= 1
                            lock.broadcast()
                        }
                    }
                    if !spawned { earlyStopsRunning -= 1; stoppedEarly.remove(n) }
                }
                toStop.removeAll()
                continue
            }
            if queued > 0, let lane = freeLanes.popLast(), let e = queue.popFirst() {
                lock.broadcast()  // a source blocked on a full queue may go on
                startWave(RunState.Wave(number: nextWave, source: e.source, event: e.event, payload: e.payload),
                          lane: lane, graph: lanes[lane])
                nextWave += 1
                continue
            }
            if queued == 0 && inflight == 0 && finished.count == graph.sources.count {
                stopReason = .finished
                break
            }
            var wait: UInt64 = 200_000_000
            if let deadline { wait = min(wait, deadline &- min(deadline, MonotonicClock.now())) }
            lock.wait(nanoseconds: max(wait, 1_000_000))
        }
        // Stop: no more events, sources first, then the queue, then the waves in flight.
        stopping = true
        lock.broadcast()
        let alreadyStopped = stoppedEarly
        lock.unlock()
        for (n, src) in started.reversed() where !alreadyStopped.contains(n) { src.stop() }
        lock.lock()
        while earlyStopsRunning > 0 { lock.wait(nanoseconds: 50_000_000) }
        summary.discarded += queued
        queue.removeAll()
        let graceEnd = MonotonicClock.now() + UInt64(max(0, eo.grace) * 1e9)
        var cancelledInflight = false
        while inflight > 0 {
            let now = MonotonicClock.now()
            if now >= graceEnd && !cancelledInflight {
                cancelledInflight = true
                for token in waveTokens.values { token.cancel() }
            }
            lock.wait(nanoseconds: cancelledInflight ? 50_000_000 : min(50_000_000, graceEnd - min(graceEnd, now) + 1))
        }
        let reason = stopReason ?? .finished
        summary.stopReason = reason
        lock.unlock()

        let outcome: RunOutcome
        if let limitFailure {
            outcome = .failed(message: limitFailure.message, node: limitFailure.node)
        } else {
            switch reason {
            case .finished, .duration: outcome = .succeeded
            case .interrupted: outcome = .cancelled
            case .error:
                outcome = .failed(message: summary.failures.first ?? "a wave failed", node: nil)
            }
        }
        return end(t0, outcome)
    }

    private func end(_ t0: UInt64, _ outcome: RunOutcome) -> RunResult {
        let total = lock.withLock { steps }
        hub.emit(.runFinished(time: hub.now(), outcome: outcome, steps: total))
        var result = RunResult(outcome: outcome, outputs: lastOutputs, missingOutputs: lastMissing, steps: total,
                               duration: MonotonicClock.now() - t0)
        // Every event delivered before the run returns.
        hub.drain()
        result.waves = lock.withLock { summary }
        return result
    }

    /// Starts one wave on a thread of its own. Call with the lock held.
    private func startWave(_ wave: RunState.Wave, lane: Int, graph laneGraph: CompiledGraph) {
        inflight += 1
        let token = CancellationToken()
        waveTokens[wave.number] = token
        let state = RunState(graph: laneGraph, options: options, cancellation: token, hub: hub, wave: wave,
                             lane: lane * 100, budget: budget)
        let inputs = self.inputs
        if let p = options.progress {
            p.wavesStarted.add(1, ordering: .relaxed)
            p.currentWave.store(wave.number, ordering: .relaxed)
            p.currentSource.store(wave.source, ordering: .relaxed)
        }
        let spawned = POSIXThread.spawn { [self] in
            let result = state.run(inputs: inputs)
            waveEnded(wave, lane: lane, result, reachedMaxSteps: state.reachedMaxSteps)
        }
        if !spawned {
            inflight -= 1
            waveTokens[wave.number] = nil
            freeLanes.append(lane)
            summary.failures.append("wave \(wave.number): could not start a thread")
            summary.failedWaves += 1
        }
    }

    private func waveEnded(_ wave: RunState.Wave, lane: Int, _ result: RunResult, reachedMaxSteps: Bool) {
        lock.withLock {
            inflight -= 1
            freeLanes.append(lane)
            waveTokens[wave.number] = nil
            steps += result.steps
            summary.waves += 1
            if let p = options.progress {
                p.steps.store(steps, ordering: .relaxed)
                p.wavesFinished.add(1, ordering: .relaxed)
                if case .failed = result.outcome { p.failedWaves.add(1, ordering: .relaxed) }
            }
            lastOutputs = result.outputs
            lastMissing = result.missingOutputs
            if case .failed(let message, let node) = result.outcome {
                summary.failedWaves += 1
                summary.failures.append("wave \(wave.number) (\(graph.ids[wave.source]) event \(wave.event)): \(message)")
                if reachedMaxSteps {  // the run's budget is used up: the wave's message says so
                    if limitFailure == nil { limitFailure = (message, node) }
                    if stopReason == nil { stopReason = .error }
                } else if options.events.stopOnError && stopReason == nil {
                    stopReason = .error
                }
            }
            lock.broadcast()
        }
    }

    // MARK: called by sources, from their threads

    private func accepts(_ s: Int) -> Bool {
        lock.withLock { !stopping && !finished.contains(s) }
    }

    /// Queues an event of source `s`; false once the run takes no more from it.
    private func offer(_ s: Int, _ payload: [WeftValue?]) -> Bool {
        var emitted: [RunEvent] = []
        defer { for e in emitted { hub.emit(e) } }
        lock.lock()
        defer { lock.unlock() }
        guard !stopping, !finished.contains(s) else { return false }
        let n = accepted[s, default: 0] + 1
        accepted[s] = n
        if let limit = graph.plan.nodes[s].maxEvents, n >= limit {
            finished.insert(s)
            toStop.append(s)
            emitted.append(.sourceFinished(time: hub.now(), source: graph.ids[s], message: nil))
        }
        if n <= skip[s, default: 0] {
            // Its wave ended before this run was resumed.
            summary.doneBefore += 1
            return true
        }
        summary.events += 1
        let eo = options.events
        if queued >= eo.queueCapacity {
            switch eo.queuePolicy {
            case .block:
                while queued >= eo.queueCapacity && !stopping { lock.wait(nanoseconds: 100_000_000) }
                if stopping { return false }
            case .dropOldest:
                let oldest = queue.popFirst()
                summary.dropped += 1
                options.progress?.dropped.store(summary.dropped, ordering: .relaxed)
                emitted.append(.eventDropped(time: hub.now(), source: graph.ids[oldest?.source ?? s],
                                             dropped: summary.dropped))
            case .dropNewest:
                summary.dropped += 1
                options.progress?.dropped.store(summary.dropped, ordering: .relaxed)
                emitted.append(.eventDropped(time: hub.now(), source: graph.ids[s], dropped: summary.dropped))
                lock.broadcast()
                return true
            }
        }
        queue.append(EventQueue.Entry(source: s, event: n, payload: payload))
        lock.broadcast()
        return true
    }

    private func sourceDone(_ s: Int, _ error: String?) {
        let first = lock.withLock { () -> Bool in
            if let error {
                summary.failures.append("node '\(graph.ids[s])' (\(graph.plan.nodes[s].type)): \(error)")
                if options.events.stopOnError && stopReason == nil { stopReason = .error }
            }
            let inserted = finished.insert(s).inserted
            lock.broadcast()
            return inserted
        }
        if first { hub.emit(.sourceFinished(time: hub.now(), source: graph.ids[s], message: error)) }
    }
}
