import Foundation
import Testing
import WeftCore
import WeftNative
import WeftScheduler
import WeftTestSupport

/// Plugins are unloaded (`dlclose`) explicitly, on the thread that asks for
/// it, once nothing made from them is alive: never by whichever thread
/// happens to drop the last reference (a worker, a wave or source thread),
/// which raced process exit.
@Suite("Unloading plugins")
struct PluginUnloadTests {
    /// A copy of the fixture plugin with a name and file of its own, so the
    /// unload records of this test are told apart from other tests'.
    static func privateFixture(_ name: String) throws -> String {
        try Fixtures.build("fixture.c", name: name, flags: ["-DFIXTURE_NAME=\"\(name)\""])
    }

    static func graph(_ plugin: String) -> String {
        """
        {"weft": 1, "nodes": [
          {"id": "a", "type": "\(plugin).add", "inputs": {"a": 1, "b": 2}},
          {"id": "b", "type": "\(plugin).add", "inputs": {"a": 3, "b": 4}},
          {"id": "c", "type": "\(plugin).add"}
        ], "edges": [{"from": "a.sum", "to": "c.a"}, {"from": "b.sum", "to": "c.b"}],
        "outputs": {"sum": "c.sum"}}
        """
    }

    @Test func dlcloseRunsOnTheUnloadingThreadEvenWhenAnotherThreadDropsTheLastReference() throws {
        UnloadHook.start()
        let path = try Self.privateFixture("unload_a")
        let registry = NodeRegistry()
        // Only the registry and what is made from it hold the plugin.
        _ = try PluginLoader(registry: registry).load(file: path)
        let plan = try GraphValidator.load(text: Self.graph("unload_a"), catalog: registry)

        // A parallel run, so worker threads touched the graph too.
        let compiled = Holder(try CompiledGraph(plan: plan, registry: registry))
        let result = try Scheduler.run(try #require(compiled.value), inputs: [:], options: RunOptions(mode: .parallel, workers: 2))
        #expect(result[output: "sum"] == 10)

        // Another thread holds the last reference to the compiled graph (and
        // through it the plugin's node types). It drops it once the registry
        // has let go of its own node types, i.e. while `unloadPlugins` below
        // waits: with a deinit that closes the library, dlclose would run
        // there.
        let dropped = DispatchSemaphore(value: 0)
        let dropper = Thread { [registry] in
            let deadline = Date().addingTimeInterval(30)
            while registry.node(named: "unload_a.add") != nil && Date() < deadline { usleep(1000) }
            compiled.value = nil
            dropped.signal()
        }
        dropper.start()

        let unloaded = registry.unloadPlugins()
        #expect(dropped.wait(timeout: .now() + 30) == .success)

        let me = UInt(pthread_self())
        let records = UnloadHook.recorded.filter { $0.path == path }
        #expect(records == [UnloadHook.Record(path: path, thread: me)], "one dlclose, on the unloading thread")
        #expect(unloaded.map(\.path) == [path])
        #expect(unloaded.allSatisfy { $0.isUnloaded })
        #expect(registry.plugins.isEmpty && registry.node(named: "unload_a.add") == nil)
        #expect(registry.unloadPlugins().isEmpty, "a second unload does nothing")
    }

    @Test func droppingEverythingWithoutUnloadingClosesNothing() throws {
        UnloadHook.start()
        let path = try Self.privateFixture("unload_b")
        let done = DispatchSemaphore(value: 0)
        do {
            let registry = NodeRegistry()
            let plugin = try PluginLoader(registry: registry).load(file: path)
            let plan = try GraphValidator.load(text: Self.graph("unload_b"), catalog: registry)
            let compiled = Holder(try CompiledGraph(plan: plan, registry: registry))
            // The last references go on another thread: the registry here,
            // the compiled graph and the plugin object there.
            let holder = Holder(plugin)
            Thread {
                compiled.value = nil
                holder.value = nil
                done.signal()
            }.start()
        }
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(UnloadHook.recorded.filter { $0.path == path }.isEmpty, "no dlclose without unloadPlugins()")
    }

    @Test func aPluginStillInUseIsNotUnloaded() throws {
        UnloadHook.start()
        let path = try Self.privateFixture("unload_c")
        let registry = NodeRegistry()
        let plugin = try PluginLoader(registry: registry).load(file: path)
        let type = try #require(registry.node(named: "unload_c.add"))
        let node = try NodeInstance(type: type, nodeId: "n", params: [:])

        // The instance still holds the node type: unloading would leave it
        // pointing into unmapped code, so the plugin stays loaded.
        #expect(registry.unloadPlugins(timeoutNanoseconds: 1_000_000).isEmpty)
        #expect(!plugin.isUnloaded)
        #expect(UnloadHook.recorded.filter { $0.path == path }.isEmpty)
        #expect(try node.run(inputs: [2, 3]).get().values == [.int(5)], "its code is still there")
    }

    @Test func aFailedLoadIsClosedOnTheLoadingThread() throws {
        UnloadHook.start()
        let first = try Self.privateFixture("unload_d")
        // Another file with the same plugin name: init succeeds, the
        // registry refuses it, and the loader unloads it at once.
        let second = try Fixtures.build("fixture.c", name: "unload_d_again", flags: ["-DFIXTURE_NAME=\"unload_d\""])
        let registry = NodeRegistry()
        _ = try PluginLoader(registry: registry).load(file: first)
        #expect(throws: PluginLoadError.self) { _ = try PluginLoader(registry: registry).load(file: second) }
        let me = UInt(pthread_self())
        #expect(UnloadHook.recorded.filter { $0.path == second } == [UnloadHook.Record(path: second, thread: me)])
        #expect(UnloadHook.recorded.filter { $0.path == first }.isEmpty)
        #expect(registry.node(named: "unload_d.add") != nil, "the first plugin is untouched")
    }
}

/// A reference another thread can drop.
private final class Holder<T: AnyObject>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    init(_ value: T) { stored = value }
    var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
