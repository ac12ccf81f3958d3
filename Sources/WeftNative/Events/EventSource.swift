import CWeft
import WeftCore

/// A node that lives for the whole run and fires events: a timer, a file
/// watcher, stdin lines, a signal, or a plugin's own source. Each event
/// starts a *wave* through the nodes downstream of it (see `EventRun` in
/// WeftScheduler).
///
/// `start` is called once, on the run's thread; the source then emits from
/// any thread of its own until it finishes or `stop` is called. After
/// `stop` returns the source must not emit (the emitter refuses it anyway).
public protocol EventSource: AnyObject, Sendable {
    /// Starts producing events through `emitter`. Throwing a message fails
    /// the run before any wave.
    func start(_ emitter: EventEmitter) throws(EventSourceError)
    /// Stops producing: returns once no thread of the source will emit again.
    func stop()
}

/// Why a source could not start, or why it ended early.
public struct EventSourceError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Makes the source of one node instance (its params resolved, its plugin
/// state created).
public typealias EventSourceFactory = @Sendable (NodeInstance) -> Result<any EventSource, EventSourceError>

/// Where a source sends its events. Thread-safe; owned by the host, valid
/// until the run ends.
public final class EventEmitter: @unchecked Sendable {
    /// The source's node.
    public let nodeId: String
    /// One slot per output port of the node.
    public let outputCount: Int
    private let sink: @Sendable (_ payload: [WeftValue?]) -> Bool
    private let done: @Sendable (_ error: String?) -> Void
    private let accepting: @Sendable () -> Bool

    public init(nodeId: String, outputCount: Int, sink: @escaping @Sendable ([WeftValue?]) -> Bool,
                done: @escaping @Sendable (String?) -> Void, accepting: @escaping @Sendable () -> Bool) {
        self.nodeId = nodeId
        self.outputCount = outputCount
        self.sink = sink
        self.done = done
        self.accepting = accepting
    }

    /// Whether the run still takes events from this source.
    public var isAccepting: Bool { accepting() }

    /// Queues one event whose payload becomes the source node's outputs
    /// (nil = that output does not fire). Returns false when the run no
    /// longer takes events from this source (stopped, max_events reached);
    /// the source should then stop emitting. May block while the run's event
    /// queue is full and its policy is `block`.
    @discardableResult
    public func emit(_ payload: [WeftValue?]) -> Bool {
        precondition(payload.count == outputCount, "an event needs one slot per output port")
        return sink(payload)
    }

    /// The source will emit no more: the count is reached, its input ended
    /// (`error` nil), or it failed (`error` says why; the run reports it).
    public func finish(error: String? = nil) { done(error) }
}

extension NodeType {
    /// Whether nodes of this type are event sources (they have no `run`;
    /// the scheduler starts them and they fire waves).
    public var isSource: Bool { source != nil }
}
