import Foundation
import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// Hooks: node types called around a node's call. `fixture.clamp_hook`
/// (before) lowers int inputs above `max` and vetoes a negative one;
/// `fixture.double_hook` (after) doubles int outputs.
@Suite("Hooks")
struct HookTests {
    static func graph(before: String? = nil, after: String? = nil, top: String = "") -> String {
        let hooks = [before.map { #", "before": \#($0)"# }, after.map { #", "after": \#($0)"# }].compactMap { $0 }.joined()
        return """
            {"weft": 1\(top), "inputs": {"a": "int", "b": "int"},
             "nodes": [{"id": "add", "type": "std.add"\(hooks)}, {"id": "next", "type": "std.add", "inputs": {"b": 1}}],
             "edges": [{"from": "$a", "to": "add.a"}, {"from": "$b", "to": "add.b"}, {"from": "add.result", "to": "next.a"}],
             "outputs": {"sum": "add.result", "next": "next.result"}}
            """
    }

    static let clamp = #"{"type": "fixture.clamp_hook", "params": {"max": 10}}"#

    @Test(arguments: [RunMode.sequential, .parallel])
    func aBeforeHookReplacesInputsOrVetoesTheCall(mode: RunMode) throws {
        let options = RunOptions(mode: mode, workers: 2)
        let g = Self.graph(before: Self.clamp)
        let r = try TestGraphs.run(g, inputs: ["a": 3, "b": 50], options: options)
        #expect(r[output: "sum"] == .int(13))  // b clamped to 10
        #expect(r[output: "next"] == .int(14))
        let vetoed = try TestGraphs.run(g, inputs: ["a": -1, "b": 2], options: options)
        #expect(vetoed.outcome == .succeeded)
        #expect(vetoed.missingOutputs == ["sum", "next"])  // skipped, and so is what it feeds
        // Without the hook, the same graph gives the plain sum.
        #expect(try TestGraphs.run(Self.graph(), inputs: ["a": 3, "b": 50], options: options)[output: "sum"] == .int(53))
    }

    @Test(arguments: [RunMode.sequential, .parallel])
    func anAfterHookReplacesOutputs(mode: RunMode) throws {
        let options = RunOptions(mode: mode, workers: 2)
        let r = try TestGraphs.run(Self.graph(before: Self.clamp, after: #""fixture.double_hook""#), inputs: ["a": 3, "b": 50],
                                   options: options)
        #expect(r[output: "sum"] == .int(26))
        #expect(r[output: "next"] == .int(27))
    }

    @Test func theGraphsHooksApplyToEveryNodeThatRunsACall() throws {
        let g = Self.graph(top: #", "hooks": {"after": "fixture.double_hook"}"#)
        let r = try TestGraphs.run(g, inputs: ["a": 1, "b": 2])
        #expect(r[output: "sum"] == .int(6))   // (1 + 2) * 2
        #expect(r[output: "next"] == .int(14)) // (6 + 1) * 2
    }

    @Test func aHookThatFailsFailsTheNode() throws {
        let r = try TestGraphs.run(Self.graph(before: #""fixture.bad_hook""#), inputs: ["a": 1, "b": 2])
        guard case .failed(let message, let node) = r.outcome else {
            Issue.record("expected a failure, got \(r.outcome)")
            return
        }
        #expect(node == "add")
        #expect(message.contains("before hook 'fixture.bad_hook': gave input 'nope', which 'add' (std.add) does not have"))
    }

    @Test func badHooksAreRefusedWithTheirPlace() throws {
        func messages(_ g: String) -> [String] { TestGraphs.diagnostics(g).filter { $0.severity == .error }.map { "\($0.path): \($0.message)" } }
        #expect(messages(Self.graph(before: #""fixture.nope""#)).contains { $0.hasPrefix("$.nodes[0].before: unknown hook type 'fixture.nope'") })
        #expect(messages(Self.graph(before: #""std.add""#)).contains(
            "$.nodes[0].before: 'std.add' cannot be a before hook: a hook takes one input 'call' (a map: node, type, inputs)"))
        #expect(messages(Self.graph(after: #""fixture.clamp_hook""#)).contains {
            $0.hasPrefix("$.nodes[0].after: 'fixture.clamp_hook' cannot be an after hook: it needs an output 'outputs'")
        })
        #expect(messages(Self.graph(before: #""fixture.clamp_hook""#)).contains(
            #"$.nodes[0].before: hook 'fixture.clamp_hook' needs param 'max' (int): {"type": "fixture.clamp_hook", "params": {…}}"#))
        #expect(messages(#"{"weft": 1, "nodes": [{"id": "l", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}, "before": "fixture.double_hook"}]}"#)
                    .contains { $0.hasPrefix("$.nodes[0].before: before hooks are for nodes that run one call; 'l' is a loop") })
    }
}
