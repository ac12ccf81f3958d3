import WeftCore

/// Where a recorded run keeps each node's outputs as the node completes,
/// and where a resumed (or partial) run finds the outputs of nodes that
/// completed before, so that they are not called again. The run store
/// implements it (`WeftStore.StoreCheckpoints`).
///
/// A node's completions are counted per node (its `occurrence`, 0-based:
/// a node in a loop completes once per iteration); the scheduler asks for
/// occurrence k before the node's (k+1)-th call, and on a miss calls the
/// node and hands its outputs over. A run with checkpoints takes the
/// general path (`RunOptions.ForcedPath.queue`) for every node.
///
/// Checkpointed nodes: those that run one call of a plugin's node (not
/// sources, loops, flows, mapped, async or hooked nodes, which run again).
/// Both methods are called on the thread that runs the graph.
public protocol RunCheckpoints: AnyObject, Sendable {
    /// The outputs (nil: did not fire) of node `id`'s completion number
    /// `occurrence`, kept from before; nil: not kept, the node is called.
    func restored(node id: String, occurrence: Int) -> [WeftValue?]?
    /// Node `id` completed (its completion number `occurrence`) with
    /// `outputs`; its call took `durationNs` (`UInt64.max`: not known;
    /// 0: a cheap call, not timed). False: they could not be kept (the
    /// run is then stopped and ends failed with `failure`).
    func completed(node id: String, occurrence: Int, outputs: [WeftValue?], durationNs: UInt64) -> Bool
    /// Why keeping outputs failed (after `completed` said false).
    var failure: String? { get }
    /// Whether `skips` may say yes (a partial run).
    var skipsNodes: Bool { get }
    /// Node `id` is left out of the run (a partial run): skipped as on an
    /// untaken branch, whatever kind of node it is.
    func skips(node id: String) -> Bool
}

extension RunCheckpoints {
    public var skipsNodes: Bool { false }
    public func skips(node id: String) -> Bool { false }
}
