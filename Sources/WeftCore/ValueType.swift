/// The type of a port or parameter, or the kind of a value.
///
/// Raw values are the ABI's `WEFT_TYPE_*` constants and never change.
/// `any` and `number` describe ports only; a value's kind is never one of them.
public enum ValueType: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case any = 0
    case null = 1
    case bool = 2
    case int = 3
    case double = 4
    case string = 5
    case bytes = 6
    case list = 7
    case map = 8
    case number = 9

    /// The name used in graph files, JSON output and messages.
    public var description: String {
        switch self {
        case .any: "any"
        case .null: "null"
        case .bool: "bool"
        case .int: "int"
        case .double: "double"
        case .string: "string"
        case .bytes: "bytes"
        case .list: "list"
        case .map: "map"
        case .number: "number"
        }
    }

    /// Parses a type name as written in graph files (`"int"`, `"number"`, …).
    public init?(name: String) {
        guard let t = ValueType.allCases.first(where: { $0.description == name }) else { return nil }
        self = t
    }

    /// Whether a value of kind `kind` may fill a port of this type.
    /// An `int` fills a `double` port (it is widened when delivered).
    public func accepts(kind: ValueType) -> Bool {
        switch self {
        case .any: true
        case .number: kind == .int || kind == .double
        case .double: kind == .double || kind == .int
        default: kind == self
        }
    }

    /// Whether a value may fill a port of this type.
    public func accepts(_ value: WeftValue) -> Bool { accepts(kind: value.kind) }

    /// `value` as it is delivered to a port of this type: ints widen to
    /// double on `double` ports. Nil if the value does not fit.
    public func coerce(_ value: WeftValue) -> WeftValue? {
        if self == .double, case .int(let i) = value { return .double(Double(i)) }
        return accepts(value) ? value : nil
    }
}
