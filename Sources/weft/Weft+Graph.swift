import ArgumentParser
import WeftCore
import WeftNative

extension Weft {
    struct Graph: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Draw a graph as Graphviz dot or Mermaid.",
            discussion: """
                Branch edges (from optional outputs), loop nodes and loop back edges are drawn \
                distinctly; each loop body is a cluster. Render dot with `dot -Tsvg`, paste \
                Mermaid into any Mermaid viewer. The graph is validated first (exit 2 if invalid).
                """)

        @Argument(help: ArgumentHelp("The graph file.", valueName: "graph.json"))
        var graph: String

        @Option(help: "dot or mermaid.")
        var format: String = "dot"

        @OptionGroup var plugins: PluginOptions

        @OptionGroup var graphFile: GraphFileOptions

        func validate() throws {
            guard ["dot", "mermaid"].contains(format) else {
                throw ValidationError("--format must be dot or mermaid, not '\(format)'")
            }
        }

        func run() throws {
            let loading = GraphLoading(file: graph, plugins: plugins, quiet: true, maxBytes: graphFile.maxGraphBytes)
            let (registry, loadFailures) = loading.registry()
            let (skippedFolders, loadErrors) = plugins.split(loadFailures)
            for w in skippedFolders { Stderr.write("warning: \(w.message)") }
            let plan = try loading.plan(registry: registry, loadErrors: loadErrors)
            print(format == "dot" ? GraphDrawing.dot(plan) : GraphDrawing.mermaid(plan), terminator: "")
        }
    }
}
