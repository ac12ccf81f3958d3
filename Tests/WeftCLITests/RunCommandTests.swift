import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// `weft run`, `weft check` and `weft graph` as a user runs them.
@Suite("weft run, check, graph")
struct RunCommandTests {
    func weft(_ args: [String]) throws -> ProcessResult { try Shell.run(TestPaths.weft, args) }

    func write(_ text: String, name: String = "g.json") throws -> String {
        let path = try TestPaths.scratch("run") + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let sum = """
        {"weft": 1, "inputs": {"a": "int", "b": {"type": "int", "default": 2}, "name": "string"},
         "nodes": [{"id": "add", "type": "std.add"}, {"id": "greet", "type": "std.concat", "inputs": {"a": "hi "}}],
         "edges": [{"from": "$a", "to": "add.a"}, {"from": "$b", "to": "add.b"}, {"from": "$name", "to": "greet.b"}],
         "outputs": {"sum": "add.result", "greeting": "greet.result"}}
        """

    @Test func runPrintsOutputsAsTextOrJSON() throws {
        let g = try write(Self.sum)
        let text = try weft(["run", g, "--input", "a=40", "--input", "name=007"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout == "sum = 42\ngreeting = hi 007\n", "a string input keeps its text")
        let json = try weft(["run", g, "--input", "a=1", "--input", "b=5", "--input", "name=x", "--json"])
        #expect(try JSON.parse(json.stdout) == ["sum": 6, "greeting": "hi x"])
        let inputs = try write(#"{"a": 10, "name": "file"}"#, name: "inputs.json")
        let fromFile = try weft(["run", g, "--inputs", inputs, "--input", "b=0", "--json"])
        #expect(try JSON.parse(fromFile.stdout) == ["sum": 10, "greeting": "hi file"])
    }

    /// A regular file is mapped and let go of as it is decoded; anything
    /// else (a pipe) is read first. Both must give the same run, and a
    /// graph bigger than the 8 MiB steps the mapping is released in must
    /// come through whole.
    @Test func aGraphFromAPipeRunsLikeTheSameFile() throws {
        let g = try write(Self.sum)
        let fromFile = try weft(["run", g, "--input", "a=1", "--input", "name=x", "--json"])
        let piped = try Shell.bash("'\(TestPaths.weft)' run /dev/stdin --input a=1 --input name=x --json < '\(g)'")
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(try JSON.parse(piped.stdout) == JSON.parse(fromFile.stdout))
        let n = 160_000
        let nodes = (0..<n).map { #"{"id": "node_number_\#($0)", "type": "std.add", "inputs": {"b": 1}}"# }
        let edges = (1..<n).map { #"{"from": "node_number_\#($0 - 1).result", "to": "node_number_\#($0).a"}"# }
        let big = try write(#"{"weft": 1, "inputs": {"x": "int"}, "nodes": ["# + nodes.joined(separator: ", ")
                            + #"], "edges": [{"from": "$x", "to": "node_number_0.a"}, "# + edges.joined(separator: ", ")
                            + #"], "outputs": {"last": "node_number_\#(n - 1).result"}}"#, name: "big.json")
        #expect((try FileManager.default.attributesOfItem(atPath: big)[.size] as? Int ?? 0) > 16 << 20, "more than two release steps")
        let r = try weft(["run", big, "--input", "x=5", "--json", "--max-steps", "200000"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try JSON.parse(r.stdout) == ["last": .int(Int64(5 + n))])
    }

    @Test func badInputsExitWith2() throws {
        let g = try write(Self.sum)
        let missing = try weft(["run", g, "--input", "name=x"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("missing graph input 'a' (int); give it with --input a=VALUE"))
        let wrong = try weft(["run", g, "--input", "a=[1]", "--input", "name=x"])
        #expect(wrong.status == 2)
        #expect(wrong.stderr.contains("input 'a' must be int, got list [1]"))
        let malformed = try weft(["run", g, "--input", "noequals"])
        #expect(malformed.status == 2)
        #expect(try weft(["run", g, "--mode", "fast"]).status == 2)
        #expect(try weft(["run", "/nonexistent.json"]).status == 2)
    }

    @Test func failedRunExitsWith1NamingTheNode() throws {
        let g = try write(#"{"weft": 1, "nodes": [{"id": "bad", "type": "std.div", "inputs": {"a": 1, "b": 0}}]}"#)
        let r = try weft(["run", g])
        #expect(r.status == 1)
        #expect(r.stderr.contains("error: run failed: node 'bad' (std.div): "))
        #expect(r.stderr.contains("division by zero"))
        let loop = try write("""
            {"weft": 1, "nodes": [{"id": "c", "type": "std.counter"}]}
            """)
        #expect(try weft(["run", loop, "--max-steps", "0"]).status == 2, "usage")
    }

    @Test func invalidGraphExitsWith2WithEveryProblem() throws {
        let g = try write("""
            {"weft": 1, "nodes": [{"id": "a", "type": "std.ad"}, {"id": "b", "type": "std.neg"}],
             "edges": [{"from": "b.result", "to": "q.a"}]}
            """)
        for command in ["run", "check"] {
            let r = try weft([command, g])
            #expect(r.status == 2, "\(command)")
            #expect(r.stderr.contains("\(g):$.nodes[0].type: error: unknown node type 'std.ad'; did you mean 'std.add'"), "\(r.stderr)")
            #expect(r.stderr.contains("\(g):$.edges[0].to: error: edge goes to unknown node 'q'"))
            #expect(r.stderr.contains("\(g):$.nodes[1]: error: required input 'a' (number) of node 'b' is not connected"))
        }
        let j = try weft(["check", g, "--json"])
        #expect(j.status == 2)
        let doc = try JSON.parse(j.stdout)
        #expect(doc["ok"] == false)
        #expect(doc["diagnostics"]?.listItems?.first == [
            "severity": "error", "path": "$.nodes[0].type", "node": "a",
            "message": "unknown node type 'std.ad'; did you mean 'std.add' or 'std.and' or 'std.abs'?",
        ])
        let ok = try weft(["check", try write(Self.sum)])
        #expect(ok.status == 0 && ok.stdout.hasSuffix(": ok\n"))
    }

    @Test func graphDrawsDotAndMermaid() throws {
        let g = try write(Self.sum)
        let dot = try weft(["graph", g])
        #expect(dot.status == 0 && dot.stdout.hasPrefix("digraph"))
        let mermaid = try weft(["graph", g, "--format", "mermaid"])
        #expect(mermaid.status == 0 && mermaid.stdout.hasPrefix("flowchart"))
        #expect(try weft(["graph", g, "--format", "svg"]).status == 2)
    }

    @Test func traceHasOneCompleteEventPerNodeExecution() throws {
        let dir = try TestPaths.scratch("trace")
        let trace = dir + "/t.json", events = dir + "/e.jsonl"
        let r = try weft(["run", "\(TestPaths.repoRoot)/examples/collatz.json", "--trace", trace, "--events", events, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSON.parse(try String(contentsOfFile: trace, encoding: .utf8))
        let complete = (doc["traceEvents"]?.listItems ?? []).filter { $0["ph"] == "X" && $0["name"] != "run" }
        let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").map { try JSON.parse(String($0)) }
        let finished = lines.filter { $0["event"] == "node_finished" }
        #expect(complete.count == finished.count && !complete.isEmpty)
        #expect(lines.first?["event"] == "run_started")
        #expect(lines.last?["event"] == "run_finished" && lines.last?["outcome"] == "succeeded")
    }

    @Test func sigintCancelsWithExitCode130AndCompleteFiles() throws {
        let dir = try TestPaths.scratch("sigint")
        let g = try write("""
            {"weft": 1, "nodes": [
               {"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}, "max_iterations": 1000000},
               {"id": "nap", "type": "time.sleep", "inputs": {"ms": 5}},
               {"id": "yes", "type": "std.eq"}, {"id": "inc", "type": "std.add", "inputs": {"b": 1}}],
             "edges": [{"from": "loop.i", "to": "nap.value"}, {"from": "nap.value", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"},
                       {"from": "loop.i", "to": "yes.a"}, {"from": "loop.i", "to": "yes.b"}, {"from": "yes.result", "to": "loop.continue"}]}
            """)
        let events = dir + "/e.jsonl", trace = dir + "/t.json"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestPaths.weft)
        p.arguments = ["run", g, "--events", events, "--trace", trace]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until the run is under way (a few iterations logged), then interrupt.
        var waited = 0
        while waited < 300 {
            if let text = try? String(contentsOfFile: events, encoding: .utf8), text.contains("loop_iteration") { break }
            usleep(20_000)
            waited += 1
        }
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n").map { try JSON.parse(String($0)) }
        #expect(lines.last?["event"] == "run_finished" && lines.last?["outcome"] == "cancelled")
        #expect(throws: Never.self) { try JSON.parse(try String(contentsOfFile: trace, encoding: .utf8)) }
    }
}
