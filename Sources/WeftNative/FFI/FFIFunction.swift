import CFFI
import CWeftShims
import WeftCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A C function bound through libffi: its call interface is prepared once
/// and owned by this object; `call` is thread-safe and may run on any number
/// of threads at once. It does not own the function's library.
///
/// The `ffi_cif` and its argument-type array live at fixed heap addresses for
/// the object's lifetime (freed in `deinit`); a call only reads them, and
/// everything a call writes (arguments, out storage, the result) lives in a
/// temporary allocation of that call, so nothing leaks and nothing is shared.
/// The caller must keep the library holding `pointer` open while this
/// object can be called.
///
/// ```swift
/// let hypot = try FFIFunction(pointer: sym, signature: FFISignature(
///     returnType: .double, name: "hypot",
///     parameters: [FFIParameter(name: "x", kind: .value(.double), column: 13),
///                  FFIParameter(name: "y", kind: .value(.double), column: 23)]))
/// let (result, _) = try hypot.call([3.0, 4.0])   // result == .double(5)
/// ```
///
/// Conversions (Weft value → C argument, C result → Weft value):
/// - `bool`: `.bool` only; passed as a byte 0 or 1 (C `_Bool`).
/// - Integers (`int8`…`int64`, `uint8`…`uint64`, `size`): `.int` only, range
///   checked — a value that does not fit (`300` into `uint8_t`, `-1` into any
///   unsigned type) throws `.inputRange` naming the parameter; nothing wraps.
///   Weft ints are `Int64`, so `uint64_t`/`size_t` inputs above `Int64.max`
///   cannot be passed. A returned or out `uint64_t`/`size_t` above
///   `Int64.max` throws `.result` (naming the function and the value) rather
///   than wrapping to a negative int; declare it `int64_t` to receive the bit
///   pattern instead.
/// - `float`/`double`: `.double` or `.int`. An int becomes the nearest double
///   (exact up to 2^53). A `float` argument is the nearest float (rounding,
///   tiny values may become 0 or denormal); a finite value beyond `float`'s
///   range throws `.inputRange` instead of becoming infinity. NaN, ±infinity
///   and -0.0 pass through. A returned `float` widens to double exactly.
/// - `const char *` input: `.string`, passed as a NUL-terminated UTF-8 copy
///   valid only during the call; a string containing NUL throws
///   `.inputString`.
/// - bytes (`const void *p, size_t n`): `.bytes`, passed as a copy valid only
///   during the call; the pointer is never NULL, even for an empty buffer.
/// - Returned `const char *` (and `char **` out values): NULL → `.null`;
///   otherwise copied into `.string`; text that is not UTF-8 throws
///   `.result`. With `freeString` nil the string is borrowed and never freed;
///   with `freeString` set it is owned: after copying, `freeString` is called
///   exactly once on each non-NULL returned pointer, even when the text is
///   invalid or another result throws.
/// - Out parameters (`T *`): zeroed `T` storage per call, read back after it.
public final class FFIFunction: @unchecked Sendable {
    // @unchecked: the stored pointers are written only in `init` and freed in
    // `deinit`; `call` only reads them (libffi allows concurrent `ffi_call`
    // on one prepared cif).

    /// The signature this function was prepared for.
    public let signature: FFISignature

    /// The prepared call interface (fixed address, owned).
    let cif: UnsafeMutablePointer<ffi_cif>
    /// The C argument types `cif` points at (fixed address, owned).
    private let argTypes: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>
    let function: @convention(c) () -> Void
    let freeString: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?
    /// How each parameter becomes C arguments, in C order.
    let steps: [Step]
    /// When every parameter is a number or bool passed by value (no
    /// strings, buffers or out parameters) and the result is not a string:
    /// the C type of each argument, for the call path that builds no arrays.
    let scalarArgs: [FFIScalar]?
    /// `signature.returnType`, kept apart so a call does not copy the signature.
    let returnType: FFIScalar
    let argCount: Int
    let outCount: Int
    let inputCount: Int
    /// The signature as C text, for messages.
    let label: String

    /// One parameter's C arguments.
    enum Step {
        /// One argument taken from input `input`.
        case value(FFIScalar, input: Int, name: String)
        /// A pointer and a `size_t`, both from input `input`.
        case bytes(input: Int, name: String)
        /// A pointer to zeroed storage, read back into out value `out`.
        case out(FFIScalar, out: Int, name: String)
    }

    /// Bytes per argument slot, out slot and data alignment: every supported
    /// C type fits in 8 bytes.
    static let slot = 8
    /// Bytes for the return value (libffi writes at least `ffi_arg`).
    static let returnSlot = 16

    /// Prepares a call interface for the C function at `pointer` with
    /// `signature`; the object owns the interface, not the library.
    ///
    /// - Parameters:
    ///   - pointer: the function's address (from `dlsym`); its library must
    ///     stay open while this object is used.
    ///   - signature: the C signature. `.value` parameters are one argument
    ///     each (`const char *` for `.cString`), `.out(T)` a `T *`, `.bytes`
    ///     a pointer and a `size_t`.
    ///   - freeString: for functions returning `const char *` (or with
    ///     `char **` out parameters): nil means returned strings are borrowed
    ///     (copied, never freed); otherwise a `void free_fn(void *)` the
    ///     returned strings are owned by and passed to once copied. Ignored
    ///     when the function returns no string.
    /// - Throws: `.prepare` for a `void` parameter or when `ffi_prep_cif`
    ///   fails (the message names the `ffi_status`).
    public convenience init(pointer: UnsafeRawPointer, signature: FFISignature,
                            freeString: UnsafeRawPointer? = nil) throws(FFICallError) {
        try self.init(pointer: pointer, signature: signature, freeString: freeString, abi: FFI_DEFAULT_ABI)
    }

    /// Prepares with an explicit ABI (tests use a bad one to check errors).
    init(pointer: UnsafeRawPointer, signature: FFISignature, freeString: UnsafeRawPointer?,
         abi: ffi_abi) throws(FFICallError) {
        let label = Self.text(of: signature)
        var types: [UnsafeMutablePointer<ffi_type>?] = []
        var steps: [Step] = []
        var inputs = 0, outs = 0
        for p in signature.parameters {
            switch p.kind {
            case .value(let t):
                guard t != .void else {
                    throw FFICallError(kind: .prepare, function: label, message:
                        "parameter '\(p.name)' has type void; write a function without parameters as '()' or '(void)'")
                }
                types.append(Self.ffiType(t))
                steps.append(.value(t, input: inputs, name: p.name))
                inputs += 1
            case .bytes:
                types.append(cffi_type_pointer())
                types.append(cffi_type_uint64())
                steps.append(.bytes(input: inputs, name: p.name))
                inputs += 1
            case .out(let t):
                guard t != .void else {
                    throw FFICallError(kind: .prepare, function: label, message:
                        "out parameter '\(p.name)' points to void; give it a scalar type such as int64_t *")
                }
                types.append(cffi_type_pointer())
                steps.append(.out(t, out: outs, name: p.name))
                outs += 1
            }
        }

        let cif = UnsafeMutablePointer<ffi_cif>.allocate(capacity: 1)
        cif.initialize(to: ffi_cif())
        let argTypes = UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>.allocate(capacity: max(1, types.count))
        argTypes.initialize(repeating: nil, count: max(1, types.count))
        for (i, t) in types.enumerated() { argTypes[i] = t }
        let status = ffi_prep_cif(cif, abi, UInt32(types.count), Self.ffiType(signature.returnType), argTypes)
        guard status == FFI_OK else {
            argTypes.deinitialize(count: max(1, types.count))
            argTypes.deallocate()
            cif.deinitialize(count: 1)
            cif.deallocate()
            throw FFICallError(kind: .prepare, function: label, message:
                "ffi_prep_cif failed with \(Self.statusName(status.rawValue)); check the signature's types")
        }

        self.signature = signature
        self.cif = cif
        self.argTypes = argTypes
        self.function = unsafeBitCast(pointer, to: (@convention(c) () -> Void).self)
        self.freeString = freeString.map { unsafeBitCast($0, to: (@convention(c) (UnsafeMutableRawPointer?) -> Void).self) }
        self.steps = steps
        var scalars: [FFIScalar]? = []
        for step in steps {
            if case .value(let t, _, _) = step, t != .cString { scalars?.append(t) } else { scalars = nil }
        }
        self.scalarArgs = signature.returnType == .cString ? nil : scalars
        self.returnType = signature.returnType
        self.argCount = types.count
        self.outCount = outs
        self.inputCount = inputs
        self.label = label
    }

    deinit {
        argTypes.deinitialize(count: max(1, argCount))
        argTypes.deallocate()
        cif.deinitialize(count: 1)
        cif.deallocate()
    }
}
