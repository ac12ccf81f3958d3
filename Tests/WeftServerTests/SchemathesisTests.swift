import Foundation
import Testing
import WeftTestSupport

/// The OpenAPI document against the server it describes, with schemathesis
/// (from PyPI): generated requests, valid and not, to every operation; the
/// responses must match the document (status codes, content types, bodies).
@Suite("weft serve: the OpenAPI document matches the server (schemathesis)", .serialized,
       .enabled(if: Schemathesis.available))
struct SchemathesisTests {
    @Test("every check but positive data acceptance passes (graph validity is more than a JSON schema can say)")
    func run() throws {
        let server = try ServerProcess(["--workers", "1"])
        let r = try Shell.run("/usr/bin/timeout", [
            "300", Schemathesis.executable ?? "schemathesis", "run", "http://127.0.0.1:\(server.port)/openapi.json",
            "--checks", "all", "--exclude-checks", "positive_data_acceptance",
            "--max-examples", "15", "--seed", "20261206", "--no-color",
        ], cwd: server.dir)  // (its cache folder goes there, not into the repository)
        #expect(r.status == 0, "schemathesis found failures:\n\(r.stdout.suffix(6000))\n\(r.stderr.suffix(2000))")
        #expect(r.stdout.contains("generated"))
        #expect(server.stop() == 0)
    }
}

/// schemathesis on PATH, if installed.
enum Schemathesis {
    static let executable: String? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let path = "\(dir)/schemathesis"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }()

    static var available: Bool {
        if executable == nil { print("skipped: schemathesis is not installed (pip install schemathesis)") }
        return executable != nil
    }
}
