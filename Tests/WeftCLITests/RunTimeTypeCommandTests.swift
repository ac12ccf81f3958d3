import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// `weft run` with a value of the wrong type arriving at run time, as a user
/// meets it: observed (`--events`, `--trace`), in a
/// terminal) or not, it fails with the node's message and prints no output
/// for the node. (Observed runs used to exit 0 printing another node's
/// value as this node's output.)
@Suite("weft run: run-time types")
struct RunTimeTypeCommandTests {
    static let graph = """
        {"weft": 1, "nodes": [
           {"id": "c", "type": "std.const", "params": {"value": "hello"}},
           {"id": "n", "type": "std.neg"},
           {"id": "k", "type": "std.const", "params": {"value": 42}}],
         "edges": [{"from": "c.value", "to": "n.a"}],
         "outputs": {"neg": "n.result", "k": "k.value"}}
        """
    static let message = "error: run failed: node 'n' (std.neg): input 'a' must be number, got string"

    @Test(arguments: [[], ["--events", "EVENTS"], ["--trace", "TRACE"], ["--mode", "parallel"],
                      ["--mode", "parallel", "--events", "EVENTS", "--trace", "TRACE"]])
    func observedOrNotTheRunFailsWithTheMessage(options: [String]) throws {
        let dir = try TestPaths.scratch("runtime-types")
        let g = dir + "/g.json"
        try Self.graph.write(toFile: g, atomically: true, encoding: .utf8)
        let args = options.map { $0 == "EVENTS" ? dir + "/events.jsonl" : $0 == "TRACE" ? dir + "/trace.json" : $0 }
        let r = try Shell.run(TestPaths.weft, ["run", g] + args)
        #expect(r.status == 1, "\(options): \(r.stderr)")
        #expect(r.stdout == "k = 42\n", "\(options)")
        #expect(r.stderr.contains(Self.message), "\(options): \(r.stderr)")
    }

    /// In a terminal (the progress line reads the run's counters).
    @Test func inATerminalTheRunFailsWithTheMessage() throws {
        let r = try inATerminal(Self.graph)
        #expect(r.status == 1, "\(r.stdout)")
        #expect(r.stdout.contains(Self.message), "\(r.stdout)")
        #expect(!r.stdout.contains("neg ="), "\(r.stdout)")
    }
}

/// The progress line in a terminal: drawn from the run's counters while it
/// goes (steps, the node at hand), erased before the results.
@Suite("weft run: the progress line")
struct ProgressLineCommandTests {
    /// Eight passes of a 40 ms sleep: long enough for several draws.
    static let graph = """
        {"weft": 1, "nodes": [{"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}},
          {"id": "nap", "type": "time.sleep", "inputs": {"ms": 40}}, {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
          {"id": "more", "type": "std.lt", "inputs": {"b": 8}}],
         "edges": [{"from": "loop.i", "to": "nap.value"}, {"from": "nap.value", "to": "inc.a"},
                   {"from": "inc.result", "to": "loop.next_i"}, {"from": "inc.result", "to": "more.a"},
                   {"from": "more.result", "to": "loop.continue"}],
         "outputs": {"i": "loop.done_i"}}
        """

    @Test func itShowsStepsAndIsErasedBeforeTheResults() throws {
        let r = try inATerminal(Self.graph)
        #expect(r.status == 0, "\(r.stdout)")
        // "\r weft 0.1s  steps N  at NODE ESC[K" ... "\r ESC[K" then the results.
        #expect(r.stdout.contains("\rweft 0."), "\(r.stdout.debugDescription)")
        #expect(r.stdout.contains("  steps "), "\(r.stdout.debugDescription)")
        #expect(r.stdout.contains("\r\u{1B}[Ki = 7"), "erased before the results: \(r.stdout.debugDescription)")
        // With --quiet there is no line.
        let q = try inATerminal(Self.graph, ["-q"])
        #expect(!q.stdout.contains("steps"), "\(q.stdout.debugDescription)")
    }
}

/// `weft run GRAPH ARGS` on a pseudo-terminal (`script`): what the terminal
/// showed (stdout and stderr together) and weft's exit status.
func inATerminal(_ graph: String, _ args: [String] = []) throws -> ProcessResult {
    let g = try TestPaths.scratch("tty") + "/g.json"
    try graph.write(toFile: g, atomically: true, encoding: .utf8)
    let command = (["'\(TestPaths.weft)'", "run"] + args + ["'\(g)'"]).joined(separator: " ")
    return try Shell.run("/usr/bin/script", ["-qec", command, "/dev/null"])
}
