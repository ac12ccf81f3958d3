import CWeft
import WeftNative

/// Keeps an engine's plugins loaded while the engine handle or any graph or
/// run handle made from it lives, and unloads them (`NodeRegistry.
/// unloadPlugins()`: each plugin's `deinit`, then `dlclose`) when the last
/// of those handles is destroyed — inside that `weft_*_destroy` call, on the
/// caller's thread, never on a run's, a source's or a worker's thread.
///
/// The engine handle holds it from `weft_engine_create`; a graph or run
/// handle takes a hold (`acquire`) before it is handed out and gives it back
/// (`release`) in its destroy, after its run is joined and its own
/// references are dropped. Thread-safe.
final class PluginLease: @unchecked Sendable {
    let registry: NodeRegistry
    private let lock = ConditionLock()
    /// Live handles holding the plugins; starts with the engine's.
    private var holders = 1

    init(registry: NodeRegistry) {
        self.registry = registry
    }

    /// One more handle holds the plugins. Fails once they were unloaded (the
    /// engine and everything made from it destroyed while this handle was
    /// being made on another thread).
    func acquire(_ function: String) throws(APIError) {
        try lock.withLock { () throws(APIError) in
            guard holders > 0 else {
                throw APIError(WEFT_ERR_STATE, "\(function): the engine's plugins were unloaded (the engine and every graph "
                                   + "and run made from it were destroyed meanwhile); keep a handle until this call returns")
            }
            holders += 1
        }
    }

    /// A handle holding the plugins was destroyed; the last one unloads them
    /// here, on the calling thread, before returning.
    func release() {
        let last = lock.withLock { () -> Bool in
            holders -= 1
            return holders == 0
        }
        if last { registry.unloadPlugins() }
    }
}
