import Foundation
import Testing
import WeftCore
import WeftNative
import WeftScheduler
import WeftTestSupport

/// `ffi` nodes in graphs: validation, runs, concurrency, refusals.
@Suite("FFI nodes in graphs")
struct FFIGraphTests {
    static let hypot = """
        {"weft": 1, "inputs": {"a": "double", "b": "double"},
         "nodes": [{"id": "h", "type": "ffi", "params": {"library": "libm.so.6", "symbol": "hypot",
                                                     "signature": "double hypot(double x, double y)"}},
                   {"id": "len", "type": "ffi", "params": {"library": "libc.so.6", "symbol": "strlen",
                                                       "signature": "size_t strlen(const char *s)"}, "inputs": {"s": "weft"}}],
         "edges": [{"from": "$a", "to": "h.x"}, {"from": "$b", "to": "h.y"}],
         "outputs": {"h": "h.result", "len": "len.result"}}
        """

    @Test func libmAndLibcFunctionsRunAsNodes() throws {
        let r = try TestGraphs.run(Self.hypot, inputs: ["a": 3, "b": 4.0])
        #expect(r.outcome == .succeeded, "\(r.outcome)")
        #expect(r[output: "h"] == .double(5))
        #expect(r[output: "len"] == .int(4))
    }

    /// Number-only signatures are called from the run's number frame; a
    /// signature or input that does not fit it takes the value path. Both
    /// must give what the C functions return, in graphs that mix them.
    @Test func numberSignaturesGiveTheSameResultsOnEitherPath() throws {
        let graph = """
            {"weft": 1, "inputs": {"n": "int"},
             "nodes": [{"id": "abs", "type": "ffi", "params": {"library": "libc.so.6", "symbol": "llabs",
                                                          "signature": "int64_t llabs(int64_t x)"}},
                       {"id": "sq", "type": "ffi", "params": {"library": "libm.so.6", "symbol": "sqrt",
                                                         "signature": "double sqrt(double x)"}},
                       {"id": "ld", "type": "ffi", "params": {"library": "libm.so.6", "symbol": "ldexp",
                                                         "signature": "double ldexp(double x, int e)"}, "inputs": {"e": 3}},
                       {"id": "h", "type": "ffi", "params": {"library": "libm.so.6", "symbol": "hypot",
                                                        "signature": "double hypot(double x, double y)"}, "inputs": {"y": 12}},
                       {"id": "any", "type": "std.to_string"}],
             "edges": [{"from": "$n", "to": "abs.x"}, {"from": "abs.result", "to": "sq.x"},
                       {"from": "sq.result", "to": "ld.x"}, {"from": "abs.result", "to": "h.x"},
                       {"from": "h.result", "to": "any.value"}],
             "outputs": {"abs": "abs.result", "sq": "sq.result", "ld": "ld.result", "h": "h.result", "text": "any.result"}}
            """
        for n: Int64 in [-25, 25, -5] {
            let r = try TestGraphs.run(graph, inputs: ["n": .int(n)])
            #expect(r.outcome == .succeeded, "\(r.outcome)")
            let a = Double(abs(n))
            #expect(r[output: "abs"] == .int(abs(n)), "int64 in and out stays an int")
            #expect(r[output: "sq"] == .double(a.squareRoot()), "an int input widened for a double parameter")
            #expect(r[output: "ld"] == .double(a.squareRoot() * 8), "an int parameter takes the value path")
            #expect(r[output: "h"] == .double((a * a + 144).squareRoot()), "a constant int widened")
            #expect(r[output: "text"] == .string(JSON.encode(.double((a * a + 144).squareRoot()))))
        }
    }

    @Test func portsComeFromTheSignature() throws {
        let plan = try TestGraphs.plan(Self.hypot)
        #expect(plan.nodes[0].spec.inputs.map(\.name) == ["x", "y"])
        #expect(plan.nodes[0].spec.inputs.map(\.type) == [.double, .double])
        #expect(plan.nodes[1].spec.outputs.map(\.type) == [.int])
    }

    func ffiNode(_ params: String) -> [Diagnostic] {
        TestGraphs.diagnostics(#"{"weft": 1, "nodes": [{"id": "f", "type": "ffi", "params": {\#(params)}}]}"#)
    }

    @Test func validationNamesTheNodeAndTheParam() {
        let badLib = ffiNode(#""library": "libnope.so.3", "symbol": "x", "signature": "int x(void)""#)
        #expect(badLib.first?.path == "$.nodes[0].params.library")
        #expect(badLib.first?.node == "f")
        #expect(badLib.first?.message.contains("no library named 'libnope.so.3'") == true)

        let badSym = ffiNode(#""library": "libm.so.6", "symbol": "no_such_fn", "signature": "double f(double)""#)
        #expect(badSym.first?.path == "$.nodes[0].params.symbol")
        #expect(badSym.first?.message.contains("no symbol 'no_such_fn' in libm.so.6") == true)
        #expect(badSym.first?.message.contains("undefined symbol") == true, "the dlerror text")

        let badSig = ffiNode(#""library": "libm.so.6", "symbol": "cos", "signature": "double cos(doubel x)""#)
        #expect(badSig.first?.path == "$.nodes[0].params.signature")
        #expect(badSig.first?.message.contains("^") == true, "a caret under the column")

        let missing = ffiNode(#""library": "libm.so.6", "symbol": "cos""#)
        #expect(missing.map(\.message) == ["node 'f' (ffi) needs param 'signature' (string)"])
    }

    @Test func edgesAreTypeCheckedAgainstTheSignature() {
        let d = TestGraphs.diagnostics("""
            {"weft": 1, "nodes": [
               {"id": "t", "type": "std.const", "params": {"value": "text"}},
               {"id": "u", "type": "std.upper"},
               {"id": "c", "type": "ffi", "params": {"library": "libm.so.6", "symbol": "cos", "signature": "double cos(double x)"}}],
             "edges": [{"from": "t.value", "to": "u.text"}, {"from": "u.result", "to": "c.x"}, {"from": "u.result", "to": "c.y"}]}
            """)
        #expect(d.map(\.message).contains("type mismatch: u.result is string but c.x takes double"))
        #expect(d.contains { $0.message.hasPrefix("node 'c' (ffi) has no input 'y'") })
    }

    @Test func librariesOutsideThePolicyAreRefused() throws {
        let lib = try Fixtures.build("noentry.c", name: "noentry")
        let graph = """
            {"weft": 1, "nodes": [{"id": "t", "type": "ffi", "inputs": {"x": 2.5},
               "params": {"library": "\(lib)", "symbol": "fixture_twice", "signature": "double twice(double x)"}}],
             "outputs": {"y": "t.result"}}
            """
        let d = TestGraphs.diagnostics(graph)
        #expect(d.first?.message.contains("--allow-library") == true, "\(d)")
        // The same graph runs once the library is allowed.
        let registry = NodeRegistry()
        _ = PluginLoader(registry: registry).load(searchPath: .standard(environment: false, executableDirectory: TestPaths.binDir))
        registry.libraryPolicy = LibraryPolicy(allowed: [lib])
        let plan = try GraphValidator.load(text: graph, catalog: registry)
        let r = try Scheduler.run(try CompiledGraph(plan: plan, registry: registry))
        #expect(r[output: "y"] == .double(5))
    }

    @Test func oneFunctionCalledConcurrentlyInParallelMode() throws {
        var nodes: [String] = []
        var outputs: [String] = []
        for i in 0..<16 {
            nodes.append(#"{"id": "p\#(i)", "type": "ffi", "inputs": {"x": \#(i).0, "y": 2.0}, "params": {"library": "libm.so.6", "symbol": "pow", "signature": "double pow(double x, double y)"}, "strategy": "parallel"}"#)
            outputs.append(#""o\#(i)": "p\#(i).result""#)
        }
        let graph = #"{"weft": 1, "nodes": [\#(nodes.joined(separator: ","))], "outputs": {\#(outputs.joined(separator: ","))}}"#
        for _ in 0..<5 {
            let r = try TestGraphs.run(graph, options: RunOptions(mode: .parallel, workers: 4))
            #expect(r.outcome == .succeeded)
            for i in 0..<16 { #expect(r[output: "o\(i)"] == .double(Double(i * i))) }
        }
    }
}
