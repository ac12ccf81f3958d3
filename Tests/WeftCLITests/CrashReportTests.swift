import Foundation
import Testing
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A plugin crash in weft itself (a node that is not isolated, a plugin's
/// init): one line on stderr names the node or the plugin, then weft dies
/// of the signal (Tests/Fixtures/plugins/crashy.c, crashinit.c).
@Suite("crash report")
struct CrashReportTests {
    static let crashInitFolder: Result<String, BuildError> = {
        do {
            let lib = try Fixtures.build("crashinit.c", name: "crashinit")
            let dir = try TestPaths.scratch("crashinit-plugins")
            try FileManager.default.copyItem(atPath: lib, toPath: dir + "/libcrashinit.so")
            return .success(dir)
        } catch let e as BuildError {
            return .failure(e)
        } catch {
            return .failure(BuildError(description: "\(error)"))
        }
    }()

    /// Runs `weft ARGS` to its end; its wait status and stderr.
    func weft(_ args: [String]) throws -> (status: Int32?, stderr: String) {
        let child = try ChildProcess.weft(args, ownGroup: false)
        let status = child.waitForExit(seconds: 60)
        return (status, child.stderr)
    }

    func graph(_ text: String) throws -> String {
        let path = try TestPaths.scratch("crash") + "/g.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs a graph of one crashy node with `args`: weft must die of
    /// `signal`, its stderr holding the report line that starts with `line`.
    func expectCrash(_ nodes: String, _ args: [String] = [], signal: Int32, line: (_ folder: String) -> String) throws {
        let folder = try IsolateCommandTests.folder.get()
        let g = try graph(#"{"weft": 1, "nodes": [\#(nodes)]}"#)
        let r = try weft(["run", g, "--plugins", folder] + args)
        #expect(r.status.flatMap(ChildProcess.signal) == signal, "wait status \(String(describing: r.status)): \(r.stderr)")
        #expect(r.stderr.contains(line(folder)), "\(r.stderr)")
    }

    @Test func aCrashingNodeIsNamedAndWeftDiesOfTheSignal() throws {
        try expectCrash(#"{"id": "ok", "type": "std.add", "inputs": {"a": 1, "b": 2}}, {"id": "boom", "type": "crashy.segv"}"#,
                        signal: SIGSEGV) { folder in
            "weft: crashed with SIGSEGV (Segmentation fault) in node 'boom' (crashy.segv) during its run "
                + "(plugin 'crashy' from \(folder)/libcrashy.so); run it with --isolate crashy "
                + "to make such a crash fail that node instead of weft\n"
        }
    }

    @Test func anAbortInANodeIsNamedToo() throws {
        try expectCrash(#"{"id": "a", "type": "crashy.echo", "inputs": {"x": -6}}"#, ["--mode", "parallel"], signal: SIGABRT) { folder in
            "weft: crashed with SIGABRT (Aborted) in node 'a' (crashy.echo) during its run "
                + "(plugin 'crashy' from \(folder)/libcrashy.so); run it with --isolate crashy"
        }
    }

    /// A stack overflow on a worker thread: the thread has an alternate
    /// signal stack (POSIXThread), so the handler can run and name the node.
    @Test func aStackOverflowOnAWorkerThreadIsNamedToo() throws {
        try expectCrash(#"{"id": "deep", "type": "crashy.echo", "inputs": {"x": -7}}"#, ["--mode", "parallel"], signal: SIGSEGV) { folder in
            "weft: crashed with SIGSEGV (Segmentation fault) in node 'deep' (crashy.echo) during its run "
                + "(plugin 'crashy' from \(folder)/libcrashy.so); run it with --isolate crashy"
        }
    }

    @Test func aPluginWhoseInitCrashesIsNamed() throws {
        let folder = try Self.crashInitFolder.get()
        let r = try weft(["plugins", "--plugins", folder])
        #expect(r.status.flatMap(ChildProcess.signal) == SIGSEGV, "wait status \(String(describing: r.status)): \(r.stderr)")
        #expect(r.stderr.contains("weft: crashed with SIGSEGV (Segmentation fault) in the init function of plugin 'crashinit' from "
                                      + "\(folder)/libcrashinit.so, while loading it; fix that plugin, or move it out of the "
                                      + "plugin folders (--plugins, WEFT_PLUGIN_PATH) so that weft does not load it\n"), "\(r.stderr)")
    }
}
