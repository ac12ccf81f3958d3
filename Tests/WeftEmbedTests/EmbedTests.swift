import Foundation
import Testing
import WeftTestSupport

/// The embedding API as a host uses it: Weft installed into a prefix with
/// scripts/install.sh, hosts built with `pkg-config --cflags --libs weft`
/// and run with no environment variable pointing at Weft.
enum Installed {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cached: Result<String, BuildError>?

    /// The prefix (installed once per test process).
    static func prefix() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let cached { return try cached.get() }
        let result: Result<String, BuildError>
        do {
            let prefix = try TestPaths.scratch("prefix")
            let r = try Shell.run("/bin/bash", ["\(TestPaths.repoRoot)/scripts/install.sh", "--no-build",
                                                "--build-dir", TestPaths.binDir, prefix])
            result = r.status == 0 ? .success(prefix) : .failure(BuildError(description: "install.sh failed:\n\(r.stdout)\n\(r.stderr)"))
        } catch {
            result = .failure(BuildError(description: "install.sh: \(error)"))
        }
        cached = result
        return try result.get()
    }

    /// False when libweft was built with a sanitizer (scripts/sanitize.sh):
    /// it then needs that sanitizer's runtime, which a host built with plain
    /// `cc` lacks, so the host tests are skipped (they run, with valgrind,
    /// in the normal build).
    static let uninstrumented: Bool = {
        guard let r = try? Shell.bash("nm -D --undefined-only '\(TestPaths.binDir)/libweft_embed.so'") else { return true }
        return !(r.stdout.contains("__tsan_") || r.stdout.contains("__asan_"))
    }()
    static let skipReason: Comment = "libweft is built with a sanitizer; hosts built with plain cc cannot link it"

    static func environment() throws -> [String: String] {
        ["PKG_CONFIG_PATH": try prefix() + "/lib/pkgconfig", "LD_LIBRARY_PATH": ""]
    }

    /// Compiles C (or C++, by extension) sources against the installed
    /// libweft with pkg-config; returns the executable.
    static func build(_ sources: [String], name: String, cxx: Bool = false, flags: [String] = []) throws -> String {
        let out = try TestPaths.scratch("host") + "/" + name
        let compiler = cxx ? "c++ -std=c++17" : "cc -std=c99"
        let files = sources.map { "'\(TestPaths.repoRoot)/\($0)'" }.joined(separator: " ")
        let cmd = "\(compiler) -Wall -Wextra -Werror \(flags.joined(separator: " ")) \(files) "
            + "$(pkg-config --cflags --libs weft) -lpthread -o '\(out)'"
        let r = try Shell.bash(cmd, environment: try environment())
        guard r.status == 0 else { throw BuildError(description: "\(cmd)\n\(r.stderr)") }
        return out
    }

    static func run(_ exe: String, _ args: [String] = [], env: [String: String] = [:]) throws -> ProcessResult {
        try Shell.run(exe, args, environment: env, cwd: TestPaths.repoRoot)
    }
}

@Suite("libweft installed", .enabled(if: Installed.uninstrumented, Installed.skipReason))
struct InstallTests {
    @Test func layoutAndPkgConfig() throws {
        let prefix = try Installed.prefix()
        let fm = FileManager.default
        for f in ["bin/weft", "include/weft/weft.h", "include/weft/weft.hpp", "include/weft/plugin.h",
                  "lib/libweft.so.0", "lib/libweft.so", "lib/pkgconfig/weft.pc",
                  "lib/weft/plugins/libweft_std.so", "lib/weft/plugins/libweft_io.so", "lib/weft/plugins/libweft_time.so", "lib/weft/plugins/libweft_proc.so"] {
            #expect(fm.fileExists(atPath: prefix + "/" + f), "\(f)")
        }
        let pc = try Shell.bash("pkg-config --cflags --libs weft && pkg-config --modversion weft",
                                environment: try Installed.environment())
        #expect(pc.status == 0, "\(pc.stderr)")
        #expect(pc.stdout.contains("-I\(prefix)/include"))
        #expect(pc.stdout.contains("-lweft") && pc.stdout.contains("-Wl,-rpath,\(prefix)/lib"))
        #expect(pc.stdout.hasSuffix("0.1.0\n"))
        // The library needs no Swift toolchain: no libswift* dependency.
        let deps = try Shell.bash("readelf -d '\(prefix)/lib/libweft.so.0'")
        #expect(deps.stdout.contains("Library soname: [libweft.so.0]"))
        #expect(!deps.stdout.contains("libswift"), "\(deps.stdout)")
        // The installed CLI finds the installed plugins.
        let cli = try Installed.run(prefix + "/bin/weft", ["run", "examples/arithmetic.json", "--json", "-q"])
        #expect(cli.status == 0, "\(cli.stderr)")
    }

    @Test func minimalHostNeedsNoEnvironment() throws {
        let exe = try Installed.build(["Tests/Fixtures/capi/minimal.c"], name: "minimal")
        let r = try Installed.run(exe, ["examples/collatz.json", "{\"n\": 27}"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("\"steps\":111"), "\(r.stdout)")
        #expect(r.stdout.contains("\"peak\":9232"), "\(r.stdout)")
        // Exit 1 with the validator's message for a graph that does not exist.
        let bad = try Installed.run(exe, ["no/such/graph.json", "{}"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("no/such/graph.json") && bad.stderr.contains("cannot read"), "\(bad.stderr)")
    }
}

/// The example hosts, built with their own Makefiles as a user would.
@Suite("example hosts", .enabled(if: Installed.uninstrumented, Installed.skipReason))
struct ExampleHostTests {
    /// Copies examples/<name> to a scratch folder and runs `make` there.
    func make(_ name: String) throws -> String {
        let dir = try TestPaths.scratch(name) + "/" + name
        try FileManager.default.copyItem(atPath: "\(TestPaths.repoRoot)/examples/\(name)", toPath: dir)
        try? FileManager.default.removeItem(atPath: dir + "/host")
        let r = try Shell.run("/usr/bin/env", ["make", "-C", dir], environment: try Installed.environment())
        guard r.status == 0 else { throw BuildError(description: "make \(name):\n\(r.stdout)\n\(r.stderr)") }
        return dir + "/host"
    }

    @Test func cHost() throws {
        let host = try make("c-host")
        let r = try Installed.run(host)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        // x = 7: 49 clamped by the host's own node to [0, 40], + 2.
        #expect(r.stdout.contains("registered host.clamp"))
        #expect(r.stdout.contains("outputs: {\"squared\":49,\"result\":42}"), "\(r.stdout)")
        #expect(r.stdout.contains("result = 42"))
        #expect(r.stdout.contains("events: node_finished=3"))
        #expect(r.stdout.contains("long run: state WEFT_RUN_CANCELLED"), "\(r.stdout)")
        // Cancelled long before its 1000 passes.
        let steps = r.stdout.split(separator: "\n").first { $0.hasPrefix("long run: cancelled after") }
            .flatMap { Int($0.split(separator: " ")[4]) }
        #expect(steps != nil && steps! > 0 && steps! < 1000, "\(r.stdout)")

        // Other inputs go through the same host node: 3*3 = 9, not clamped.
        let small = try Installed.run(host, ["{\"x\": 3}"])
        #expect(small.stdout.contains("outputs: {\"squared\":9,\"result\":11}"), "\(small.stdout)")
        // A wrong input type is refused with the last error, exit 1.
        let bad = try Installed.run(host, ["{\"x\": \"three\"}"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("WEFT_ERR_TYPE") && bad.stderr.contains("input 'x' must be int"), "\(bad.stderr)")
    }

    @Test func cppHost() throws {
        let r = try Installed.run(try make("cpp-host"))
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("outputs: {\"product\":50,\"text\":\"(a + b) * c = 50\"}"), "\(r.stdout)")
        #expect(r.stdout.contains("bad input rejected (WEFT_ERR_TYPE)"))
        #expect(r.stdout.contains("invalid graph rejected (WEFT_ERR_INVALID)"))
        #expect(r.stdout.contains("unknown node type 'std.ad'"))
    }
}

/// Every function with bad arguments, concurrency and cancellation, as C
/// programs that check themselves (Tests/Fixtures/capi).
@Suite("C API contract", .enabled(if: Installed.uninstrumented, Installed.skipReason))
struct ContractTests {
    @Test func badArguments() throws {
        let exe = try Installed.build(["Tests/Fixtures/capi/badargs.c"], name: "badargs")
        let r = try Installed.run(exe)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains(", 0 failures"), "\(r.stdout)")
        // Guard against a program that checks nothing.
        let count = r.stdout.split(separator: "\n").last { $0.hasPrefix("badargs:") }
            .flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        #expect(count >= 150, "\(r.stdout)")
    }

    /// A plugin that crashes, isolated with weft_engine_isolate_plugin: the
    /// worker is the installed PREFIX/bin/weft.
    @Test func crashIsolation() throws {
        let exe = try Installed.build(["Tests/Fixtures/capi/isolate.c"], name: "isolate")
        let crashy = try Fixtures.build("crashy.c", name: "crashy")
        let r = try Installed.run(exe, [crashy])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("isolate: ok"), "\(r.stdout)")
        #expect(r.stdout.contains("crash reported: node 'a' (crashy.echo): its isolated worker process"), "\(r.stdout)")
    }

    @Test func eventSources() throws {
        let exe = try Installed.build(["Tests/Fixtures/capi/events.c"], name: "events")
        let r = try Installed.run(exe)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("events: ok"), "\(r.stdout)")
    }

    /// The engine's plugins are unloaded inside the last destroy (of the
    /// engine, a graph or a run made from it), on the caller's thread, after
    /// runs on other threads finished: the plugin's deinit prints its thread.
    @Test func pluginsAreUnloadedByTheLastDestroyOnItsThread() throws {
        let exe = try Installed.build(["Tests/Fixtures/capi/unload.c"], name: "unload")
        let misuse = try Fixtures.build("misuse.c", name: "misuse")
        let r = try Installed.run(exe, [misuse])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("unload: ok"), "\(r.stdout)")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        let last = lines.filter { $0.hasPrefix("unload: last destroy on thread ") }.map { $0.split(separator: " ").last.map(String.init) }
        let deinits = lines.filter { $0.hasPrefix("misuse: deinit on thread ") }.map { $0.split(separator: " ").last.map(String.init) }
        #expect(last.count == 3, "\(r.stderr)")
        #expect(deinits == last, "the plugin's deinit ran once per engine, on the thread of the last destroy: \(r.stderr)")
        // And in that order: each deinit follows its round's last destroy.
        let order = lines.filter { $0.hasPrefix("unload: last") || $0.hasPrefix("misuse: deinit") }.map { $0.prefix(8) }
        #expect(order == ["unload: ", "misuse: ", "unload: ", "misuse: ", "unload: ", "misuse: "], "\(r.stderr)")
    }

    @Test func concurrentRunsAndCancel() throws {
        let exe = try Installed.build(["Tests/Fixtures/capi/concurrent.c"], name: "concurrent")
        let r = try Installed.run(exe)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("concurrent: ok"), "\(r.stdout)")
    }
}

/// The Python (ctypes) host of examples/python-host against the installed
/// library, found through pkg-config as its README says.
@Suite("Python host", .enabled(if: Installed.uninstrumented, Installed.skipReason))
struct PythonHostTests {
    @Test func hostPy() throws {
        let r = try Shell.run("/usr/bin/env", ["python3", "examples/python-host/host.py"],
                              environment: try Installed.environment(), cwd: TestPaths.repoRoot)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("steps = 111"), "\(r.stdout)")
        #expect(r.stdout.contains("invalid graph: WeftError WEFT_ERR_INVALID"), "\(r.stdout)")
        #expect(r.stdout.contains("thread run n=97: succeeded, steps = 118"), "\(r.stdout)")
        #expect(r.stdout.contains("\ncancelled\n"), "\(r.stdout)")
        #expect(r.stdout.hasSuffix("host.py: ok\n"), "\(r.stdout)")
    }
}

/// A value of the wrong type through the C API, with and without
/// `on_event`, sequential and parallel: the run fails with the node's
/// message and no output of the node (Tests/Fixtures/capi/runtime_types.py).
@Suite("C API run-time types", .enabled(if: Installed.uninstrumented, Installed.skipReason))
struct CAPIRunTimeTypeTests {
    @Test func observedAndQuietRunsRefuseTheSameWay() throws {
        let r = try Shell.run("/usr/bin/env", ["python3", "Tests/Fixtures/capi/runtime_types.py"],
                              environment: try Installed.environment(), cwd: TestPaths.repoRoot)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.hasSuffix("runtime_types.py: ok\n"), "\(r.stdout)")
    }
}

/// The C hosts under valgrind: no invalid access, nothing definitely lost.
/// Valgrind 3.19 cannot read the DWARF 5 of Swift-built code, so this
/// installs a second, stripped copy (`install.sh --strip`) and builds the
/// hosts with DWARF 4.
@Suite("C API under valgrind", .enabled(if: Installed.uninstrumented, Installed.skipReason))
struct ValgrindTests {
    static let stripped: Result<String, BuildError> = {
        do {
            let prefix = try TestPaths.scratch("stripped")
            let r = try Shell.run("/bin/bash", ["\(TestPaths.repoRoot)/scripts/install.sh", "--no-build", "--strip",
                                                "--build-dir", TestPaths.binDir, prefix])
            return r.status == 0 ? .success(prefix) : .failure(BuildError(description: "install.sh --strip:\n\(r.stderr)"))
        } catch {
            return .failure(BuildError(description: "install.sh --strip: \(error)"))
        }
    }()

    static var available: Bool { (try? Shell.bash("command -v valgrind").status) == 0 }

    /// Builds `source` against the stripped install and runs it under
    /// valgrind; returns its output and valgrind's report.
    func memcheck(_ source: String, _ args: [String] = [], besides files: [String] = []) throws -> ProcessResult {
        let prefix = try Self.stripped.get()
        let dir = try TestPaths.scratch("vg")
        let exe = dir + "/host"
        for f in files {
            try FileManager.default.copyItem(atPath: "\(TestPaths.repoRoot)/\(f)",
                                             toPath: dir + "/" + f.split(separator: "/").last!)
        }
        let env = ["PKG_CONFIG_PATH": prefix + "/lib/pkgconfig", "LD_LIBRARY_PATH": ""]
        let cc = try Shell.bash("cc -std=c99 -O1 -gdwarf-4 '\(TestPaths.repoRoot)/\(source)' "
                                    + "$(pkg-config --cflags --libs weft) -lpthread -o '\(exe)'", environment: env)
        guard cc.status == 0 else { throw BuildError(description: cc.stderr) }
        // --fair-sched=yes: the example host cancels a run from a second
        // thread (Docs/c-api.md §12).
        return try Shell.run("/usr/bin/env", ["valgrind", "--fair-sched=yes", "--leak-check=full", "--errors-for-leak-kinds=definite",
                                              "--error-exitcode=9",
                                              "--suppressions=Tests/Fixtures/capi/valgrind.supp", exe] + args,
                             environment: env, cwd: TestPaths.repoRoot)
    }

    func expectClean(_ r: ProcessResult) {
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stderr.contains("ERROR SUMMARY: 0 errors"), "\(r.stderr)")
        #expect(r.stderr.contains("definitely lost: 0 bytes") || r.stderr.contains("no leaks are possible"), "\(r.stderr)")
        #expect(r.stderr.contains("indirectly lost: 0 bytes") || r.stderr.contains("no leaks are possible"), "\(r.stderr)")
    }

    @Test(.enabled(if: ValgrindTests.available, "valgrind is not installed"))
    func exampleHost() throws {
        // The host reads its graphs from beside its executable.
        let r = try memcheck("examples/c-host/host.c", besides: ["examples/c-host/graph.json", "examples/c-host/long.json"])
        expectClean(r)
        #expect(r.stdout.contains("result = 42"), "\(r.stdout)")
    }

    @Test(.enabled(if: ValgrindTests.available, "valgrind is not installed"))
    func badArguments() throws {
        let r = try memcheck("Tests/Fixtures/capi/badargs.c", ["--no-fork"])
        expectClean(r)
        #expect(r.stdout.contains(", 0 failures"), "\(r.stdout)")
    }

    /// Parallel runs too: each one used to leak its run state (a cycle
    /// through the worker pool's finished jobs).
    @Test(.enabled(if: ValgrindTests.available, "valgrind is not installed"))
    func concurrentRuns() throws {
        let r = try memcheck("Tests/Fixtures/capi/concurrent.c", ["20"])
        expectClean(r)
        #expect(r.stdout.contains("concurrent: ok"), "\(r.stdout)")
    }

    /// Unloading in the last destroy, after runs on other threads: no
    /// invalid access (a call into the unmapped library) and no leak.
    @Test(.enabled(if: ValgrindTests.available, "valgrind is not installed"))
    func unloadAfterRunsOnOtherThreads() throws {
        let r = try memcheck("Tests/Fixtures/capi/unload.c", [try Fixtures.build("misuse.c", name: "misuse")])
        expectClean(r)
        #expect(r.stdout.contains("unload: ok"), "\(r.stdout)")
    }
}
