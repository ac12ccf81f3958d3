import Foundation
import Testing
import WeftCore
import WeftTestSupport
@testable import WeftNative

/// The plugins shipped in plugins/: as SwiftPM builds them, and as plain `cc`
/// builds them from the header alone.
@Suite("Shipped plugins")
struct ShippedPluginTests {
    let registry: NodeRegistry

    init() throws {
        registry = NodeRegistry()
        let report = PluginLoader(registry: registry)
            .load(searchPath: .standard(environment: false, executableDirectory: TestPaths.binDir))
        try #require(report.errors.isEmpty, "\(report.errors)")
        try #require(report.loaded.map(\.name) == ["std", "io", "time", "proc"])
    }

    func run(_ type: String, _ inputs: [WeftValue?], params: [String: WeftValue] = [:]) throws -> Result<[WeftValue?], NodeError> {
        let t = try #require(registry.node(named: type), "\(type) not registered")
        return try NodeInstance(type: t, nodeId: "n", params: params).run(inputs: inputs).map(\.values)
    }

    func value(_ type: String, _ inputs: [WeftValue?], params: [String: WeftValue] = [:]) throws -> WeftValue? {
        try run(type, inputs, params: params).get().first ?? nil
    }

    func failure(_ type: String, _ inputs: [WeftValue?], params: [String: WeftValue] = [:]) throws -> String? {
        if case .failure(let e) = try run(type, inputs, params: params) { return e.message }
        return nil
    }

    @Test func plainCCBuildOfEveryShippedPluginLoadsWithTheSameNodes() throws {
        let out = try TestPaths.scratch("cc")
        let build = try Shell.bash("bash '\(TestPaths.repoRoot)/plugins/build-cc.sh' '\(out)'")
        try #require(build.status == 0, "\(build.stderr)")
        let cc = NodeRegistry()
        let report = PluginLoader(registry: cc).load(folder: out)
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.loaded.map(\.name).sorted() == ["io", "proc", "std", "time"])
        #expect(cc.nodes.map(\.spec) == registry.nodes.map(\.spec))
        // Only the entry symbol is exported: no link-time dependency on Weft.
        let nm = try Shell.bash("nm -D --defined-only '\(out)/libweft_std.so' | awk '{print $3}'")
        #expect(nm.stdout.split(separator: "\n") == ["weft_plugin_entry"])
        let undefined = try Shell.bash("nm -D --undefined-only '\(out)/libweft_std.so' | grep -i weft || true")
        #expect(undefined.stdout.isEmpty)
    }

    @Test func everyNodeAndPortIsDocumented() {
        for n in registry.nodes {
            #expect(!n.spec.summary.isEmpty, "\(n.fullName)")
            for p in n.spec.inputs + n.spec.outputs + n.spec.params {
                #expect(!p.summary.isEmpty, "\(n.fullName).\(p.name)")
            }
        }
    }

    @Test func arithmetic() throws {
        #expect(try value("std.add", [2, 3]) == .int(5))
        #expect(try value("std.add", [2, 0.5]) == .double(2.5))
        #expect(try value("std.sub", [2, 5]) == .int(-3))
        #expect(try value("std.mul", [6, 7]) == .int(42))
        #expect(try value("std.div", [7, 2]) == .int(3))
        #expect(try value("std.div", [7.0, 2]) == .double(3.5))
        #expect(try value("std.mod", [-7, 3]) == .int(-1))
        #expect(try failure("std.div", [5, 0])?.contains("division by zero") == true)
        #expect(try failure("std.add", [.int(.max), 1])?.contains("overflow") == true)
        #expect(try value("std.lt", [1, 2]) == .bool(true))
        #expect(try value("std.eq", [1, 1.0]) == .bool(true))
        #expect(try value("std.and", [true, false]) == .bool(false))
        #expect(try value("std.not", [false]) == .bool(true))
    }

    @Test func strings() throws {
        #expect(try value("std.concat", ["ab", "cd"]) == "abcd")
        #expect(try value("std.str_length", ["héllo"]) == .int(5))
        #expect(try value("std.upper", ["abc"]) == "ABC")
        #expect(try value("std.split", ["a,b,,c", ","]) == ["a", "b", "", "c"])
        #expect(try value("std.join", [["x", "y", "z"], "-"]) == "x-y-z")
        #expect(try value("std.format", ["{} + {} = {}", [1, 2, 3]]) == "1 + 2 = 3")
        #expect(try value("std.format", ["Hello, {name}!", ["name": "Weft"]]) == "Hello, Weft!")
        #expect(try failure("std.format", ["{missing}", ["name": "x"]])?.contains("missing") == true)
        #expect(try value("std.to_string", [42]) == "42")
        #expect(try value("std.to_int", ["17"]) == .int(17))
        #expect(try failure("std.to_int", ["seventeen"])?.contains("seventeen") == true)
    }

    @Test func listsBranchAndCounter() throws {
        #expect(try value("std.range", [0, 5, 1]) == [0, 1, 2, 3, 4])
        #expect(try value("std.list_length", [[1, 2, 3]]) == .int(3))
        #expect(try value("std.list_get", [[1, 2, 3], -1]) == .int(3))
        #expect(try failure("std.list_get", [[1], 5]) != nil)
        #expect(try value("std.list_append", [[1], 2]) == [1, 2])
        #expect(try run("std.branch", [true, "v"]).get() == ["v", nil])
        #expect(try run("std.branch", [false, "v"]).get() == [nil, "v"])
        let counter = try NodeInstance(type: try #require(registry.node(named: "std.counter")), nodeId: "c",
                                       params: ["start": 10, "step": 5])
        #expect(try counter.run(inputs: [nil]).get().values == [.int(10)])
        #expect(try counter.run(inputs: [nil]).get().values == [.int(15)])
        #expect(try value("std.const", [], params: ["value": ["a": [1, 2]]]) == ["a": [1, 2]])
        #expect(try value("std.identity", [3.5]) == .double(3.5))
    }

    @Test func filesRoundTrip() throws {
        let dir = try TestPaths.scratch("io")
        let path = dir + "/out.txt"
        #expect(try value("io.write_file", [.string(path), "hello\n"]) == .int(6))
        #expect(try value("io.append_line", [.string(path), "world"]) == .int(6))
        #expect(try value("io.read_file", [.string(path)]) == "hello\nworld\n")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "hello\nworld\n")
        let missing = try #require(try failure("io.read_file", [.string(dir + "/nope.txt")]))
        #expect(missing.contains(dir + "/nope.txt") && missing.contains("No such file"))
    }

    @Test func time() throws {
        let slept = try run("time.sleep", [5, "after"]).get()
        #expect(slept == ["after"])
        #expect(try failure("time.sleep", [-1, nil]) != nil)
        let now = try run("time.now", [nil]).get()
        guard case .int(let ms)? = now[0], case .int(let mono)? = now[1], case .string(let iso)? = now[2] else {
            Issue.record("time.now outputs: \(now)")
            return
        }
        #expect(ms > 1_700_000_000_000 && mono > 0)
        #expect(iso.hasSuffix("Z") && iso.count == 24)
    }
}
