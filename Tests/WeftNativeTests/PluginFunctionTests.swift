import Testing
import WeftCore
import WeftTestSupport
@testable import WeftNative

/// ABI v2: plain C functions published by a plugin become nodes through
/// libffi; ABI v1 plugins still load.
@Suite("Plugin functions (ABI v2)")
struct PluginFunctionTests {
    @Test func functionsBecomeNodesWithPortsFromTheirSignature() throws {
        let registry = NodeRegistry()
        let plugin = try PluginLoader(registry: registry).load(file: try Fixtures.build("functions.c", name: "functions"))
        #expect(plugin.abiVersion == 4)
        let hypot = try #require(registry.node(named: "functions.hypot3"))
        #expect(hypot.spec.inputs.map(\.name) == ["x", "y", "z"])
        #expect(hypot.spec.inputs.allSatisfy { $0.type == .double })
        #expect(hypot.spec.outputs.map(\.name) == ["result"])
        #expect(hypot.spec.summary == "Length of a 3-vector.")
        let h = try NodeInstance(type: hypot, nodeId: "h")
        #expect(h.run(inputs: [2.0, 3.0, 6.0]) == .success(NodeOutputs(values: [7.0])))
        #expect(h.run(inputs: [.int(1), .int(2), .int(2)]) == .success(NodeOutputs(values: [3.0])), "ints widen")

        let minmax = try NodeInstance(type: try #require(registry.node(named: "functions.minmax")), nodeId: "m")
        #expect(minmax.type.spec.outputs.map(\.name) == ["lo", "hi"])
        #expect(minmax.run(inputs: [9, -4]) == .success(NodeOutputs(values: [-4, 9])))

        let shout = try NodeInstance(type: try #require(registry.node(named: "functions.shout")), nodeId: "s")
        let freed = try NodeInstance(type: try #require(registry.node(named: "functions.freed")), nodeId: "f")
        guard case .success(let before) = freed.run(inputs: []), case .int(let n0)? = before.values[0] else {
            Issue.record("freed() did not run")
            return
        }
        #expect(shout.run(inputs: ["weft"]) == .success(NodeOutputs(values: ["WEFT!"])))
        #expect(shout.run(inputs: ["ok"]) == .success(NodeOutputs(values: ["OK!"])))
        #expect(freed.run(inputs: []) == .success(NodeOutputs(values: [.int(n0 + 2)])), "owned strings freed once each")
    }

    @Test func abiV1PluginStillLoads() throws {
        let registry = NodeRegistry()
        let plugin = try PluginLoader(registry: registry).load(file: try Fixtures.build("v1.c", name: "v1"))
        #expect(plugin.abiVersion == 1)
        let answer = try NodeInstance(type: try #require(registry.node(named: "v1.answer")), nodeId: "a")
        #expect(answer.run(inputs: []) == .success(NodeOutputs(values: [42])))
    }

    /// ABI 4 appended `cancel` to the descriptor and five host functions:
    /// a plugin built against the v3 header still loads and runs.
    @Test func abiV3PluginStillLoads() throws {
        let registry = NodeRegistry()
        let plugin = try PluginLoader(registry: registry).load(file: try Fixtures.build("v3.c", name: "v3"))
        #expect(plugin.abiVersion == 3)
        let type = try #require(registry.node(named: "v3.not"))
        #expect(!type.isAsync)
        let not = try NodeInstance(type: type, nodeId: "n")
        #expect(not.run(inputs: [true]) == .success(NodeOutputs(values: [false])))
        #expect(not.run(inputs: [false]) == .success(NodeOutputs(values: [true])))
    }
}

@Suite("Library policy")
struct LibraryPolicyTests {
    @Test func systemSonamesResolveInTheSystemFolders() throws {
        let path = try LibraryPolicy().resolve("libm.so.6").get()
        #expect(path.hasSuffix("/libm.so.6") && LibraryPolicy.systemFolders.contains { path.hasPrefix($0) })
    }

    @Test func pathsOutsideAllowedPlacesAreRefusedWithTheFix() throws {
        let lib = try Fixtures.build("noentry.c", name: "noentry")
        guard case .failure(let refusal) = LibraryPolicy().resolve(lib) else {
            Issue.record("an arbitrary path was allowed")
            return
        }
        #expect(refusal.message.contains("--allow-library"))
        #expect(refusal.message.contains("Docs/security.md"))
        // Allowed by path, by glob, or by being in a plugin folder.
        #expect((try? LibraryPolicy(allowed: [lib]).resolve(lib).get()) != nil)
        let folder = String(lib[..<(lib.lastIndex(of: "/") ?? lib.endIndex)])
        #expect((try? LibraryPolicy(allowed: [folder + "/*.so"]).resolve(lib).get()) != nil)
        #expect((try? LibraryPolicy(pluginFolders: [folder]).resolve(lib).get()) != nil)
        #expect((try? LibraryPolicy(allowed: ["/elsewhere/*.so"]).resolve(lib).get()) == nil)
    }

    @Test func unknownSonameAndMissingFile() {
        guard case .failure(let a) = LibraryPolicy().resolve("libnothing-here.so.9") else { Issue.record("resolved"); return }
        #expect(a.message.contains("no library named 'libnothing-here.so.9'"))
        guard case .failure(let b) = LibraryPolicy().resolve("/nonexistent/libx.so") else { Issue.record("resolved"); return }
        #expect(b.message == "no such file '/nonexistent/libx.so'")
        guard case .failure(let c) = LibraryPolicy().resolve("") else { Issue.record("resolved"); return }
        #expect(c.message.contains("dlopen(\"\")"))
    }
}

@Suite("Library policy details")
struct LibraryPolicyDetailTests {
    @Test func globStarDoesNotCrossFolders() throws {
        let lib = try Fixtures.build("noentry.c", name: "noentry")
        let folder = String(lib[..<(lib.lastIndex(of: "/") ?? lib.endIndex)])
        let parent = String(folder[..<(folder.lastIndex(of: "/") ?? folder.endIndex)])
        #expect((try? LibraryPolicy(allowed: [parent + "/*.so"]).resolve(lib).get()) == nil)
        #expect((try? LibraryPolicy(allowed: [parent + "/*/*.so"]).resolve(lib).get()) != nil)
    }

    @Test func narrowingThePolicyAppliesToCachedBindings() throws {
        let lib = try Fixtures.build("noentry.c", name: "noentry")
        let registry = NodeRegistry()
        registry.libraryPolicy = LibraryPolicy(allowed: [lib])
        let params: [String: WeftValue] = ["library": .string(lib), "symbol": "fixture_twice", "signature": "double t(double x)"]
        #expect((try? registry.nodeType("ffi", params: params).get()) != nil)
        registry.libraryPolicy = LibraryPolicy()
        #expect((try? registry.nodeType("ffi", params: params).get()) == nil)
    }
}
