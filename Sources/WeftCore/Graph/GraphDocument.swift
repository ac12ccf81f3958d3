/// A graph as written in a graph file (format version 1), decoded but not
/// yet checked against the node types. See Docs/graph-format.md.
///
/// Every element remembers its JSON path, so later checks can say where a
/// problem is.
///
/// A document from `GraphDecoder.decodePartial` may hold problems: they are
/// in `diagnostics`, and what the decoder could not read is left out or
/// marked (`unread`, `GraphNode.unread`, `unreadEdgeSources`…), so that the
/// validator checks the rest and reports nothing that only follows from a
/// problem already reported. One from `GraphDecoder.decode` has no errors.
public struct GraphDocument: Sendable, Equatable {
    /// The format version (`"weft": 1`).
    public static let formatVersion: Int64 = 1

    public var description: String?
    public var inputs: [GraphInput]
    public var outputs: [GraphOutput]
    public var nodes: [GraphNode]
    public var edges: [GraphEdge]
    /// The problems the decoder found, in its order (see `GraphDecoder`);
    /// `GraphValidator.validate` reports them first, then its own.
    public var diagnostics: [Diagnostic] = []
    /// Top-level sections the decoder could not read, or that are missing
    /// where an unknown field looks like a misspelling of them (`"edgs"`).
    /// The validator skips the checks that need them whole: with `.edges`
    /// unread, for one, no input is reported as not connected.
    public var unread: Sections = []
    /// `from` ends (that parsed) of edges the decoder left out because
    /// their other end or their shape is wrong: the nodes and graph inputs
    /// they name count as connected.
    public var unreadEdgeSources: [PortRef] = []
    /// `to` ends (that parsed) of edges the decoder left out: the input
    /// ports they name count as connected.
    public var unreadEdgeTargets: [PortRef] = []
    /// `"error_strategy"`: what a failed node without an `on_error` of its
    /// own does to the run (nil: not given, `fail_fast`).
    public var errorStrategy: ErrorStrategy?
    /// `"retry"` at the top: the retry policy of every node that runs a
    /// call and has none of its own.
    public var retry: RetryPolicy?
    /// The edges labelled `"when"`: transitions between the states of
    /// flows (see `FlowNode`), kept apart from the data edges.
    public var transitions: [GraphTransition] = []
    /// `"hooks"` at the top: the hooks of every node that runs a call and
    /// has none of its own.
    public var hooks = GraphHooks()
    /// `"observers"` at the top: observer types (ABI v4) that receive the
    /// events of each run of the graph.
    public var observers: [HookRef] = []
    /// Mapped subgraph nodes (`"type": "graph"` with `"map"`), by node id:
    /// their graphs, validated; such a node is not inlined but runs its
    /// graph once per item.
    public var subgraphPlans: [String: SubgraphPlan] = [:]

    /// A mapped subgraph's validated graph (compared by identity).
    public final class SubgraphPlan: Sendable, Equatable {
        public let plan: GraphPlan
        init(_ plan: GraphPlan) { self.plan = plan }
        public static func == (a: SubgraphPlan, b: SubgraphPlan) -> Bool { a === b }
    }

    /// Top-level sections of a graph file.
    public struct Sections: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let inputs = Sections(rawValue: 1)
        public static let outputs = Sections(rawValue: 2)
        public static let nodes = Sections(rawValue: 4)
        public static let edges = Sections(rawValue: 8)
    }

    public init(description: String? = nil, inputs: [GraphInput] = [], outputs: [GraphOutput] = [],
                nodes: [GraphNode] = [], edges: [GraphEdge] = []) {
        self.description = description
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = nodes
        self.edges = edges
    }
}

/// A named input of the graph, given at run time (`--input x=3`).
///
/// In a document with problems, an input whose type or default is wrong is
/// kept as `any` (or its type) without a default, so edges from it are not
/// reported as coming from an unknown input.
public struct GraphInput: Sendable, Equatable {
    public var name: String
    public var type: ValueType
    /// Used when the run gives no value; without it the input is required.
    public var defaultValue: WeftValue?
    public var summary: String
    public var path: String
}

/// A named output of the graph: the value of one node output port.
public struct GraphOutput: Sendable, Equatable {
    public var name: String
    public var source: PortRef
    public var path: String
}

/// How a node waits for its inputs.
public enum JoinPolicy: String, Sendable, Equatable, CaseIterable {
    /// Run when every connected input holds a value or is dead (default).
    case all
    /// Run on the first input value to arrive; later arrivals are ignored.
    case any
}

/// How a node is executed; chosen per node by `"strategy"`.
public enum StrategyKind: String, Sendable, Equatable, CaseIterable {
    /// Run when ready, in the run's mode (the default).
    case sequential
    /// Must fire exactly one of its outputs; the others go dead.
    case conditional
    /// A loop node (`"type": "loop"`); implied by the type.
    case loop
    /// Run on the worker pool, even in a sequential-mode run.
    case parallel
    /// An event source (a node type with a `start`): lives for the whole
    /// run and fires waves; implied by the type.
    case event
}

/// One node of the graph.
///
/// Stored compactly (a graph may have a million nodes): the fields most
/// nodes leave unset live in one shared box, made when one of them is set
/// (`Rarely`) and copied on write, and one constant is kept inline: a plain node with
/// one constant is 96 bytes and nothing else.
public struct GraphNode: Sendable, Equatable {
    public var id: String
    /// `plugin.node`, or a built-in type (`loop`).
    public var type: String
    /// Input ports bound to constants (`path + ".inputs." + port`).
    public var constants: [(port: String, value: WeftValue)] {
        get { constantList.array }
        set { constantList = SmallList(newValue) }
    }
    /// `constants`, one of them inline.
    var constantList: SmallList<(port: String, value: WeftValue)>
    private var rare: Rarely<RareFields>
    private var position: Int32
    public var join: JoinPolicy

    public init(id: String, type: String, label: String? = nil, params: [(name: String, value: WeftValue)] = [],
                constants: [(port: String, value: WeftValue)] = [], strategy: StrategyKind? = nil, join: JoinPolicy = .all,
                maxIterations: Int? = nil, carry: [(name: String, type: ValueType)] = [], isolate: Bool = false,
                timeoutMs: Int? = nil, maxEvents: Int? = nil, unread: Fields = [], index: Int) {
        self.id = id
        self.type = type
        constantList = SmallList(constants)
        self.join = join
        position = Int32(clamping: index)
        rare = Rarely(RareFields(label: label, params: params, strategy: strategy, maxIterations: maxIterations, carry: carry,
                                 isolate: isolate, timeoutMs: timeoutMs, maxEvents: maxEvents, unread: unread),
                      isDefault: label == nil && params.isEmpty && strategy == nil && maxIterations == nil && carry.isEmpty
                          && !isolate && timeoutMs == nil && maxEvents == nil && unread.isEmpty)
    }

    /// Fields of a node that decide what it lacks: which the decoder could
    /// not read (`GraphNode.unread`).
    public struct Fields: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let type = Fields(rawValue: 1)
        public static let params = Fields(rawValue: 2)
        public static let inputs = Fields(rawValue: 4)
        public static let join = Fields(rawValue: 8)
        public static let carry = Fields(rawValue: 16)
    }

    /// The fields most nodes leave unset.
    struct RareFields: Sendable {
        var label: String? = nil
        var params: [(name: String, value: WeftValue)] = []
        var strategy: StrategyKind? = nil
        var maxIterations: Int? = nil
        var carry: [(name: String, type: ValueType)] = []
        var isolate = false
        var timeoutMs: Int? = nil
        var maxEvents: Int? = nil
        var onError: ErrorPolicy? = nil
        var retry: RetryPolicy? = nil
        var map: [String]? = nil
        var concurrency: Int? = nil
        var onItemError: ItemErrorPolicy? = nil
        var origin: String? = nil
        var start: String? = nil
        var maxCycles: Int? = nil
        var before: HookRef? = nil
        var after: HookRef? = nil
        var cache: CacheSpec? = nil
        var unread: Fields = []
    }

    public var label: String? {
        get { rare[\.label] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.label = newValue } }
    }
    /// Params in file order (the path of one is `path + ".params." + name`).
    public var params: [(name: String, value: WeftValue)] {
        get { rare[\.params] ?? [] }
        set { rare.update(isDefault: newValue.isEmpty, defaults: { RareFields() }) { $0.params = newValue } }
    }
    public var strategy: StrategyKind? {
        get { rare[\.strategy] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.strategy = newValue } }
    }
    /// For loop nodes: the most iterations before the run fails.
    public var maxIterations: Int? {
        get { rare[\.maxIterations] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.maxIterations = newValue } }
    }
    /// For loop nodes: the carried variables and their types, in order.
    public var carry: [(name: String, type: ValueType)] {
        get { rare[\.carry] ?? [] }
        set { rare.update(isDefault: newValue.isEmpty, defaults: { RareFields() }) { $0.carry = newValue } }
    }
    /// Run the node in a child process (crash and hang isolation).
    public var isolate: Bool {
        get { rare[\.isolate] ?? false }
        set { rare.update(isDefault: !newValue, defaults: { RareFields() }) { $0.isolate = newValue } }
    }
    /// Fail the node if one call takes longer; implies `isolate`.
    public var timeoutMs: Int? {
        get { rare[\.timeoutMs] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.timeoutMs = newValue } }
    }
    /// Event sources: the most events the run takes from this source.
    public var maxEvents: Int? {
        get { rare[\.maxEvents] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.maxEvents = newValue } }
    }
    /// What a failure of this node does (`"on_error"`; nil: the graph's
    /// `error_strategy`).
    public var onError: ErrorPolicy? {
        get { rare[\.onError] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.onError = newValue } }
    }
    /// How a failure of this node is retried (`"retry"`; nil: the graph's).
    public var retry: RetryPolicy? {
        get { rare[\.retry] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.retry = newValue } }
    }
    /// The input ports whose lists the node maps over (`"map"`), zipped.
    public var map: [String]? {
        get { rare[\.map] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.map = newValue } }
    }
    /// Mapped nodes: how many items run at once (`"concurrency"`).
    public var concurrency: Int? {
        get { rare[\.concurrency] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.concurrency = newValue } }
    }
    /// Mapped nodes: what a failed item does (`"on_item_error"`).
    public var onItemError: ItemErrorPolicy? {
        get { rare[\.onItemError] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.onItemError = newValue } }
    }
    /// Whether (and how long) the node's outputs are kept in the run
    /// store's cache, by its inputs (`"cache"`).
    public var cache: CacheSpec? {
        get { rare[\.cache] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.cache = newValue } }
    }
    /// A hook called before each call of the node (`"before"`).
    public var before: HookRef? {
        get { rare[\.before] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.before = newValue } }
    }
    /// A hook called after each successful call of the node (`"after"`).
    public var after: HookRef? {
        get { rare[\.after] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.after = newValue } }
    }
    /// Flow nodes: the id of the state that runs first (`"start"`).
    public var start: String? {
        get { rare[\.start] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.start = newValue } }
    }
    /// Flow nodes: the most state runs (`"max_cycles"`).
    public var maxCycles: Int? {
        get { rare[\.maxCycles] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.maxCycles = newValue } }
    }
    /// Fields the decoder could not read (each reported in the document's
    /// diagnostics), or that are missing where an unknown field looks like
    /// a misspelling of them: they hold their defaults, and the validator
    /// skips the checks that depend on them (no "needs param" when
    /// `.params` is unread, no "required input … is not connected" when
    /// `.inputs` is). A node whose `.type` (or a loop's `.carry`) is unread
    /// is not checked further. Empty for every node of a valid file.
    public var unread: Fields {
        get { rare[\.unread] ?? [] }
        set { rare.update(isDefault: newValue.isEmpty, defaults: { RareFields() }) { $0.unread = newValue } }
    }
    /// The node's position in the file's "nodes" list.
    public var index: Int {
        get { Int(position) }
        set { position = Int32(clamping: newValue) }
    }
    /// `$.nodes[i]`: made when a message needs it, not stored per node
    /// (a subgraph's node: its place in that graph, `origin` + `nodes[i]`).
    public var path: String { (origin ?? "$.") + "nodes[\(index)]" }
    /// For a node inlined from a subgraph: where that graph's `$.` is
    /// (`sub.json:$.`, or `$.nodes[3].params.graph.`).
    public var origin: String? {
        get { rare[\.origin] ?? nil }
        set { rare.update(isDefault: newValue == nil, defaults: { RareFields() }) { $0.origin = newValue } }
    }

    public static func == (a: GraphNode, b: GraphNode) -> Bool {
        a.id == b.id && a.type == b.type && a.label == b.label && a.path == b.path
            && a.params.map(\.name) == b.params.map(\.name) && a.params.map(\.value) == b.params.map(\.value)
            && a.constants.map(\.port) == b.constants.map(\.port) && a.constants.map(\.value) == b.constants.map(\.value)
            && a.strategy == b.strategy && a.join == b.join && a.maxIterations == b.maxIterations
            && a.carry.map(\.name) == b.carry.map(\.name) && a.carry.map(\.type) == b.carry.map(\.type)
            && a.isolate == b.isolate && a.timeoutMs == b.timeoutMs && a.maxEvents == b.maxEvents && a.onError == b.onError
            && a.retry == b.retry && a.map == b.map && a.concurrency == b.concurrency && a.onItemError == b.onItemError
            && a.start == b.start && a.maxCycles == b.maxCycles && a.before == b.before && a.after == b.after
            && a.unread == b.unread
    }
}

/// `node.port`, or `$input` for a graph input.
public struct PortRef: Sendable, Hashable, CustomStringConvertible {
    public var node: String
    public var port: String
    /// True for `$name`: a graph input (then `port` is the input's name).
    public var isGraphInput: Bool

    public init(node: String, port: String) {
        self.node = node
        self.port = port
        self.isGraphInput = false
    }

    public init(graphInput name: String) {
        self.node = ""
        self.port = name
        self.isGraphInput = true
    }

    /// Parses `node.port` (split at the first dot) or `$input`.
    public init?(parsing text: String) {
        // On the UTF-8 bytes: `$` and `.` are ASCII, so byte positions are
        // character boundaries (and this runs for every edge of a file).
        let utf8 = text.utf8
        guard let first = utf8.first else { return nil }
        if first == UInt8(ascii: "$") {
            let name = String(decoding: utf8.dropFirst(), as: UTF8.self)
            guard !name.isEmpty else { return nil }
            self.init(graphInput: name)
            return
        }
        guard let dot = utf8.firstIndex(of: UInt8(ascii: ".")), dot != utf8.startIndex, utf8.index(after: dot) != utf8.endIndex else {
            return nil
        }
        self.init(node: String(decoding: utf8[..<dot], as: UTF8.self),
                  port: String(decoding: utf8[utf8.index(after: dot)...], as: UTF8.self))
    }

    public var description: String { isGraphInput ? "$\(port)" : "\(node).\(port)" }
}

/// A connection from an output port (or a graph input) to an input port.
public struct GraphEdge: Sendable, Equatable {
    public var from: PortRef
    public var to: PortRef
    /// The edge's position in the file's "edges" list.
    public var index: Int
    /// For an edge inlined from a subgraph: where that graph's `$.` is.
    public var origin: String? = nil
    /// `$.edges[i]` (`origin` + `edges[i]` for a subgraph's).
    public var path: String { (origin ?? "$.") + "edges[\(index)]" }
}
