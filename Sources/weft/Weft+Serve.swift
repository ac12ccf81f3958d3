import ArgumentParser
import Logging
import WeftNative
import WeftScheduler
import WeftServer
import WeftStore
#if canImport(Glibc)
import Glibc
#endif

/// The options `weft serve` and `weft worker` share: the store, the
/// plugins and what graphs may use, the queue's lease and attempts.
struct QueueOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The run store: a SQLite file (made when missing; 'default': $XDG_STATE_HOME/weft/runs.db) "
                                   + "for one host, or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE for many.",
                               valueName: "path-or-url"))
    var store = "default"

    @Option(help: "Runs of the queue this process executes at once.")
    var workers = 2

    @Option(name: .customLong("allow-plugin"), help: ArgumentHelp(
        "A node namespace graphs may use (std, time, event, …); repeatable. Default: every loaded one.", valueName: "ns"))
    var allowPlugin: [String] = []

    @Option(name: .customLong("allow-ffi"), help: ArgumentHelp(
        "A library ffi nodes may name (soname, path or glob); repeatable. Default: none.", valueName: "lib"))
    var allowFFI: [String] = []

    @Option(help: "Seconds a worker's claim on a run holds without a heartbeat; after it, another worker resumes the run.")
    var lease = 15.0

    @Option(name: .customLong("max-attempts"), help: "Claims of one run before it is failed (a run that kills its worker stops there).")
    var maxAttempts = 3

    @Option(name: .customLong("drain-timeout"), help: "On SIGTERM: seconds to let running runs finish before they go back to the queue.")
    var drainTimeout = 30.0

    @Option(name: .customLong("immediate-timeout"), help: "The longest an immediate run may take, in seconds.")
    var immediateTimeout = 30.0

    func validate() throws {
        guard workers >= 0 && workers <= 256 else { throw ValidationError("--workers must be from 0 to 256") }
        guard lease >= 0.5 else { throw ValidationError("--lease must be at least 0.5 seconds") }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts must be at least 1") }
        guard drainTimeout >= 0 else { throw ValidationError("--drain-timeout must be 0 or more") }
        guard immediateTimeout > 0 else { throw ValidationError("--immediate-timeout must be above 0") }
    }

    /// A SQLite file, or a `postgres://` URL.
    var storePath: String {
        if store.hasPrefix("postgres://") || store.hasPrefix("postgresql://") { return store }
        return StoreLocation.path(given: store, useEnvironment: false) ?? "runs.db"
    }

    /// The plugins loaded and what graphs may use; load failures are printed.
    func nodeHost(_ plugins: PluginOptions) -> NodeHost {
        let host = NodeHost(policy: ServerPolicy(allowedNamespaces: allowPlugin.isEmpty ? nil : Set(allowPlugin),
                                                 allowedFFI: allowFFI, searchPath: plugins.searchPath,
                                                 immediateTimeout: immediateTimeout))
        for e in host.loadErrors { Stderr.write("warning: \(e)") }
        return host
    }

    func apply(to options: inout ServerOptions) {
        options.workers = workers
        options.lease = lease
        options.maxAttempts = maxAttempts
        options.drainTimeout = drainTimeout
    }
}

extension Weft {
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the HTTP API: immediate and queued runs, live events, pause/resume/cancel (Docs/server.md).",
            discussion: """
                Listens on 127.0.0.1:8080 by default and prints 'listening on http://HOST:PORT'. \
                Queued runs are kept in the run store and run by this server's workers (--workers) \
                and by 'weft worker' processes on the same store. SIGTERM or SIGINT stop it \
                gracefully: no new requests, running queued runs finish or go back to the queue.
                """)

        @Option(help: "The address to listen on. Another than loopback needs --token-file.")
        var host = "127.0.0.1"

        @Option(help: "The port; 0 picks a free one.")
        var port = 8080

        @Option(name: .customLong("token-file"), help: ArgumentHelp(
            "Bearer tokens, one per line ('#' starts a comment); every /v1 and /metrics request must send one.", valueName: "path"))
        var tokenFile: String?

        @Option(name: .customLong("max-body-bytes"), help: "The largest request body.")
        var maxBodyBytes = 4 << 20

        @Flag(help: "Print the OpenAPI document of the API and exit.")
        var openapi = false

        @OptionGroup var queue: QueueOptions
        @OptionGroup var plugins: PluginOptions

        func validate() throws {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be from 0 to 65535") }
            guard maxBodyBytes >= 1024 else { throw ValidationError("--max-body-bytes must be at least 1024") }
            let loopback = host == "127.0.0.1" || host == "::1" || host == "localhost"
            if !loopback && tokenFile == nil {
                throw ValidationError("--host \(host) listens beyond this machine: give --token-file with the tokens clients must send")
            }
        }

        func run() throws {
            if openapi {
                print(WeftServer.openAPIDocument)
                return
            }
            var tokens: [String] = []
            if let tokenFile {
                switch FileSystem.read(tokenFile, limit: 1 << 20) {
                case .success(let bytes):
                    tokens = String(decoding: bytes, as: UTF8.self).split(separator: "\n")
                        .map { String($0.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed()) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
                case .failure(let error):
                    Stderr.write("error: --token-file \(tokenFile): \(error.reason)")
                    throw ExitCode(2)
                }
                guard !tokens.isEmpty else {
                    Stderr.write("error: --token-file \(tokenFile) holds no token (one per line); add one, e.g. from 'head -c 24 /dev/urandom | base64'")
                    throw ExitCode(2)
                }
            }
            var options = ServerOptions(storePath: queue.storePath, policy: ServerPolicy(allowedNamespaces: nil, allowedFFI: [],
                                                                                         searchPath: plugins.searchPath, immediateTimeout: 30))
            options.host = host
            options.port = port
            options.tokens = tokens
            options.maxBodyBytes = maxBodyBytes
            queue.apply(to: &options)
            let nodeHost = queue.nodeHost(plugins)
            options.policy = nodeHost.policy
            let server: WeftServer
            do {
                server = try WeftServer(options: options, host: nodeHost, logger: Logger(label: "weft.serve"))
            } catch {
                Stderr.write("error: \(error.message)")
                throw ExitCode(2)
            }
            let (h, storePath) = (host, server.storeLocation)
            try AsyncMain.run {
                try await server.run { bound in
                    Stderr.write("listening on http://\(h.contains(":") ? "[\(h)]" : h):\(bound) (store \(storePath))")
                }
            }
        }
    }

    struct Worker: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run queued runs of a run store (beside 'weft serve'; Docs/server.md).",
            discussion: """
                Claims queued runs (highest priority first) with a lease it renews while the run goes on; \
                a run whose worker died is resumed by another from its journal once the lease runs out. \
                SIGTERM or SIGINT drain it: no new claims; running runs finish, or after --drain-timeout \
                go back to the queue.
                """)

        @OptionGroup var queue: QueueOptions
        @OptionGroup var plugins: PluginOptions

        func validate() throws {
            guard queue.workers >= 1 else { throw ValidationError("--workers must be at least 1 for a worker") }
        }

        func run() throws {
            let nodeHost = queue.nodeHost(plugins)
            let logger = Logger(label: "weft.worker")
            let workers: QueueWorkers
            do {
                workers = try QueueWorkers.standalone(host: nodeHost, storePath: queue.storePath, slots: queue.workers,
                                                      lease: queue.lease, maxAttempts: queue.maxAttempts,
                                                      drainTimeout: queue.drainTimeout, logger: logger)
            } catch {
                Stderr.write("error: \(error.message)")
                throw ExitCode(2)
            }
            Stderr.write("worker \(workers.name): \(queue.workers) slot\(queue.workers == 1 ? "" : "s") on \(workers.storeLocation)")
            try AsyncMain.run { try await workers.runAlone(logger: logger) }
        }
    }
}

/// Runs async work from the synchronous CLI: the main thread waits while
/// the work runs on Swift's executors.
enum AsyncMain {
    static func run(_ body: @escaping @Sendable () async throws -> Void) throws {
        let done = Locked<Result<Void, any Error>?>(nil)
        let lock = ConditionLock()
        Task {
            let r: Result<Void, any Error>
            do { try await body(); r = .success(()) } catch { r = .failure(error) }
            lock.withLock {
                done.withLock { $0 = r }
                lock.broadcast()
            }
        }
        lock.withLock { while done.withLock({ $0 }) == nil { lock.wait() } }
        if case .failure(let error)? = done.withLock({ $0 }) {
            Stderr.write("error: \(error)")
            throw ExitCode(1)
        }
    }
}
