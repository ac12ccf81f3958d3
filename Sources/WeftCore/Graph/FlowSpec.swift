/// The built-in `flow` node type: a state machine (PocketFlow's Flow,
/// fast-dag's FSM). Its states are nodes of the graph joined by edges
/// labelled `"when"`; a shared `store` map goes from state to state, and
/// each state's `action` output picks the next state.
///
/// Ports: input `store` (the store the first state gets); outputs `store`
/// (the store the last state left), `action` (the last action), `state`
/// (the last state's id) and `history` (one map per state run:
/// `{"cycle", "state", "action"}`).
public enum FlowNode {
    public static let typeName = "flow"
    public static let defaultMaxCycles = 1000
    /// The most `max_cycles` may be.
    public static let maxCyclesLimit = 1_000_000_000
    /// The port a state takes the store on and gives it back on.
    public static let storePort = "store"
    /// The output whose string picks the next state.
    public static let actionPort = "action"
    /// The index of output `history` (one map per state run).
    public static let historyPort = 3
    /// The action of a state that did not write `action`.
    public static let defaultAction = "default"

    public static let spec = NodeSpec(
        namespace: "", name: typeName,
        summary: "Runs its states one after another: each state's action picks the next, the store goes from one to the next.",
        inputs: [PortSpec(name: storePort, type: .map, summary: "the store the start state gets")],
        outputs: [
            PortSpec(name: storePort, type: .map, optional: true, summary: "the store the last state left"),
            PortSpec(name: actionPort, type: .string, optional: true, summary: "the last state's action"),
            PortSpec(name: "state", type: .string, optional: true, summary: "the id of the last state that ran"),
            PortSpec(name: "history", type: .list, optional: true, summary: "one {cycle, state, action} per state run, in order"),
        ],
        flags: [])
}

/// A transition of a flow: an edge `{"from": "decide", "to": "act",
/// "when": "search"}` (node ids, no ports).
public struct GraphTransition: Sendable, Equatable {
    public var from: String
    public var to: String
    /// The action that takes it.
    public var when: String
    /// The edge's position in the file's "edges" list.
    public var index: Int
    /// For a transition inlined from a subgraph: where that graph's `$.` is.
    public var origin: String? = nil
    public var path: String { (origin ?? "$.") + "edges[\(index)]" }

    public init(from: String, to: String, when: String, index: Int, origin: String? = nil) {
        self.from = from
        self.to = to
        self.when = when
        self.index = index
        self.origin = origin
    }
}

/// A flow node as the plan holds it: its states (node indices) and where
/// each action goes.
public struct PlanFlow: Sendable, Equatable {
    public struct State: Sendable, Equatable {
        public var node: Int
        /// Its input `store`, output `store` and output `action` (-1: none).
        public var storeIn: Int
        public var storeOut: Int
        public var actionOut: Int
        /// Action → index into `PlanFlow.states`, in file order.
        public var next: [(action: String, state: Int)]

        public static func == (a: State, b: State) -> Bool {
            a.node == b.node && a.storeIn == b.storeIn && a.storeOut == b.storeOut && a.actionOut == b.actionOut
                && a.next.map(\.action) == b.next.map(\.action) && a.next.map(\.state) == b.next.map(\.state)
        }

        /// The state `action` leads to, if any.
        public func target(_ action: String) -> Int? { next.first { $0.action == action }?.state }
    }

    /// The states; the first is the start.
    public var states: [State]
    /// The most state runs (cycles) one run of the flow may make.
    public var maxCycles: Int
}
