import CWeftShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import WeftCore
import WeftNative

/// Runs compiled graphs.
///
/// ```swift
/// let plan = try GraphValidator.load(text: json, catalog: registry)
/// let graph = try CompiledGraph(plan: plan, registry: registry)
/// let result = try Scheduler.run(graph, inputs: ["n": 10])
/// print(result.outputsJSON)
/// ```
///
/// A ready queue drives the run: a node becomes ready when each of its
/// connected inputs holds a value or is dead. Outputs a node did not fire
/// are dead; a node whose required inputs include a dead one (or whose
/// inputs are all dead) is skipped and passes "dead" on, so the join after
/// an if/else runs with the branch that fired. The calling thread is the
/// scheduler thread; in parallel mode node calls run on a worker pool.
public enum Scheduler {
    /// Runs `graph` once and returns when it has finished, failed or been
    /// cancelled.
    /// - Throws: `RunInputError` for unknown, missing or mistyped inputs, or
    ///   if the graph is already running.
    public static func run(_ graph: CompiledGraph, inputs: [String: WeftValue] = [:], options: RunOptions = RunOptions(),
                           cancellation: CancellationToken = CancellationToken()) throws(RunInputError) -> RunResult {
        let values = try resolveInputs(graph.plan, inputs)
        guard graph.running.acquire() else {
            throw RunInputError(messages: ["this compiled graph is already running; compile it again to run it concurrently"])
        }
        defer { graph.running.release() }
        guard !graph.closed else {
            throw RunInputError(messages: ["this compiled graph was closed (its node instances are destroyed); compile it again"])
        }
        var options = options
        if !graph.observers.isEmpty { options.observers += graph.observers as [any RunObserver] }
        if !graph.sources.isEmpty {
            return EventRun(graph: graph, inputs: values, options: options, cancellation: cancellation).run()
        }
        let state = RunState(graph: graph, options: options, cancellation: cancellation)
        return state.run(inputs: values)
    }

    /// Checks run inputs against the graph's declared inputs (unknown names,
    /// types, missing required inputs) without running anything.
    public static func checkInputs(_ plan: GraphPlan, _ given: [String: WeftValue]) throws(RunInputError) {
        _ = try resolveInputs(plan, given)
    }

    /// Checks run inputs against the graph's declared inputs.
    static func resolveInputs(_ plan: GraphPlan, _ given: [String: WeftValue]) throws(RunInputError) -> [WeftValue] {
        var errors: [String] = []
        for name in given.keys.sorted() where !plan.inputs.contains(where: { $0.name == name }) {
            let known = plan.inputs.map(\.name)
            errors.append("unknown graph input '\(name)'; "
                              + (known.isEmpty ? "this graph declares no inputs" : "it declares: \(known.joined(separator: ", "))"))
        }
        var values: [WeftValue] = []
        for input in plan.inputs {
            if let v = given[input.name] {
                if let c = input.type.coerce(v) { values.append(c) } else {
                    errors.append("input '\(input.name)' must be \(input.type), got \(v.kind) \(JSON.encode(v))")
                    values.append(.null)
                }
            } else if let d = input.defaultValue {
                values.append(d)
            } else {
                errors.append("missing graph input '\(input.name)' (\(input.type)); give it with --input \(input.name)=VALUE")
                values.append(.null)
            }
        }
        if !errors.isEmpty { throw RunInputError(messages: errors) }
        return values
    }
}

/// `count` zeroed elements from calloc (free them with `free`). For types
/// whose all-zero bit pattern is a valid value.
@inline(__always)
func zeroed<T>(_ count: Int) -> UnsafeMutablePointer<T> {
    guard let p = calloc(max(count, 1), MemoryLayout<T>.stride) else { fatalError("out of memory") }
    return p.bindMemory(to: T.self, capacity: max(count, 1))
}
