/// Which nodes run in a child process, and which program that process runs.
///
/// Besides this engine-wide choice (`weft run --isolate PLUGIN`,
/// `weft_engine_isolate_plugin`), a graph node can ask for it itself with
/// `"isolate": true` or `"timeout_ms"`.
public struct IsolationPolicy: Sendable, Equatable {
    /// Plugins whose nodes are all isolated, by name; `*` = every plugin.
    public var plugins: Set<String> = []
    /// The `weft` executable that serves as the worker (`weft
    /// isolate-worker`); nil = not known, so isolation fails with a message
    /// saying how to set it.
    public var workerExecutable: String?

    public init(plugins: Set<String> = [], workerExecutable: String? = nil) {
        self.plugins = plugins
        self.workerExecutable = workerExecutable
    }

    /// `$WEFT_WORKER`, else this process's executable if it is `weft`.
    public static func defaultWorker() -> String? {
        if let env = FileSystem.environment("WEFT_WORKER"), !env.isEmpty { return env }
        guard let exe = FileSystem.executablePath() else { return nil }
        return exe.hasSuffix("/weft") ? exe : nil
    }

    /// Whether nodes of the plugin called `name` are isolated.
    public func isolates(plugin name: String) -> Bool {
        plugins.contains("*") || plugins.contains(name)
    }
}
