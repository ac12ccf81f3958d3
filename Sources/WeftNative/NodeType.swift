import CWeft
public import WeftCore

/// A registered node type: its spec and the C callbacks that implement it.
///
/// Immutable and shareable across threads. Keeps its plugin loaded.
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

    init(spec: NodeSpec, plugin: LoadedPlugin?, create: weft_create_fn?, run: @escaping weft_run_fn,
         destroy: weft_destroy_fn?, userData: UnsafeMutableRawPointer?, owner: AnyObject? = nil) {
        self.owner = owner
        self.spec = spec
        self.plugin = plugin
        self.create = create
        self.run = run
        self.destroy = destroy
        self.userData = userData
    }

    /// `std.add`.
    public var fullName: String { spec.fullName }
}
