import ArgumentParser
import WeftCore
import WeftStore
#if canImport(Glibc)
import Glibc
#endif

/// Where the run store is: `--store PATH` (`default`: the XDG path), else
/// `WEFT_STORE`, else (for `weft runs`) the XDG path.
enum StoreLocation {
    static var environment: [String: String] {
        var out: [String: String] = [:]
        for key in ["WEFT_STORE", "XDG_STATE_HOME", "HOME"] {
            if let v = getenv(key) { out[key] = String(cString: v) }
        }
        return out
    }

    /// The store a run records into: nil when none is asked for.
    static func path(given: String?, useEnvironment: Bool) -> String? {
        let env = environment
        let asked = given ?? (useEnvironment ? env["WEFT_STORE"].flatMap { $0.isEmpty ? nil : $0 } : nil)
        guard let asked else { return nil }
        return asked == "default" ? RunStore.defaultPath(environment: env) : asked
    }

    /// `body`'s store call, or its error printed and exit 2.
    static func checked<T>(_ body: () throws(StoreError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            Stderr.write("error: \(error)")
            throw ExitCode(2)
        }
    }

    /// The store `weft runs` reads.
    static func reading(_ given: String?) throws -> RunStore {
        guard let path = path(given: given, useEnvironment: true) ?? RunStore.defaultPath(environment: environment) else {
            throw ValidationError("no run store: give --store PATH (HOME and XDG_STATE_HOME are not set)")
        }
        guard given != nil || access(path, F_OK) == 0 else {
            Stderr.write("error: no run store at \(path) yet: record a run with weft run GRAPH --store default (or --store PATH)")
            throw ExitCode(2)
        }
        do {
            return try RunStore(path: path)
        } catch {
            Stderr.write("error: \(error)")
            throw ExitCode(2)
        }
    }
}

extension Weft {
    struct Runs: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The runs recorded in the run store (weft run --store).",
            discussion: "The store is --store PATH, else WEFT_STORE, else $XDG_STATE_HOME/weft/runs.db (~/.local/state/weft/runs.db).",
            subcommands: [List.self, Show.self, Events.self, Resume.self, Pause.self, Cancel.self, Prune.self])

        struct StoreOption: ParsableArguments {
            @Option(help: ArgumentHelp("The run store (a SQLite file; 'default': the XDG path).", valueName: "path"))
            var store: String?
        }

        static func time(_ t: Double) -> String {
            var seconds = time_t(t)
            var parts = tm()
            gmtime_r(&seconds, &parts)
            func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
            return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) "
                + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
        }

        static func json(_ run: StoredRun) -> WeftValue { .object(fields(run)) }

        static func fields(_ run: StoredRun) -> [(String, WeftValue)] {
            var fields: [(String, WeftValue)] = [
                ("id", .int(run.id)), ("state", .string(run.state)), ("graph", run.graphPath.map { .string($0) } ?? .null),
                ("graph_hash", .string(run.graphHash)), ("mode", .string(run.mode)),
                ("inputs", (try? JSON.parse(run.inputs)) ?? .null), ("started_at", .double(run.startedAt)),
                ("finished_at", run.finishedAt.map { .double($0) } ?? .null), ("steps", run.steps.map { .int(Int64($0)) } ?? .null),
                ("outputs", run.outputs.flatMap { try? JSON.parse($0) } ?? .null),
            ]
            if let e = run.error { fields.append(("error", .string(e))) }
            if let n = run.errorNode { fields.append(("error_node", .string(n))) }
            return fields
        }

        static func run(_ store: RunStore, _ id: Int64) throws -> StoredRun {
            do {
                if let run = try store.run(id) { return run }
            } catch {
                Stderr.write("error: \(error)")
                throw ExitCode(2)
            }
            Stderr.write("error: no run \(id) in \(store.path); weft runs list shows the runs there")
            throw ExitCode(2)
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
            @OptionGroup var location: StoreOption
            @Option(help: "Only runs in this state: running, paused, succeeded, failed, cancelled, interrupted (killed or crashed).")
            var state: String?
            @Option(help: "At most this many runs.") var limit = 50
            @Flag(help: "Print a JSON list.") var json = false

            func validate() throws {
                if let state, !["running", "paused", "succeeded", "failed", "cancelled", "interrupted"].contains(state) {
                    throw ValidationError("--state must be running, paused, succeeded, failed, cancelled or interrupted, not '\(state)'")
                }
                if limit < 1 { throw ValidationError("--limit must be at least 1") }
            }

            func run() throws {
                let store = try StoreLocation.reading(location.store)
                let runs = try StoreLocation.checked { () throws(StoreError) in try store.runs(state: state, limit: limit) }
                if json {
                    print(JSON.encode(.list(runs.map(Runs.json)), pretty: true))
                    return
                }
                if runs.isEmpty { Stderr.write("no runs\(state.map { " in state \($0)" } ?? "") in \(store.path)") }
                for r in runs {
                    let took = r.finishedAt.map { " " + String(format2: ($0 - r.startedAt) * 1000) + " ms" } ?? ""
                    print("\(r.id)  \(r.state)  \(Runs.time(r.startedAt))\(took)  \(r.graphPath ?? "(stream)")"
                          + (r.steps.map { "  \($0) steps" } ?? ""))
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "A run: its outputs, per-node table and error.")
            @OptionGroup var location: StoreOption
            @Argument(help: "The run's id (weft runs list).") var id: Int64
            @Flag(help: "Print JSON: the run, and \"nodes\".") var json = false
            @Flag(help: "Print only the graph the run ran (its JSON text, as the store keeps it).") var graph = false

            func run() throws {
                let store = try StoreLocation.reading(location.store)
                let r = try Runs.run(store, id)
                if graph {
                    print(try StoreLocation.checked { () throws(StoreError) in try store.graphJSON(of: r) } ?? "")
                    return
                }
                let nodes = try StoreLocation.checked { () throws(StoreError) in try store.nodeTable(id) }
                if json {
                    let table: WeftValue = .list(nodes.map { n -> WeftValue in
                        ["node": .string(n.node), "calls": .int(Int64(n.calls)), "total_ns": .int(n.totalNs),
                         "max_ns": .int(n.maxNs), "attempts": .int(Int64(n.attempts))]
                    })
                    print(JSON.encode(.object(Runs.fields(r) + [("nodes", table)]), pretty: true))
                    return
                }
                print("run      \(r.id)")
                print("state    \(r.state)")
                print("graph    \(r.graphPath ?? "(stream)") (hash \(r.graphHash))")
                print("mode     \(r.mode)")
                print("inputs   \(r.inputs)")
                print("started  \(Runs.time(r.startedAt))")
                if let f = r.finishedAt { print("took     \(String(format2: (f - r.startedAt) * 1000)) ms, \(r.steps ?? 0) steps") }
                if r.resumes > 0 { print("resumed  \(r.resumes) time\(r.resumes == 1 ? "" : "s")") }
                if let e = r.error { print("error    \(e)") }
                if let outputs = r.outputs, let fields = (try? JSON.parse(outputs))?.mapEntries {
                    print("outputs")
                    for (name, value) in fields { print("  \(name) = \(value)") }
                }
                if !nodes.isEmpty {
                    print("nodes    calls  total ms   max ms  attempts")
                    for n in nodes {
                        print("  \(n.node)  \(n.calls)  \(String(format2: Double(n.totalNs) / 1e6))  "
                              + "\(String(format2: Double(n.maxNs) / 1e6))  \(n.attempts)")
                    }
                }
            }
        }

        struct Events: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "A run's events, one JSON object a line (as weft run --events wrote them).")
            @OptionGroup var location: StoreOption
            @Argument(help: "The run's id.") var id: Int64

            func run() throws {
                let store = try StoreLocation.reading(location.store)
                _ = try Runs.run(store, id)
                try StoreLocation.checked { () throws(StoreError) in try store.events(id) { print($0) } }
            }
        }

        struct Resume: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Continue an interrupted, paused, failed or cancelled run; nodes that completed are not run again.",
                discussion: """
                    The run goes on in this process, as `weft run` started it (the same graph file, which must be \
                    unchanged, arguments and working folder), under the same id: each completed node's outputs are \
                    restored from the store instead of calling it, and the rest runs. Exit codes as weft run's.
                    """)
            @OptionGroup var location: StoreOption
            @Argument(help: "The run's id.") var id: Int64

            func run() throws {
                let store = try StoreLocation.reading(location.store)
                let r = try Runs.run(store, id)
                guard r.isResumable else {
                    Stderr.write("error: " + (r.state == "running"
                        ? "run \(id) is running (process \(r.pid)); pause it first (weft runs pause \(id))"
                        : "run \(id) \(r.state); there is nothing to resume (weft runs show \(id) shows its outputs)"))
                    throw ExitCode(2)
                }
                guard let cwd = r.options?["cwd"]?.stringValue, let args = r.options?["args"]?.listItems?.compactMap(\.stringValue),
                      !args.isEmpty else {
                    Stderr.write("error: run \(id) was not started by weft run (or by a Weft before 0.19), so how to go on is not known")
                    throw ExitCode(2)
                }
                let storePath = Runs.absolute(store.path)
                guard chdir(cwd) == 0 else {
                    Stderr.write("error: run \(id) ran in \(cwd), which is gone; resuming needs its graph and plugins there")
                    throw ExitCode(2)
                }
                let command = try Weft.Run.parse(args + ["--store", storePath, "--resume-run", "\(id)"])
                try command.run()
            }
        }

        /// `path` from the working folder, made absolute.
        static func absolute(_ path: String) -> String {
            guard let p = realpath(path, nil) else { return path }
            defer { free(p) }
            return String(cString: p)
        }

        /// Asks running run `r` to `pause` or `cancel` (through the store:
        /// its process reads the request within 0.1 s) and waits up to
        /// `wait` seconds for its state to leave running; the state it reached.
        static func ask(_ store: RunStore, _ r: StoredRun, _ what: String, wait: Double) throws -> String {
            guard try StoreLocation.checked({ () throws(StoreError) in try store.request(r.id, what) }) else {
                return try Runs.run(store, r.id).state
            }
            let until = RunStore.now() + wait
            while RunStore.now() < until {
                let now = try Runs.run(store, r.id)
                if now.state != "running" { return now.state }
                usleep(20_000)
            }
            return "running"
        }

        struct Pause: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Pause a running run: it finishes the nodes in flight, keeps their outputs and stops (weft run exits 3).",
                discussion: "weft runs resume ID continues it, in this process or another.")
            @OptionGroup var location: StoreOption
            @Argument(help: "The run's id.") var id: Int64
            @Option(help: ArgumentHelp("Seconds to wait for the run to stop.", valueName: "seconds")) var wait: Double = 60

            func run() throws {
                let store = try StoreLocation.reading(location.store)
                let r = try Runs.run(store, id)
                guard r.state == "running" else {
                    Stderr.write("error: run \(id) is \(r.state), not running; only a running run can be paused")
                    throw ExitCode(2)
                }
                switch try Runs.ask(store, r, "pause", wait: wait) {
                case "paused": print("paused run \(id) (weft runs resume \(id) continues it)")
                case "running":
                    Stderr.write("error: run \(id) has not paused within \(wait) s (a node in flight is still running); "
                                     + "it pauses when its nodes in flight finish")
                    throw ExitCode(1)
                case let state: print("run \(id) ended before it paused: \(state)")
                }
            }
        }

        struct Cancel: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Cancel a run: a running one stops (its nodes in flight finish); a paused or interrupted one is marked cancelled.",
                discussion: "Its checkpoints stay: weft runs resume ID can still continue it, until weft runs prune deletes it.")
            @OptionGroup var location: StoreOption
            @Argument(help: "The run's id.") var id: Int64
            @Option(help: ArgumentHelp("Seconds to wait for a running run to stop.", valueName: "seconds")) var wait: Double = 60

            func run() throws {
                let store = try StoreLocation.reading(location.store)
                let r = try Runs.run(store, id)
                switch r.state {
                case "running":
                    let state = try Runs.ask(store, r, "cancel", wait: wait)
                    guard state != "running" else {
                        Stderr.write("error: run \(id) has not stopped within \(wait) s (a node in flight is still running)")
                        throw ExitCode(1)
                    }
                    print("cancelled run \(id) (\(state))")
                case "paused", "interrupted":
                    let marked = try StoreLocation.checked { () throws(StoreError) in
                        try store.setState(id, to: "cancelled", from: ["paused", "running"])
                    }
                    guard marked else {
                        Stderr.write("error: run \(id) changed state meanwhile; weft runs show \(id)")
                        throw ExitCode(1)
                    }
                    print("cancelled run \(id)")
                default:
                    Stderr.write("error: run \(id) already ended (\(r.state))")
                    throw ExitCode(2)
                }
            }
        }

        struct Prune: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete runs that finished longer ago than --older-than.")
            @OptionGroup var location: StoreOption
            @Option(name: .customLong("older-than"), help: ArgumentHelp("An age: 90s, 30m, 12h, 7d.", valueName: "age"))
            var olderThan: String

            static func seconds(_ text: String) -> Double? {
                guard let unit = text.last, let n = Double(text.dropLast()), n >= 0 else { return Double(text) }
                switch unit {
                case "s": return n
                case "m": return n * 60
                case "h": return n * 3600
                case "d": return n * 86400
                default: return nil
                }
            }

            func validate() throws {
                guard Prune.seconds(olderThan) != nil else {
                    throw ValidationError("--older-than must be an age such as 90s, 30m, 12h or 7d, not '\(olderThan)'")
                }
            }

            func run() throws {
                let store = try StoreLocation.reading(location.store)
                do {
                    let removed = try store.prune(olderThan: Prune.seconds(olderThan) ?? 0)
                    print("pruned \(removed) run\(removed == 1 ? "" : "s") from \(store.path)")
                } catch {
                    Stderr.write("error: \(error)")
                    throw ExitCode(2)
                }
            }
        }
    }
}

extension Weft {
    struct Cache: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The cache of cached nodes (\"cache\": true, weft run --cache), in the run store.",
            subcommands: [Stats.self, Clear.self])

        struct Stats: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Entries, expired entries and bytes in the cache.")
            @OptionGroup var location: Runs.StoreOption
            @Flag(help: "Print JSON.") var json = false

            func run() throws {
                let store = try StoreLocation.reading(location.store)
                do {
                    let s = try store.cacheStats()
                    if json {
                        print(JSON.encode(["entries": .int(Int64(s.entries)), "expired": .int(Int64(s.expired)), "bytes": .int(s.bytes),
                                           "store": .string(store.path)], pretty: true))
                    } else {
                        print("store    \(store.path)")
                        print("entries  \(s.entries) (\(s.expired) expired)")
                        print("bytes    \(s.bytes)")
                    }
                } catch {
                    Stderr.write("error: \(error)")
                    throw ExitCode(2)
                }
            }
        }

        struct Clear: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete the cache's entries (every one, or the expired ones).")
            @OptionGroup var location: Runs.StoreOption
            @Flag(help: "Only the entries whose ttl_s has passed.") var expired = false

            func run() throws {
                let store = try StoreLocation.reading(location.store)
                do {
                    let removed = try store.clearCache(expiredOnly: expired)
                    print("cleared \(removed) cache entr\(removed == 1 ? "y" : "ies") from \(store.path)")
                } catch {
                    Stderr.write("error: \(error)")
                    throw ExitCode(2)
                }
            }
        }
    }
}
