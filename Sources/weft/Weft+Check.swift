import ArgumentParser
import WeftCore
import WeftNative

extension Weft {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a graph without running it.",
            discussion: """
                Reports every problem at once, one per line as FILE:JSON-PATH: SEVERITY: MESSAGE \
                (or as JSON with --json). Exit code 0 when the graph is valid (warnings allowed), \
                2 when it has errors.
                """)

        @Argument(help: ArgumentHelp("The graph file.", valueName: "graph.json"))
        var graph: String

        @OptionGroup var plugins: PluginOptions

        @OptionGroup var graphFile: GraphFileOptions

        @Flag(help: "Print {\"ok\": bool, \"diagnostics\": [{\"severity\", \"path\", \"node\", \"message\"}]}.")
        var json = false

        func run() throws {
            let loading = GraphLoading(file: graph, plugins: plugins, quiet: false, maxBytes: graphFile.maxGraphBytes)
            let (registry, loadFailures) = loading.registry()
            let (skippedFolders, loadErrors) = plugins.split(loadFailures)
            for w in skippedFolders { Stderr.write("warning: \(w.message)") }
            var diagnostics: [Diagnostic]
            var ok = true
            do {
                // The document goes to the validator as a temporary, so it is
                // freed as the plan is built (see GraphLoading.plan).
                diagnostics = try GraphValidator.validate(try loading.document().get(), catalog: registry,
                                                          subgraphs: loading.subgraphs, file: loading.subgraphFile).warnings
                debugMem("after validating")
            } catch let error as GraphError {
                diagnostics = error.diagnostics
                ok = false
            }
            if json {
                print(JSON.encode(["ok": .bool(ok), "diagnostics": .list(diagnostics.map(\.jsonValue))], pretty: true))
            } else {
                loading.print(diagnostics)
                if ok { print("\(graph): ok" + (diagnostics.isEmpty ? "" : " (\(diagnostics.count) warning\(diagnostics.count == 1 ? "" : "s"))")) }
            }
            if !ok {
                for e in loadErrors { Stderr.write("note: a plugin failed to load: \(e.message)") }
                throw ExitCode(2)
            }
        }
    }
}
