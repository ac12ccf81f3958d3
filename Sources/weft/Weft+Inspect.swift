import ArgumentParser
import WeftCore
import WeftNative

extension Weft {
    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a plugin file's ABI version and nodes, or exactly why it cannot load.",
            discussion: "The file is loaded on its own, in a fresh registry. Exit code 2 if it cannot load.")

        @Argument(help: ArgumentHelp("The plugin file (a shared library).", valueName: "file.so"))
        var file: String

        @Flag(help: "Print JSON: {\"ok\", \"plugin\", \"nodes\"} or {\"ok\": false, \"error\"}.")
        var json = false

        func run() throws {
            let registry = NodeRegistry()
            do {
                let plugin = try PluginLoader(registry: registry).load(file: file)
                let nodes = registry.nodes
                if json {
                    print(JSON.encode([
                        "ok": true, "plugin": plugin.jsonValue,
                        "nodes": .list(nodes.map(\.spec.jsonValue)),
                    ], pretty: true))
                } else {
                    print("plugin   \(plugin.name) \(plugin.version)")
                    if !plugin.summary.isEmpty { print("summary  \(plugin.summary)") }
                    print("file     \(plugin.path)")
                    print("ABI      \(plugin.abiVersion) (this Weft supports \(WeftVersion.oldestPluginABI)…\(WeftVersion.pluginABI))")
                    print("nodes    \(nodes.count)")
                    print("")
                    print(SpecText.render(nodes.map(\.spec)), terminator: "")
                }
            } catch {
                if json {
                    print(JSON.encode(["ok": false, "error": error.jsonValue], pretty: true))
                }
                Stderr.write("error: \(error.message)")
                throw ExitCode(2)
            }
        }
    }
}
