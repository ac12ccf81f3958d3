import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// End-to-end: runs the built `weft` binary as a user would.
@Suite("weft CLI")
struct CLITests {
    func weft(_ args: String..., env: [String: String] = [:]) throws -> ProcessResult {
        try Shell.run(TestPaths.weft, args, environment: env)
    }

    /// A folder holding the fixture plugin and one broken plugin.
    func mixedFolder() throws -> String {
        let dir = try TestPaths.scratch("cli")
        try FileManager.default.copyItem(atPath: try Fixtures.fixture(), toPath: dir + "/libfixture.so")
        try "not a library".write(toFile: dir + "/libbroken.so", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func versionAndHelp() throws {
        let v = try weft("--version")
        #expect(v.status == 0)
        #expect(v.stdout == "weft 0.1.0 (plugin ABI 4)\n")
        let h = try weft("--help")
        #expect(h.status == 0)
        #expect(h.stdout.contains("plugins") && h.stdout.contains("inspect") && h.stdout.contains("WEFT_PLUGIN_PATH"))
        for sub in ["plugins", "inspect"] {
            let r = try weft(sub, "--help")
            #expect(r.status == 0 && r.stdout.contains("USAGE: weft \(sub)"), "\(sub)")
        }
    }

    @Test func usageErrorsExitWith2() throws {
        let r = try weft("frobnicate")
        #expect(r.status == 2)
        #expect(r.stderr.contains("weft --help"))
        #expect(try weft("plugins", "--bogus").status == 2)
        #expect(try weft("inspect").status == 2, "missing argument")
    }

    @Test func shippedPluginsAreListed() throws {
        let r = try weft("plugins", "--json")
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSON.parse(r.stdout)
        let names = (doc["nodes"]?.listItems ?? []).compactMap { $0["name"]?.stringValue }
        for expected in ["std.add", "std.branch", "std.format", "std.counter", "io.read_file", "io.print", "time.sleep", "time.now"] {
            #expect(names.contains(expected), "\(expected) missing from \(names)")
        }
        let plugins = (doc["plugins"]?.listItems ?? []).compactMap { $0["name"]?.stringValue }
        #expect(plugins == ["std", "io", "time", "proc"])
        #expect(doc["errors"]?.listItems == [])
        // Every shipped node and port is documented.
        for node in doc["nodes"]?.listItems ?? [] {
            #expect(node["summary"]?.stringValue?.isEmpty == false, "\(node)")
        }
        let text = try weft("plugins")
        #expect(text.status == 0)
        #expect(text.stdout.contains("std.add"))
    }

    @Test func badPluginInAFolderIsReportedAndTheRestListed() throws {
        let dir = try mixedFolder()
        let r = try weft("plugins", "--no-default-plugins", "--plugins", dir)
        #expect(r.status == 2)
        #expect(r.stdout.contains("fixture.add  Adds two ints.  [pure, thread_safe, cheap]"))
        #expect(r.stderr.contains("error: \(dir)/libbroken.so: not a loadable shared library"))

        let j = try weft("plugins", "--no-default-plugins", "--plugins", dir, "--json")
        #expect(j.status == 2)
        let doc = try JSON.parse(j.stdout)
        let add = doc["nodes"]?.listItems?.first { $0["name"] == "fixture.add" }
        #expect(add == [
            "name": "fixture.add", "plugin": "fixture", "summary": "Adds two ints.",
            "flags": ["pure", "thread_safe", "cheap"],
            "inputs": [
                ["name": "a", "type": "int", "optional": false, "summary": "left"],
                ["name": "b", "type": "int", "optional": true, "default": 10, "summary": "right, default 10"],
            ],
            "outputs": [["name": "sum", "type": "int", "optional": false, "summary": "a + b"]],
            "params": [],
        ])
        #expect(doc["errors"]?.listItems?.first?["kind"] == "not_a_library")
    }

    @Test func pluginPathEnvironmentVariableIsSearched() throws {
        let dir = try TestPaths.scratch("env")
        try FileManager.default.copyItem(atPath: try Fixtures.fixture(), toPath: dir + "/libfixture.so")
        let r = try weft("plugins", env: ["WEFT_PLUGIN_PATH": "/nonexistent-a:" + dir])
        #expect(r.status == 0, "a missing WEFT_PLUGIN_PATH folder is a warning (PluginFolderRuleTests)")
        #expect(r.stdout.contains("fixture.counter"))
        #expect(r.stdout.contains("std.add"))
        #expect(r.stderr.contains("warning: /nonexistent-a: plugin folder does not exist"))
    }

    @Test func inspectShowsAPlugin() throws {
        let path = try Fixtures.fixture()
        let r = try weft("inspect", path)
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("plugin   fixture 1.2.3\nsummary  Test fixture plugin\nfile     \(path)\nABI      4"))
        #expect(r.stdout.contains("nodes    35"))
        // Flags as declared: CHEAP shown as `cheap`, and only where set.
        #expect(r.stdout.contains("fixture.add  Adds two ints.  [pure, thread_safe, cheap]\n"))
        #expect(r.stdout.contains("fixture.counter  Counts up from start.  [cheap]\n"))
        #expect(r.stdout.contains("fixture.echo  Copies any value through the value API.  [pure]\n"))
        #expect(r.stdout.contains("fixture.kinds  The types its inputs arrived as.\n"))
        let j = try JSON.parse(try weft("inspect", "--json", path).stdout)
        #expect(j["ok"] == true)
        #expect(j["plugin"]?["abi_version"] == 4)
        #expect(j["nodes"]?.listItems?.count == 35)
        let flags = j["nodes"]?.listItems?.first { $0["name"] == "fixture.counter" }?["flags"]
        #expect(flags == ["cheap"])
    }

    @Test func inspectExplainsABrokenPlugin() throws {
        let path = try Fixtures.build("abi.c", name: "abi99", flags: ["-DFIXTURE_ABI=99"])
        let r = try weft("inspect", path)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains("error: \(path): built for plugin ABI 99, but this Weft (0.1.0) supports ABI 1…4"))
        let j = try weft("inspect", "--json", path)
        #expect(j.status == 2)
        let doc = try JSON.parse(j.stdout)
        #expect(doc["ok"] == false)
        #expect(doc["error"]?["kind"] == "abi_mismatch")

        let missing = try weft("inspect", "/nonexistent/libx.so")
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such file"))
    }
}
