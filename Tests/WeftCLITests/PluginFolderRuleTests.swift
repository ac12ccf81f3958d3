import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// One rule for plugin folders, in every command that loads plugins: a
/// folder named in WEFT_PLUGIN_PATH that does not exist is a warning on
/// stderr and the command goes on (exit 0 when nothing else is wrong); a
/// `--plugins DIR` that does not exist is a usage error (exit 2).
@Suite("Plugin folders: one rule for every command")
struct PluginFolderRuleTests {
    static let missing = "/nonexistent-weft-plugin-folder"
    static let warning = "warning: \(missing): plugin folder does not exist"
    static let collatz = TestPaths.repoRoot + "/examples/collatz.json"

    /// WEFT_PLUGIN_PATH with the missing folder first, then a real folder
    /// holding the fixture plugin, which must still load.
    func environment() throws -> [String: String] {
        let dir = try TestPaths.scratch("rule")
        try FileManager.default.copyItem(atPath: try Fixtures.fixture(), toPath: dir + "/libfixture.so")
        return ["WEFT_PLUGIN_PATH": Self.missing + ":" + dir]
    }

    func weft(_ args: [String], env: [String: String] = [:]) throws -> ProcessResult {
        try Shell.run(TestPaths.weft, args, environment: env)
    }

    func expectWarnedAndWentOn(_ r: ProcessResult, _ command: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == 0, "\(command): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(Self.warning), "\(command): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(!r.stderr.contains("error:"), "\(command): \(r.stderr)", sourceLocation: sourceLocation)
    }

    @Test func plugins() throws {
        let r = try weft(["plugins"], env: try environment())
        expectWarnedAndWentOn(r, "plugins")
        #expect(r.stdout.contains("fixture.counter") && r.stdout.contains("std.add"))
    }

    @Test func pluginsJSON() throws {
        let r = try weft(["plugins", "--json"], env: try environment())
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSON.parse(r.stdout)
        #expect(doc["errors"]?.listItems == [])
        let warnings = doc["warnings"]?.listItems ?? []
        #expect(warnings.count == 1)
        #expect(warnings.first?["path"]?.stringValue == Self.missing)
        #expect(warnings.first?["kind"]?.stringValue == "folder_missing")
    }

    @Test func run() throws {
        let r = try weft(["run", Self.collatz, "--input", "n=6"], env: try environment())
        expectWarnedAndWentOn(r, "run")
        #expect(r.stdout.hasPrefix("steps = 8\n"), "\(r.stdout)")
        // --quiet: no warnings, as its help says.
        let q = try weft(["run", "-q", Self.collatz, "--input", "n=6"], env: try environment())
        #expect(q.status == 0 && q.stderr.isEmpty, "\(q.stderr)")
    }

    @Test func check() throws {
        let r = try weft(["check", Self.collatz], env: try environment())
        expectWarnedAndWentOn(r, "check")
        #expect(r.stdout == "\(Self.collatz): ok\n")
    }

    @Test func graph() throws {
        let r = try weft(["graph", Self.collatz], env: try environment())
        expectWarnedAndWentOn(r, "graph")
        #expect(r.stdout.hasPrefix("digraph weft {"), "\(r.stdout)")
    }

    /// A missing folder is the only failure that turns into a warning: a
    /// broken plugin in a WEFT_PLUGIN_PATH folder is still an error.
    @Test func aBrokenPluginInAnEnvironmentFolderIsStillAnError() throws {
        let dir = try TestPaths.scratch("rule-broken")
        try "not a library".write(toFile: dir + "/libbroken.so", atomically: true, encoding: .utf8)
        let r = try weft(["plugins"], env: ["WEFT_PLUGIN_PATH": Self.missing + ":" + dir])
        #expect(r.status == 2)
        #expect(r.stderr.contains(Self.warning))
        #expect(r.stderr.contains("error: \(dir)/libbroken.so: not a loadable shared library"), "\(r.stderr)")
    }

    @Test(arguments: [["plugins"], ["run", collatz], ["check", collatz], ["graph", collatz]])
    func anExplicitMissingFolderIsAUsageError(_ command: [String]) throws {
        let r = try weft(command + ["--plugins", Self.missing])
        #expect(r.status == 2, "\(command): \(r.stderr)")
        #expect(r.stderr.hasPrefix("Error: --plugins \(Self.missing): no such folder\n"), "\(command): \(r.stderr)")
        #expect(r.stdout.isEmpty, "\(command): nothing ran")
    }
}
