import OrderedCollections
import WeftCore

/// The bytes that cross the socket between Weft and an isolated worker
/// process: requests, responses and the values in them.
///
/// Binary, little-endian and exact (an int stays an int, bytes stay bytes),
/// unlike JSON. Every read is bounds-checked and nesting is limited, so a
/// worker that dies mid-message or writes garbage gives an error, never a
/// crash of the host.
enum WireFormat {
    /// Requests, by their first byte.
    enum Op: UInt8 {
        /// `path`: load the plugin file.
        case load = 1
        /// `type, nodeId, [(name, value)]`: create the one node instance.
        case create = 2
        /// `[value?]` (one per input port): run it once; reply `[value?]`.
        case run = 3
        /// Destroy the instance and exit (no reply).
        case exit = 4
    }

    /// Frames are length-prefixed; a larger one is refused.
    static let maxFrame = 1 << 30
    static let maxDepth = 512

    struct DecodeError: Error, CustomStringConvertible {
        var description: String
    }

    // MARK: writing

    struct Writer {
        var bytes: [UInt8] = []

        mutating func u8(_ v: UInt8) { bytes.append(v) }
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        mutating func string(_ s: String) {
            u32(UInt32(s.utf8.count))
            bytes.append(contentsOf: s.utf8)
        }

        mutating func value(_ v: WeftValue) {
            switch v {
            case .null: u8(0)
            case .bool(let b): u8(b ? 2 : 1)
            case .int(let i):
                u8(3)
                u64(UInt64(bitPattern: i))
            case .double(let d):
                u8(4)
                u64(d.bitPattern)
            case .string(let s):
                u8(5)
                string(s)
            case .bytes(let b):
                u8(6)
                u32(UInt32(b.count))
                bytes.append(contentsOf: b)
            case .list(let items):
                u8(7)
                u32(UInt32(items.count))
                for item in items { value(item) }
            case .map(let m):
                u8(8)
                u32(UInt32(m.count))
                for (k, item) in m {
                    string(k)
                    value(item)
                }
            }
        }

        mutating func optionalValues(_ values: [WeftValue?]) {
            u32(UInt32(values.count))
            for v in values {
                if let v {
                    u8(1)
                    value(v)
                } else {
                    u8(0)
                }
            }
        }

        /// The frame: 4-byte length, then the payload.
        var frame: [UInt8] {
            var w = Writer()
            w.u32(UInt32(bytes.count))
            return w.bytes + bytes
        }
    }

    // MARK: reading

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { offset == bytes.count }

        mutating func take(_ n: Int) throws(DecodeError) -> ArraySlice<UInt8> {
            guard n >= 0, bytes.count - offset >= n else {
                throw DecodeError(description: "message ends early (needs \(n) more bytes at offset \(offset) of \(bytes.count))")
            }
            defer { offset += n }
            return bytes[offset..<offset + n]
        }

        mutating func u8() throws(DecodeError) -> UInt8 { try take(1).first! }

        mutating func u32() throws(DecodeError) -> UInt32 {
            var v: UInt32 = 0
            for (i, b) in try take(4).enumerated() { v |= UInt32(b) << (8 * UInt32(i)) }
            return v
        }

        mutating func u64() throws(DecodeError) -> UInt64 {
            var v: UInt64 = 0
            for (i, b) in try take(8).enumerated() { v |= UInt64(b) << (8 * UInt64(i)) }
            return v
        }

        mutating func string() throws(DecodeError) -> String {
            let n = Int(try u32())
            return String(decoding: try take(n), as: UTF8.self)
        }

        mutating func value(depth: Int = 0) throws(DecodeError) -> WeftValue {
            guard depth < WireFormat.maxDepth else {
                throw DecodeError(description: "value nested deeper than \(WireFormat.maxDepth) levels")
            }
            let tag = try u8()
            switch tag {
            case 0: return .null
            case 1: return .bool(false)
            case 2: return .bool(true)
            case 3: return .int(Int64(bitPattern: try u64()))
            case 4: return .double(Double(bitPattern: try u64()))
            case 5: return .string(try string())
            case 6: return .bytes(Array(try take(Int(try u32()))))
            case 7:
                let n = Int(try u32())
                guard n <= bytes.count - offset else { throw DecodeError(description: "list of \(n) items does not fit the message") }
                var items: [WeftValue] = []
                items.reserveCapacity(n)
                for _ in 0..<n { items.append(try value(depth: depth + 1)) }
                return .list(items)
            case 8:
                let n = Int(try u32())
                guard n <= bytes.count - offset else { throw DecodeError(description: "map of \(n) entries does not fit the message") }
                var pairs: [(String, WeftValue)] = []
                pairs.reserveCapacity(n)
                for _ in 0..<n {
                    let k = try string()
                    pairs.append((k, try value(depth: depth + 1)))
                }
                return .object(pairs)
            default:
                throw DecodeError(description: "unknown value tag \(tag)")
            }
        }

        mutating func optionalValues() throws(DecodeError) -> [WeftValue?] {
            let n = Int(try u32())
            guard n <= bytes.count - offset else { throw DecodeError(description: "\(n) values do not fit the message") }
            var out: [WeftValue?] = []
            out.reserveCapacity(n)
            for _ in 0..<n { out.append(try u8() == 0 ? nil : try value()) }
            return out
        }
    }
}
