import Foundation
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A `weft serve` (or `weft worker`) started for a test, in a scratch
/// folder of its own: its store, a plugin folder holding the fixture
/// plugin, and its stderr.
final class ServerProcess: @unchecked Sendable {
    let child: ChildProcess
    let port: Int
    let dir: String
    let store: String
    private var stopped = false

    /// Starts `weft serve --port 0 --store DIR/runs.db --plugins PLUGINS ARGS`
    /// and waits (at most 60 s) for its "listening on" line.
    init(_ args: [String] = [], dir: String? = nil, store: String? = nil) throws {
        let dir = try dir ?? TestPaths.scratch("server")
        self.dir = dir
        self.store = store ?? dir + "/runs.db"
        child = try ChildProcess.weft(["serve", "--port", "0", "--store", self.store, "--plugins", try Self.plugins()] + args)
        var found: Int?
        for _ in 0..<6000 {
            if let line = child.stderr.split(separator: "\n").first(where: { $0.hasPrefix("listening on http://127.0.0.1:") }) {
                found = Int(line.dropFirst("listening on http://127.0.0.1:".count).prefix { $0.isNumber })
                break
            }
            var status: Int32 = 0
            if waitpid(child.pid, &status, WNOHANG) == child.pid {
                stopped = true
                throw HTTPTestClient.Failure(description: "weft serve exited (status \(status)):\n\(child.stderr)")
            }
            usleep(10_000)
        }
        guard let found else {
            _ = child.waitForExit(seconds: 0)
            stopped = true
            throw HTTPTestClient.Failure(description: "weft serve did not start listening within 60 s:\n\(child.stderr)")
        }
        port = found
    }

    deinit { if !stopped { kill(child.pid, SIGKILL); _ = child.waitForExit(seconds: 10) } }

    func client(token: String? = nil) -> HTTPTestClient { HTTPTestClient(port: port, token: token) }

    /// SIGTERM, then the wait status (at most `seconds`; nil if it had to be killed).
    func stop(seconds: Double = 30) -> Int32? {
        stopped = true
        kill(child.pid, SIGTERM)
        return child.waitForExit(seconds: seconds)
    }

    /// A plugin folder holding the fixture and crashy plugins (the folder
    /// the fixtures are built in holds others, some made to fail).
    static func plugins() throws -> String {
        try folder.withLock { (dir: inout String?) throws -> String in
            if let dir { return dir }
            let made = try TestPaths.scratch("server-plugins")
            try FileManager.default.copyItem(atPath: try Fixtures.fixture(), toPath: made + "/libfixture.so")
            try FileManager.default.copyItem(atPath: try Fixtures.build("crashy.c", name: "crashy"), toPath: made + "/libcrashy.so")
            dir = made
            return made
        }
    }

    private static let folder = LockedBox<String?>(nil)
}

/// A `weft worker` on a store.
final class WorkerProcess: @unchecked Sendable {
    let child: ChildProcess
    private var stopped = false

    init(store: String, _ args: [String] = []) throws {
        child = try ChildProcess.weft(["worker", "--store", store, "--plugins", try ServerProcess.plugins()] + args)
        // Started once it says so (at most 60 s).
        for _ in 0..<6000 where !child.stderr.contains("slot") { usleep(10_000) }
    }

    deinit { if !stopped { kill(child.pid, SIGKILL); _ = child.waitForExit(seconds: 10) } }

    /// Whether it has exited (reaped then).
    func exited() -> Bool {
        guard !stopped else { return true }
        var status: Int32 = 0
        if waitpid(child.pid, &status, WNOHANG) == child.pid { stopped = true }
        return stopped
    }

    func kill9() -> Int32? {
        stopped = true
        kill(child.pid, SIGKILL)
        return child.waitForExit(seconds: 10)
    }

    func stop(seconds: Double = 30) -> Int32? {
        stopped = true
        kill(child.pid, SIGTERM)
        return child.waitForExit(seconds: seconds)
    }
}

final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// Graphs for the server tests.
enum ServerGraphs {
    static func example(_ name: String) throws -> String {
        try String(contentsOfFile: TestPaths.repoRoot + "/examples/\(name)", encoding: .utf8)
    }

    /// A chain of `n` fixture.tally nodes, each appending its id to `tally`
    /// and sleeping `ms`; output `last`.
    static func tallyChain(_ n: Int, tally: String, ms: Int) -> String {
        let nodes = (0..<n).map {
            #"{"id": "t\#($0)", "type": "fixture.tally", "params": {"path": "\#(tally)", "label": "t\#($0)", "ms": \#(ms)}}"#
        }
        let edges = [#"{"from": "$x", "to": "t0.x"}"#] + (1..<max(n, 1)).map { #"{"from": "t\#($0 - 1).y", "to": "t\#($0).x"}"# }
        return """
            {"weft": 1, "inputs": {"x": {"type": "int", "default": 1}},
             "nodes": [\(nodes.joined(separator: ", "))],
             "edges": [\(edges.joined(separator: ", "))],
             "outputs": {"last": "t\(n - 1).y"}}
            """
    }

    /// Lines of `tally` by label.
    static func tallies(_ path: String) -> [String: Int] {
        var counts: [String: Int] = [:]
        for l in ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n") { counts[String(l), default: 0] += 1 }
        return counts
    }
}

/// Polls `body` every 20 ms until it returns a value, at most `seconds`.
func eventually<T>(_ seconds: Double = 60, _ body: () throws -> T?) rethrows -> T? {
    let end = Date().addingTimeInterval(seconds)
    repeat {
        if let v = try body() { return v }
        usleep(20_000)
    } while Date() < end
    return nil
}

extension HTTPTestClient {
    /// `POST /v1/runs` with a graph document and fields.
    func run(_ graph: String, _ fields: String = "") throws -> HTTPTestClient.Response {
        try post("/v1/runs", #"{"graph": \#(graph)\#(fields.isEmpty ? "" : ", " + fields)}"#)
    }

    /// Waits until run `id` is in one of `states`; its JSON.
    func waitFor(_ id: Int, _ states: Set<String>, seconds: Double = 60) throws -> [String: Any]? {
        try eventually(seconds) { () throws -> [String: Any]? in
            let run = try get("/v1/runs/\(id)").object
            return states.contains(run["state"] as? String ?? "") ? run : nil
        }
    }
}
