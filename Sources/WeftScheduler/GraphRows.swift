import CWeftShims
import WeftCore
import WeftNative

/// What the run loop reads of a node, in one row: one cache line holds two.
struct NodeRow {
    /// Its instance (nil for loop nodes), unretained: the graph keeps it.
    var instance: Unmanaged<NodeInstance>?
    var slotBase: Int32
    /// Its first output port key in `outEdges` / `outputTaps`.
    var outPortBase: Int32
    /// Its innermost loop, or -1.
    var enclosingLoop: Int32
    /// The index of its node type among the graph's distinct types (-1
    /// for loop nodes), for per-type call statistics.
    var typeIndex: Int32
    var inputCount: UInt16
    var outputCount: UInt16
    var flags: UInt8
    /// Its strategy: an index into `CompiledGraph.strategyObjects`.
    var strategy: UInt8

    /// A sequential, join-all node with an instance: the run loop calls it
    /// directly when nothing observes the run.
    static let plain: UInt8 = 1
    static let loop: UInt8 = 2
    static let joinAny: UInt8 = 4
    static let sequential: UInt8 = 8
    /// Its node type is flagged cheap (and so not blocking:
    /// `CompiledGraph.typeCheap`) / blocking.
    static let cheap: UInt8 = 16
    static let blocking: UInt8 = 32
    /// An event source.
    static let source: UInt8 = 64
    /// Its failure is retried (`retry`) or handled by its own `on_error`
    /// (route or default): never plain, so it always completes through
    /// `succeeded` / `nodeFailed`.
    static let handlesErrors: UInt8 = 128
}

/// What the run loop reads of an edge.
struct EdgeRow {
    var target: Int32
    var slot: Int32
    var isBack: Bool
    /// The target node joins any (starts with its first live input).
    var targetJoinsAny: Bool
}

/// Guards against two concurrent runs of one compiled graph.
final class RunningFlag: @unchecked Sendable {
    private let lock = ConditionLock()
    private var busy = false

    func acquire() -> Bool { lock.withLock { if busy { return false }; busy = true; return true } }
    func release() { lock.withLock { busy = false } }
}
