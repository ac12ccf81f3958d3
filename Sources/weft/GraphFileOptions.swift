import ArgumentParser
import WeftNative

/// The options of every command that reads a graph file (`run`, `check`,
/// `graph`).
struct GraphFileOptions: ParsableArguments {
    @Option(name: .customLong("max-graph-bytes"), help: ArgumentHelp(
        "Refuse a graph (or --inputs) file larger than this; a pipe or device is read only up to it.",
        valueName: "bytes"))
    var maxGraphBytes: Int = FileSystem.defaultGraphLimit

    func validate() throws {
        if maxGraphBytes < 1 { throw ValidationError("--max-graph-bytes must be at least 1") }
    }
}
