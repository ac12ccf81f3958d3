import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// `weft run --from/--until/--only [--reuse]`: partial runs, upstream
/// values from an earlier run's kept outputs.
@Suite("Partial runs from the CLI")
struct PartialRunCommandTests {
    func weft(_ args: [String]) throws -> ProcessResult { try Shell.run(TestPaths.weft, args) }

    /// The tally graph of `ResumeCommandTests` (a0 → a1, a2 → a3, a4 →
    /// join → loop(body) → z0 → z1 → z2), recorded once in full.
    func recorded() throws -> (graph: String, tally: String, db: String, plugins: String, full: WeftValue) {
        let dir = try TestPaths.scratch("partial")
        let tally = dir + "/tally.log"
        let graph = try ResumeCommandTests.graph(in: dir, tally: tally, ms: 0)
        let plugins = try ResumeCommandTests.plugins()
        let db = dir + "/runs.db"
        let full = try weft(["run", graph, "--plugins", plugins, "--store", db, "--json", "-q"])
        #expect(full.status == 0, "\(full.stderr)")
        try "".write(toFile: tally, atomically: true, encoding: .utf8)
        return (graph, tally, db, plugins, try JSON.parse(full.stdout))
    }

    @Test func fromRunsTheNodeAndWhatIsDownstreamWithUpstreamValuesRestored() throws {
        let g = try recorded()
        let r = try weft(["run", g.graph, "--plugins", g.plugins, "--store", g.db, "--from", "z1", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try JSON.parse(r.stdout) == g.full)
        #expect(ResumeCommandTests.tallies(g.tally).counts == ["z1": 1, "z2": 1])
        #expect(r.stderr.contains("partial: 2 nodes run, "), "\(r.stderr)")
        // A loop is selected whole: its body runs every iteration.
        let loop = try weft(["run", g.graph, "--plugins", g.plugins, "--store", g.db, "--from", "loop", "--json", "-q"])
        #expect(try JSON.parse(loop.stdout) == g.full)
        #expect(ResumeCommandTests.tallies(g.tally).counts == ["z1": 2, "z2": 2, "body": 6, "z0": 1])
    }

    @Test func untilAndOnlyPrintTheirNodesOutputs() throws {
        let g = try recorded()
        let until = try weft(["run", g.graph, "--plugins", g.plugins, "--until", "a3", "--json", "-q"])
        #expect(until.status == 0, "\(until.stderr)")
        // a3 = 3 * (3 * (3 * 1 + 1) + 1) + 1: nothing was needed from a store.
        #expect(try JSON.parse(until.stdout) == ["a3.y": 40])
        #expect(ResumeCommandTests.tallies(g.tally).counts == ["a0": 1, "a1": 1, "a3": 1])

        let only = try weft(["run", g.graph, "--plugins", g.plugins, "--store", g.db, "--only", "a4", "--reuse", "1", "--json", "-q"])
        #expect(only.status == 0, "\(only.stderr)")
        #expect(try JSON.parse(only.stdout) == ["a4.y": 40])
        #expect(ResumeCommandTests.tallies(g.tally).counts == ["a0": 1, "a1": 1, "a3": 1, "a4": 1])
        // Between two nodes.
        let between = try weft(["run", g.graph, "--plugins", g.plugins, "--store", g.db, "--from", "a1", "--until", "join", "--json", "-q"])
        #expect(try JSON.parse(between.stdout) == ["joined": g.full["joined"] ?? .null, "join.result": g.full["joined"] ?? .null])
        #expect(ResumeCommandTests.tallies(g.tally).counts == ["a0": 1, "a1": 2, "a3": 2, "a4": 1])
    }

    @Test func badSelectionsAndMissingValuesAreClearErrors() throws {
        let g = try recorded()
        func refused(_ args: [String]) throws -> String {
            let r = try weft(["run", g.graph, "--plugins", g.plugins, "--store", g.db] + args)
            #expect(r.status == 2, "\(args): \(r.stderr)")
            #expect(r.stdout.isEmpty)
            return r.stderr
        }
        #expect(try refused(["--from", "z11"]).contains("error: --from z11: the graph has no node 'z11' (did you mean 'z1'"))
        #expect(try refused(["--only", "body"]).contains("error: --only body: 'body' is inside loop 'loop'; a partial run selects a loop whole: name 'loop'"))
        #expect(try refused(["--only", "z1", "--from", "z0"]).contains("--only cannot be given with --from or --until"))
        #expect(try refused(["--from", "z2", "--until", "z0"]).contains("no node lies between them"))
        #expect(try refused(["--reuse", "1"]).contains("--reuse is for partial runs"))
        #expect(try refused(["--from", "z1", "--reuse", "7"]).contains("--reuse 7: no run 7 in \(g.db)"))
        // A run that stopped early kept no outputs of what lies after: each missing value is named.
        let failed = try weft(["run", g.graph, "--plugins", g.plugins, "--store", g.db, "--max-steps", "3", "-q"])
        #expect(failed.status == 1)
        let missing = try refused(["--from", "z0", "--reuse", "2"])
        #expect(missing.contains("error: --from z0 needs the outputs of 'join', which run 2 did not keep"), "\(missing)")
        #expect(missing.contains("error: --from z0 needs the outputs of 'a3', which run 2 did not keep"), "\(missing)")
        #expect(!missing.contains("of 'a0'"), "a0 ran in run 2")
        // Without --reuse, the newest run that kept every value is taken (run 1, not the failed run 2).
        let fallback = try weft(["run", g.graph, "--plugins", g.plugins, "--store", g.db, "--from", "z0", "--json"])
        #expect(fallback.status == 0 && fallback.stderr.contains("restored from run 1"), "\(fallback.stderr)")
        #expect(try JSON.parse(fallback.stdout) == g.full)
    }
}
