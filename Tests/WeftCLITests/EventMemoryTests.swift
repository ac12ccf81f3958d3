import Foundation
import Testing
import WeftTestSupport

/// `weft run` with `event.lines` on stdin, as a child process: the lines
/// that went through are not kept. The child's peak memory (VmHWM in
/// /proc/PID/status) is read once 500 lines have run and again after
/// 3000 more, all 4 KiB long: a run that kept them would grow by up to 12 MiB.
///
/// Skipped when `weft` is built with a sanitizer (scripts/sanitize.sh): its
/// allocator keeps freed memory aside (ASan's quarantine) and adds shadow
/// memory, which is what this test measures.
@Suite("weft run keeps memory flat over many events",
       .enabled(if: WeftBuild.uninstrumented, "weft is built with a sanitizer, whose allocator keeps freed memory"))
struct EventMemoryTests {
    static let printNumbers = """
        {"weft": 1, "nodes": [{"id": "lines", "type": "event.lines"}, {"id": "p", "type": "io.print"}],
         "edges": [{"from": "lines.number", "to": "p.value"}]}
        """

    /// A field of /proc/PID/status in KiB ("VmHWM:\t   20480 kB").
    static func statusKiB(_ pid: Int32, _ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
        return Int(line.dropFirst(field.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
    }

    @Test func peakMemoryStaysFlatAsLinesStreamThroughStdin() throws {
        signal(SIGPIPE, SIG_IGN)  // a child that dies early must fail the test, not kill it
        let dir = try TestPaths.scratch("evmem")
        let graph = dir + "/g.json", out = dir + "/out.txt"
        try Self.printNumbers.write(toFile: graph, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestPaths.weft)
        // A small queue, so the 100 lines it may hold are no measurable part of the peak.
        p.arguments = ["run", graph, "--quiet", "--queue-size", "100"]
        let input = Pipe()
        p.standardInput = input
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { if p.isRunning { p.terminate() } }
        let pid = p.processIdentifier
        let writer = input.fileHandleForWriting.fileDescriptor

        // Writes `count` lines of 4 KiB on a thread of its own (it blocks
        // while weft's queue is full), then waits until weft printed the
        // number of the last one, at most 60 s.
        let line = Array(String(repeating: "x", count: 4095).utf8) + [10]
        func feed(_ count: Int, until last: Int) -> Bool {
            let chunk = Array((0..<count).map { _ in line }.joined())
            let thread = Thread {
                var sent = 0
                while sent < chunk.count {
                    let n = chunk.withUnsafeBytes { write(writer, $0.baseAddress! + sent, chunk.count - sent) }
                    if n <= 0 { return }
                    sent += n
                }
            }
            thread.start()
            for _ in 0..<6000 {
                let printed = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
                if printed.hasSuffix("\n\(last)\n") { return true }
                if !p.isRunning { return false }
                usleep(10_000)
            }
            return false
        }

        #expect(feed(500, until: 500), "weft did not run the first 500 lines")
        let first = try #require(Self.statusKiB(pid, "VmHWM"))
        #expect(feed(3000, until: 3500), "weft did not run the next 3000 lines")
        let second = try #require(Self.statusKiB(pid, "VmHWM"))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        // Kept lines would add up to 12 MiB (3000 × 4 KiB); allow 3 MiB of allocator noise.
        #expect(second - first < 3 * 1024, "peak memory grew from \(first) KiB to \(second) KiB over 3000 lines")
    }
}

private enum WeftBuild {
    /// False when `weft` carries a sanitizer's runtime.
    static let uninstrumented: Bool = {
        guard let r = try? Shell.bash("nm '\(TestPaths.weft)' 2>/dev/null | grep -m1 -E '__(a|t)san_init'") else { return true }
        return r.stdout.isEmpty
    }()
}
