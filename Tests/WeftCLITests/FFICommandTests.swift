import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// `weft ffi` and `--allow-library` as a user runs them.
@Suite("weft ffi and the library allow-list")
struct FFICommandTests {
    func weft(_ args: [String]) throws -> ProcessResult { try Shell.run(TestPaths.weft, args) }

    @Test func callsOneFunction() throws {
        let h = try weft(["ffi", "libm.so.6", "hypot", "double hypot(double x, double y)", "3", "4"])
        #expect(h.status == 0 && h.stdout == "5.0\n")
        let len = try weft(["ffi", "libc.so.6", "strlen", "size_t strlen(const char *s)", "héllo"])
        #expect(len.stdout == "6\n", "bytes, not characters")
        let out = try weft(["ffi", "libm.so.6", "frexp", "double frexp(double x, int *exp)", "8", "--json"])
        #expect(try JSON.parse(out.stdout) == ["result": 0.5, "exp": 4])
        let owned = try weft(["ffi", "libc.so.6", "strdup", "const char *strdup(const char *s)", "copy me", "--free", "free"])
        #expect(owned.status == 0 && owned.stdout == "copy me\n")
    }

    @Test func badCallsExitWith2() throws {
        let sig = try weft(["ffi", "libm.so.6", "cos", "double cos(doubel x)", "1"])
        #expect(sig.status == 2)
        #expect(sig.stderr.contains("unknown type 'doubel': did you mean 'double'? at column 12"))
        #expect(sig.stderr.contains("               ^"))
        let arity = try weft(["ffi", "libm.so.6", "cos", "double cos(double x)"])
        #expect(arity.status == 2 && arity.stderr.contains("cos takes 1 argument (x: double), got 0"))
        let sym = try weft(["ffi", "libm.so.6", "no_such", "double f(double x)", "1"])
        #expect(sym.status == 2 && sym.stderr.contains("no symbol 'no_such'"))
        let arg = try weft(["ffi", "libm.so.6", "cos", "double cos(double x)", "one"])
        #expect(arg.status == 2 && arg.stderr.contains("argument 'x' must be double, got 'one'"))
    }

    @Test func graphLibrariesNeedAllowLibrary() throws {
        let lib = try Fixtures.build("noentry.c", name: "noentry")
        let dir = try TestPaths.scratch("allow")
        let graph = dir + "/g.json"
        try """
            {"weft": 1, "nodes": [{"id": "t", "type": "ffi", "inputs": {"x": 21},
               "params": {"library": "\(lib)", "symbol": "fixture_twice", "signature": "double twice(double x)"}}],
             "outputs": {"y": "t.result"}}
            """.write(toFile: graph, atomically: true, encoding: .utf8)
        let refused = try weft(["run", graph])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("\(graph):$.nodes[0].params.library: error: node 't' (ffi): library '\(lib)': not allowed"))
        let allowed = try weft(["run", graph, "--allow-library", lib, "--json"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(try JSON.parse(allowed.stdout) == ["y": 42.0])
        let byFolder = try weft(["run", graph, "--allow-library", (lib as NSString).deletingLastPathComponent + "/*.so", "--json"])
        #expect(byFolder.status == 0)
    }
}
