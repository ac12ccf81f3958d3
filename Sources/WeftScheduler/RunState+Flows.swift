import CWeftShims
import WeftCore
import WeftNative

// Flows (`"type": "flow"`): a state machine run by its flow node. The
// states run one after another on this thread, each through the one call
// every node makes (`call`, with the state's own slots: only its flow
// touches them); the store goes from each state's `store` output into the
// next state's `store` input, and each state's `action` picks the next.
extension RunState {
    /// Runs flow node `n` (its `store` has arrived) to its end: a state
    /// whose action has no transition. Its outputs are the last store,
    /// action and state, and the history of states run.
    func runFlow(_ n: Int, _ flow: PlanFlow) {
        let flowId = graph.ids[n]
        let base = graph.slotBase(n)
        guard case .map? = value(base) else {
            nodeFailed(n, nodeError(n, "input 'store' must be a map, got \(value(base).map { "\($0.kind)" } ?? "no value")"))
            return
        }
        var store = value(base)!
        let start = events.now()
        if observing { record { $0.timed(.started, node: n, time: start) } }
        // What ran, compactly (the history's maps are made once, at the
        // end, and only when something reads them).
        var ran: [Int32] = []
        var chose: [String] = []
        var state = 0
        var action = FlowNode.defaultAction
        var cycle = 0
        while true {
            guard !cancellation.isCancelled else { return }
            let s = flow.states[state]
            let sid = graph.ids[s.node]
            if cycle == flow.maxCycles {
                nodeFailed(n, nodeError(n, "ran \(flow.maxCycles) states (max_cycles) and state '\(sid)' was next; "
                                           + "the flow went round \(Self.cycleText(ran.map { graph.ids[flow.states[Int($0)].node] }, next: sid)); "
                                           + "raise \"max_cycles\" on the flow, or give a state an action that ends it"))
                return
            }
            guard steps < stepLimit || moreSteps(1) else {
                reachedMaxSteps(at: s.node)
                return
            }
            steps += 1
            let row = graph.rows[s.node]
            let slotBase = Int(row.slotBase)
            setSlot(slotBase + s.storeIn, .value(store))
            guard call(s.node, row.instance.unsafelyUnwrapped, slotBase, Int(row.typeIndex)) else {
                let e = callError(s.node)
                nodeFailed(n, nodeError(n, "state '\(sid)' failed (cycle \(cycle)): \(e.message)"))
                return
            }
            let outs = context.frame.pointee.outputs!
            let boxes = context.boxedOutputs
            if outs[s.storeOut].taken != 0 {
                let next = Self.value(of: outs[s.storeOut], boxes + s.storeOut)
                guard case .map = next else {
                    nodeFailed(n, nodeError(n, "state '\(sid)' gave a store that is \(next.kind), not a map (cycle \(cycle))"))
                    return
                }
                store = next
            }
            action = FlowNode.defaultAction
            if s.actionOut >= 0 && outs[s.actionOut].taken != 0 {
                let a = Self.value(of: outs[s.actionOut], boxes + s.actionOut)
                guard case .string(let text) = a else {
                    nodeFailed(n, nodeError(n, "state '\(sid)' gave an action that is \(a.kind), not a string (cycle \(cycle))"))
                    return
                }
                action = text
            }
            ran.append(Int32(state))
            chose.append(action)
            log?.event(.flowState(time: events.now(), node: n, id: flowId, state: sid, cycle: cycle, action: action))
            cycle += 1
            guard let next = s.target(action) else { break }
            state = next
        }
        // The store is the flow's now; the states' slots let go of it.
        for s in flow.states { setSlot(graph.slotBase(s.node) + s.storeIn, .empty) }
        if observing { record { $0.timed(.finished, node: n, start: start, time: events.now()) } }
        let historyPort = graph.outPort(n, FlowNode.historyPort)
        let read = !graph.outEdges.isEmpty(historyPort) || !graph.outputTaps.isEmpty(historyPort)
        var history: WeftValue?
        if read || options.keepsStateHistory {
            history = .list(ran.indices.map { i in
                ["cycle": .int(Int64(i)), "state": .string(graph.ids[flow.states[Int(ran[i])].node]), "action": .string(chose[i])]
            })
        }
        if options.keepsStateHistory, let history { flowHistories.append((flowId, history)) }
        deliver(outputs: [store, .string(action), .string(graph.ids[flow.states[state].node]), read ? history : nil], of: n)
        completed(n)
    }

    /// The states of the cycle the flow was going round when it stopped:
    /// from the last time `next` ran to now (`decide → act → decide`), or
    /// the last few states.
    static func cycleText(_ states: [String], next: String) -> String {
        if let last = states.lastIndex(of: next) {
            return (states[last...] + [next]).joined(separator: " → ")
        }
        return (states.suffix(8) + [next]).joined(separator: " → ")
    }
}
