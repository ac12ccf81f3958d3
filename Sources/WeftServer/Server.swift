import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import WeftCore
import WeftNative
import WeftPostgres
import WeftScheduler
import WeftStore

/// `weft serve`'s settings (Docs/server.md lists them with their defaults).
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var storePath: String
    /// Queue workers of the server itself.
    public var workers = 2
    /// Bearer tokens; empty: no token needed (loopback only).
    public var tokens: [String] = []
    public var maxBodyBytes = 4 << 20
    public var lease = 15.0
    public var maxAttempts = 3
    public var drainTimeout = 30.0
    public var policy: ServerPolicy

    public init(storePath: String, policy: ServerPolicy) {
        self.storePath = storePath
        self.policy = policy
    }
}

/// The HTTP server of `weft serve` (Hummingbird 2): the API of
/// Docs/server.md over a node host, the run store and the server's own
/// queue workers, all run by one `ServiceGroup` that shuts down gracefully
/// on SIGTERM/SIGINT (the workers drain first).
public final class WeftServer: Sendable {
    let options: ServerOptions
    let host: NodeHost
    let store: any RunJournal
    let metrics: ServerMetrics
    let executor: RunExecutor
    let workers: QueueWorkers?
    let pool: NIOThreadPool
    let logger: Logger

    /// Opens the store and loads the plugins; a failure names the fix.
    public init(options: ServerOptions, host: NodeHost, logger: Logger) throws(APIFailure) {
        self.options = options
        self.host = host
        self.logger = logger
        store = try Self.openStore(options.storePath)
        metrics = ServerMetrics(workers: options.workers)
        executor = RunExecutor(host: host, store: store, metrics: metrics, lease: options.lease)
        workers = options.workers > 0
            ? QueueWorkers(executor: executor, slots: options.workers, maxAttempts: options.maxAttempts,
                           drainTimeout: options.drainTimeout, logger: logger)
            : nil
        pool = NIOThreadPool(numberOfThreads: max(4, 2 * System.coreCount))
    }

    /// Serves until SIGTERM/SIGINT; `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) -> Void) async throws {
        pool.start()
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: APIMiddleware(tokens: options.tokens, metrics: metrics))
        addRoutes(to: router)
        var app = Application(router: router,
                              configuration: .init(address: .hostname(options.host, port: options.port), serverName: "weft"),
                              onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
                              logger: logger)
        if let workers { app.addServices(workers) }
        do {
            try await app.runService()
        } catch {
            try? await pool.shutdownGracefully()
            throw error
        }
        try? await pool.shutdownGracefully()
    }

    /// The run store at `location`: a PostgreSQL database for a
    /// `postgres://` URL, else a SQLite file.
    public static func openStore(_ location: String) throws(APIFailure) -> any RunJournal {
        do {
            if PostgresRunStore.isURL(location) { return try PostgresRunStore(url: location) }
            return try RunStore(path: location)
        } catch {
            throw APIFailure(500, "\(error)")
        }
    }

    /// The store, as messages name it (a URL without its password).
    public var storeLocation: String { store.location }

    /// The OpenAPI document of the API (`weft serve --openapi`).
    public static var openAPIDocument: String { OpenAPIDocument.json }

    /// Runs `body` on the server's thread pool (store calls and runs block).
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}

/// Every request: the bearer token (for `/v1` and `/metrics`), errors as
/// JSON (`{"error": {status, message, diagnostics?}}`), and the request
/// counter by status.
struct APIMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let tokens: [[UInt8]]
    let metrics: ServerMetrics

    init(tokens: [String], metrics: ServerMetrics) {
        self.tokens = tokens.map { Array($0.utf8) }
        self.metrics = metrics
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            let path = request.uri.path
            if !tokens.isEmpty && (path.hasPrefix("/v1") || path == "/metrics") && !authorized(request) {
                var r = APIMiddleware.error(APIFailure(401, "a bearer token is needed: send 'Authorization: Bearer TOKEN' "
                                                           + "with a token from the server's --token-file"))
                r.headers[.wwwAuthenticate] = "Bearer"
                response = r
            } else {
                response = try await next(request, context)
            }
        } catch let failure as APIFailure {
            response = APIMiddleware.error(failure)
        } catch let error as any HTTPResponseError {
            let code = Int(error.status.code)
            if code == 404, let allowed = Self.methods(for: request.uri.path), !allowed.contains(request.method.rawValue) {
                var r = APIMiddleware.error(APIFailure(405, "\(request.method) is not allowed on \(request.uri.path) (it takes "
                                                           + "\(allowed.joined(separator: ", "))); GET /openapi.json lists the API"))
                r.headers[.allow] = allowed.joined(separator: ", ")
                metrics.requests(status: 405).increment()
                return r
            }
            let message = switch code {
            case 404: "no such resource: \(request.method) \(request.uri.path); GET /openapi.json lists the API"
            case 405: "\(request.method) is not allowed on \(request.uri.path); GET /openapi.json lists the API"
            case 413: "the request body is too big (the server's --max-body-bytes)"
            default: (error as? HTTPError)?.body ?? error.status.reasonPhrase
            }
            response = APIMiddleware.error(APIFailure(code, message))
        } catch {
            // The store (a full disk, a lost database connection): the request was not carried out.
            response = APIMiddleware.error(APIFailure(503, "the run store failed: \(error); the request was not carried out, try again"))
        }
        metrics.requests(status: Int(response.status.code)).increment()
        return response
    }

    /// The routes (`:x` matches one path segment) and their methods.
    static let routes: [(path: [Substring], methods: [String])] = [
        ("/", ["GET"]), ("/healthz", ["GET"]), ("/openapi.json", ["GET"]), ("/metrics", ["GET"]),
        ("/v1/runs", ["GET", "POST"]), ("/v1/runs/:id", ["GET"]), ("/v1/runs/:id/events", ["GET"]),
        ("/v1/runs/:id/pause", ["POST"]), ("/v1/runs/:id/resume", ["POST"]), ("/v1/runs/:id/cancel", ["POST"]),
        ("/v1/graphs", ["POST"]), ("/v1/graphs/:id", ["GET"]), ("/v1/plugins", ["GET"]),
    ].map { (path: $0.0.split(separator: "/"), methods: $0.1) }

    /// The methods a path takes, if it is a route's.
    static func methods(for path: String) -> [String]? {
        let parts = path.split(separator: "/")
        return routes.first { route in
            route.path.count == parts.count && zip(route.path, parts).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }?.methods
    }

    /// Compares in constant time (per token).
    private func authorized(_ request: Request) -> Bool {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
        let given = Array(header.dropFirst(7).utf8)
        var ok = false
        for token in tokens {
            var diff = UInt8(token.count == given.count ? 0 : 1)
            for i in 0..<token.count { diff |= token[i] ^ (i < given.count ? given[i] : 0) }
            if diff == 0 { ok = true }
        }
        return ok
    }

    static func error(_ failure: APIFailure) -> Response {
        json(HTTPResponse.Status(code: failure.status), failure.jsonValue)
    }
}

func json(_ status: HTTPResponse.Status, _ value: WeftValue, headers: HTTPFields = [:]) -> Response {
    var headers = headers
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: JSON.encode(value))))
}
