public import CWeft
import WeftCore

/// A run event as C sees it (`weft_event_t`, plugin.h): the one conversion
/// behind the C API's `on_event` and observer plugins' `observe`.
public enum CEvent {
    /// Calls `body` with `event` as a `weft_event_t` whose strings are valid
    /// during the call. `cancelledMessage`: the run-finished message of a
    /// cancelled run.
    public static func with(_ event: RunEvent, cancelledMessage: String = "the run was cancelled",
                            _ body: (UnsafePointer<weft_event_t>) -> Void) {
        var e = weft_event_t()
        e.struct_size = UInt32(MemoryLayout<weft_event_t>.size)
        e.time_ns = event.time
        var node: String?
        var message: String?
        switch event {
        case .runStarted:
            e.kind = WEFT_EVENT_RUN_STARTED
        case .nodeStarted(_, _, let id, let thread):
            e.kind = WEFT_EVENT_NODE_STARTED
            node = id
            e.thread = Int32(thread)
        case .nodeFinished(_, _, let id, let thread, let duration):
            e.kind = WEFT_EVENT_NODE_FINISHED
            node = id
            e.thread = Int32(thread)
            e.duration_ns = duration
        case .nodeFailed(_, _, let id, let thread, let m):
            e.kind = WEFT_EVENT_NODE_FAILED
            node = id
            e.thread = Int32(thread)
            message = m
        case .nodeRetry(_, _, let id, let attempt, let delay, let m):
            e.kind = WEFT_EVENT_NODE_RETRY
            node = id
            e.iteration = Int64(attempt)
            e.duration_ns = delay
            message = m
        case .itemFailed(_, _, let id, let item, let m):
            e.kind = WEFT_EVENT_ITEM_FAILED
            node = id
            e.iteration = Int64(item)
            message = m
        case .cacheHit(_, _, let id):
            e.kind = WEFT_EVENT_CACHE_HIT
            node = id
        case .nodeRestored(_, _, let id):
            e.kind = WEFT_EVENT_NODE_RESTORED
            node = id
        case .nodeRecovered(_, _, let id, let how):
            e.kind = WEFT_EVENT_NODE_RECOVERED
            node = id
            message = how
        case .flowState(_, _, let id, let state, let cycle, let action):
            e.kind = WEFT_EVENT_FLOW_STATE
            node = id
            e.iteration = Int64(cycle)
            message = state + " " + action
        case .nodeSkipped(_, _, let id):
            e.kind = WEFT_EVENT_NODE_SKIPPED
            node = id
        case .loopIteration(_, _, let id, let i):
            e.kind = WEFT_EVENT_LOOP_ITERATION
            node = id
            e.iteration = Int64(i)
        case .waveStarted(_, let wave, let source, let event):
            e.kind = WEFT_EVENT_WAVE_STARTED
            node = source
            e.iteration = Int64(wave)
            e.steps = Int64(event)
        case .waveFinished(_, let wave, let outcome, let steps):
            e.kind = WEFT_EVENT_WAVE_FINISHED
            e.iteration = Int64(wave)
            e.steps = Int64(steps)
            switch outcome {
            case .succeeded: e.outcome = WEFT_RUN_SUCCEEDED
            case .failed(let m, let n):
                e.outcome = WEFT_RUN_FAILED
                message = m
                node = n
            case .cancelled: e.outcome = WEFT_RUN_CANCELLED
            }
        case .eventDropped(_, let source, let dropped):
            e.kind = WEFT_EVENT_EVENT_DROPPED
            node = source
            e.steps = Int64(dropped)
        case .sourceFinished(_, let source, let m):
            e.kind = WEFT_EVENT_SOURCE_FINISHED
            node = source
            message = m
        case .runFinished(_, let outcome, let steps):
            e.kind = WEFT_EVENT_RUN_FINISHED
            e.steps = Int64(steps)
            switch outcome {
            case .succeeded: e.outcome = WEFT_RUN_SUCCEEDED
            case .failed(let m, _):
                e.outcome = WEFT_RUN_FAILED
                message = m
            case .cancelled:
                e.outcome = WEFT_RUN_CANCELLED
                message = cancelledMessage
            }
        }
        withOptionalCString(node) { nodePtr in
            withOptionalCString(message) { messagePtr in
                e.node_id = nodePtr
                e.message = messagePtr
                withUnsafePointer(to: &e) { body($0) }
            }
        }
    }

    static func withOptionalCString<R>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let s else { return body(nil) }
        return s.withCString { body($0) }
    }
}
