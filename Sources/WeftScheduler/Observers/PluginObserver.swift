import WeftCore
import WeftNative

/// An observer plugin's instance (ABI v4, `"observers"`) as a run
/// observer: each event goes to its `observe` as a `weft_event_t`. The
/// event hub calls one observer at a time, in order, on its delivery
/// thread — so a plugin sees a run's events as the C API's `on_event`
/// does, and, like every observer, cannot change what the run computes.
final class PluginObserver: RunObserver, @unchecked Sendable {
    let instance: NodeInstance

    init(_ instance: NodeInstance) { self.instance = instance }

    func receive(_ event: RunEvent) {
        CEvent.with(event) { instance.observe(UnsafeRawPointer($0)) }
    }
}
