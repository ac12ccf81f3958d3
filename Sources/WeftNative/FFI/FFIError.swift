/// Why a foreign function could not be prepared or called; a value, safe to
/// pass between threads.
///
/// `function` is the C signature as text (with the function's name when the
/// signature gave one), so every message says which function failed;
/// `message` says what was wrong and what to do about it.
public struct FFICallError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a stable machine-readable code.
    public enum Kind: String, Sendable, Equatable {
        /// The signature cannot be called (a `void` parameter) or
        /// `ffi_prep_cif` refused it (`FFI_BAD_TYPEDEF`, `FFI_BAD_ABI`,
        /// `FFI_BAD_ARGTYPE`).
        case prepare
        /// The number of input values differs from the signature's input ports.
        case arity
        /// An input value has the wrong kind for its C type.
        case inputType = "input_type"
        /// An input value does not fit its C type (`300` into `uint8_t`, a
        /// negative into an unsigned type, `1e300` into `float`).
        case inputRange = "input_range"
        /// An input string contains a NUL byte, which C cannot see past.
        case inputString = "input_string"
        /// A result or out value cannot become a Weft value: an unsigned 64-bit
        /// value above `Int64.max`, or a returned string that is not UTF-8.
        case result
    }

    public var kind: Kind
    /// The function's C signature, e.g. `uint8_t id(uint8_t x)`.
    public var function: String
    /// What was wrong and what to do, e.g. "input 'x' = 300 does not fit in
    /// uint8_t (0...255); pass a value in that range or declare a wider type".
    public var message: String

    public init(kind: Kind, function: String, message: String) {
        self.kind = kind
        self.function = function
        self.message = message
    }

    /// `<signature>: <message>`.
    public var description: String { "\(function): \(message)" }
}
