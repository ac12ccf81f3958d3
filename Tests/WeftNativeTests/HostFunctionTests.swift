import Testing
import WeftCore
import WeftTestSupport
@testable import WeftNative

/// Runs the fixture plugin's nodes through `NodeInstance`, checking what the
/// host functions accept, refuse and report.
@Suite("Host functions", .serialized)
struct HostFunctionTests {
    let registry: NodeRegistry

    init() throws {
        registry = NodeRegistry()
        _ = try PluginLoader(registry: registry).load(file: try Fixtures.fixture())
    }

    func instance(_ name: String, params: [String: WeftValue] = [:]) throws -> NodeInstance {
        let type = try #require(registry.node(named: "fixture.\(name)"))
        return try NodeInstance(type: type, nodeId: "n_\(name)", params: params)
    }

    func run(_ name: String, _ inputs: [WeftValue?] = []) throws -> Result<NodeOutputs, NodeError> {
        try instance(name).run(inputs: inputs)
    }

    func failure(_ name: String, _ inputs: [WeftValue?] = []) throws -> String? {
        if case .failure(let e) = try run(name, inputs) { return e.message }
        return nil
    }

    @Test func addUsesInputsAndDefaults() throws {
        #expect(try run("add", [2, 3]).get().values == [.int(5)])
        #expect(try run("add", [2, nil]).get().values == [.int(12)], "b defaults to 10")
    }

    @Test func inputTypesAreCheckedBeforeTheNodeRuns() throws {
        let e = try #require(try failure("add", ["two", 3]))
        #expect(e == "input 'a' must be int, got string")
        #expect(try failure("add", [nil, 3]) == "required input 'a' has no value")
        #expect(try failure("add", [1]) == "got 1 input values for 2 input ports")
    }

    @Test func everyValueKindRoundTripsThroughTheValueAPI() throws {
        let value: WeftValue = [
            "null": .null, "yes": true, "int": .int(-9_007_199_254_740_993), "pi": 3.25,
            "text": "héllo ✓ \u{1F600}", "nul": "before\u{0}after", "bytes": .bytes([0, 1, 255, 0]), "empty": .bytes([]),
            "list": [1, "two", [3.5, false], [:]], "nested": ["a": ["b": ["c": "d"]]],
        ]
        let out = try run("echo", [value]).get()
        #expect(out.values == [value])
    }

    /// input_int/input_double/output_int/output_double are answered by a C
    /// fast path; mixed with the value API on the same ports they must give
    /// the value API's answers (the node fails naming the first that differs).
    @Test func numberShortcutsAgreeWithTheValueAPI() throws {
        let out = try run("numbers", [7, 2.5, "s"]).get()
        #expect(out.values == [.int(4), .double(3), .int(9), nil])
        // Again through one reused context: nothing carries over from the last run.
        let node = try instance("numbers")
        let ctx = CallContext()
        for _ in 0..<3 {
            #expect(try node.run(inputs: [7, 2.5, "s"], context: ctx).get().values == [.int(4), .double(3), .int(9), nil])
            #expect(try instance("add").run(inputs: [40, 2], context: ctx).get().values == [.int(42)])
        }
    }

    /// input_bool / output_bool: a bool comes back as written, type errors
    /// and double writes are refused whichever path wrote first, and a
    /// non-zero int written as a bool is `true`.
    @Test func boolShortcutsAgreeWithTheValueAPI() throws {
        #expect(try run("bools", [true, 1]).get().values == [.bool(false), .bool(false), .int(3)])
        #expect(try run("bools", [false, 1]).get().values == [.bool(true), .bool(false), .int(3)])
        // A reused context: nothing carries over from the last run.
        let node = try instance("bools")
        let ctx = CallContext()
        for flag in [true, false, true] {
            #expect(try node.run(inputs: [.bool(flag), 1], context: ctx).get().values == [.bool(!flag), .bool(false), .int(3)])
        }
        // A bool where an int is expected is refused before the plugin runs.
        #expect(try failure("bools", [true, true])?.contains("input 'i' must be int, got bool") == true)
    }

    @Test func writingAnOutputTwiceIsRefused() throws {
        #expect(try failure("twice") == "output: output 'n' was already written in this run"
                    || (try failure("twice"))?.contains("already written") == true)
    }

    @Test func failuresCarryTheNodesMessage() throws {
        let e = try #require(try run("fails").failureValue)
        #expect(e.message == "fixture.fails: this node always fails")
        #expect(e.nodeId == "n_fails")
        #expect(e.type == "fixture.fails")
        #expect(e.description == "node 'n_fails' (fixture.fails): fixture.fails: this node always fails")
    }

    @Test func failureWithoutMessageNamesTheStatus() throws {
        #expect(try failure("silent_fail") == "returned WEFT_ERR_TYPE without a message")
    }

    @Test func handleFromAnEarlierCallIsRefused() throws {
        let node = try instance("stale")
        #expect(try node.run(inputs: []).get().values == [.int(7)])
        guard case .failure(let e) = node.run(inputs: []) else {
            Issue.record("stale handle was accepted")
            return
        }
        #expect(e.message.contains("is not a value of this call"))
    }

    @Test func ctxKeptFromAnEarlierCallIsRefused() throws {
        let node = try instance("stale_ctx")
        let ctx = CallContext()
        #expect(node.run(inputs: [], context: ctx) == .success(NodeOutputs(values: [.int(0)])))
        #expect(node.run(inputs: [], context: ctx) == .success(NodeOutputs(values: [.int(Int64(WEFT_ERR_HANDLE_VALUE))])),
                "same thread, same context object, but an old ctx pointer")
    }

    @Test func missingRequiredOutputIsANodeError() throws {
        #expect(try failure("missing_output")?.contains("did not write its required output 'n'") == true)
    }

    @Test func outputTypeIsChecked() throws {
        #expect(try failure("wrong_type") == "output: output 'n' is int, not string")
    }

    @Test func branchFiresOnlyTheChosenOutput() throws {
        #expect(try run("branch", [true]).get().values == [.null, nil])
        #expect(try run("branch", [false]).get().values == [nil, .null])
    }

    @Test func stateLivesFromCreateToDestroy() throws {
        let live = try instance("live")
        let before = try live.run(inputs: []).get().values[0]
        do {
            let counter = try instance("counter", params: ["start": 5])
            #expect(try counter.run(inputs: []).get().values == [.int(5)])
            #expect(try counter.run(inputs: []).get().values == [.int(6)])
            #expect(try counter.run(inputs: []).get().values == [.int(7)])
            guard case .int(let b) = before else { Issue.record("live is not int"); return }
            #expect(try live.run(inputs: []).get().values == [.int(b + 1)])
        }
        #expect(try live.run(inputs: []).get().values == [before], "destroy ran when the instance went away")
    }

    @Test func paramsAreCheckedAndCreateFailuresReported() throws {
        let type = try #require(registry.node(named: "fixture.counter"))
        #expect(throws: NodeError(nodeId: "c", type: "fixture.counter",
                                  message: "param 'start' must be int, got string \"five\"")) {
            try NodeInstance(type: type, nodeId: "c", params: ["start": "five"])
        }
        #expect(throws: NodeError(nodeId: "c", type: "fixture.counter",
                                  message: "unknown param 'stat'; known params: start, label")) {
            try NodeInstance(type: type, nodeId: "c", params: ["stat": 1])
        }
        #expect(throws: NodeError(nodeId: "c", type: "fixture.counter",
                                  message: "create failed: start must be >= 0")) {
            try NodeInstance(type: type, nodeId: "c", params: ["start": -1])
        }
    }

    @Test func callsFromAnotherThreadAreRefused() throws {
        #expect(try run("thread").get().values == [.int(Int64(WEFT_ERR_HANDLE_VALUE))])
    }

    @Test func oneContextServesManyCalls() throws {
        let ctx = CallContext()
        let add = try instance("add")
        for i in 0..<100 {
            #expect(add.run(inputs: [.int(Int64(i)), 1], context: ctx) == .success(NodeOutputs(values: [.int(Int64(i) + 1)])))
        }
    }
}

/// WEFT_ERR_HANDLE, as the fixture reports it.
let WEFT_ERR_HANDLE_VALUE = 5
