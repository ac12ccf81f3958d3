import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// `--max-steps N` as a user meets it: at most N node executions, in a plain
/// run and over all waves of an event run; the run fails at the one past
/// it, with one message naming N, and reports N steps.
@Suite("weft run --max-steps")
struct MaxStepsCommandTests {
    /// Three node executions per line of stdin.
    static let lines = """
        {"weft": 1, "nodes": [
           {"id": "lines", "type": "event.lines"},
           {"id": "n", "type": "std.to_int"},
           {"id": "one", "type": "std.add", "inputs": {"b": 1}},
           {"id": "two", "type": "std.add", "inputs": {"b": 1}}],
         "edges": [{"from": "lines.line", "to": "n.value"}, {"from": "n.result", "to": "one.a"},
                   {"from": "one.result", "to": "two.a"}],
         "outputs": {"last": "two.result"}}
        """

    func run(_ graph: String, _ args: [String], stdin: String? = nil) throws -> (ProcessResult, [WeftValue]) {
        let dir = try TestPaths.scratch("max-steps")
        let g = dir + "/g.json", events = dir + "/events.jsonl"
        try graph.write(toFile: g, atomically: true, encoding: .utf8)
        let r = try Shell.run(TestPaths.weft, ["run", g, "--events", events] + args, stdin: stdin)
        let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").map { try JSON.parse(String($0)) }
        return (r, lines)
    }

    /// The `steps` of the run_finished event.
    func finishedSteps(_ events: [WeftValue]) -> WeftValue? {
        events.last { $0["event"] == "run_finished" }?["steps"]
    }

    @Test func anEventRunMayMakeExactlyTheLimit() throws {
        let input = (1...10).map(String.init).joined(separator: "\n") + "\n"
        let (exact, exactEvents) = try run(Self.lines, ["--max-steps", "30"], stdin: input)
        #expect(exact.status == 0, "\(exact.stderr)")
        #expect(finishedSteps(exactEvents) == 30)
        #expect(exact.stdout == "last = 12\n")

        let (short, shortEvents) = try run(Self.lines, ["--max-steps", "20", "--stop-on-error"], stdin: input)
        #expect(short.status == 1)
        #expect(finishedSteps(shortEvents) == 20, "steps stop at the limit, not one past it")
        let message = "node 'two' (std.add): the run reached max_steps (20 node executions over all waves) in wave 7 at node 'two'"
        #expect(short.stderr.contains("error: run failed: " + message), "\(short.stderr)")
        // The wave's own failure names the same limit (it used to name what was left of it).
        let failed = shortEvents.filter { $0["event"] == "node_failed" }.compactMap { $0["message"]?.stringValue }
        #expect(failed.count == 1 && failed[0].contains("max_steps (20 node executions over all waves)"), "\(failed)")
        #expect(!short.stderr.contains("(2 node executions)"), "\(short.stderr)")
    }

    @Test func aPlainRunMayMakeExactlyTheLimit() throws {
        let chain = """
            {"weft": 1, "nodes": [{"id": "a", "type": "std.add", "inputs": {"a": 1, "b": 1}},
                                  {"id": "b", "type": "std.add", "inputs": {"b": 1}}],
             "edges": [{"from": "a.result", "to": "b.a"}], "outputs": {"x": "b.result"}}
            """
        let (exact, exactEvents) = try run(chain, ["--max-steps", "2"])
        #expect(exact.status == 0, "\(exact.stderr)")
        #expect(finishedSteps(exactEvents) == 2)
        let (short, shortEvents) = try run(chain, ["--max-steps", "1"])
        #expect(short.status == 1)
        #expect(finishedSteps(shortEvents) == 1)
        #expect(short.stderr.contains("the run reached max_steps (1 node executions) at node 'b'"), "\(short.stderr)")
    }
}
