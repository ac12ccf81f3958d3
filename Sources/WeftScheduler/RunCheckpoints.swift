import WeftCore

/// One node completion, as handed to `RunCheckpoints`.
public struct NodeCompletion: Sendable {
    /// The node's id.
    public var node: String
    /// Its completions before this one (restored ones included) in this
    /// run — or, in an event run, in this wave.
    public var occurrence: Int
    /// Event runs: the wave (1-based); 0 otherwise.
    public var wave: Int
    /// 1, or the attempt that succeeded (`retry`).
    public var attempt: Int
    /// How long its call took; nil when not timed (a cheap call) or not known.
    public var durationNs: UInt64?
    /// Its outputs (nil: did not fire).
    public var outputs: [WeftValue?]
}

/// Where a recorded run keeps each node's completion (with its outputs)
/// as it happens, and where a resumed (or partial) run finds the outputs
/// of nodes that completed before, so that they are not called again. The
/// run store implements it (`WeftStore.StoreCheckpoints`).
///
/// A node's completions are counted per node (its `occurrence`, 0-based:
/// a node in a loop completes once per iteration); the scheduler asks for
/// occurrence k before the node's (k+1)-th call, and on a miss calls the
/// node and hands its completion over. A run with checkpoints takes the
/// general path (`RunOptions.ForcedPath.queue`) for every node.
///
/// Restored (asked for): nodes that run one call of a plugin's node, not
/// sources, loops, flows, mapped, async or hooked nodes (which run again);
/// not in event runs. Handed over: every call that completes.
/// `restored` is called on the thread that runs the graph, `completed` on
/// it too — in an event run with several waves at once, on each wave's.
public protocol RunCheckpoints: AnyObject, Sendable {
    /// The outputs (nil: did not fire) of node `id`'s completion number
    /// `occurrence`, kept from before; nil: not kept, the node is called.
    func restored(node id: String, occurrence: Int) -> [WeftValue?]?
    /// A node completed. False: it could not be kept (the run is then
    /// stopped and ends failed with `failure`).
    func completed(_ completion: NodeCompletion) -> Bool
    /// Why keeping a completion failed (after `completed` said false).
    var failure: String? { get }
    /// Whether `skips` may say yes (a partial run).
    var skipsNodes: Bool { get }
    /// Node `id` is left out of the run (a partial run): skipped as on an
    /// untaken branch, whatever kind of node it is.
    func skips(node id: String) -> Bool
    /// Event runs resumed: how many of source `id`'s first events had
    /// their waves end before (a source that emits the same events when
    /// started again — a file's lines — skips them).
    func eventsDone(source id: String) -> Int
}

extension RunCheckpoints {
    public var skipsNodes: Bool { false }
    public func skips(node id: String) -> Bool { false }
    public func eventsDone(source id: String) -> Int { 0 }
}
