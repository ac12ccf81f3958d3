// PluginLog: plugin log lines and rate-limited host-misuse warnings.

import CWeftShims
import Logging

/// Where plugin log lines and host-misuse warnings go (swift-log).
package enum PluginLog {
    static let logger = Logger(label: "weft.plugin")
    /// Rate-limits the refused-call warnings, per plugin.
    static let limiter = MisuseLimiter()

    /// Logs a refused host call, rate-limited per plugin (`MisuseLimiter`):
    /// the plugin is the one whose callback or `init` this thread is in, or
    /// unknown (a plugin's own thread). Any thread.
    static func misuse(_ function: String, _ what: @autoclosure () -> String) {
        let plugin = currentPlugin()
        guard let before = limiter.admit(plugin ?? "", now: MisuseLimiter.now()) else { return }
        let who = plugin.map { "plugin '\($0)'" } ?? "a plugin"
        let tail = before > 0 ? " (\(before) similar warning\(before == 1 ? "" : "s") suppressed)" : ""
        logger.warning("\(who) called host->\(function) with \(what()); the call was refused\(tail)")
    }

    /// The name of the plugin whose node callback or `init` this thread is
    /// running, if any.
    private static func currentPlugin() -> String? {
        if let call = weft_shim_current_call() {
            return Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(call)).takeUnretainedValue().instance?.type.plugin?.name
        }
        if let reg = weft_shim_current_registry() {
            return Unmanaged<RegistrationSession>.fromOpaque(UnsafeRawPointer(reg)).takeUnretainedValue().plugin.name
        }
        return nil
    }

    /// Logs how many refused-call warnings of `plugin` were suppressed and
    /// not yet reported, if any (at its unload).
    static func reportSuppressed(plugin: String) {
        report(plugin, limiter.drain(plugin))
    }

    /// Logs the suppressed counts not yet reported, of every plugin and of
    /// unknown callers: at engine destroy, and by the CLI before it exits.
    package static func reportSuppressed() {
        for (key, count) in limiter.drainAll() { report(key, count) }
    }

    private static func report(_ key: String, _ count: Int) {
        guard count > 0 else { return }
        let who = key.isEmpty ? "plugins (calls from their own threads)" : "plugin '\(key)'"
        let line = "\(count) more refused host call\(count == 1 ? "" : "s") by \(who) \(count == 1 ? "was" : "were") not logged "
            + "(these warnings are rate-limited: the first \(limiter.burst) per plugin, then one a second)"
        logger.warning("\(line)")
    }
}
