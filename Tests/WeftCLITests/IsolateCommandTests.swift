import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// `weft run --isolate`, `"isolate"`/`"timeout_ms"` and `--keep-going` as a
/// user runs them, with a plugin that really crashes and hangs
/// (Tests/Fixtures/plugins/crashy.c).
@Suite("weft run --isolate")
struct IsolateCommandTests {
    static let folder: Result<String, BuildError> = {
        do {
            let lib = try Fixtures.build("crashy.c", name: "crashy")
            let dir = try TestPaths.scratch("crashy-plugins")
            try FileManager.default.copyItem(atPath: lib, toPath: dir + "/libcrashy.so")
            return .success(dir)
        } catch let e as BuildError {
            return .failure(e)
        } catch {
            return .failure(BuildError(description: "\(error)"))
        }
    }()

    func weft(_ args: [String]) throws -> ProcessResult {
        try Shell.run(TestPaths.weft, args + ["--plugins", try Self.folder.get()])
    }

    func write(_ text: String) throws -> String {
        let path = try TestPaths.scratch("iso") + "/g.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `a` may crash; `after` depends on it; `other` does not.
    static let graph = """
        {"weft": 1, "inputs": {"x": "int"},
         "nodes": [
          {"id": "a", "type": "crashy.echo"},
          {"id": "after", "type": "std.add", "inputs": {"b": 1}},
          {"id": "other", "type": "std.add", "inputs": {"a": 20, "b": 22}}
         ],
         "edges": [{"from": "$x", "to": "a.x"}, {"from": "a.y", "to": "after.a"}],
         "outputs": {"after": "after.result", "other": "other.result"}}
        """

    @Test func isolatedCrashFailsTheNodeNotWeft() throws {
        let g = try write(Self.graph)
        let r = try weft(["run", g, "--input", "x=-11", "--isolate", "crashy", "--keep-going", "--json", "-q"])
        #expect(r.status == 1, "a failed run, not a crash of weft: \(r.stderr)")
        #expect(r.stderr.contains("error: run failed: node 'a' (crashy.echo): its isolated worker process (pid "), "\(r.stderr)")
        #expect(r.stderr.contains("crashed with SIGSEGV (Segmentation fault) during the call (plugin 'crashy' from "), "\(r.stderr)")
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Backtrace"), "\(r.stderr)")
        // keep-going: the node that does not depend on the crash ran.
        #expect(try JSON.parse(r.stdout) == ["other": 42], "\(r.stdout)")
    }

    @Test func abortAndExitAreReportedToo() throws {
        let g = try write(Self.graph)
        let abort = try weft(["run", g, "--input", "x=-6", "--isolate", "all", "-q"])
        #expect(abort.status == 1)
        #expect(abort.stderr.contains("crashed with SIGABRT"), "\(abort.stderr)")
        let exit = try weft(["run", g, "--input", "x=-2", "--isolate", "all", "-q"])
        #expect(exit.status == 1)
        #expect(exit.stderr.contains("exited with code 3 during the call"), "\(exit.stderr)")
    }

    @Test func timeoutInTheGraphStopsAHang() throws {
        let g = try write(Self.graph.replacingOccurrences(of: #""type": "crashy.echo""#,
                                                          with: #""type": "crashy.echo", "isolate": true, "timeout_ms": 250"#))
        let r = try weft(["run", g, "--input", "x=-1", "--keep-going", "--json", "-q"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("node 'a' (crashy.echo): did not finish within its timeout_ms of 250 ms; "
                                      + "its isolated worker process (pid "), "\(r.stderr)")
        #expect(try JSON.parse(r.stdout) == ["other": 42])
    }

    @Test func withoutKeepGoingLaterNodesDoNotRun() throws {
        let g = try write(Self.graph)
        let r = try weft(["run", g, "--input", "x=-11", "--isolate", "crashy", "--json", "-q", "--mode", "sequential"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("SIGSEGV"))
    }

    @Test func goodCallsGiveTheSameOutputsIsolatedOrNot() throws {
        let g = try write(Self.graph)
        let plain = try weft(["run", g, "--input", "x=41", "--json", "-q"])
        let isolated = try weft(["run", g, "--input", "x=41", "--json", "-q", "--isolate", "crashy", "--mode", "parallel"])
        #expect(plain.status == 0 && isolated.status == 0, "\(plain.stderr)\(isolated.stderr)")
        #expect(try JSON.parse(plain.stdout) == ["after": 42, "other": 42])
        #expect(try JSON.parse(isolated.stdout) == JSON.parse(plain.stdout))
    }

    @Test func unknownPluginNameIsAUsageError() throws {
        let g = try write(Self.graph)
        let r = try weft(["run", g, "--input", "x=1", "--isolate", "crashyy"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("error: --isolate crashyy: no plugin named 'crashyy' is loaded; loaded: "), "\(r.stderr)")
        #expect(r.stderr.contains("crashy,") || r.stderr.contains("crashy "), "\(r.stderr)")
        #expect(r.stderr.contains("(or give 'all')"))
    }

    @Test func workerCommandRefusesToRunByHand() throws {
        let r = try Shell.run(TestPaths.weft, ["isolate-worker"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("fd 3 is not open (or not a socket); this command is started by weft itself"), "\(r.stderr)")
        // Hidden from the help.
        let help = try Shell.run(TestPaths.weft, ["--help"])
        #expect(!help.stdout.contains("isolate-worker"))
    }
}
