import Testing
import WeftCore
import WeftTestSupport
@testable import WeftNative

/// The same plugin written in C, C++ and Rust (examples/plugins), each built
/// with its own compiler by examples/plugins/build.sh, loads into one
/// registry and behaves identically.
@Suite("Example plugins in three languages")
struct ExamplePluginTests {
    static let languages = ["c", "cpp", "rust"]

    @Test func allThreeBuildLoadAndAgree() throws {
        let out = try TestPaths.scratch("examples")
        let build = try Shell.bash("bash '\(TestPaths.repoRoot)/examples/plugins/build.sh' '\(out)'")
        try #require(build.status == 0, "build.sh failed (\(build.status)):\n\(build.stderr)")

        let registry = NodeRegistry()
        let report = PluginLoader(registry: registry).load(folder: out)
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.loaded.map(\.name).sorted() == Self.languages.map { "example_\($0)" })

        var specs: [NodeSpec] = []
        for lang in Self.languages {
            let ns = "example_\(lang)"
            let greet = try #require(registry.node(named: "\(ns).greet"))
            let scale = try #require(registry.node(named: "\(ns).scale"))
            specs.append(contentsOf: [greet.spec, scale.spec])

            let g = try NodeInstance(type: greet, nodeId: "g")
            #expect(g.run(inputs: ["World"]) == .success(NodeOutputs(values: ["Hello, World!"])), "\(lang)")
            let g2 = try NodeInstance(type: greet, nodeId: "g2", params: ["punctuation": "?"])
            #expect(g2.run(inputs: ["Zoë"]) == .success(NodeOutputs(values: ["Hello, Zoë?"])), "\(lang)")

            let s = try NodeInstance(type: scale, nodeId: "s")
            #expect(s.run(inputs: [3.0]) == .success(NodeOutputs(values: [6.0])), "\(lang)")
            let s10 = try NodeInstance(type: scale, nodeId: "s10", params: ["factor": 10])
            #expect(s10.run(inputs: [.int(3)]) == .success(NodeOutputs(values: [30.0])), "\(lang): int widens to double")
        }
        // Same ports, params, defaults and flags in every language.
        let shapes = specs.map { spec -> NodeSpec in
            var s = spec
            s.namespace = "x"
            return s
        }
        #expect(shapes[0] == shapes[2] && shapes[0] == shapes[4])
        #expect(shapes[1] == shapes[3] && shapes[1] == shapes[5])
    }
}
