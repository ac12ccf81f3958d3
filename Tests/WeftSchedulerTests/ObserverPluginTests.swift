import CWeft
import Foundation
import Testing
import WeftCore
import WeftNative
import WeftScheduler
import WeftTestSupport

/// Observer plugins (ABI v4): a type whose descriptor sets `observe`,
/// listed in a graph's `"observers"`. `fixture.recorder` appends to its
/// `path` "open" (create), a line "KIND NODE ITERATION MESSAGE" per event,
/// and "close" (destroy).
@Suite("Observer plugins")
struct ObserverPluginTests {
    /// The shipped plugins, the built-in sources and the fixture.
    static let registry: NodeRegistry = {
        let r = NodeRegistry()
        BuiltinSources.register(into: r)
        let loader = PluginLoader(registry: r)
        _ = loader.load(searchPath: .standard(environment: false, executableDirectory: TestPaths.binDir))
        if let fixture = try? Fixtures.fixture() { _ = try? loader.load(file: fixture) }
        return r
    }()

    static func compile(_ json: String) throws -> CompiledGraph {
        try CompiledGraph(plan: try GraphValidator.load(text: json, catalog: registry), registry: registry)
    }

    /// A graph with a loop, a branch not taken and a failing node its
    /// on_error routes; `observers` goes in at the top.
    static func graph(observers: String = "") -> String {
        """
        {"weft": 1\(observers), "inputs": {"n": "int"},
         "nodes": [
           {"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}, "max_iterations": 100},
           {"id": "more", "type": "std.lt"}, {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
           {"id": "sq", "type": "std.mul"},
           {"id": "pick", "type": "fixture.branch"}, {"id": "never", "type": "fixture.echo"},
           {"id": "bad", "type": "fixture.fails", "on_error": {"default": {"n": 7}}}],
         "edges": [
           {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
           {"from": "inc.result", "to": "more.a"}, {"from": "$n", "to": "more.b"}, {"from": "more.result", "to": "loop.continue"},
           {"from": "loop.done_i", "to": "sq.a"}, {"from": "loop.done_i", "to": "sq.b"},
           {"from": "more.result", "to": "pick.cond"}, {"from": "pick.no", "to": "never.value"}],
         "outputs": {"square": "sq.result", "fallback": "bad.n"}}
        """
    }

    static func recorder(_ path: String) -> String {
        #", "observers": [{"type": "fixture.recorder", "params": {"path": "\#(path)"}}]"#
    }

    /// The line `fixture.recorder` writes for `event`.
    static func line(_ event: RunEvent) -> String {
        var text = ""
        CEvent.with(event) { e in
            let node = e.pointee.node_id.map { String(cString: $0) } ?? "-"
            let message = e.pointee.message.map { String(cString: $0) } ?? "-"
            text = "\(e.pointee.kind) \(node) \(e.pointee.iteration) \(message)"
        }
        return text
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test(arguments: [RunMode.sequential, .parallel])
    func anObserverPluginSeesWhatASwiftObserverSeesAndChangesNoAnswer(mode: RunMode) throws {
        let path = try TestPaths.scratch("observer") + "/events.txt"
        let swift = EventRecorder()
        let observed = try Scheduler.run(try Self.compile(Self.graph(observers: Self.recorder(path))), inputs: ["n": 4],
                                         options: RunOptions(mode: mode, workers: 2, observers: [swift]))
        let plain = try Scheduler.run(try Self.compile(Self.graph()), inputs: ["n": 4], options: RunOptions(mode: mode, workers: 2))
        #expect(observed.outcome == .succeeded, "\(observed.outcome)")
        #expect(observed[output: "square"] == .int(9) && observed[output: "fallback"] == .int(7), "\(observed.outputs)")
        #expect(observed.outputs.map(\.value) == plain.outputs.map(\.value))
        #expect(observed.steps == plain.steps)

        let lines = try Self.lines(path)
        #expect(lines.first == "open")
        // (The compiled graph is gone: its observer's destroy wrote "close".)
        let seen = Array(lines.dropFirst().filter { $0 != "close" })
        #expect(seen == swift.events.map(Self.line))
        #expect(seen.first == "\(WEFT_EVENT_RUN_STARTED) - 0 -")
        #expect(seen.last == "\(WEFT_EVENT_RUN_FINISHED) - 0 -")
        #expect(seen.contains("\(WEFT_EVENT_LOOP_ITERATION) loop 3 -"))
        #expect(seen.contains("\(WEFT_EVENT_NODE_SKIPPED) never 0 -"))
        #expect(seen.contains("\(WEFT_EVENT_NODE_FAILED) bad 0 fixture.fails: this node always fails"))
        #expect(seen.contains("\(WEFT_EVENT_NODE_RECOVERED) bad 0 default"))
    }

    @Test func oneInstanceSeesEveryRunOfItsCompiledGraph() throws {
        let path = try TestPaths.scratch("observer") + "/events.txt"
        let compiled = try Self.compile(Self.graph(observers: Self.recorder(path)))
        for n in [2, 3] { _ = try Scheduler.run(compiled, inputs: ["n": .int(Int64(n))]) }
        let seen = try Self.lines(path)
        #expect(seen.filter { $0 == "open" }.count == 1)
        #expect(seen.filter { $0.hasPrefix("\(WEFT_EVENT_RUN_STARTED) ") }.count == 2)
        #expect(seen.filter { $0.hasPrefix("\(WEFT_EVENT_RUN_FINISHED) ") }.count == 2)
        #expect(seen.last == "\(WEFT_EVENT_RUN_FINISHED) - 0 -")
        compiled.close()
        #expect(try Self.lines(path) == seen + ["close"])
    }

    /// An event run with two lanes compiles a copy of the graph for the
    /// second: the copy makes no observer (its create would truncate the
    /// file), and the one instance sees the whole run.
    @Test func anEventRunWithTwoLanesHasOneObserver() throws {
        let path = try TestPaths.scratch("observer") + "/events.txt"
        let compiled = try Self.compile("""
            {"weft": 1\(Self.recorder(path)),
             "nodes": [{"id": "t", "type": "event.timer", "params": {"interval_ms": 2, "count": 4}},
                       {"id": "add", "type": "std.add", "inputs": {"b": 100}}],
             "edges": [{"from": "t.tick", "to": "add.a"}], "outputs": {"sum": "add.result"}}
            """)
        var options = RunOptions()
        options.events.maxConcurrentWaves = 2
        let r = try Scheduler.run(compiled, options: options)
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        compiled.close()
        let seen = try Self.lines(path)
        #expect(seen.first == "open" && seen.last == "close")
        #expect(seen.filter { $0 == "open" }.count == 1, "\(seen)")
        #expect(seen.dropFirst().first == "\(WEFT_EVENT_RUN_STARTED) - 0 -")
        #expect(seen.dropLast().last == "\(WEFT_EVENT_RUN_FINISHED) - 0 -")
        #expect(seen.filter { $0.hasPrefix("\(WEFT_EVENT_WAVE_STARTED) t ") }.count == 4)
    }

    static func errors(_ json: String) -> [String] {
        do {
            _ = try GraphValidator.load(text: json, catalog: registry)
            return []
        } catch {
            return error.diagnostics.map(\.description)
        }
    }

    @Test func badObserversGetErrorsWithTheirPlace() {
        let g = { (observers: String) in
            #"{"weft": 1, "observers": \#(observers), "nodes": [{"id": "a", "type": "std.add", "inputs": {"a": 1, "b": 2}}]}"#
        }
        #expect(Self.errors(g(#"["fixture.recorderr"]"#))
                    == ["$.observers[0]: error: unknown observer type 'fixture.recorderr'; did you mean 'fixture.recorder'?"])
        #expect(Self.errors(g(#"["std.add"]"#)).first?.hasPrefix(
            "$.observers[0]: error: 'std.add' is a node type, not an observer") == true)
        #expect(Self.errors(g(#"["fixture.recorder"]"#))
                    == [#"$.observers[0]: error: observer 'fixture.recorder' needs param 'path' (string): {"type": "fixture.recorder", "params": {…}}"#])
        #expect(Self.errors(g(#"[{"type": "fixture.recorder", "params": {"path": 3}}]"#))
                    == ["$.observers[0].params.path: error: param 'path' of observer 'fixture.recorder' must be string, not int"])
        #expect(Self.errors(g(#"{"type": "fixture.recorder"}"#)).first?.hasPrefix("$.observers: error: \"observers\" must be a list") == true)
        #expect(Self.errors(g("[7]")) == [#"$.observers[0]: error: an observer is a type name ("plugin.name") or {"type": "plugin.name", "params": {…}}"#])
        // Observers belong to the top graph.
        let sub = #"{"weft": 1, "observers": ["fixture.recorder"], "nodes": [], "outputs": {}}"#
        #expect(Self.errors(#"{"weft": 1, "nodes": [{"id": "s", "type": "graph", "params": {"graph": \#(sub)}}]}"#)
                    .contains(#"$.nodes[0].params.graph.observers: error: a subgraph cannot have observers: list them in the top graph's "observers""#))
        // An observer is not a node, nor a hook.
        #expect(Self.errors(#"{"weft": 1, "nodes": [{"id": "r", "type": "fixture.recorder"}]}"#)
                    == [#"$.nodes[0].type: error: 'fixture.recorder' is an observer, not a node type: list it in the graph's "observers" (or give --observer fixture.recorder to weft run)"#])
        #expect(Self.errors(#"{"weft": 1, "nodes": [{"id": "a", "type": "std.add", "inputs": {"a": 1, "b": 2}, "before": "fixture.recorder"}]}"#)
                    == ["$.nodes[0].before: error: 'fixture.recorder' cannot be a before hook: it is an observer"])
    }
}
