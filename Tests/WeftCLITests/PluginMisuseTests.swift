import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// A plugin that misuses the host API in a loop: every call is refused, and
/// the warnings are rate-limited per plugin instead of one line per call.
@Suite("weft CLI: refused host calls")
struct PluginMisuseTests {
    @Test func refusedCallWarningsAreRateLimitedAndCounted() throws {
        let dir = try TestPaths.scratch("misuse")
        try FileManager.default.copyItem(atPath: try Fixtures.build("misuse.c", name: "misuse"), toPath: dir + "/libmisuse.so")
        let graph = dir + "/loop.json"
        // Two nodes of one plugin share its limit: 2 × 50,000 refused calls.
        try """
        {"weft": 1, "nodes": [
          {"id": "m1", "type": "misuse.loop", "params": {"n": 50000}},
          {"id": "m2", "type": "misuse.loop", "params": {"n": 50000}}],
         "outputs": {"r1": "m1.refused", "r2": "m2.refused"}}
        """.write(toFile: graph, atomically: true, encoding: .utf8)

        let r = try Shell.run(TestPaths.weft, ["run", graph, "--plugins", dir, "--no-default-plugins", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        let out = try JSON.parse(r.stdout)
        #expect(out["r1"] == 50000 && out["r2"] == 50000, "every call was refused: \(r.stdout)")

        let lines = r.stderr.split(separator: "\n").map(String.init)
        let warning = "plugin 'misuse' called host->output_int with a NULL ctx; the call was refused"
        let logged = lines.filter { $0.contains(warning) }
        // The first 10 in full, then at most one a second: a bounded number
        // of lines, not one per call.
        #expect(logged.count >= 10)
        #expect(lines.count < 200, "\(lines.count) lines of stderr for 100,000 refused calls")
        #expect(logged.prefix(10).allSatisfy { $0.hasSuffix(warning) }, "the first ten carry no suppressed count")

        // Every refused call is accounted for exactly once: a logged line,
        // a "(N similar warnings suppressed)" on a later line, or the final
        // count the CLI reports before it exits.
        var suppressed = 0
        for line in logged {
            if let n = Self.number(in: line, after: "the call was refused (", before: " similar warning") { suppressed += n }
        }
        let final = lines.filter { $0.contains("more refused host calls by plugin 'misuse' were not logged") }
        #expect(final.count <= 1, "\(lines.suffix(3))")
        for line in final {
            if let n = Self.number(in: line, after: "[WeftNative] ", before: " more refused") { suppressed += n }
        }
        #expect(suppressed > 0)
        #expect(logged.count + suppressed == 100_000, "logged \(logged.count), suppressed \(suppressed)")
        #expect(lines.allSatisfy { $0.contains("weft.plugin") }, "\(lines.filter { !$0.contains("weft.plugin") })")
    }

    /// The integer between `after` and `before` in `line`.
    static func number(in line: String, after: String, before: String) -> Int? {
        guard let a = line.range(of: after), let b = line.range(of: before, range: a.upperBound..<line.endIndex) else { return nil }
        return Int(line[a.upperBound..<b.lowerBound])
    }
}
