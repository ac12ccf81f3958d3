import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// Runs recorded in a run store through the C API (store_path,
/// resume_run_id, weft_run_id, weft_run_pause): Tests/Fixtures/capi/store.c
/// checks itself in one process and leaves a run paused; the installed
/// `weft runs` reads the store it wrote, and a second process resumes it.
@Suite("C API run store", .enabled(if: Installed.uninstrumented, Installed.skipReason))
struct StoreTests {
    /// `weft runs show ID --json` of the store in `dir`.
    func show(_ id: Int, in dir: String) throws -> WeftValue {
        let r = try Installed.run(try Installed.prefix() + "/bin/weft", ["runs", "show", "\(id)", "--store", dir + "/runs.db", "--json"])
        guard r.status == 0 else { throw BuildError(description: "weft runs show \(id): \(r.stderr)") }
        return try JSON.parse(r.stdout)
    }

    @Test func recordPauseAndResume() throws {
        let exe = try Installed.build(["Tests/Fixtures/capi/store.c"], name: "store")
        let dir = try TestPaths.scratch("capi-store")
        let r = try Installed.run(exe, [dir])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.hasSuffix("store: ok\n"), "\(r.stdout)")
        // "paused: ID completed N": the run it left paused.
        let fields = r.stdout.split(separator: "\n").first { $0.hasPrefix("paused: ") }?.split(separator: " ") ?? []
        let id = fields.count == 4 ? Int(fields[1]) : nil
        let completed = fields.count == 4 ? Int(fields[3]) : nil
        let (paused, done) = try #require(id.flatMap { i in completed.map { (i, $0) } }, "\(r.stdout)")
        #expect(done >= 1 && done < 9)

        // The store says paused, to another process; with the graph's file.
        let before = try show(paused, in: dir)
        #expect(before["state"] == "paused", "\(before)")
        #expect(before["graph"]?.stringValue?.hasSuffix("/examples/fan-out.json") == true, "\(before)")
        #expect(before["inputs"] == ["ms": 150], "\(before)")

        // A new process goes on with it: what completed is restored.
        let resumed = try Installed.run(exe, [dir, "resume", "\(paused)"])
        #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
        #expect(resumed.stdout.contains("resumed: \(paused) restored \(done)\n"), "\(resumed.stdout)")
        #expect(resumed.stdout.hasSuffix("store: ok\n"), "\(resumed.stdout)")
        let after = try show(paused, in: dir)
        #expect(after["state"] == "succeeded", "\(after)")
        #expect(after["outputs"]?["count"] == 4, "\(after)")
        // Each of the nine nodes was called once, across the two processes.
        let nodes = after["nodes"]?.listItems ?? []
        #expect(nodes.count == 9 && nodes.allSatisfy { $0["calls"] == 1 }, "\(nodes)")
    }
}
