// RegistrationSession: what a plugin registers during its init.

/// The state behind one `weft_registry_t *`: what a plugin registers during
/// its `init`, kept aside until `init` succeeds.
final class RegistrationSession {
    let plugin: LoadedPlugin
    var nodes: [NodeType] = []
    var errors: [PluginLoadError] = []
    var failMessage: String?

    init(plugin: LoadedPlugin) { self.plugin = plugin }

    var pointer: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }
}
