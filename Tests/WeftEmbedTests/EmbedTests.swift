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

@Suite("libweft installed")
struct InstallTests {
    @Test func layoutAndPkgConfig() throws {
        let prefix = try Installed.prefix()
        let fm = FileManager.default
        for f in ["bin/weft", "include/weft/weft.h", "include/weft/weft.hpp", "include/weft/plugin.h",
                  "lib/libweft.so.0", "lib/libweft.so", "lib/pkgconfig/weft.pc",
                  "lib/weft/plugins/libweft_std.so", "lib/weft/plugins/libweft_io.so", "lib/weft/plugins/libweft_time.so"] {
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
