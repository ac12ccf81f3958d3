import Foundation
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A real PostgreSQL server for the tests: one throwaway cluster per test
/// process (scripts/pg-cluster.sh: a folder of its own, loopback, a
/// non-root user), stopped when the process exits; each test gets a
/// database of its own. Tests that need it are skipped, with the reason
/// printed, only when no cluster can be started (PostgreSQL not installed).
enum PostgresCluster {
    /// The cluster's base URL (without a database), or why there is none.
    static let base: Result<String, HTTPTestClient.Failure> = {
        let dir = (try? TestPaths.scratch("pg")) ?? "/tmp/weft-pg-\(getpid())"
        guard let r = try? Shell.run("/bin/bash", [TestPaths.repoRoot + "/scripts/pg-cluster.sh", "start", dir]), r.status == 0 else {
            let why = (try? Shell.run("/bin/bash", [TestPaths.repoRoot + "/scripts/pg-cluster.sh", "start", dir]))?.stderr ?? "?"
            return .failure(HTTPTestClient.Failure(description: "cannot start a PostgreSQL cluster: \(why)"))
        }
        clusterDir = dir
        atexit { PostgresCluster.stop() }
        let url = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        return .success(String(url[..<(url.range(of: "/weft", options: .backwards)?.lowerBound ?? url.endIndex)]))
    }()

    nonisolated(unsafe) static var clusterDir: String?

    static func stop() {
        guard let dir = clusterDir else { return }
        _ = try? Shell.run("/bin/bash", [TestPaths.repoRoot + "/scripts/pg-cluster.sh", "stop", dir])
    }

    /// Whether a cluster runs (it is started on first use); prints why not.
    static var available: Bool {
        switch base {
        case .success: return true
        case .failure(let f):
            print("skipped: PostgreSQL tests: \(f.description)")
            return false
        }
    }

    /// A new, empty database; its URL.
    static func database() throws -> String {
        let root = try base.get()
        let name = "t\(getpid())_\(UInt32.random(in: 0...UInt32.max))"
        let r = try Shell.run("/usr/bin/env", ["psql", root + "/weft", "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name)"])
        guard r.status == 0 else { throw HTTPTestClient.Failure(description: "CREATE DATABASE: \(r.stderr)") }
        return root + "/" + name
    }

    /// Runs one SQL statement; its output (unaligned, tuples only).
    static func sql(_ url: String, _ statement: String) throws -> String {
        let r = try Shell.run("/usr/bin/env", ["psql", url, "-v", "ON_ERROR_STOP=1", "-At", "-c", statement])
        guard r.status == 0 else { throw HTTPTestClient.Failure(description: "psql: \(r.stderr)") }
        return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
