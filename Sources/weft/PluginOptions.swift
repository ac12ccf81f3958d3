import ArgumentParser
import WeftNative

/// The options every command that loads plugins shares.
struct PluginOptions: ParsableArguments {
    @Option(name: .customLong("plugins"), help: ArgumentHelp(
        "A folder of plugins (*.so) to load; repeatable. Loaded after the shipped plugins and WEFT_PLUGIN_PATH.",
        valueName: "dir"))
    var folders: [String] = []

    @Flag(name: .customLong("no-default-plugins"),
          help: "Do not load the shipped plugins or WEFT_PLUGIN_PATH; only --plugins folders.")
    var noDefaultPlugins = false

    var searchPath: PluginSearchPath {
        .standard(folders: folders, environment: !noDefaultPlugins, shipped: !noDefaultPlugins)
    }
}
