import Foundation
import Testing
import WeftCore
import WeftTestSupport

/// `Benchmarks/run.sh --quick`, the CI smoke test: tiny sizes whose numbers
/// mean nothing, so it must print no verdict against the targets (a green
/// CI run used to show `MISSED` rows).
@Suite("Benchmarks --quick")
struct BenchmarkQuickTests {
    static var hasPython: Bool { (try? Shell.bash("command -v python3").status) == 0 }

    @Test(.enabled(if: BenchmarkQuickTests.hasPython, "python3 is not installed"))
    func quickModePrintsNoVerdicts() throws {
        // A copy of the scripts it needs, so its results file is written
        // under a scratch folder, not into the repository.
        let root = try TestPaths.scratch("bench")
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/Benchmarks/peers", withIntermediateDirectories: true)
        for f in ["bench.py", "scheduler.py", "peers/spin.c"] {
            try fm.copyItem(atPath: TestPaths.repoRoot + "/Benchmarks/" + f, toPath: root + "/Benchmarks/" + f)
        }
        // The debug weft is far slower than the targets: a verdict here
        // would be MISSED.
        let r = try Shell.run("/usr/bin/env", ["python3", root + "/Benchmarks/bench.py", "--quick", "--weft", TestPaths.weft,
                                               "--only", "chain,independent"])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("quick mode: numbers mean nothing, no verdicts"), "\(r.stdout)")
        #expect(r.stdout.contains("chain of N add-1 nodes"), "the table is printed: \(r.stdout)")
        #expect(!r.stdout.contains("MISSED") && !r.stdout.contains("  met\n"), "\(r.stdout)")

        let saved = try JSON.parse(try String(contentsOfFile: root + "/Benchmarks/results/bench-quick.json", encoding: .utf8))
        #expect(saved["quick"] == true)
        let scenarios = saved["scenarios"]?.mapEntries ?? []
        #expect(!scenarios.isEmpty)
        for (id, s) in scenarios {
            #expect(s["weft_meets_target"] == .null, "\(id) records a verdict in quick mode")
        }
    }

    /// `store.py --quick`: a recorded chain's outputs and completions are
    /// checked by the script (it exits non-zero otherwise); no verdict.
    @Test(.enabled(if: BenchmarkQuickTests.hasPython, "python3 is not installed"))
    func storeQuickModeRecordsEveryNodeAndPrintsNoVerdict() throws {
        let root = try TestPaths.scratch("bench-store")
        try FileManager.default.createDirectory(atPath: root + "/Benchmarks", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPaths.repoRoot + "/Benchmarks/store.py", toPath: root + "/Benchmarks/store.py")
        let r = try Shell.run("/usr/bin/env", ["python3", root + "/Benchmarks/store.py", "--quick", "--weft", TestPaths.weft])
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("recorded / not recorded (whole process)"), "\(r.stdout)")
        #expect(!r.stdout.contains("target"), "\(r.stdout)")
        let saved = try JSON.parse(try String(contentsOfFile: root + "/Benchmarks/results/store.json", encoding: .utf8))
        #expect(saved["n"] == 10_000)
    }
}
