import WeftCore

/// A C scalar type a foreign function may take or return.
public enum FFIScalar: String, Sendable, Equatable, CaseIterable {
    case void, bool
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    case float, double
    /// `size_t` (64-bit unsigned here).
    case size
    /// `const char *`: a NUL-terminated UTF-8 string.
    case cString

    /// The Weft value type of a port carrying this C type.
    public var valueType: ValueType {
        switch self {
        case .void: .null
        case .bool: .bool
        case .float, .double: .double
        case .cString: .string
        default: .int
        }
    }
}

/// One parameter of a foreign function.
public struct FFIParameter: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Passed by value (a string is passed as `const char *`).
        case value(FFIScalar)
        /// `T *` (not const): the function writes a `T`; it becomes an extra
        /// output port named after the parameter.
        case out(FFIScalar)
        /// `const void *` / `const uint8_t *` / `const unsigned char *` /
        /// `const char *`-typed buffer directly followed by a `size_t`
        /// length: one `bytes` input port; both C arguments come from it.
        case bytes
    }

    /// The name given in the signature, or `argN` / `outN` when unnamed.
    public var name: String
    public var kind: Kind
    /// 1-based column of the parameter's type in the signature text.
    public var column: Int

    public init(name: String, kind: Kind, column: Int) {
        self.name = name
        self.kind = kind
        self.column = column
    }
}

/// A C function signature given as data, e.g.
/// `double hypot(double x, double y)` or `void(double, double *, double *)`.
public struct FFISignature: Sendable, Equatable {
    public var returnType: FFIScalar
    /// The function name, if the text gave one (it is not the symbol: that
    /// is given separately).
    public var name: String?
    public var parameters: [FFIParameter]

    public init(returnType: FFIScalar, name: String?, parameters: [FFIParameter]) {
        self.returnType = returnType
        self.name = name
        self.parameters = parameters
    }

    /// Input ports: value and bytes parameters, in order.
    public var inputs: [FFIParameter] {
        parameters.filter { if case .out = $0.kind { false } else { true } }
    }

    /// Output ports: `result` (unless the function returns void), then the
    /// out-parameters in order.
    public var outputNames: [String] {
        (returnType == .void ? [] : ["result"]) + parameters.compactMap { if case .out = $0.kind { $0.name } else { nil } }
    }
}

/// A signature that cannot be parsed or is not supported.
public struct FFISignatureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based column in the signature text.
    public var column: Int
    public var message: String
    public var text: String

    public init(column: Int, message: String, text: String) {
        self.column = column
        self.message = message
        self.text = text
    }

    /// The message, then the text with a caret under the column.
    public var description: String {
        "\(message) at column \(column)\n    \(text)\n    \(String(repeating: " ", count: max(0, column - 1)))^"
    }
}
