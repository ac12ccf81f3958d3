import Testing
import WeftCore
import WeftTestSupport
@testable import WeftNative

/// The same plugin written in C, C++ and Rust (examples/plugins), each built
/// with its own compiler by examples/plugins/build.sh, loads into one
/// registry and behaves identically. Rust is optional: without a rustc 1.82
/// or newer the Rust test is skipped (build.sh exits 3 after C and C++).
@Suite("Example plugins in three languages")
struct ExamplePluginTests {
    /// build.sh's folder and exit status (0 all three built, 3 no usable rustc), once.
    static let built: Result<(folder: String, status: Int32), BuildError> = {
        do {
            let out = try TestPaths.scratch("examples")
            let build = try Shell.bash("bash '\(TestPaths.repoRoot)/examples/plugins/build.sh' '\(out)'")
            guard build.status == 0 || build.status == 3 else {
                return .failure(BuildError(description: "build.sh failed (\(build.status)):\n\(build.stderr)"))
            }
            return .success((out, build.status))
        } catch {
            return .failure(BuildError(description: "build.sh: \(error)"))
        }
    }()

    static let rustAvailable: Bool =
        (try? Shell.bash("bash '\(TestPaths.repoRoot)/examples/plugins/build.sh' --check-rust").status) == 0

    /// Loads `languages`' plugins from the build folder, runs their nodes and
    /// checks the same ports, params, defaults and flags in every language.
    func loadAndAgree(_ languages: [String]) throws {
        let (out, status) = try Self.built.get()
        if languages.contains("rust") { try #require(status == 0, "build.sh skipped Rust although rustc is usable") }
        let registry = NodeRegistry()
        var report = PluginLoadReport()
        for lang in languages {
            do {
                report.loaded.append(try PluginLoader(registry: registry).load(file: "\(out)/libexample_\(lang).so"))
            } catch {
                report.errors.append(error)
            }
        }
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(report.loaded.map(\.name).sorted() == languages.map { "example_\($0)" }.sorted())

        var specs: [NodeSpec] = []
        for lang in languages {
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
        for i in stride(from: 2, to: shapes.count, by: 2) {
            #expect(shapes[0] == shapes[i] && shapes[1] == shapes[i + 1], "\(languages[i / 2]) differs from C")
        }
    }

    @Test func cAndCppBuildLoadAndAgree() throws {
        try loadAndAgree(["c", "cpp"])
    }

    @Test(.enabled(if: ExamplePluginTests.rustAvailable, "no rustc 1.82 or newer (Debian 12: apt-get install rustc-web)"))
    func rustBuildsLoadsAndAgreesWithC() throws {
        try loadAndAgree(["c", "rust"])
    }
}
