/// One input port, output port or parameter of a node type.
public struct PortSpec: Sendable, Hashable {
    public var name: String
    public var type: ValueType
    /// Inputs: may stay unconnected. Outputs: may stay unwritten (branches).
    /// Params: may be omitted. A default implies optional.
    public var optional: Bool
    /// The value used when an optional input or param is not given.
    public var defaultValue: WeftValue?
    public var summary: String

    public init(name: String, type: ValueType, optional: Bool = false,
                defaultValue: WeftValue? = nil, summary: String = "") {
        self.name = name
        self.type = type
        self.optional = optional || defaultValue != nil
        self.defaultValue = defaultValue
        self.summary = summary
    }
}

/// Behaviour flags a node type declares (the ABI's `WEFT_NODE_*`).
public struct NodeFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Same inputs and params give the same outputs; no side effects.
    public static let pure = NodeFlags(rawValue: 0x1)
    /// One instance may run concurrently on several threads.
    public static let threadSafe = NodeFlags(rawValue: 0x2)
    /// `run` may block (sleep, I/O).
    public static let blocking = NodeFlags(rawValue: 0x4)
    /// `run` returns in well under a microsecond (arithmetic,
    /// comparisons): a parallel run calls it on the scheduler thread (or in
    /// batches) from the first call, and moves it to the pool only when
    /// its calls are measured slow. Never together with `blocking`.
    public static let cheap = NodeFlags(rawValue: 0x8)
    /// (ABI v4) `run` may end later: it defers the call and returns
    /// `WEFT_PENDING`; the plugin ends the call from any thread.
    public static let async = NodeFlags(rawValue: 0x10)

    /// An event source: no `run`; started once per run, it fires waves
    /// (set by the host from the descriptor's `start`, not a C flag).
    public static let source = NodeFlags(rawValue: 0x100)
    /// An observer (ABI v4): no ports, no `run`; it receives the events of
    /// the runs of graphs that list it in `"observers"` (set by the host
    /// from the descriptor's `observe`, not a C flag).
    public static let observer = NodeFlags(rawValue: 0x200)

    /// The flags a plugin may set.
    public static let all: NodeFlags = [.pure, .threadSafe, .blocking, .cheap, .async]

    /// Flag names as shown by `weft plugins`.
    public var names: [String] {
        var out: [String] = []
        if contains(.pure) { out.append("pure") }
        if contains(.threadSafe) { out.append("thread_safe") }
        if contains(.blocking) { out.append("blocking") }
        if contains(.cheap) { out.append("cheap") }
        if contains(.async) { out.append("async") }
        if contains(.source) { out.append("source") }
        if contains(.observer) { out.append("observer") }
        return out
    }
}

/// The description of a node type: what `weft plugins` lists and what the
/// graph validator checks against. Implementation-free.
public struct NodeSpec: Sendable, Hashable {
    /// The namespace: the plugin's name (e.g. `std`).
    public var namespace: String
    /// The node's name inside its namespace (e.g. `add`).
    public var name: String
    public var summary: String
    public var inputs: [PortSpec]
    public var outputs: [PortSpec]
    public var params: [PortSpec]
    public var flags: NodeFlags

    /// The address used in graphs: `namespace.name`, e.g. `std.add`, or
    /// just the name for the built-in types (`loop`, `ffi`).
    public var fullName: String { namespace.isEmpty ? name : "\(namespace).\(name)" }

    public init(namespace: String, name: String, summary: String,
                inputs: [PortSpec] = [], outputs: [PortSpec] = [],
                params: [PortSpec] = [], flags: NodeFlags = []) {
        self.namespace = namespace
        self.name = name
        self.summary = summary
        self.inputs = inputs
        self.outputs = outputs
        self.params = params
        self.flags = flags
    }
}

/// Names of plugins, nodes, ports and params: `[A-Za-z_][A-Za-z0-9_]*`.
public enum Identifier {
    /// Whether `s` is a valid identifier.
    public static func isValid(_ s: String) -> Bool {
        var first = true
        for b in s.utf8 {
            let letter = (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b == 95
            let digit = b >= 48 && b <= 57
            if !(letter || (!first && digit)) { return false }
            first = false
        }
        return !first
    }
}
