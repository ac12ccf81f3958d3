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
            subcommands: [List.self, Show.self, Events.self, Prune.self])

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
            @Option(help: "Only runs in this state: running, succeeded, failed, cancelled, interrupted (killed or crashed).")
            var state: String?
            @Option(help: "At most this many runs.") var limit = 50
            @Flag(help: "Print a JSON list.") var json = false

            func validate() throws {
                if let state, !["running", "succeeded", "failed", "cancelled", "interrupted"].contains(state) {
                    throw ValidationError("--state must be running, succeeded, failed, cancelled or interrupted, not '\(state)'")
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

            func run() throws {
                let store = try StoreLocation.reading(location.store)
                let r = try Runs.run(store, id)
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
