import CWeft
public import WeftCore

/// A registered node type: its spec and the C callbacks that implement it.
///
/// Immutable and shareable across threads. Counts as a user of its
/// plugin's code while it lives: `LoadedPlugin.unload()` waits for every
/// node type of the plugin to be released before it closes the library.
public final class NodeType: @unchecked Sendable {
    public let spec: NodeSpec
    /// The plugin it came from; nil for nodes registered by an embedding host.
    public let plugin: LoadedPlugin?

    let create: weft_create_fn?
    let run: weft_run_fn
    let destroy: weft_destroy_fn?
    /// Opaque to the host: passed back to `create`.
    let userData: UnsafeMutableRawPointer?
    /// Whatever `userData` points into, kept alive with the type (host-made
    /// node types such as `ffi`).
    let owner: AnyObject?
    /// Event sources: makes the source of an instance (nil for other nodes).
    public let source: EventSourceFactory?
    /// Async nodes (ABI v4): asks the plugin to give up a pending call.
    let cancel: weft_cancel_fn?
    /// Observers (ABI v4): receives run events (nil for nodes).
    let observe: weft_observe_fn?
    /// Checks params beyond their types at validation (a cron schedule, a
    /// positive interval); nil when there is nothing to check.
    public let checkParams: (@Sendable ([String: WeftValue]) -> ParameterizedSpecError?)?
    /// The port facts a call needs, flattened once per type and shared by
    /// every instance (a graph of 100,000 `std.add` nodes has one).
    let ports: PortTable

    init(spec: NodeSpec, plugin: LoadedPlugin?, create: weft_create_fn?, run: @escaping weft_run_fn,
         destroy: weft_destroy_fn?, userData: UnsafeMutableRawPointer?, owner: AnyObject? = nil,
         source: EventSourceFactory? = nil, cancel: weft_cancel_fn? = nil, observe: weft_observe_fn? = nil,
         checkParams: (@Sendable ([String: WeftValue]) -> ParameterizedSpecError?)? = nil) {
        self.owner = owner
        self.cancel = cancel
        self.observe = observe
        self.source = source
        self.checkParams = checkParams
        self.spec = spec
        self.ports = PortTable(spec)
        self.plugin = plugin
        self.create = create
        self.run = run
        self.destroy = destroy
        self.userData = userData
        plugin?.addUser()
    }

    /// Only counts: releasing a node type (on any thread) never unloads.
    deinit { plugin?.removeUser() }

    /// A node type implemented in Swift as an event source (built-in sources
    /// such as `event.timer`): no C callbacks; `make` builds the source of
    /// each instance from its resolved params.
    public convenience init(sourceSpec spec: NodeSpec,
                            checkParams: (@Sendable ([String: WeftValue]) -> ParameterizedSpecError?)? = nil,
                            make: @escaping EventSourceFactory) {
        var spec = spec
        spec.flags.insert(.source)
        self.init(spec: spec, plugin: nil, create: nil, run: DescriptorReader.sourceRun, destroy: nil, userData: nil,
                  source: make, checkParams: checkParams)
    }

    /// Whether its calls run in worker processes (`isolate`).
    public var isIsolated: Bool { owner is IsolatedType }

    /// Whether it is an observer (`observe` set): it has no calls.
    public var isObserver: Bool { spec.flags.contains(.observer) }

    /// Whether its calls may end later (`WEFT_NODE_ASYNC`).
    public var isAsync: Bool { spec.flags.contains(.async) }

    /// `std.add`.
    public var fullName: String { spec.fullName }
}
