import ArgumentParser
import WeftCore
import WeftNative
import WeftScheduler

extension Weft {
    struct Plugins: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every node of every plugin found.",
            discussion: """
                Prints each node's full name (plugin.node), summary, flags, ports with their \
                types and params with their defaults. Plugins that fail to load are reported \
                on stderr with the reason, and the exit code is then 2; the others are listed. \
                A folder in WEFT_PLUGIN_PATH that does not exist is only a warning.
                """)

        @OptionGroup var plugins: PluginOptions

        @Flag(help: "Print JSON: {\"plugins\": [...], \"nodes\": [...], \"errors\": [...], \"warnings\": [...]}.")
        var json = false

        func run() throws {
            let registry = NodeRegistry()
            BuiltinSources.register(into: registry)
            let report = PluginLoader(registry: registry).load(searchPath: plugins.searchPath)
            let (warnings, errors) = plugins.split(report.errors)
            if json {
                let doc: WeftValue = [
                    "plugins": .list(registry.plugins.map(\.jsonValue)),
                    "nodes": .list(registry.nodes.map(\.spec.jsonValue)),
                    "errors": .list(errors.map(\.jsonValue)),
                    "warnings": .list(warnings.map(\.jsonValue)),
                ]
                print(JSON.encode(doc, pretty: true))
            } else {
                if registry.plugins.isEmpty && report.errors.isEmpty {
                    Stderr.write("No plugins found. Give a folder with --plugins DIR or set WEFT_PLUGIN_PATH.")
                }
                print(SpecText.render(registry.nodes.map(\.spec)), terminator: "")
            }
            for w in warnings { Stderr.write("warning: \(w.message)") }
            for e in errors { Stderr.write("error: \(e.message)") }
            if !errors.isEmpty { throw ExitCode(2) }
        }
    }
}
