import Testing
import WeftCore
import WeftTestSupport

/// `weft run --metrics`: per-node calls and times and the peak memory,
/// as a table on stderr, or under "$metrics" with --json. Gathered from
/// the run's events: the answers are the same as without it.
@Suite("weft run --metrics")
struct MetricsCommandTests {
    static func example(_ name: String) -> String { "\(TestPaths.repoRoot)/examples/\(name)" }

    func weft(_ args: [String]) throws -> ProcessResult { try Shell.run(TestPaths.weft, args) }

    @Test func jsonCarriesPerNodeFiguresAndTheOutputsAreUnchanged() throws {
        let plain = try weft(["run", Self.example("collatz.json"), "--json", "--quiet"])
        let measured = try weft(["run", Self.example("collatz.json"), "--json", "--quiet", "--metrics"])
        #expect(plain.status == 0 && measured.status == 0, "\(measured.stderr)")
        let doc = try JSON.parse(measured.stdout)
        let outputs = try JSON.parse(plain.stdout)
        guard let metrics = doc["$metrics"] else {
            Issue.record("no $metrics in \(measured.stdout)")
            return
        }
        // The outputs are the same with and without --metrics.
        for k in ["steps", "peak", "sequence"] {
            #expect(doc[k] != nil && doc[k] == outputs[k], "\(k)")
        }
        guard case .list(let nodes)? = metrics["nodes"], case .int(let steps)? = metrics["steps"],
              case .int(let rss)? = metrics["peak_rss_bytes"] else {
            Issue.record("bad $metrics: \(metrics)")
            return
        }
        // Every step is one node's call (collatz has no map).
        let calls = nodes.compactMap { n -> Int64? in if case .int(let c)? = n["calls"] { c } else { nil } }
        #expect(calls.reduce(0, +) == steps)
        #expect(steps == 86)
        #expect(rss > 1 << 20)
        // The loop: its iterations, and its time (the body's included) the most.
        #expect(nodes.first?["node"] == "loop")
        #expect(nodes.first?["iterations"] == 9)
        // Nodes on the untaken branch were skipped on most passes.
        #expect(nodes.first { $0["node"] == "triple" }?["skipped"] == 7)
    }

    @Test func theTableGoesToStderr() throws {
        let r = try weft(["run", Self.example("map-batch.json"), "--metrics"])
        #expect(r.status == 0)
        #expect(r.stdout.hasPrefix("squares = [0,1,4,9,16]\n"), "stdout holds the outputs only: \(r.stdout)")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("node ") == true && lines.first?.contains("total ms") == true, "\(r.stderr)")
        // share: one call (the map), one item failed (collected).
        let share = lines.first { $0.hasPrefix("share ") }?.split(separator: " ").map(String.init) ?? []
        #expect(share.count == 9 && share[1] == "1" && share[5] == "1", "\(share)")
        #expect(lines.contains { $0.hasPrefix("steps 12, peak memory ") && $0.hasSuffix(" MiB") }, "\(r.stderr)")
    }
}
