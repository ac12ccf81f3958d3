import Foundation
import Testing
import WeftTestSupport

/// `--max-graph-bytes` as a child process: endless and oversized inputs are
/// refused with a message naming the file, the limit and the flag (exit 2),
/// never by the process dying of a failed allocation.
@Suite("weft run/check/graph: graph size limit")
struct GraphSizeLimitTests {
    static let fix = "raise the limit with --max-graph-bytes BYTES\n"

    @Test(arguments: ["run", "check", "graph"])
    func devZeroIsRefusedAtTheLimit(command: String) throws {
        let r = try Shell.run(TestPaths.weft, [command, "/dev/zero", "--max-graph-bytes", "100000"])
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr == "error: /dev/zero: the graph file is too big: it holds more than the limit of 100000 bytes; "
                    + "reading stopped there; " + Self.fix)
    }

    @Test func anEndlessPipeIsRefusedAtTheLimit() throws {
        // (yes's own complaint about the closed pipe, when SIGPIPE is ignored in
        // the test process it inherits, is not weft's.)
        let r = try Shell.bash("yes 2>/dev/null | timeout -s KILL 30 '\(TestPaths.weft)' check /dev/stdin --max-graph-bytes 65536")
        #expect(r.status == 2, "\(r.stderr)")
        #expect(r.stderr == "error: /dev/stdin: the graph file is too big: it holds more than the limit of 65536 bytes (64 KiB); "
                    + "reading stopped there; " + Self.fix)
    }

    /// A regular file is refused from its size; at the limit it loads; the
    /// --inputs file has the same limit.
    @Test func aFileIsRefusedPastTheLimit() throws {
        let dir = try TestPaths.scratch("graphlimit")
        let graph = dir + "/g.json"
        let text = #"{"weft": 1, "inputs": {"n": {"type": "int"}}, "nodes": [{"id": "c", "type": "std.neg"}], "edges": [{"from": "$n", "to": "c.a"}], "outputs": {"v": "c.result"}}"#
        try text.write(toFile: graph, atomically: true, encoding: .utf8)
        let size = text.utf8.count
        let over = try Shell.run(TestPaths.weft, ["check", graph, "--max-graph-bytes", "\(size - 1)"])
        #expect(over.status == 2)
        #expect(over.stderr == "error: \(graph): the graph file is too big: it is \(size) bytes, more than the limit of \(size - 1) bytes; " + Self.fix)
        let at = try Shell.run(TestPaths.weft, ["check", graph, "--max-graph-bytes", "\(size)"])
        #expect(at.status == 0, "\(at.stderr)")

        let inputs = dir + "/in.json"
        try (#"{"n": 5}"# + String(repeating: " ", count: size + 2)).write(toFile: inputs, atomically: true, encoding: .utf8)
        let inputsSize = size + 10
        let fits = try Shell.run(TestPaths.weft, ["run", graph, "--inputs", inputs, "--max-graph-bytes", "\(inputsSize)"])
        #expect(fits.status == 0 && fits.stdout == "v = -5\n", "\(fits.stderr)")
        let refused = try Shell.run(TestPaths.weft, ["run", graph, "--inputs", inputs, "--max-graph-bytes", "\(size)"])
        #expect(refused.status == 2)
        #expect(refused.stderr == "error: \(inputs): the graph file is too big: it is \(inputsSize) bytes, more than the limit of \(size) bytes; " + Self.fix)
    }

    @Test func theLimitMustBePositive() throws {
        let r = try Shell.run(TestPaths.weft, ["check", "/dev/null", "--max-graph-bytes", "0"])
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("Error: --max-graph-bytes must be at least 1\n"))
    }
}
