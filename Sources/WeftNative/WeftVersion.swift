// WeftVersion: the host's version and the plugin ABI versions it implements and loads.

import CWeft

/// The version of the Weft host, as reported to plugins and by `weft --version`.
public enum WeftVersion {
    public static let string = "0.1.0"
    /// The plugin ABI version this host implements (`WEFT_PLUGIN_ABI_VERSION`).
    public static let pluginABI = UInt32(WEFT_PLUGIN_ABI_VERSION)
    /// The oldest plugin ABI version this host still loads.
    public static let oldestPluginABI: UInt32 = 1
}
