import CWeft
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A plugin library that is loaded and initialised.
///
/// Owns the `dlopen` handle. The library is closed only by `unload()`,
/// called explicitly by the owner of the registry at a known time on a known
/// thread (`NodeRegistry.unloadPlugins()`: `weft_engine_destroy` in the C
/// API, or the loader itself when a load fails) — never by `deinit`, so the
/// thread that happens to drop the last reference (a worker, a wave thread,
/// a source thread, a thread racing process exit) never runs `dlclose`. An
/// object dropped without `unload()` leaves its library mapped until the
/// process ends (the `weft` CLI does this on purpose; Docs/architecture.md).
///
/// Every `NodeType` of the plugin counts as a user of its code while it
/// lives (`NodeType.init`/`deinit`); `unload()` waits until there are none,
/// so no function pointer into the library is used after `dlclose`.
/// Thread-safe.
public final class LoadedPlugin: @unchecked Sendable {
    /// The file as given to the loader.
    public let path: String
    /// The namespace its nodes live in (`std` for `std.add`).
    public let name: String
    public let version: String
    public let summary: String
    /// The plugin ABI version the plugin was built for.
    public let abiVersion: UInt32

    let handle: UnsafeMutableRawPointer
    let deinitFunction: weft_deinit_fn?
    /// Set once `init` returned WEFT_OK (on the loading thread, before the
    /// plugin is published); only then is `deinit` called.
    var initialized = false

    /// Guards `users` and `unloaded`.
    private let lock = ConditionLock()
    /// Live node types made from this plugin (they hold its code pointers).
    private var users = 0
    private var unloaded = false

    init(path: String, name: String, version: String, summary: String, abiVersion: UInt32,
         handle: UnsafeMutableRawPointer, deinitFunction: weft_deinit_fn?) {
        self.path = path
        self.name = name
        self.version = version
        self.summary = summary
        self.abiVersion = abiVersion
        self.handle = handle
        self.deinitFunction = deinitFunction
    }

    /// One more node type holds pointers into the library (`NodeType.init`).
    func addUser() {
        lock.withLock { users += 1 }
    }

    /// A node type holding pointers into the library is gone
    /// (`NodeType.deinit`, on any thread). Only counts: never unloads.
    func removeUser() {
        lock.withLock {
            users -= 1
            if users == 0 { lock.broadcast() }
        }
    }

    /// Whether `unload()` has closed the library.
    public var isUnloaded: Bool { lock.withLock { unloaded } }

    /// Calls the plugin's `deinit` (if its `init` succeeded) and closes the
    /// library, on the calling thread, once; later calls return true at once.
    ///
    /// Waits up to `timeoutNanoseconds` for the plugin's node types to be
    /// released (a run's thread may be dropping its last ones); if some are
    /// still alive then, nothing is unloaded — the library stays mapped, a
    /// warning says so — and the result is false. The caller must make sure
    /// nothing can make a new node type of this plugin meanwhile (take the
    /// plugin out of its registry first).
    @discardableResult
    func unload(timeoutNanoseconds: UInt64 = LoadedPlugin.unloadTimeout) -> Bool {
        let deadline = Self.now() &+ timeoutNanoseconds
        let proceed: Bool = lock.withLock {
            if unloaded { return false }
            while users > 0 {
                let now = Self.now()
                if now >= deadline { return false }
                lock.wait(nanoseconds: deadline - now)
            }
            unloaded = true
            return true
        }
        guard proceed else {
            if isUnloaded { return true }
            let left = lock.withLock { users }
            let line = "plugin '\(name)' (\(path)) was not unloaded: \(left) of its node types are still in use "
                + "(a graph, run or node instance made from it is alive); its library stays loaded until the process ends"
            PluginLog.logger.warning("\(line)")
            return false
        }
        if initialized { deinitFunction?() }
        PluginLog.reportSuppressed(plugin: name)
        DL.close(handle)
        UnloadHook.record(path: path)
        return true
    }

    /// How long `unload()` waits for node types still being released: 10 s.
    static let unloadTimeout: UInt64 = 10_000_000_000

    private static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
