import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client over a blocking loopback socket, for the server
/// tests: one request per connection (`Connection: close`), every read
/// bounded by a timeout, so a test fails instead of hanging.
public struct HTTPTestClient: Sendable {
    public var port: Int
    public var token: String?

    public init(port: Int, token: String? = nil) {
        self.port = port
        self.token = token
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: String

        /// The body as JSON (a dictionary or a list), or nil.
        public var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
        public var object: [String: Any] { json as? [String: Any] ?? [:] }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// One request; the whole response.
    public func request(_ method: String, _ path: String, body: String? = nil, headers: [String: String] = [:],
                        timeout: Double = 30) throws -> Response {
        let fd = try connect(timeout: timeout)
        defer { close(fd) }
        try send(fd, method, path, body: body, headers: headers)
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "\(method) \(path): read failed or timed out after \(timeout) s: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            data += buffer[0..<n]
        }
        return try Self.parse(data, "\(method) \(path)")
    }

    public func get(_ path: String) throws -> Response { try request("GET", path) }
    public func post(_ path: String, _ body: String? = nil) throws -> Response { try request("POST", path, body: body) }

    /// Opens a stream (`GET` of an SSE endpoint) and reads its messages as they come.
    public func stream(_ path: String, headers: [String: String] = [:], timeout: Double = 30) throws -> SSEStream {
        let fd = try connect(timeout: timeout)
        do {
            try send(fd, "GET", path, body: nil, headers: headers)
        } catch {
            close(fd)
            throw error
        }
        return SSEStream(fd: fd)
    }

    private func connect(timeout: Double) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port): \(e)")
        }
        return fd
    }

    private func send(_ fd: Int32, _ method: String, _ path: String, body: String?, headers: [String: String]) throws {
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        let bytes = Array((body ?? "").utf8)
        if body != nil { head += "Content-Type: application/json\r\nContent-Length: \(bytes.count)\r\n" }
        let all = Array((head + "\r\n").utf8) + bytes
        var sent = 0
        while sent < all.count {
            let n = all[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                // The server may answer (413) and close before the body is sent whole.
                if errno == EPIPE || errno == ECONNRESET { return }
                throw Failure(description: "send: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    /// Parses a whole response (Content-Length or chunked body).
    static func parse(_ data: [UInt8], _ what: String) throws -> Response {
        guard let split = find(data, [13, 10, 13, 10]) else {
            throw Failure(description: "\(what): no complete response head in \(data.count) bytes")
        }
        let head = String(decoding: data[..<split], as: UTF8.self).components(separatedBy: "\r\n")
        let statusLine = head.first ?? ""
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw Failure(description: "\(what): bad status line '\(statusLine)'") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(split + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    static func find(_ data: [UInt8], _ needle: [UInt8], from: Int = 0) -> Int? {
        guard data.count >= needle.count else { return nil }
        var i = from
        while i + needle.count <= data.count {
            if data[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    static func dechunk(_ body: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        var i = 0
        while let eol = find(body, [13, 10], from: i) {
            let sizeText = String(decoding: body[i..<eol], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            let start = eol + 2
            guard start + size <= body.count else { out += body[start...]; break }
            out += body[start..<(start + size)]
            i = start + size + 2
        }
        return out
    }
}

/// An open Server-Sent Events response, read message by message.
public final class SSEStream: @unchecked Sendable {
    public struct Message: Sendable, Equatable {
        public var id: String?
        public var event: String
        public var data: String
    }

    let fd: Int32
    private var pending = [UInt8]()
    private var headRead = false
    private var chunked = false
    /// The response status (after the first `next`).
    public private(set) var status = 0
    private var closed = false

    init(fd: Int32) { self.fd = fd }

    deinit { if !closed { Glibc.close(fd) } }

    public func close() {
        if !closed { Glibc.close(fd); closed = true }
    }

    /// The next message, or nil at the end of the stream. Throws when no
    /// message comes within the socket's timeout.
    public func next() throws -> Message? {
        while true {
            if !headRead, let split = HTTPTestClient.find(pending, [13, 10, 13, 10]) {
                let head = String(decoding: pending[..<split], as: UTF8.self).lowercased()
                status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
                chunked = head.contains("transfer-encoding: chunked")
                pending.removeFirst(split + 4)
                headRead = true
            }
            if headRead, let message = takeMessage() { return message }
            var buffer = [UInt8](repeating: 0, count: 16384)
            let n = read(fd, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw HTTPTestClient.Failure(description: "the event stream sent nothing more within its timeout")
            }
            if n == 0 { return headRead ? takeMessage() : nil }
            pending += buffer[0..<n]
        }
    }

    /// All messages until the stream ends.
    public func all() throws -> [Message] {
        var out: [Message] = []
        while let m = try next() { out.append(m) }
        return out
    }

    /// (The body bytes, chunk framing removed.) One whole message, if there is one.
    private var body = [UInt8]()

    private func takeMessage() -> Message? {
        if chunked {
            // Move whole chunks from `pending` to `body`.
            while let eol = HTTPTestClient.find(pending, [13, 10]) {
                let sizeText = String(decoding: pending[..<eol], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText, radix: 16) else { break }
                guard pending.count >= eol + 2 + size + 2 else { break }
                body += pending[(eol + 2)..<(eol + 2 + size)]
                pending.removeFirst(eol + 2 + size + 2)
            }
        } else {
            body += pending
            pending.removeAll()
        }
        while let end = HTTPTestClient.find(body, [10, 10]) {
            let text = String(decoding: body[..<end], as: UTF8.self)
            body.removeFirst(end + 2)
            var m = Message(id: nil, event: "message", data: "")
            var data: [String] = []
            var any = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(":") { continue }
                if line.hasPrefix("id: ") { m.id = String(line.dropFirst(4)); any = true }
                if line.hasPrefix("event: ") { m.event = String(line.dropFirst(7)); any = true }
                if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))); any = true }
            }
            if !any { continue }
            m.data = data.joined(separator: "\n")
            return m
        }
        return nil
    }
}
