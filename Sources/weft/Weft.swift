import ArgumentParser
import Logging
import WeftNative
#if canImport(Glibc)
import Glibc
#endif

/// The `weft` command: parse, call the library, print. No logic lives here.
@main
struct Weft: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weft",
        abstract: "Weft — run graphs of compiled nodes loaded from plugins.",
        discussion: """
            Plugins are shared libraries exporting the C ABI of <weft/plugin.h>. They are \
            loaded from the plugins shipped with Weft, the folders in WEFT_PLUGIN_PATH \
            (colon-separated) and each --plugins DIR, in that order.

            Exit codes: 0 ok; 1 a run failed; 2 usage, load or graph error; 130 interrupted.
            """,
        version: "weft \(WeftVersion.string) (plugin ABI \(WeftVersion.pluginABI))",
        subcommands: [Run.self, Check.self, Graph.self, Plugins.self, Inspect.self, FFI.self, Runs.self, Cache.self, Serve.self, Worker.self, IsolateWorker.self]
    )

    /// The CLI builds big short-lived structures (a graph file's document,
    /// then its plan, then the compiled graph). By default glibc gives large
    /// freed blocks back to the kernel and takes fresh ones for the next
    /// step, and the kernel zeroes every fresh page: a third of the time of
    /// loading a million-node graph went to that. A batch process keeps its
    /// memory instead: blocks up to 1 GiB come from the heap rather than
    /// mappings of their own, and up to 1 GiB of freed memory stays with the
    /// process until it exits. Only the CLI: libweft leaves its host's
    /// allocator alone.
    static func keepFreedMemory() {
        ProcessMemory.keepFreed(mappingsAbove: 1 << 30, keepUpTo: 1 << 30)
    }

    /// While a graph file is decoded: blocks of 1 MiB and more get mappings
    /// of their own again, so the decoder's chunks go back to the kernel as
    /// soon as they are moved into the document (and the document's big
    /// arrays as soon as the validator lets go of them), instead of staying
    /// as heap that the next stages do not fit into. Freed memory is still
    /// kept (`keepFreedMemory`).
    static func mapLargeBlocks(_ on: Bool) {
        ProcessMemory.keepFreed(mappingsAbove: on ? 1 << 20 : 1 << 30, keepUpTo: 1 << 30)
    }

    /// Runs the command, mapping usage errors to exit code 2 (the documented
    /// code for usage and load errors) instead of argument-parser's 64.
    static func main() {
        // A write to a closed pipe fails with EPIPE instead of killing weft
        // before it completes its files (see StdoutWatcher).
        signal(SIGPIPE, SIG_IGN)
        keepFreedMemory()
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = LogLevelOption.fromEnvironment()
            return h
        }
        do {
            var command = try parseAsRoot()
            // A crash in a plugin names its node (or the plugin's init).
            // Not in an isolated node's worker: the host reports its crash.
            if !(command is IsolateWorker) { CrashReporter.install() }
            try command.run()
            // The CLI never unloads its plugins (Docs/architecture.md), so
            // the counts of suppressed refused-call warnings are reported here.
            PluginLog.reportSuppressed()
            guard StdoutWatcher.flush() else { Glibc.exit(1) }
        } catch {
            PluginLog.reportSuppressed()
            let code = exitCode(for: error)
            if code == .validationFailure {
                Stderr.write(fullMessage(for: error))
                Stderr.write("Run 'weft --help' (or 'weft help <command>') for usage.")
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}

enum LogLevelOption {
    /// `WEFT_LOG_LEVEL` (trace, debug, info, notice, warning, error), default info.
    static func fromEnvironment() -> Logger.Level {
        guard let raw = getenv("WEFT_LOG_LEVEL") else { return .info }
        return Logger.Level(rawValue: String(cString: raw).lowercased()) ?? .info
    }
}

/// Writes to standard error, one line at a time.
enum Stderr {
    static func write(_ line: String) {
        let text = line.hasSuffix("\n") ? line : line + "\n"
        _ = text.withCString { Glibc.write(2, $0, strlen($0)) }
    }
}
