import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// The graphs in examples/: each passes `weft check` and runs with the
/// outputs documented in examples/README.md.
@Suite("Example graphs")
struct ExampleGraphTests {
    static func path(_ name: String) -> String { "\(TestPaths.repoRoot)/examples/\(name)" }

    static let all = ["arithmetic.json", "if-else.json", "count-loop.json", "collatz.json", "nested-loop.json", "fan-out.json", "ffi-math.json",
                      "safe-divide.json", "wait-for-file.json", "map-batch.json", "subgraphs.json", "batch-flow.json", "time-limit.json", "async-wait.json",
                      "heartbeat.json", "lines-filter.json", "inbox-word-count.json", "resumable.json"]

    func weft(_ args: [String]) throws -> ProcessResult {
        try Shell.run(TestPaths.weft, args)
    }

    /// `weft run EXAMPLE --json --quiet [--input k=v]... [extra]`; returns
    /// the parsed JSON document and any text printed before it (by io.print).
    func run(_ name: String, _ inputs: [String: String] = [:], extra: [String] = []) throws -> (doc: WeftValue, printed: String) {
        var args = ["run", Self.path(name), "--json", "--quiet"]
        for (k, v) in inputs.sorted(by: { $0.key < $1.key }) { args += ["--input", "\(k)=\(v)"] }
        let r = try weft(args + extra)
        #expect(r.status == 0, "weft \(args + extra): \(r.stderr)")
        // The JSON document starts at the first line that opens an object.
        let lines = r.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let start = lines.firstIndex { $0.hasPrefix("{") } ?? lines.startIndex
        let printed = lines[..<start].map { "\($0)\n" }.joined()
        let doc = try JSON.parse(lines[start...].joined(separator: "\n"))
        return (doc, printed)
    }

    /// The graph outputs in a `weft run --json` document (the document is
    /// the outputs object itself).
    func outputs(_ doc: WeftValue) -> WeftValue? { doc }

    @Test(arguments: all)
    func checkPasses(name: String) throws {
        let r = try weft(["check", Self.path(name)])
        #expect(r.status == 0, "\(name): \(r.stderr)")
        #expect(r.stdout.contains("ok"))
        #expect(r.stderr.isEmpty, "no warnings expected: \(r.stderr)")
    }

    @Test func resumable() throws {
        #expect(outputs(try run("resumable.json", ["ms": "1"]).doc) == ["total": 150])
        #expect(outputs(try run("resumable.json", ["ms": "0", "start": "5"]).doc) == ["total": 155])
    }

    @Test func arithmetic() throws {
        let byDefault = try run("arithmetic.json")
        #expect(outputs(byDefault.doc) == ["fahrenheit": 99.5, "sentence": "37.5 °C = 99.5 °F"])
        let warm = try run("arithmetic.json", ["celsius": "25"])
        #expect(outputs(warm.doc) == ["fahrenheit": 77.0, "sentence": "25.0 °C = 77.0 °F"])
        let boiling = try run("arithmetic.json", ["celsius": "100"])
        #expect(outputs(boiling.doc)?["fahrenheit"] == 212.0)
    }

    @Test(arguments: [(-7, 7, "-7 is negative, so it was negated"), (12, 12, "12 is not negative, so it was kept"),
                      (0, 0, "0 is not negative, so it was kept")])
    func ifElse(x: Int64, abs: Int64, how: String) throws {
        let r = try run("if-else.json", ["x": "\(x)"])
        #expect(outputs(r.doc) == ["abs": .int(abs), "how": .string(how)])
    }

    @Test func countLoop() throws {
        let r = try run("count-loop.json")
        #expect(r.printed == "count: 1\ncount: 2\ncount: 3\ncount: 4\ncount: 5\n")
        #expect(outputs(r.doc) == ["count": 5])
        let none = try run("count-loop.json", ["n": "0"])
        #expect(none.printed == "", "the final pass prints nothing")
        #expect(outputs(none.doc) == ["count": 0])
    }

    @Test func collatz() throws {
        let six = try run("collatz.json")
        #expect(outputs(six.doc) == ["steps": 8, "peak": 16, "sequence": [6, 3, 10, 5, 16, 8, 4, 2, 1]])
        let one = try run("collatz.json", ["n": "1"])
        #expect(outputs(one.doc) == ["steps": 0, "peak": 1, "sequence": [1]])
        let long = try run("collatz.json", ["n": "27"])
        #expect(outputs(long.doc)?["steps"] == 111)
        #expect(outputs(long.doc)?["peak"] == 9232)
        #expect(outputs(long.doc)?["sequence"]?.listItems?.count == 112)
    }

    @Test(arguments: [(3, 4, 60), (1, 1, 1), (0, 5, 0), (9, 9, 2025)])
    func nestedLoop(rows: Int64, cols: Int64, total: Int64) throws {
        let r = try run("nested-loop.json", ["rows": "\(rows)", "cols": "\(cols)"])
        #expect(outputs(r.doc) == ["total": .int(total), "rows_done": .int(max(rows, 0) + 1)])
    }

    @Test func fanOutSequential() throws {
        let r = try run("fan-out.json", ["ms": "10"])
        #expect(outputs(r.doc) == ["results": ["one", "two", "three", "four"], "count": 4])
    }

    /// In parallel mode the four blocking sleeps overlap: every pair of their
    /// complete events in the trace overlaps in time.
    @Test func fanOutParallelTraceShowsOverlap() throws {
        let dir = try TestPaths.scratch("fan-out")
        let trace = dir + "/trace.json"
        let r = try run("fan-out.json", extra: ["--mode", "parallel", "--trace", trace])
        #expect(outputs(r.doc) == ["results": ["one", "two", "three", "four"], "count": 4])

        let text = try String(contentsOfFile: trace, encoding: .utf8)
        let doc = try JSON.parse(text)
        let events = doc["traceEvents"]?.listItems ?? doc.listItems ?? []
        struct Span { var name: String; var start: Double; var end: Double }
        func number(_ v: WeftValue?) -> Double? {
            switch v {
            case .int(let i)?: Double(i)
            case .double(let d)?: d
            default: nil
            }
        }
        var spans: [Span] = []
        for e in events where e["ph"] == "X" {
            guard let name = e["name"]?.stringValue, name.hasPrefix("sleep"),
                  let ts = number(e["ts"]), let dur = number(e["dur"]) else { continue }
            spans.append(Span(name: name, start: ts, end: ts + dur))
        }
        #expect(spans.map(\.name).sorted() == ["sleep1", "sleep2", "sleep3", "sleep4"], "\(text)")
        for a in spans {
            for b in spans where a.name < b.name {
                #expect(a.start < b.end && b.start < a.end, "\(a.name) [\(a.start), \(a.end)] and \(b.name) [\(b.start), \(b.end)] do not overlap")
            }
        }
    }

    /// Three `ffi` nodes on libm and libc. The defaults give exact results
    /// (hypot(75, 100) = 125, cbrt(125) = 5); glibc's cbrt is not correctly
    /// rounded (cbrt(5) is 1 ulp off), so other cube roots are compared with
    /// a tolerance.
    @Test func ffiMath() throws {
        let byDefault = try run("ffi-math.json")
        #expect(outputs(byDefault.doc) == ["length": 125.0, "cube_root": 5.0, "bytes": 12])
        let small = try run("ffi-math.json", ["a": "3", "b": "4", "text": "weft"])
        #expect(outputs(small.doc)?["length"] == 5.0)
        #expect(outputs(small.doc)?["bytes"] == 4)
        guard case .double(let root)? = outputs(small.doc)?["cube_root"] else {
            Issue.record("cube_root is not a double: \(small.doc)")
            return
        }
        #expect(abs(root - 1.709975946676697) < 1e-15, "cbrt(5) = \(root)")
        let empty = try run("ffi-math.json", ["text": ""])
        #expect(outputs(empty.doc)?["bytes"] == 0)
    }

    /// A division by zero is routed (its error map an output, the node after
    /// it skipped) or falls back to a default; the run succeeds (exit 0).
    @Test func safeDivide() throws {
        #expect(outputs(try run("safe-divide.json").doc) == ["quotient_plus_one": 26, "ratio": 0.25])
        let byZero = try run("safe-divide.json", ["x": "0"])
        #expect(outputs(byZero.doc) == ["error": ["node": "divide", "type": "std.div",
                                                  "message": "std.div: division by zero (a=100, b=0)", "attempt": 1],
                                        "ratio": 0])
    }

    /// The read is tried 5 times (4 retries, waits of 100, 200, 400, 800
    /// ms), then the default stands in; a file that is there is read at
    /// once.
    @Test func waitForFile() throws {
        let dir = try TestPaths.scratch("wait")
        let path = dir + "/ready.txt"
        let events = dir + "/events.jsonl"
        let missing = try run("wait-for-file.json", ["path": path], extra: ["--events", events])
        #expect(outputs(missing.doc) == ["content": "not ready"])
        let lines = try String(contentsOfFile: events, encoding: .utf8).split(separator: "\n")
        let retries = lines.filter { $0.contains("\"event\":\"node_retry\"") }
        #expect(retries.count == 4)
        #expect(retries.last?.contains("\"attempt\":4,\"delay_ns\":800000000") == true, "\(retries.last ?? "")")
        #expect(lines.contains { $0.contains("\"event\":\"node_recovered\"") && $0.contains("\"how\":\"default\"") })
        try "hello".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(outputs(try run("wait-for-file.json", ["path": path]).doc) == ["content": "hello"])
    }

    @Test func mapBatch() throws {
        let doc = try run("map-batch.json", ["n": "4"]).doc
        let error: WeftValue = ["item": 0, "message": "std.div: division by zero (a=100, b=0)"]
        #expect(outputs(doc) == ["squares": [0, 1, 4, 9], "count": 4, "shares": [.null, 100, 50, 33],
                                 "errors": [error, .null, .null, .null]])
    }

    /// parts/affine.json twice (from the example's folder, whatever the
    /// working directory) and an inline graph.
    /// A batch flow: a subgraph mapped over a list (two items at a time),
    /// and one whose failing item is collected.
    @Test(arguments: ["sequential", "parallel"])
    func batchFlow(mode: String) throws {
        let doc = try run("batch-flow.json", extra: ["--mode", mode]).doc
        #expect(doc["ys"] == [11, 21, 31, 41, 51])
        #expect(doc["sixty_over"] == [60, 30, 20, 15, 12])
        let zero = try run("batch-flow.json", ["xs": "[3, 0, 6]", "scale": "2"], extra: ["--mode", mode]).doc
        #expect(zero["ys"] == [7, 1, 13])
        #expect(zero["sixty_over"] == [20, .null, 10])
        #expect(zero["errors"]?.listItems?[1]["message"] == "the subgraph failed: node 'inv' (std.div): std.div: division by zero (a=60, b=0)")
    }

    /// A slow BLOCKING step past its timeout_ms: abandoned, and on_error's
    /// fallback is the answer (the process ends without waiting for it).
    @Test func timeLimit() throws {
        #expect(try run("time-limit.json").doc == ["result": "done"])
        let slow = try weft(["run", Self.path("time-limit.json"), "--input", "ms=20000", "--json", "-q"])
        #expect(slow.status == 0, "\(slow.stderr)")
        #expect(try JSON.parse(slow.stdout) == ["result": "gave up after 200 ms"])
    }

    @Test func subgraphs() throws {
        #expect(outputs(try run("subgraphs.json").doc) == ["first": 11, "second": 110, "negated": -110])
        #expect(outputs(try run("subgraphs.json", ["n": "1"]).doc) == ["first": 3, "second": 30, "negated": -30])
    }

    /// The agent flow, with its states from the example plugin `agent`
    /// (built by examples/plugins/build.sh, as the example's description says).
    @Test func agentFlow() throws {
        let out = NSTemporaryDirectory() + "weft-agent-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let build = try Shell.bash("bash '\(TestPaths.repoRoot)/examples/plugins/build.sh' '\(out)'")
        #expect(build.status == 0 || build.status == 3, "build.sh: \(build.stderr)")
        let check = try weft(["check", Self.path("agent-flow.json"), "--plugins", out])
        #expect(check.status == 0 && check.stderr.isEmpty, "\(check.stderr)")
        let r = try run("agent-flow.json", extra: ["--plugins", out])
        let store = r.doc["store"]
        #expect(store?["notes"]?.listItems?.count == 2)
        let answer = "Why is the sky blue? Because sunlight holds every colour; air molecules scatter short "
            + "(blue) wavelengths most: Rayleigh scattering"
        #expect(store?["answer"] == .string(answer))
        #expect(r.doc["last"] == "answer")
        let states = r.doc["$state_history"]?.listItems?.first?["states"]?.listItems ?? []
        #expect(states.map { $0["state"] } == ["decide", "search", "decide", "search", "decide", "answer"])
        #expect(states.map { $0["action"] } == ["search", "default", "search", "default", "answer", "done"])
        #expect(r.doc["$state_history"]?.listItems?.first?["flow"] == "agent")
        // Without the plugin: a clear error naming the missing type.
        let missing = try weft(["check", Self.path("agent-flow.json")])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("unknown node type 'agent.ask'"))
    }

    /// Hooks, from the example plugin `hooks`: the before hook clamps the
    /// input of `scale`, the graph's after hook rounds every double output.
    @Test func hooks() throws {
        let out = NSTemporaryDirectory() + "weft-hooks-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let build = try Shell.bash("bash '\(TestPaths.repoRoot)/examples/plugins/build.sh' '\(out)'")
        #expect(build.status == 0 || build.status == 3, "build.sh: \(build.stderr)")
        #expect(try run("hooks.json", extra: ["--plugins", out]).doc == ["fahrenheit": 70.6])
        #expect(try run("hooks.json", ["celsius": "1000"], extra: ["--plugins", out]).doc == ["fahrenheit": 140.0])
        #expect(try run("hooks.json", ["celsius": "-80"], extra: ["--plugins", out]).doc == ["fahrenheit": -58.0])
    }

    /// An observer plugin (`watch.summary`, from the example plugin
    /// `watch`): listed in the graph, or attached with --observer; the
    /// answers are those of the run without it.
    @Test func observed() throws {
        let out = NSTemporaryDirectory() + "weft-watch-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let build = try Shell.bash("bash '\(TestPaths.repoRoot)/examples/plugins/build.sh' '\(out)'")
        #expect(build.status == 0 || build.status == 3, "build.sh: \(build.stderr)")
        let r = try weft(["run", Self.path("observed.json"), "--plugins", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "sum_of_squares = 385\n")
        let said = r.stderr.split(separator: "\n").filter { $0.hasPrefix("watch:") }
        #expect(said.count == 3, "\(r.stderr)")  // the summary and the top 2
        #expect(said.first?.hasPrefix("watch: run succeeded in ") == true && said.first?.hasSuffix(": 45 node calls, 0 failed, 0 retries") == true,
                "\(said)")

        // Attached to another example, writing to a file: the same answers.
        let log = out + "/watch.log"
        let plain = try run("arithmetic.json", extra: ["--plugins", out])
        let watched = try run("arithmetic.json", extra: ["--plugins", out, "--observer", #"watch.summary={"top": 1, "path": "\#(log)"}"#])
        #expect(watched.doc == plain.doc)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("watch: run succeeded in ") && lines[1].hasPrefix("watch:   "), "\(lines)")

        // Bad --observer values: clear errors, nothing run.
        let unknown = try weft(["run", Self.path("arithmetic.json"), "--plugins", out, "--observer", "watch.summry"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("arithmetic.json:--observer watch.summry: error: unknown observer type 'watch.summry'; "
                                            + "did you mean 'watch.summary'?"), "\(unknown.stderr)")
        let notObserver = try weft(["run", Self.path("arithmetic.json"), "--observer", "std.add"])
        #expect(notObserver.status == 2 && notObserver.stderr.contains("'std.add' is a node type, not an observer"), "\(notObserver.stderr)")
        let badParams = try weft(["run", Self.path("arithmetic.json"), "--observer", "watch.summary={top: 1"])
        #expect(badParams.status != 0 && badParams.stderr.contains("--observer watch.summary: its params must be a JSON object after '='"),
                "\(badParams.stderr)")
        #expect(badParams.stdout.isEmpty)
    }
}
