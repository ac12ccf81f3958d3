/// A hook of a node (`"before"` / `"after"`, or the graph's `"hooks"`):
/// a node type called around each call of the node (fast-dag's lifecycle
/// hooks). A before hook sees the node's inputs and may replace some
/// (`inputs` output) or veto the call (`veto` output: the node is skipped);
/// an after hook sees inputs and outputs and may replace outputs
/// (`outputs` output). Both take one input, `call`: a map
/// `{"node", "type", "inputs", "outputs"}` (outputs for after hooks only).
public struct HookRef: Sendable, Equatable {
    /// The hook's node type, `plugin.node`.
    public var type: String
    /// Its params, in file order.
    public var params: [(name: String, value: WeftValue)]
    /// Where it was given, for messages, when not in the file (`--observer`).
    public var origin: String?

    public init(type: String, params: [(name: String, value: WeftValue)] = [], origin: String? = nil) {
        self.type = type
        self.params = params
        self.origin = origin
    }

    public static func == (a: HookRef, b: HookRef) -> Bool {
        a.type == b.type && a.params.map(\.name) == b.params.map(\.name) && a.params.map(\.value) == b.params.map(\.value)
    }

    /// The hook's one input.
    public static let callPort = "call"
    /// A before hook's outputs: replaced inputs, and a veto.
    public static let inputsPort = "inputs"
    public static let vetoPort = "veto"
    /// An after hook's output: replaced outputs.
    public static let outputsPort = "outputs"
}

/// A node's hooks as the plan holds them.
public struct PlanHooks: Sendable, Equatable {
    public struct Hook: Sendable, Equatable {
        public var type: String
        public var params: [String: WeftValue]
        /// Its `call` input and its outputs (`inputs`, `veto` / `outputs`; -1: none).
        public var callPort: Int
        public var replacePort: Int
        public var vetoPort: Int
    }
    public var before: Hook?
    public var after: Hook?
    /// The node's own (not the graph's `"hooks"`).
    public var own = false
}

/// A node's cache (`"cache": true` or `{"ttl_s": N}`): its outputs kept
/// in the run store by its type, plugin file, params and input values,
/// for `ttlSeconds` (nil: until `weft cache clear`).
public struct CacheSpec: Sendable, Equatable {
    public var ttlSeconds: Double?
    public init(ttlSeconds: Double? = nil) { self.ttlSeconds = ttlSeconds }
}

/// An observer of the graph's runs (`"observers"`, ABI v4): a type flagged
/// `observer` and its checked params.
public struct PlanObserver: Sendable, Equatable {
    public var type: String
    public var params: [String: WeftValue]
    public init(type: String, params: [String: WeftValue]) {
        self.type = type
        self.params = params
    }
}

/// The graph's `"hooks"`: defaults for every node that runs a call.
public struct GraphHooks: Sendable, Equatable {
    public var before: HookRef?
    public var after: HookRef?
    public init(before: HookRef? = nil, after: HookRef? = nil) {
        self.before = before
        self.after = after
    }
}
