#if canImport(Glibc)
import Glibc
#endif
import OrderedCollections
import WeftCore
import WeftNative

/// Where cached nodes (`"cache"`) keep their outputs: a key made of the
/// node's type, its plugin file's content, the plugin's version, its
/// params and its input values (`CacheKeys`), and the outputs (nil: did
/// not fire). The run store implements it (`WeftStore.StoreCache`).
public protocol NodeCache: AnyObject, Sendable {
    /// The outputs kept for `key`, if any (and not expired).
    func lookup(_ key: String) -> [WeftValue?]?
    /// Keeps `outputs` for `key`, for `ttlSeconds` (nil: until cleared).
    func store(_ key: String, _ outputs: [WeftValue?], ttlSeconds: Double?)
}

/// Cache keys: canonical text, so equal inputs give equal keys whatever
/// order their maps were built in.
public enum CacheKeys {
    /// The part of a node's key fixed at compile time: its type, its
    /// plugin (file content hash and version) and its params.
    static func prefix(type: NodeType, params: [String: WeftValue]) -> String {
        let plugin = type.plugin.map { "\($0.name)@\($0.version)#\(PluginFileHash.of($0.path))" } ?? "host"
        let sortedParams: WeftValue = .object(params.sorted { $0.key < $1.key }.map { ($0.key, canonical($0.value)) })
        return "\(type.fullName)|\(plugin)|\(JSON.encode(sortedParams))"
    }

    /// The whole key: the prefix and the input values (a missing input is
    /// not a null one).
    static func key(_ prefix: String, _ inputs: [WeftValue?]) -> String {
        prefix + "|" + JSON.encode(.list(inputs.map { $0.map { .list([.bool(true), canonical($0)]) } ?? .list([.bool(false)]) }))
    }

    /// `v` with every map's keys in order.
    public static func canonical(_ v: WeftValue) -> WeftValue {
        switch v {
        case .list(let items): return .list(items.map(canonical))
        case .map(let m): return .object(m.keys.sorted().map { ($0, canonical(m[$0]!)) })
        default: return v
        }
    }
}

/// The content hash of a plugin file (FNV-1a, 64 bits, of its bytes),
/// read once per path and process.
enum PluginFileHash {
    private static let lock = ConditionLock()
    nonisolated(unsafe) private static var known: [String: String] = [:]

    static func of(_ path: String) -> String {
        if let h = lock.withLock({ known[path] }) { return h }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        if let f = fopen(path, "rb") {
            defer { fclose(f) }
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&buffer, 1, buffer.count, f)
                if n == 0 { break }
                for i in 0..<n {
                    h ^= UInt64(buffer[i])
                    h = h &* 0x0000_0100_0000_01b3
                }
            }
        }
        let text = String(h, radix: 16)
        lock.withLock { known[path] = text }
        return text
    }
}
