import Foundation
import Testing
import WeftTestSupport

/// The graph size limit through the C API (Tests/Fixtures/capi/graphlimit.c):
/// /dev/zero, an endless pipe and a file past weft_engine_set_max_graph_bytes
/// are refused with WEFT_ERR_INVALID instead of aborting the host.
@Suite("C API graph size limit", .enabled(if: Installed.uninstrumented, Installed.skipReason))
struct GraphLimitTests {
    @Test func endlessAndOversizedGraphsAreRefused() throws {
        let exe = try Installed.build(["Tests/Fixtures/capi/graphlimit.c"], name: "graphlimit")
        let r = try Installed.run(exe, [try TestPaths.scratch("graphlimit")])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.hasSuffix("graphlimit: 9 checks, 0 failures\n"), "\(r.stdout)\n\(r.stderr)")
    }
}
