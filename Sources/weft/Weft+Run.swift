import ArgumentParser
import WeftCore
import WeftNative
import WeftScheduler
import WeftStore
#if canImport(Glibc)
import Glibc
#endif

extension Weft {
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a graph and print its outputs.",
            discussion: """
                Inputs are given as NAME=VALUE; VALUE is read as JSON (10, 2.5, true, [1,2], {"a":1}) \
                and otherwise taken as a string; inputs declared as strings always take VALUE as text.

                A graph with event sources (event.timer, event.cron, event.files, event.lines, event.signal, \
                or a plugin's) runs until its sources finish, --duration passes, or SIGINT/SIGTERM: each event \
                runs one wave through the nodes downstream of its source; a summary line follows on stderr.

                Exit codes: 0 success (an event run: its sources finished or --duration passed); 1 the run \
                failed (node error, limit hit, cancelled; an event run with --stop-on-error and a failed wave; stdout closed by its reader); \
                2 invalid graph, input or usage; 3 paused (weft runs pause; weft runs resume ID continues it); \
                130 interrupted (SIGINT/SIGTERM; also when a node fails as the run stops).
                """)

        @Argument(help: ArgumentHelp("The graph file.", valueName: "graph.json"))
        var graph: String

        @Option(name: .customLong("input"), help: ArgumentHelp("A graph input; repeatable.", valueName: "name=value"))
        var inputList: [String] = []

        @Option(name: .customLong("inputs"), help: ArgumentHelp("A JSON file with an object of graph inputs.", valueName: "file.json"))
        var inputsFile: String?

        @OptionGroup var plugins: PluginOptions

        @OptionGroup var graphFile: GraphFileOptions

        @Option(help: "sequential (one thread, deterministic order) or parallel (a pool of threads).")
        var mode: String = "sequential"

        @Option(help: ArgumentHelp("Compute threads in parallel mode (default: the number of CPUs). Blocking nodes get extra threads.", valueName: "n"))
        var workers: Int?

        @Option(name: .customLong("max-steps"), help: ArgumentHelp("Most node executions before the run fails.", valueName: "n"))
        var maxSteps: Int = 1_000_000

        @Option(name: .customLong("isolate"), help: ArgumentHelp(
            "Run the nodes of this plugin in child processes, so a crash or hang fails the node, not weft; "
                + "repeatable; 'all' for every plugin.", valueName: "plugin"))
        var isolate: [String] = []

        @Flag(name: .customLong("keep-going"), help: "After a node fails, run the nodes that do not depend on it; the run still fails.")
        var keepGoing = false

        @Option(help: ArgumentHelp("Event runs: stop after this many seconds (sources stop, the wave in flight finishes).", valueName: "seconds"))
        var duration: Double?

        @Option(help: ArgumentHelp("Event runs: when stopping, seconds the waves in flight may take before they are cancelled.", valueName: "seconds"))
        var grace: Double = 5

        @Option(name: .customLong("max-concurrent-waves"), help: ArgumentHelp(
            "Event runs: waves that may run at once (1 = one at a time, in event order).", valueName: "n"))
        var maxConcurrentWaves: Int = 1

        @Option(name: .customLong("queue-size"), help: ArgumentHelp("Event runs: events that may wait for a wave.", valueName: "n"))
        var queueSize: Int = 1000

        @Option(name: .customLong("queue-policy"), help: ArgumentHelp(
            "Event runs: when the queue is full, block the source, drop_oldest or drop_newest.", valueName: "policy"))
        var queuePolicy: String = "block"

        @Flag(name: .customLong("stop-on-error"), help: "Event runs: a failing wave stops the run (exit 1); by default it is reported and the run goes on.")
        var stopOnError = false

        @Option(help: ArgumentHelp("Write a Chrome trace (open in Perfetto or chrome://tracing).", valueName: "file.json"))
        var trace: String?

        @Option(help: ArgumentHelp("Write every run event as a JSON line.", valueName: "file.jsonl"))
        var events: String?

        @Flag(help: ArgumentHelp("Print the outputs as one JSON object.",
                                 discussion: "A graph with flows adds \"$state_history\": per flow run, the states it ran."))
        var json = false

        @Flag(help: ArgumentHelp("Print per-node calls and times and the peak memory after the run (a table on stderr; "
                                 + "with --json, under \"$metrics\" in the object).",
                                 discussion: "Gathered from the run's events, like --events: the run takes its usual path."))
        var metrics = false

        @Option(name: .customLong("observer"), help: ArgumentHelp(
            "An observer plugin type to attach to the run, with its params as a JSON object after '='; repeatable.",
            discussion: "Added to the graph's own \"observers\". E.g. --observer 'example_observer.summary={\"top\": 3}'.",
            valueName: "type[=params]"))
        var observers: [String] = []

        @Option(help: ArgumentHelp("Record the run in the run store at this SQLite file ('default': $XDG_STATE_HOME/weft/runs.db); "
                                   + "see `weft runs`.", valueName: "path"))
        var store: String?

        @Flag(name: .customLong("no-store"), help: "Do not record the run (overrides --store and WEFT_STORE).")
        var noStore = false

        @Flag(help: ArgumentHelp("Cache the outputs of every PURE node that runs one call, as \"cache\": true does for one node.",
                                 discussion: "The cache lives in the run store (--store, WEFT_STORE, or the default path)."))
        var cache = false

        @Option(name: .customLong("from"), help: ArgumentHelp(
            "A partial run: this node and everything downstream of it; upstream outputs come from an earlier run (--reuse); repeatable.",
            valueName: "node"))
        var fromNodes: [String] = []

        @Option(name: .customLong("until"), help: ArgumentHelp(
            "A partial run: this node and everything upstream of it (its outputs are printed too); repeatable.", valueName: "node"))
        var untilNodes: [String] = []

        @Option(name: .customLong("only"), help: ArgumentHelp(
            "A partial run: this node alone, its inputs from an earlier run (--reuse; its outputs are printed too); repeatable.",
            valueName: "node"))
        var onlyNodes: [String] = []

        @Option(help: ArgumentHelp("With --from or --only: the stored run whose kept outputs feed the selection "
                                   + "(default: the latest recorded run of this graph file).", valueName: "run-id"))
        var reuse: Int64?

        /// `weft runs resume ID`: this run continues run ID of the store.
        @Option(name: .customLong("resume-run"), help: .hidden)
        var resumeRun: Int64?

        @Flag(name: .shortAndLong, help: "No progress line and no warnings.")
        var quiet = false

        @Flag(help: "Print how long loading, validating, compiling and running took (stderr).")
        var timing = false

        func validate() throws {
            guard RunMode(rawValue: mode) != nil else {
                throw ValidationError("--mode must be sequential or parallel, not '\(mode)'")
            }
            if let workers, workers < 1 { throw ValidationError("--workers must be at least 1") }
            if maxSteps < 1 { throw ValidationError("--max-steps must be at least 1") }
            if let duration, !(duration > 0) { throw ValidationError("--duration must be more than 0 seconds") }
            if !(grace >= 0) { throw ValidationError("--grace must be 0 seconds or more") }
            if maxConcurrentWaves < 1 { throw ValidationError("--max-concurrent-waves must be at least 1") }
            if queueSize < 1 { throw ValidationError("--queue-size must be at least 1") }
            _ = try observerRefs()
            guard EventOptions.QueuePolicy(rawValue: queuePolicy) != nil else {
                throw ValidationError("--queue-policy must be block, drop_oldest or drop_newest, not '\(queuePolicy)'")
            }
        }

        /// `--observer type[=params]`, each as the graph's "observers" holds one.
        func observerRefs() throws -> [HookRef] {
            try observers.map { text in
                let (type, json) = text.firstIndex(of: "=").map { (String(text[..<$0]), String(text[text.index(after: $0)...])) } ?? (text, nil)
                guard !type.isEmpty else { throw ValidationError("--observer '\(text)': give a type, e.g. --observer plugin.name") }
                var params: [(name: String, value: WeftValue)] = []
                if let json {
                    guard case .map(let m)? = try? JSON.parse(json) else {
                        throw ValidationError("--observer \(type): its params must be a JSON object after '=', e.g. \(type)='{\"name\": 1}'")
                    }
                    params = m.map { (name: $0.key, value: $0.value) }
                }
                return HookRef(type: type, params: params, origin: "--observer \(type)")
            }
        }

        func run() throws {
            let token = CancellationToken()
            let watcher = InterruptWatcher(cancelling: token)
            let stdoutWatcher = StdoutWatcher(cancelling: token)

            let t0 = MonotonicClock.now()
            var loading = GraphLoading(file: graph, plugins: plugins, quiet: quiet, maxBytes: graphFile.maxGraphBytes)
            loading.observers = try observerRefs()
            loading.cacheAllPure = cache
            let (registry, loadErrors) = loading.registry()
            if !quiet { for e in loadErrors { Stderr.write("warning: \(e.message)") } }
            registry.isolationPolicy = try isolationPolicy(registry)
            let t1 = MonotonicClock.now()
            let plan = try loading.plan(registry: registry, loadErrors: loadErrors)
            let inputs = try readInputs(plan)
            let t2 = MonotonicClock.now()

            let compiled: CompiledGraph
            do {
                compiled = try CompiledGraph(plan: plan, registry: registry)
                debugMem("after compiling")
            } catch {
                // A worker of an isolated node dies of a Ctrl-C sent to the
                // process group while its node is being created.
                if watcher.received != 0 { throw interrupted(because: "\(graph): \(error)") }
                Stderr.write("error: \(graph): \(error)")
                throw ExitCode(1)
            }

            let t3 = MonotonicClock.now()
            var observers: [any RunObserver] = []
            var traceWriter: ChromeTraceWriter?
            var eventWriter: EventLogWriter?
            do {
                if let trace { traceWriter = try ChromeTraceWriter(path: trace); observers.append(traceWriter!) }
                if let events { eventWriter = try EventLogWriter(path: events); observers.append(eventWriter!) }
            } catch {
                Stderr.write("error: \(error)")
                throw ExitCode(2)
            }
            // The run store (--store, or WEFT_STORE): the run recorded as it
            // goes, each node's outputs kept as it completes (so that
            // `weft runs resume` can go on from them).
            var runStore: RunStore?
            let recordPath = StoreLocation.path(given: noStore ? nil : store, useEnvironment: !noStore)
            // Cached nodes keep their outputs in a store too (the default one if none is named).
            let cachePath = plan.nodes.contains { $0.cache != nil }
                ? (StoreLocation.path(given: store, useEnvironment: true) ?? RunStore.defaultPath(environment: StoreLocation.environment))
                : nil
            if let path = recordPath ?? cachePath {
                do {
                    runStore = try RunStore(path: path)
                } catch {
                    Stderr.write("error: \(error)")
                    throw ExitCode(2)
                }
            }
            let isEventRun = !compiled.sources.isEmpty
            // (Checked before the run is recorded: a refused selection records nothing.)
            let partialRun = try partial(plan, isEventRun: isEventRun, recordStore: runStore)
            var recording: RecordedRun?
            if let runStore, recordPath != nil {
                do {
                    let text = (try? loading.text()) ?? #"{"unavailable": "the graph was read from a stream"}"#
                    recording = try RecordedRun(store: runStore, graphText: text, graphPath: loading.subgraphFile, inputs: inputs,
                                                mode: mode, startedBy: Self.commandLine(), resume: resumeRun, checkpointing: !isEventRun)
                } catch {
                    Stderr.write("error: \(error)")
                    throw ExitCode(2)
                }
            } else if resumeRun != nil {
                Stderr.write("error: --resume-run needs the run store (--store)")
                throw ExitCode(2)
            }
            // Not an observer: it reads counters, so the run keeps its fast paths.
            let progressLine = quiet ? nil : ProgressLine(eventRun: isEventRun) { [plan] in plan.nodes[$0].id }
            if isEventRun { observers.append(WaveFailureReporter(stdout: stdoutWatcher)) }
            let metricsRecorder = metrics ? MetricsRecorder() : nil
            if let metricsRecorder { observers.append(metricsRecorder) }

            var options = RunOptions(mode: RunMode(rawValue: mode) ?? .sequential, workers: workers, maxSteps: maxSteps,
                                     observers: observers)
            options.maxSteps = maxSteps
            options.keepGoing = keepGoing
            options.events.duration = duration
            options.events.grace = grace
            options.events.maxConcurrentWaves = maxConcurrentWaves
            options.events.queueCapacity = queueSize
            options.events.queuePolicy = EventOptions.QueuePolicy(rawValue: queuePolicy) ?? .block
            options.events.stopOnError = stopOnError
            options.progress = progressLine?.progress
            if let runStore, cachePath != nil {
                let warnings = quiet
                options.cache = StoreCache(store: runStore) { if !warnings { Stderr.write("warning: \($0)") } }
            }
            recording?.attach(to: &options) { token.cancel() }
            if let partialRun {
                options.checkpoints = partialRun.run.checkpoints(kept: partialRun.kept, inner: options.checkpoints,
                                                                 targets: untilNodes + onlyNodes)
            }
            // (Only --json prints the flows' state histories.)
            options.keepsStateHistory = json
            let result: RunResult
            do {
                progressLine?.start()
                defer { progressLine?.finish() }
                result = try Scheduler.run(compiled, inputs: inputs, options: options, cancellation: token)
            } catch {
                Stderr.write("error: \(error)")
                recording?.refused("\(error)")
                throw ExitCode(2)
            }
            if let recording {
                // Paused (`weft runs pause`): stopped as when cancelled, and resumable.
                let (state, failure) = recording.finish(result, interrupted: watcher.received != 0)
                if let failure {
                    Stderr.write("error: the run store: \(failure) (run \(recording.id) is recorded in part)")
                    throw ExitCode(1)
                }
                if !quiet {
                    if recording.resumed {
                        let n = recording.restoredCount
                        Stderr.write("resumed: \(n) node completion\(n == 1 ? "" : "s") restored from run \(recording.id)")
                    }
                    Stderr.write("stored: run \(recording.id) in \(runStore?.path ?? "") (weft runs show \(recording.id))")
                }
                if state == "paused" {
                    Stderr.write("paused: run \(recording.id) (weft runs resume \(recording.id) continues it)")
                    throw ExitCode(3)
                }
            }
            if timing {
                func ms(_ a: UInt64, _ b: UInt64) -> String { String(format2: Double(b - a) / 1e6) + " ms" }
                let perStep = result.steps > 0 ? " (\(result.duration / UInt64(result.steps)) ns per step)" : ""
                Stderr.write("timing: plugins \(ms(t0, t1)), read+validate \(ms(t1, t2)), compile \(ms(t2, t3)), "
                                 + "run \(String(format2: Double(result.duration) / 1e6)) ms for \(result.steps) steps\(perStep)")
            }
            do {
                try traceWriter?.close()
                try eventWriter?.close()
            } catch {
                Stderr.write("error: \(error)")
            }

            // A reader that closed stdout stops the run (unless a signal did).
            let stdoutClosed = watcher.received == 0 && stdoutWatcher.isBroken
            if let waves = result.waves, !quiet, waves.events > 0 || waves.stopReason != .error {
                var why: String
                switch waves.stopReason {
                case .finished: why = "every source finished"
                case .duration: why = "--duration passed"
                case .interrupted: why = "interrupted"
                case .error: why = "stopped on error"
                }
                if stdoutClosed { why = "stdout closed" }
                Stderr.write("summary: \(waves.line) (\(why))")
            }
            if stdoutClosed {
                StdoutWatcher.reportBroken()
                throw ExitCode(1)
            }
            if json {
                var doc = result.outputs.map { ($0.name, $0.value) }
                // ("$metrics" is no output's name: output names are identifiers.)
                if !result.stateHistory.isEmpty {
                    doc.append(("$state_history", .list(result.stateHistory.map { ["flow": .string($0.flow), "states": $0.history] })))
                }
                doc += targetOutputs(plan, options.checkpoints)
                if let metricsRecorder { doc.append(("$metrics", metricsRecorder.json())) }
                print(JSON.encode(.object(doc), pretty: true))
            } else {
                for (name, value) in result.outputs + targetOutputs(plan, options.checkpoints) { print("\(name) = \(value)") }
                if let metricsRecorder { Stderr.write(metricsRecorder.table()) }
            }
            guard StdoutWatcher.flush() else { throw ExitCode(1) }
            if !quiet && result.outcome == .succeeded {
                // An event run prints the last wave's outputs: name those it left out.
                let (when, why) = switch result.waves?.waves {
                case nil: ("", "its node was skipped or did not run")
                case 0?: ("", "no event came, so no wave ran")
                case _?: (" in the last wave", "its node was skipped or did not run")
                }
                // (A partial run's left-out nodes give no outputs: that is what was asked.)
                let leftOut = Set(plan.outputs.filter { partialRun?.run.skipped.contains(plan.nodes[$0.node].id) == true }.map(\.name))
                for name in result.missingOutputs where !leftOut.contains(name) {
                    Stderr.write("warning: output '\(name)' did not fire\(when) (\(why))")
                }
            }
            switch result.outcome {
            case .succeeded:
                return
            case .failed(let message, _):
                // Once SIGINT/SIGTERM came, the exit is 130 whatever the
                // node that was running then did (an isolated worker dies
                // of the same Ctrl-C, a timeout_ms kill ends the wait).
                if watcher.received != 0 { throw interrupted(because: message) }
                Stderr.write("error: run failed: \(message)")
                throw ExitCode(1)
            case .cancelled:
                if watcher.received != 0 {
                    if let failure = result.failureWhileStopping { throw interrupted(because: failure) }
                    Stderr.write("interrupted")
                    throw ExitCode(130)
                }
                Stderr.write("error: run cancelled")
                throw ExitCode(1)
            }
        }

        /// `--from`, `--until`, `--only`: the selection, and the outputs
        /// kept by the run it reuses (`--reuse`, or the latest of this
        /// graph file in the store) — or exit 2 naming each missing value.
        func partial(_ plan: GraphPlan, isEventRun: Bool, recordStore: RunStore?) throws -> (run: PartialRun, kept: [String: [[WeftValue?]]])? {
            guard !(fromNodes.isEmpty && untilNodes.isEmpty && onlyNodes.isEmpty) else {
                if reuse != nil { throw ValidationError("--reuse is for partial runs: give --from, --until or --only too") }
                return nil
            }
            if isEventRun {
                Stderr.write("error: \(graph): partial runs (--from, --until, --only) are for graphs without event sources")
                throw ExitCode(2)
            }
            let selection: PartialRun
            do {
                selection = try PartialRun(plan: plan, from: fromNodes, until: untilNodes, only: onlyNodes)
            } catch {
                for m in error.messages { Stderr.write("error: \(m)") }
                throw ExitCode(2)
            }
            guard !selection.needed.isEmpty else { return (selection, [:]) }
            let asked = (fromNodes + onlyNodes).map { "--\(fromNodes.contains($0) ? "from" : "only") \($0)" }.joined(separator: " ")
            // The values come from a run in the store (the one this run records into, else the usual one).
            guard let path = recordStore?.path ?? StoreLocation.path(given: store, useEnvironment: true)
                    ?? RunStore.defaultPath(environment: StoreLocation.environment) else {
                Stderr.write("error: \(asked) needs the outputs of an earlier run: give --store PATH")
                throw ExitCode(2)
            }
            let reading = try recordStore ?? StoreLocation.checked { () throws(StoreError) in try RunStore(path: path) }
            let file = GraphLoading(file: graph, plugins: plugins, quiet: quiet).subgraphFile
            let source = try StoreLocation.checked { () throws(StoreError) -> Int64? in
                if let reuse {
                    guard try reading.run(reuse) != nil else {
                        throw StoreError("--reuse \(reuse): no run \(reuse) in \(reading.path); weft runs list shows the runs there")
                    }
                    return reuse
                }
                // The newest run of this graph file that kept every value needed (else the newest, to name what it lacks).
                let candidates = try reading.runsKeepingOutputs(graphPath: file)
                for id in candidates where selection.missing(in: try reading.checkpoints(of: id)).isEmpty { return id }
                return candidates.first
            }
            guard let source else {
                Stderr.write("error: \(asked) needs the outputs of the nodes upstream of it, and no run of \(graph) in \(reading.path) "
                                 + "kept any: run the whole graph once with --store \(reading.path), or name a run with --reuse ID")
                throw ExitCode(2)
            }
            let kept = try StoreLocation.checked { () throws(StoreError) in try reading.checkpoints(of: source) }
            let missing = selection.missing(in: kept)
            if !missing.isEmpty {
                for id in missing {
                    Stderr.write("error: \(asked) needs the outputs of '\(id)', which run \(source) did not keep "
                                     + "(it did not run there, or the run stopped before it)")
                }
                Stderr.write("note: run the whole graph once with --store \(reading.path), or name a run that ran "
                                 + "\(missing.count == 1 ? "it" : "them") with --reuse ID")
                throw ExitCode(2)
            }
            if !quiet { Stderr.write("partial: \(selection.selected.count) node\(selection.selected.count == 1 ? "" : "s") run, "
                                     + "\(selection.restored.count) restored from run \(source), \(selection.skipped.count) left out") }
            return (selection, kept)
        }

        /// The outputs of the `--until` and `--only` nodes, as `node.port` entries.
        func targetOutputs(_ plan: GraphPlan, _ checkpoints: (any RunCheckpoints)?) -> [(String, WeftValue)] {
            guard let partial = checkpoints as? PartialCheckpoints else { return [] }
            var out: [(String, WeftValue)] = []
            for id in untilNodes + onlyNodes {
                guard let node = plan.nodes.first(where: { $0.id == id }), let values = partial.outputs[id] else { continue }
                for (port, value) in zip(node.spec.outputs, values) {
                    if let value { out.append(("\(id).\(port.name)", value)) }
                }
            }
            return out
        }

        /// How this run was started, for `weft runs resume`: the working
        /// folder and the arguments after `weft run`.
        static func commandLine() -> WeftValue {
            let argv = CommandLine.arguments
            let args = argv.count > 1 && argv[1] == "run" ? Array(argv.dropFirst(2)) : []
            var cwd = "."
            if let p = getcwd(nil, 0) {
                cwd = String(cString: p)
                free(p)
            }
            return ["cwd": .string(cwd), "args": .list(args.map { .string($0) })]
        }

        /// Reports a run stopped by SIGINT/SIGTERM, during which `failure`
        /// happened (printed as what the stop interrupted), and returns the
        /// exit code 130 to throw.
        func interrupted(because failure: String) -> ExitCode {
            Stderr.write("interrupted (while stopping: \(failure))")
            return ExitCode(130)
        }

        /// `--isolate` names checked against the loaded plugins; the worker
        /// is this executable (or WEFT_WORKER).
        func isolationPolicy(_ registry: NodeRegistry) throws -> IsolationPolicy {
            var names = Set<String>()
            let loaded = registry.plugins.map(\.name)
            for name in isolate {
                if name == "all" || name == "*" {
                    names.insert("*")
                } else if loaded.contains(name) {
                    names.insert(name)
                } else {
                    Stderr.write("error: --isolate \(name): no plugin named '\(name)' is loaded; "
                                     + (loaded.isEmpty ? "no plugins are loaded" : "loaded: \(loaded.sorted().joined(separator: ", "))")
                                     + " (or give 'all')")
                    throw ExitCode(2)
                }
            }
            return IsolationPolicy(plugins: names, workerExecutable: IsolationPolicy.defaultWorker())
        }

        /// `--inputs FILE` then each `--input NAME=VALUE` (later wins).
        func readInputs(_ plan: GraphPlan) throws -> [String: WeftValue] {
            var values: [String: WeftValue] = [:]
            if let inputsFile {
                let text = try GraphLoading(file: inputsFile, plugins: plugins, quiet: quiet, maxBytes: graphFile.maxGraphBytes).text()
                do {
                    guard let entries = try JSON.parse(text).mapEntries else {
                        Stderr.write("error: \(inputsFile): must hold a JSON object of input name: value")
                        throw ExitCode(2)
                    }
                    for (k, v) in entries { values[k] = v }
                } catch let error as JSONSyntaxError {
                    Stderr.write("error: \(inputsFile): not valid JSON: \(error)")
                    throw ExitCode(2)
                }
            }
            for item in inputList {
                guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                    Stderr.write("error: --input \(item): write it as NAME=VALUE")
                    throw ExitCode(2)
                }
                let name = String(item[..<eq])
                let raw = String(item[item.index(after: eq)...])
                let declared = plan.inputs.first { $0.name == name }?.type
                if declared == .string {
                    values[name] = .string(raw)
                } else {
                    values[name] = (try? JSON.parse(raw)) ?? .string(raw)
                }
            }
            return values
        }
    }
}

/// Event runs: prints each failed wave as it happens (the run goes on
/// unless --stop-on-error), and sources that end with an error. Waves that
/// fail once stdout's reader is gone are not printed: that ends the run
/// with one message instead (`StdoutWatcher`).
final class WaveFailureReporter: RunObserver, @unchecked Sendable {
    private let stdout: StdoutWatcher

    init(stdout: StdoutWatcher) { self.stdout = stdout }

    func receive(_ event: RunEvent) {
        switch event {
        case .waveFinished(_, let wave, .failed(let message, _), _):
            if stdout.isBroken { return }
            Stderr.write("error: wave \(wave) failed: \(message)")
        case .sourceFinished(_, let source, let message?):
            Stderr.write("error: source '\(source)' failed: \(message)")
        default:
            break
        }
    }
}
