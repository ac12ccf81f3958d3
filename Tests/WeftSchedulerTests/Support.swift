import Testing
import WeftCore
import WeftNative
import WeftScheduler
import WeftTestSupport

/// Shared by the scheduler tests: a registry with the shipped plugins and the
/// fixture plugin, and one-call helpers to run a graph from JSON text.
enum TestGraphs {
    static let registry: NodeRegistry = {
        let r = NodeRegistry()
        let loader = PluginLoader(registry: r)
        _ = loader.load(searchPath: .standard(environment: false, executableDirectory: TestPaths.binDir))
        if let fixture = try? Fixtures.fixture() { _ = try? loader.load(file: fixture) }
        return r
    }()

    static func plan(_ json: String) throws -> GraphPlan {
        try GraphValidator.load(text: json, catalog: registry)
    }

    static func compile(_ json: String) throws -> CompiledGraph {
        try CompiledGraph(plan: try plan(json), registry: registry)
    }

    static func run(_ json: String, inputs: [String: WeftValue] = [:], options: RunOptions = RunOptions()) throws -> RunResult {
        try Scheduler.run(try compile(json), inputs: inputs, options: options)
    }

    /// The diagnostics of a graph that must not validate.
    static func diagnostics(_ json: String) -> [Diagnostic] {
        do {
            _ = try plan(json)
            return []
        } catch let e as GraphError {
            return e.diagnostics
        } catch {
            return [Diagnostic(path: "?", "\(error)")]
        }
    }
}

extension RunEvent {
    /// The event without its time, for order comparisons.
    var shape: String {
        switch self {
        case .runStarted(_, let n, let m, let w): "start \(n) \(m) \(w)"
        case .nodeStarted(_, _, let id, let t): "started \(id) \(t)"
        case .nodeFinished(_, _, let id, let t, _): "finished \(id) \(t)"
        case .nodeFailed(_, _, let id, _, let m): "failed \(id) \(m)"
        case .nodeRecovered(_, _, let id, let how): "recovered \(id) \(how)"
        case .cacheHit(_, _, let id): "cache hit \(id)"
        case .nodeRestored(_, _, let id): "restored \(id)"
        case .itemFailed(_, _, let id, let item, _): "item failed \(id) \(item)"
        case .nodeRetry(_, _, let id, let attempt, let delay, _): "retry \(id) \(attempt) \(delay)"
        case .nodeSkipped(_, _, let id): "skipped \(id)"
        case .flowState(_, _, let id, let state, let cycle, let action): "state \(id) \(cycle) \(state) \(action)"
        case .loopIteration(_, _, let id, let i): "iteration \(id) \(i)"
        case .runFinished(_, let o, let s): "finished \(o.name) \(s)"
        case .waveStarted(_, let w, let src, let e): "wave \(w) \(src) \(e)"
        case .waveFinished(_, let w, let o, let s): "wave \(w) \(o.name) \(s)"
        case .eventDropped(_, let src, let d): "dropped \(src) \(d)"
        case .sourceFinished(_, let src, let m): "source finished \(src) \(m ?? "")"
        }
    }
}
