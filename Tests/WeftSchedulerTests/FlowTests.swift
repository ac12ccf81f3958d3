import Foundation
import Testing
import WeftCore
import WeftScheduler
import WeftTestSupport

/// Flows (`"type": "flow"`): states joined by edges labelled `"when"`, the
/// store handed from state to state, each state's action picking the next;
/// `max_cycles` bounds the states run. `fixture.state` adds its name to
/// `store.trail` and picks `actions[k]` on its k-th visit.
@Suite("Flows")
struct FlowTests {
    /// decide → act → decide → act → decide → answer (the third decide
    /// answers). `extra` goes into the flow node.
    static func agent(_ extra: String = "", decide: String = #"["search", "search", "answer"]"#,
                      actFailAt: Int = -1) -> String {
        """
        {"weft": 1, "inputs": {"q": {"type": "string", "default": "why"}},
         "nodes": [
          {"id": "seed", "type": "std.identity"},
          {"id": "agent", "type": "flow", "start": "decide"\(extra)},
          {"id": "decide", "type": "fixture.state", "inputs": {"name": "decide", "actions": \(decide)}},
          {"id": "act", "type": "fixture.state", "inputs": {"name": "act", "fail_at": \(actFailAt)}},
          {"id": "answer", "type": "fixture.state", "inputs": {"name": "answer"}},
          {"id": "side", "type": "std.add", "inputs": {"a": 1, "b": 2}}],
         "edges": [
          {"from": "$q", "to": "seed.value"},
          {"from": "seed.value", "to": "agent.store"},
          {"from": "decide", "to": "act", "when": "search"},
          {"from": "act", "to": "decide", "when": "default"},
          {"from": "decide", "to": "answer", "when": "answer"}],
         "outputs": {"store": "agent.store", "action": "agent.action", "state": "agent.state",
                     "history": "agent.history", "side": "side.result"}}
        """
    }

    static let trail: [String] = ["decide", "act", "decide", "act", "decide", "answer"]
    static let actions: [String] = ["search", "default", "search", "default", "answer", "default"]

    static func history(_ states: [String], _ actions: [String]) -> WeftValue {
        .list(zip(states, actions).enumerated().map { i, p in
            ["cycle": .int(Int64(i)), "state": .string(p.0), "action": .string(p.1)]
        })
    }

    @Test(arguments: [RunMode.sequential, .parallel])
    func theStoreGoesFromStateToStateAndActionsPickTheNext(mode: RunMode) throws {
        // The store is a map: the graph input goes into one first.
        let graph = Self.agent().replacingOccurrences(of: #""q": {"type": "string", "default": "why"}"#,
                                                      with: #""q": {"type": "map", "default": {"question": "why"}}"#)
        for observed in [false, true] {
            let recorder = EventRecorder()
            var options = RunOptions(mode: mode, workers: 2)
            if observed { options.observers = [recorder] }
            let r = try TestGraphs.run(graph, options: options)
            #expect(r.outcome == .succeeded)
            let expectedStore: WeftValue = ["question": "why", "trail": .list(Self.trail.map { .string($0) }), "n": 6]
            #expect(r[output: "store"] == expectedStore)
            #expect(r[output: "action"] == "default")
            #expect(r[output: "state"] == "answer")
            #expect(r[output: "history"] == Self.history(Self.trail, Self.actions))
            #expect(r[output: "side"] == .int(3))
            #expect(r.stateHistory.count == 1)
            #expect(r.stateHistory.first?.flow == "agent")
            #expect(r.stateHistory.first?.history == Self.history(Self.trail, Self.actions))
            // Six states, the identity and the add: eight calls.
            #expect(r.steps == 8)
            if observed {
                let states = recorder.events.map(\.shape).filter { $0.hasPrefix("state ") }
                #expect(states == zip(Self.trail, Self.actions).enumerated().map { "state agent \($0) \($1.0) \($1.1)" })
                // Each state's call is a node of its own in the events.
                #expect(recorder.events.map(\.shape).filter { $0.hasPrefix("finished act") }.count == 2)
            }
        }
    }

    @Test func maxCyclesStopsAFlowThatNeverEndsAndNamesItsCycle() throws {
        let graph = Self.agent(#", "max_cycles": 7, "inputs": {"store": {}}"#, decide: #"["search"]"#)
            .replacingOccurrences(of: #"{"from": "seed.value", "to": "agent.store"},"#, with: "")
        let r = try TestGraphs.run(graph)
        guard case .failed(let message, let node) = r.outcome else {
            Issue.record("expected a failure, got \(r.outcome)")
            return
        }
        #expect(node == "agent")
        #expect(message.contains("ran 7 states (max_cycles) and state 'act' was next"))
        #expect(message.contains("went round act → decide → act"))
        #expect(message.contains("raise \"max_cycles\""))
        #expect(r.steps == 8)  // seed and seven states
    }

    @Test(arguments: [RunMode.sequential, .parallel])
    func aFailingStateFailsItsFlowAndContinueKeepsTheRestGoing(mode: RunMode) throws {
        let graph = Self.agent(#", "inputs": {"store": {}}"#, actFailAt: 3)
            .replacingOccurrences(of: #"{"from": "seed.value", "to": "agent.store"},"#, with: "")
        let failed = try TestGraphs.run(graph, options: RunOptions(mode: mode, workers: 2))
        guard case .failed(let message, let node) = failed.outcome else {
            Issue.record("expected a failure, got \(failed.outcome)")
            return
        }
        #expect(node == "agent")
        #expect(message.contains("state 'act' failed (cycle 3): fixture.state: told to fail at this n"))

        let keepGoing = graph.replacingOccurrences(of: #"{"weft": 1,"#, with: #"{"weft": 1, "error_strategy": "continue","#)
        let r = try TestGraphs.run(keepGoing, options: RunOptions(mode: mode, workers: 2))
        #expect(r[output: "side"] == .int(3))
        #expect(r.missingOutputs.contains("store"))
        #expect(r.stateHistory.isEmpty)
    }

    @Test func aDeadStoreSkipsTheFlow() throws {
        let graph = """
            {"weft": 1, "inputs": {"go": {"type": "bool", "default": false}},
             "nodes": [
              {"id": "gate", "type": "std.branch", "inputs": {"value": {}}},
              {"id": "f", "type": "flow", "start": "s"},
              {"id": "s", "type": "fixture.state", "inputs": {"name": "s"}}],
             "edges": [{"from": "$go", "to": "gate.cond"}, {"from": "gate.true", "to": "f.store"}],
             "outputs": {"store": "f.store"}}
            """
        let skipped = try TestGraphs.run(graph)
        #expect(skipped.outcome == .succeeded)
        #expect(skipped.missingOutputs == ["store"])
        let ran = try TestGraphs.run(graph, inputs: ["go": true])
        #expect(ran[output: "store"] == ["trail": ["s"], "n": 1])
    }

    @Test func aFlowInsideALoopRunsOncePerPass() throws {
        // Each pass runs the flow on the loop's store; three passes, the
        // last one's store discarded (done_s is the store that pass began with).
        let graph = """
            {"weft": 1,
             "nodes": [
              {"id": "loop", "type": "loop", "carry": {"i": "int", "s": "map"}, "inputs": {"i": 0, "s": {}}},
              {"id": "more", "type": "std.lt", "inputs": {"b": 2}},
              {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
              {"id": "f", "type": "flow", "start": "a"},
              {"id": "a", "type": "fixture.state", "inputs": {"name": "a", "actions": ["next"]}},
              {"id": "b", "type": "fixture.state", "inputs": {"name": "b"}}],
             "edges": [
              {"from": "loop.i", "to": "more.a"}, {"from": "more.result", "to": "loop.continue"},
              {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
              {"from": "loop.s", "to": "f.store"}, {"from": "f.store", "to": "loop.next_s"},
              {"from": "a", "to": "b", "when": "next"}],
             "outputs": {"s": "loop.done_s"}}
            """
        let r = try TestGraphs.run(graph)
        #expect(r.outcome == .succeeded)
        #expect(r[output: "s"] == ["trail": ["a", "b", "a", "b"], "n": 4])
        #expect(r.stateHistory.count == 3)
    }

    @Test func aFlowInASubgraphKeepsItsTransitions() throws {
        let inner = Self.agent(#", "inputs": {"store": {}}"#)
            .replacingOccurrences(of: #"{"from": "seed.value", "to": "agent.store"},"#, with: "")
        let graph = """
            {"weft": 1, "nodes": [{"id": "sub", "type": "graph", "params": {"graph": \(inner)}}],
             "outputs": {"state": "sub.state", "history": "sub.history"}}
            """
        let r = try TestGraphs.run(graph)
        #expect(r.outcome == .succeeded)
        #expect(r[output: "state"] == "sub.answer")
        #expect(r[output: "history"] == Self.history(Self.trail.map { "sub." + $0 }, Self.actions))
    }

    @Test func badFlowsAreRefusedWithTheirPlace() throws {
        func messages(_ graph: String) -> [String] {
            TestGraphs.diagnostics(graph).filter { $0.severity == .error }.map { "\($0.path): \($0.message)" }
        }
        func graph(_ nodes: String, _ edges: String, outputs: String = "{}") -> String {
            """
            {"weft": 1, "nodes": [{"id": "f", "type": "flow", "start": "s", "inputs": {"store": {}}},
              {"id": "s", "type": "fixture.state", "inputs": {"name": "s"}}\(nodes)],
             "edges": [\(edges)], "outputs": \(outputs)}
            """
        }
        #expect(messages(graph("", #"{"from": "s", "to": "t", "when": "x"}"#))
                    == ["$.edges[0].to: transition to unknown node 't'; the nodes are: f, s"])
        #expect(messages(graph(#", {"id": "a", "type": "std.add"}"#, #"{"from": "s", "to": "a", "when": "x"}"#)).contains(
            "$.nodes[2]: 'a' (std.add) cannot be a state of flow 'f': a state needs an input 'store' and an output 'store' "
                + "taking maps (the flow hands the store from state to state)"))
        #expect(messages(graph(#", {"id": "t", "type": "fixture.state", "inputs": {"name": "t"}}"#,
                               #"{"from": "s", "to": "t", "when": "x"}, {"from": "s", "to": "s", "when": "x"}"#))
                    == ["$.edges[1].when: state 's' has two transitions for action 'x' (also $.edges[0]); an action leads to one state"])
        #expect(messages(graph(#", {"id": "t", "type": "fixture.state", "inputs": {"name": "t"}}, {"id": "u", "type": "fixture.state", "inputs": {"name": "u"}}"#,
                               #"{"from": "t", "to": "u", "when": "x"}"#)).contains(
            "$.edges[0]: transition from 't', which no flow reaches: set a flow node's \"start\" to 't' (or to a state with a transition to it)"))
        #expect(messages(graph(#", {"id": "p", "type": "std.identity"}"#, #"{"from": "s.store", "to": "p.value"}"#)).contains {
            $0.hasPrefix("$.nodes[1]: state 's' of flow 'f' has an edge from output 'store'; a state's results go into the store")
        })
        #expect(messages(graph("", "", outputs: #"{"x": "s.store"}"#))
                    == ["$.outputs.x: output 'x' reads state 's' of flow 'f'; read the flow's outputs instead ('f.store')"])
        #expect(messages(#"{"weft": 1, "nodes": [{"id": "f", "type": "flow", "start": "nope", "inputs": {"store": {}}}]}"#)
                    == ["$.nodes[0].start: flow 'f': start names unknown node 'nope'; the nodes are: f"])
        #expect(messages(#"{"weft": 1, "nodes": [{"id": "f", "type": "flow", "inputs": {"store": {}}}]}"#)
                    == ["$.nodes[0]: flow 'f' needs \"start\": the id of the state that runs first"])
        #expect(messages(#"{"weft": 1, "nodes": [{"id": "a", "type": "std.identity", "start": "a", "inputs": {"value": 1}}]}"#)
                    == [#"$.nodes[0].start: "start" is for flow nodes only ("type": "flow")"#])
        #expect(messages(graph("", #"{"from": "s", "to": "s.x", "when": "x"}"#)).contains {
            $0.hasPrefix(#"$.edges[0].to: "s.x" is not a node id; a transition goes from a state to a state"#)
        })
        // Two flows cannot share a state.
        #expect(messages(graph(#", {"id": "g", "type": "flow", "start": "s", "inputs": {"store": {}}}"#, "")).contains(
            "$.nodes[1]: state 's' is in flows 'f' and 'g'; a state belongs to one flow (give the other flow a node of its own)"))
    }

    /// `weft graph` draws a flow's transitions: to its start state, then
    /// state to state, labelled with their actions.
    @Test func drawingsShowTheTransitions() throws {
        let plan = try TestGraphs.plan(Self.agent())
        let dot = GraphDrawing.dot(plan)
        for (from, to, label) in [("agent", "decide", "start"), ("decide", "act", "when search"), ("act", "decide", "when default"),
                                  ("decide", "answer", "when answer")] {
            #expect(dot.contains(#""node.\#(from)" -> "node.\#(to)" [label="\#(label)", style=bold"#), "\(from) → \(to)")
        }
        let mermaid = GraphDrawing.mermaid(plan)
        #expect(mermaid.components(separatedBy: "==>|\"when ").count - 1 == 3)
        #expect(mermaid.contains("==>|\"start\"|"))
    }

    /// A flow makes its history only when something reads it: its
    /// `history` output, or a result that keeps state histories (the
    /// default; `weft run` keeps them for --json only). The answers are
    /// the same either way.
    @Test func theHistoryIsMadeOnlyWhenRead() throws {
        let mapped = Self.agent().replacingOccurrences(of: #""q": {"type": "string", "default": "why"}"#,
                                                       with: #""q": {"type": "map", "default": {"question": "why"}}"#)
        let unread = mapped.replacingOccurrences(of: #", "history": "agent.history""#, with: "")
        var quiet = RunOptions()
        quiet.keepsStateHistory = false
        let kept = try TestGraphs.run(mapped)
        let notKept = try TestGraphs.run(mapped, options: quiet)
        let neither = try TestGraphs.run(unread, options: quiet)
        #expect(kept.stateHistory.count == 1 && notKept.stateHistory.isEmpty && neither.stateHistory.isEmpty)
        // Read by a graph output: there, whatever the option.
        #expect(notKept[output: "history"] == kept[output: "history"])
        #expect(kept[output: "history"] == Self.history(Self.trail, Self.actions))
        #expect(neither[output: "store"] == kept[output: "store"] && neither[output: "state"] == "answer")
    }
}
