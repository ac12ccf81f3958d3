/// What a node's failure does (`"on_error"` of a node in the graph file).
/// Unset: the graph's `ErrorStrategy` decides (the run fails, or with
/// `continue` the node's outputs go dead and the rest goes on).
public enum ErrorPolicy: Sendable, Equatable {
    /// `"on_error": "fail"`: as unset.
    case fail
    /// `"on_error": "route"`: the node gets one more output, `error` (a
    /// map: node, type, message, attempt), that fires when it fails; its
    /// other outputs are then dead. When it succeeds, `error` is dead.
    case route
    /// `"on_error": {"default": {"port": value, …}}`: a failure gives
    /// these outputs instead (the ports not named are dead), and the run
    /// goes on as if the node had succeeded.
    case defaults([(port: String, value: WeftValue)])

    /// The output port `route` adds.
    public static let errorPort = "error"

    public static func == (a: ErrorPolicy, b: ErrorPolicy) -> Bool {
        switch (a, b) {
        case (.fail, .fail), (.route, .route): true
        case (.defaults(let x), .defaults(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.port == $1.port && $0.value == $1.value }
        default: false
        }
    }
}

/// A node's error policy as the plan holds it: the output ports by index.
public enum PlanErrorPolicy: Sendable, Equatable {
    /// Output port `port` (the last) is the added `error` port.
    case route(port: Int)
    /// Values for these output ports (by index, each at most once).
    case defaults([(port: Int, value: WeftValue)])

    /// "route" or "default" (as events name it).
    public var name: String {
        switch self {
        case .route: "route"
        case .defaults: "default"
        }
    }

    public static func == (a: PlanErrorPolicy, b: PlanErrorPolicy) -> Bool {
        switch (a, b) {
        case (.route(let x), .route(let y)): x == y
        case (.defaults(let x), .defaults(let y)):
            x.count == y.count && zip(x, y).allSatisfy { $0.port == $1.port && $0.value == $1.value }
        default: false
        }
    }
}

/// What a failed node does to the run when its own `on_error` does not
/// say (`"error_strategy"` of the graph file).
public enum ErrorStrategy: String, Sendable, CaseIterable {
    /// The first failure fails the run (the default).
    case failFast = "fail_fast"
    /// A failed node's outputs go dead, the rest of the graph goes on, and
    /// the run fails at its end naming the first failure (the CLI's
    /// `--keep-going`).
    case `continue`
}
