public import OrderedCollections

/// A Weft value: the one data type that flows along edges, fills ports and
/// params, and crosses the C ABI (as an opaque handle).
///
/// Values are immutable and cheap to copy (lists, maps, strings and bytes are
/// copy-on-write). `map` keeps insertion order, so JSON output is stable.
public enum WeftValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case bytes([UInt8])
    case list([WeftValue])
    case map(OrderedDictionary<String, WeftValue>)

    /// The kind of this value (never `.any` or `.number`).
    public var kind: ValueType {
        switch self {
        case .null: .null
        case .bool: .bool
        case .int: .int
        case .double: .double
        case .string: .string
        case .bytes: .bytes
        case .list: .list
        case .map: .map
        }
    }
}

extension WeftValue {
    /// A map from key–value pairs, in order (a repeated key keeps the last value).
    public static func object(_ pairs: [(String, WeftValue)]) -> WeftValue {
        var m = OrderedDictionary<String, WeftValue>()
        for (k, v) in pairs { m[k] = v }
        return .map(m)
    }

    /// The entries of a map in order; nil for other kinds.
    public var mapEntries: [(key: String, value: WeftValue)]? {
        if case .map(let m) = self { return m.map { (key: $0.key, value: $0.value) } }
        return nil
    }

    /// The keys of a map in order; empty for other kinds.
    public var mapKeys: [String] {
        if case .map(let m) = self { return Array(m.keys) }
        return []
    }

    /// Entry `key` of a map; nil if absent or not a map.
    public subscript(key: String) -> WeftValue? {
        if case .map(let m) = self { return m[key] }
        return nil
    }

    /// The items of a list; nil for other kinds.
    public var listItems: [WeftValue]? {
        if case .list(let l) = self { return l }
        return nil
    }

    /// The string, or nil for other kinds.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }
}

extension WeftValue: CustomStringConvertible {
    /// Strings print raw; every other kind prints as compact JSON.
    public var description: String {
        if case .string(let s) = self { return s }
        return JSON.encode(self)
    }
}

// No ExpressibleByNilLiteral: `nil` must always mean Optional.none, never `.null`.
extension WeftValue: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: WeftValue...) { self = .list(elements) }
    /// A map literal; keys keep their order. A repeated key keeps the last value.
    public init(dictionaryLiteral elements: (String, WeftValue)...) {
        var m = OrderedDictionary<String, WeftValue>()
        for (k, v) in elements { m[k] = v }
        self = .map(m)
    }
}
