/// The node types a graph may use. `NodeRegistry` is one; tests may use
/// another.
public protocol NodeCatalog {
    /// The spec of the node type `fullName` (`std.add`), or nil. For a type
    /// whose ports depend on its params (`ffi`), the spec lists the params
    /// only; `parameterizedSpec` gives the ports.
    func spec(named fullName: String) -> NodeSpec?
    /// Known names near `name`, best first.
    func suggestions(for name: String) -> [String]
    /// For a node type whose ports depend on its params (e.g. `ffi`): the
    /// full spec for these params, or why they do not work; nil for other types.
    func parameterizedSpec(type: String, params: [String: WeftValue]) -> Result<NodeSpec, ParameterizedSpecError>?
    /// Whether nodes of this type can run isolated in a child process
    /// (nodes of plugin files can; host-registered and `ffi` nodes cannot).
    func canIsolate(_ fullName: String) -> Bool
}

extension NodeCatalog {
    public func canIsolate(_ fullName: String) -> Bool { true }
    public func parameterizedSpec(type: String, params: [String: WeftValue]) -> Result<NodeSpec, ParameterizedSpecError>? { nil }
}

/// Why the params of a parameterized node type (`ffi`) do not make a node.
public struct ParameterizedSpecError: Error, Sendable, Equatable {
    /// The param at fault, if one is.
    public var param: String?
    public var message: String

    public init(param: String?, _ message: String) {
        self.param = param
        self.message = message
    }
}

/// A validated graph in index form: node ids became indices, ports became
/// port indices, edges know whether they are loop back edges, and each loop
/// knows its body. Built by `GraphValidator`; turned into a runnable graph by
/// the scheduler.
public struct GraphPlan: Sendable {
    /// One node of the plan. Stored compactly (a graph may have a million
    /// nodes): fields most nodes leave at their default live in one shared
    /// box, made when one of them is set and copied on write.
    public struct Node: Sendable {
        public var id: String
        public var type: String
        /// Shared by the nodes of one type (a spec is 80 bytes with six
        /// references; a big graph has one box per run of a type).
        var specBox: SpecBox
        /// Constants bound in the file, by input port index (ports in file
        /// order, each at most once). A list, not a dictionary: most nodes
        /// have none or one, and a graph may have a million nodes.
        public var constants: [(port: Int, value: WeftValue)] {
            get { constantList.array }
            set { constantList = SmallList(newValue) }
        }
        /// `constants`, one of them inline.
        var constantList: SmallList<(port: Int, value: WeftValue)>
        private var rare: Rarely<RareFields>
        private var position: Int32
        private var enclosing: Int32
        public var strategy: StrategyKind
        public var join: JoinPolicy
        /// Run in a child process (`"isolate": true`, or implied by
        /// `timeout_ms`).
        public var isolate: Bool

        init(id: String, type: String, label: String?, specBox: SpecBox, params: [String: WeftValue],
             constants: [(port: Int, value: WeftValue)], strategy: StrategyKind, join: JoinPolicy, maxIterations: Int,
             carryCount: Int, enclosingLoop: Int?, index: Int, isolate: Bool, timeoutMs: Int?, maxEvents: Int?) {
            self.id = id
            self.type = type
            self.specBox = specBox
            constantList = SmallList(constants)
            self.strategy = strategy
            self.join = join
            self.isolate = isolate
            position = Int32(clamping: index)
            enclosing = enclosingLoop.map { Int32(clamping: $0) } ?? -1
            rare = Rarely(RareFields(label: label, params: params, maxIterations: maxIterations, carryCount: carryCount,
                                     timeoutMs: timeoutMs, maxEvents: maxEvents),
                          isDefault: label == nil && params.isEmpty && maxIterations == LoopNode.defaultMaxIterations
                              && carryCount == 0 && timeoutMs == nil && maxEvents == nil)
        }

        /// The fields most nodes leave at their defaults.
        struct RareFields: Sendable {
            var label: String? = nil
            var params: [String: WeftValue] = [:]
            var maxIterations = LoopNode.defaultMaxIterations
            var carryCount = 0
            var timeoutMs: Int? = nil
            var maxEvents: Int? = nil
            var errorPolicy: PlanErrorPolicy? = nil
            var retry: RetryPolicy? = nil
            var map: PlanMap? = nil
            var flow: PlanFlow? = nil
            var hooks: PlanHooks? = nil
            var cache: CacheSpec? = nil
        }

        public var label: String? {
            get { rare[\.label] ?? nil }
            set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.label = newValue } }
        }
        /// The node type's spec (for `ffi`, the one its params give).
        public var spec: NodeSpec {
            get { specBox.spec }
            set { specBox = SpecBox(newValue) }
        }
        /// `spec.inputs.count` / `spec.outputs.count`, without copying the spec.
        public var inputCount: Int { specBox.spec.inputs.count }
        public var outputCount: Int { specBox.spec.outputs.count }
        /// `spec.inputs`, without copying the rest of the spec.
        public var inputPorts: [PortSpec] { specBox.spec.inputs }
        /// Params by name (only those given in the file; defaults are the
        /// node type's business).
        public var params: [String: WeftValue] {
            get { rare[\.params] ?? [:] }
            set { rare.update(isDefault: newValue.isEmpty, defaults: { RareFields() }) { $0.params = newValue } }
        }
        /// What a failure of this node does, if it says (`on_error`
        /// "route" or a default; nil: the graph's `errorStrategy`).
        public var errorPolicy: PlanErrorPolicy? {
            get { rare[\.errorPolicy] ?? nil }
            set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.errorPolicy = newValue } }
        }
        /// How a failure of this node is retried (its own `retry`, else the
        /// graph's; nil: not retried).
        public var retry: RetryPolicy? {
            get { rare[\.retry] ?? nil }
            set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.retry = newValue } }
        }
        /// Mapped nodes: the mapped ports and how items run.
        public var map: PlanMap? {
            get { rare[\.map] ?? nil }
            set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.map = newValue } }
        }
        /// Whether its outputs are cached by its inputs (`"cache"`, or
        /// `--cache` for PURE nodes).
        public var cache: CacheSpec? {
            get { rare[\.cache] ?? nil }
            set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.cache = newValue } }
        }
        /// Its hooks (its own, else the graph's), if any.
        public var hooks: PlanHooks? {
            get { rare[\.hooks] ?? nil }
            set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.hooks = newValue } }
        }
        /// Flow nodes: the states and transitions.
        public var flow: PlanFlow? {
            get { rare[\.flow] ?? nil }
            set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.flow = newValue } }
        }
        /// Whether this is a flow node (`"type": "flow"`).
        public var isFlow: Bool { type == FlowNode.typeName }
        /// Loop nodes: the iteration limit.
        public var maxIterations: Int {
            get { rare[\.maxIterations] ?? LoopNode.defaultMaxIterations }
            set { rare.update(isDefault: newValue == LoopNode.defaultMaxIterations, defaults: { RareFields() }) { $0.maxIterations = newValue } }
        }
        public var isLoop: Bool { strategy == .loop }
        /// Loop nodes: number of carried variables.
        public var carryCount: Int {
            get { rare[\.carryCount] ?? 0 }
            set { rare.update(isDefault: newValue == 0, defaults: { RareFields() }) { $0.carryCount = newValue } }
        }
        /// The innermost loop whose body holds this node, if any.
        public var enclosingLoop: Int? {
            get { enclosing < 0 ? nil : Int(enclosing) }
            set { enclosing = newValue.map { Int32(clamping: $0) } ?? -1 }
        }
        /// The node's position in the file's "nodes" list.
        public var index: Int {
            get { Int(position) }
            set { position = Int32(clamping: newValue) }
        }
        /// JSON path of the node in the file (`$.nodes[i]`).
        public var path: String { "$.nodes[\(index)]" }
        /// The constant bound to input port `p`, if any.
        public func constant(_ p: Int) -> WeftValue? {
            switch constantList {
            case .none: return nil
            case .one(let c): return c.port == p ? c.value : nil
            case .many(let all): return all.first { $0.port == p }?.value
            }
        }
        /// Calls `body` with each constant, in order, without making an array.
        public func forEachConstant(_ body: (_ port: Int, _ value: WeftValue) -> Void) {
            constantList.forEach { body($0.port, $0.value) }
        }
        /// The most milliseconds one call may take (isolated nodes only).
        public var timeoutMs: Int? {
            get { rare[\.timeoutMs] ?? nil }
            set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.timeoutMs = newValue } }
        }
        /// Event sources: the most events the run takes from this source
        /// (nil = no limit).
        public var maxEvents: Int? {
            get { rare[\.maxEvents] ?? nil }
            set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.maxEvents = newValue } }
        }
    }

    /// Where an edge's value comes from.
    public enum Source: Sendable, Hashable {
        case node(Int, port: Int)
        case graphInput(Int)
    }

    public struct Edge: Sendable {
        public var source: Source
        public var target: Int
        public var targetPort: Int
        /// An edge into a loop's `next_*` or `continue` input.
        public var isBack: Bool
    }

    public var description: String?
    public var nodes: [Node]
    public var edges: [Edge]
    public var inputs: [GraphInput]
    /// Graph outputs: name, node index, output port index.
    public var outputs: [(name: String, node: Int, port: Int)]
    /// Loop node index → every node inside its body (nested loops' bodies
    /// included), sorted.
    public var loopBodies: [Int: [Int]]
    /// Non-fatal findings (isolated nodes, unused inputs).
    public var warnings: [Diagnostic]
    /// What a failed node without an `on_error` of its own does.
    public var errorStrategy: ErrorStrategy = .failFast
    /// The graph's observers (`"observers"`): types and checked params.
    public var observers: [PlanObserver] = []
    /// Mapped subgraph nodes: node index → the graph each item runs.
    public var subgraphs: [Int: GraphPlan] = [:]

    public func index(of id: String) -> Int? { nodes.firstIndex { $0.id == id } }
}

/// Ports of the built-in `loop` node type, derived from its carried variables.
///
/// For each carried variable `v`: input `v` (the initial value), input
/// `next_v` (the value for the next iteration, a back edge from the body),
/// output `v` (the current value, into the body) and output `done_v` (the
/// final value). Plus input `continue` (bool, a back edge: iterate again?)
/// and output `done` (fires once when the loop ends).
public enum LoopNode {
    public static let typeName = "loop"
    public static let defaultMaxIterations = 1000

    public static func spec(carry: [(name: String, type: ValueType)]) -> NodeSpec {
        var inputs: [PortSpec] = carry.map { PortSpec(name: $0.name, type: $0.type, summary: "initial value of \($0.name)") }
        inputs += carry.map { PortSpec(name: "next_\($0.name)", type: $0.type, summary: "\($0.name) for the next iteration (back edge)") }
        inputs.append(PortSpec(name: "continue", type: .bool, summary: "true: run the body again; false: finish (back edge)"))
        var outputs: [PortSpec] = carry.map { PortSpec(name: $0.name, type: $0.type, optional: true, summary: "current value of \($0.name), into the body") }
        outputs += carry.map { PortSpec(name: "done_\($0.name)", type: $0.type, optional: true, summary: "final value of \($0.name)") }
        outputs.append(PortSpec(name: "done", type: .null, optional: true, summary: "fires once when the loop finishes"))
        return NodeSpec(namespace: "", name: typeName, summary: "Runs its body while 'continue' is true, carrying values between iterations.",
                        inputs: inputs, outputs: outputs, flags: [])
    }

    /// Whether input port `port` of a loop with `carryCount` variables is a
    /// back-edge input (`next_*` or `continue`).
    public static func isBackInput(_ port: Int, carryCount: Int) -> Bool { port >= carryCount }
}

/// A `NodeSpec` shared between plan nodes.
final class SpecBox: Sendable {
    let spec: NodeSpec
    init(_ spec: NodeSpec) { self.spec = spec }
}

extension GraphPlan {
    /// This graph as a node type (a mapped subgraph's, before its map): its
    /// inputs and outputs as ports, params `path` and `graph`.
    public var interfaceSpec: NodeSpec { Subgraphs.interfaceSpec(self) }
}
