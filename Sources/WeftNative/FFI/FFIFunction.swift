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
    private let cif: UnsafeMutablePointer<ffi_cif>
    /// The C argument types `cif` points at (fixed address, owned).
    private let argTypes: UnsafeMutablePointer<UnsafeMutablePointer<ffi_type>?>
    private let function: @convention(c) () -> Void
    private let freeString: (@convention(c) (UnsafeMutableRawPointer?) -> Void)?
    /// How each parameter becomes C arguments, in C order.
    private let steps: [Step]
    /// When every parameter is a number or bool passed by value (no
    /// strings, buffers or out parameters) and the result is not a string:
    /// the C type of each argument, for the call path that builds no arrays.
    private let scalarArgs: [FFIScalar]?
    /// `signature.returnType`, kept apart so a call does not copy the signature.
    let returnType: FFIScalar
    private let argCount: Int
    private let outCount: Int
    private let inputCount: Int
    /// The signature as C text, for messages.
    private let label: String

    /// One parameter's C arguments.
    private enum Step {
        /// One argument taken from input `input`.
        case value(FFIScalar, input: Int, name: String)
        /// A pointer and a `size_t`, both from input `input`.
        case bytes(input: Int, name: String)
        /// A pointer to zeroed storage, read back into out value `out`.
        case out(FFIScalar, out: Int, name: String)
    }

    /// Bytes per argument slot, out slot and data alignment: every supported
    /// C type fits in 8 bytes.
    private static let slot = 8
    /// Bytes for the return value (libffi writes at least `ffi_arg`).
    private static let returnSlot = 16

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

    /// Calls the function with one value per `signature.inputs` port, in
    /// order; thread-safe, allocates only per-call temporaries.
    ///
    /// - Returns: `result` is nil for a `void` function, else the converted
    ///   return value (`.null` for a NULL string); `outs` holds one value per
    ///   out parameter, in order (together: `signature.outputNames`).
    /// - Throws: `.arity`, `.inputType`, `.inputRange`, `.inputString` before
    ///   the C function runs; `.result` after it when a value cannot be
    ///   represented (owned strings are freed first).
    public func call(_ inputs: [WeftValue]) throws(FFICallError) -> (result: WeftValue?, outs: [WeftValue]) {
        guard inputs.count == inputCount else {
            throw fail(.arity, "got \(inputs.count) input value\(inputs.count == 1 ? "" : "s") for \(inputCount) input port\(inputCount == 1 ? "" : "s"); pass one value per input, in order")
        }
        // Pass 1: the size of the copied strings and buffers.
        var dataSize = 0
        for step in steps {
            switch step {
            case .value(.cString, let i, let name):
                guard case .string(let s) = inputs[i] else { throw typeError(name, .cString, inputs[i]) }
                dataSize += Self.rounded(s.utf8.count + 1)
            case .bytes(let i, let name):
                guard case .bytes(let b) = inputs[i] else {
                    throw fail(.inputType, "input '\(name)' must be bytes, got \(inputs[i].kind.description)")
                }
                dataSize += Self.rounded(max(1, b.count))
            default:
                break
            }
        }
        let fixed = (2 * argCount + outCount) * Self.slot + Self.returnSlot
        return try withUnsafeTemporaryAllocation(byteCount: fixed + dataSize, alignment: 16) {
            (buffer: UnsafeMutableRawBufferPointer) throws(FFICallError) -> (result: WeftValue?, outs: [WeftValue]) in
            guard let base = buffer.baseAddress else { throw fail(.prepare, "no memory for the call's arguments") }
            UnsafeMutableRawBufferPointer(rebasing: buffer[0..<fixed]).initializeMemory(as: UInt8.self, repeating: 0)
            let values = base.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: max(1, argCount))
            let slots = base + argCount * Self.slot
            let outSlots = slots + argCount * Self.slot
            let returned = outSlots + outCount * Self.slot
            var data = returned + Self.returnSlot
            var arg = 0
            for step in steps {
                let slot = slots + arg * Self.slot
                switch step {
                case .value(.cString, let i, let name):
                    guard case .string(let s) = inputs[i] else { throw typeError(name, .cString, inputs[i]) }
                    var text = s
                    let hasNUL = text.withUTF8 { utf8 in
                        UnsafeMutableRawBufferPointer(start: data, count: utf8.count).copyMemory(from: UnsafeRawBufferPointer(utf8))
                        (data + utf8.count).storeBytes(of: 0, as: UInt8.self)
                        return utf8.contains(0)
                    }
                    guard !hasNUL else {
                        throw fail(.inputString, "input '\(name)' contains a NUL byte, which C would take as the end of the string; pass the data as bytes or remove the NUL")
                    }
                    slot.storeBytes(of: data, as: UnsafeMutableRawPointer.self)
                    data += Self.rounded(s.utf8.count + 1)
                    values[arg] = slot
                    arg += 1
                case .value(let t, let i, let name):
                    try store(inputs[i], as: t, name: name, at: slot)
                    values[arg] = slot
                    arg += 1
                case .bytes(let i, let name):
                    guard case .bytes(let b) = inputs[i] else {
                        throw fail(.inputType, "input '\(name)' must be bytes, got \(inputs[i].kind.description)")
                    }
                    b.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: data, count: $0.count).copyMemory(from: $0) }
                    slot.storeBytes(of: data, as: UnsafeMutableRawPointer.self)
                    (slot + Self.slot).storeBytes(of: UInt64(b.count), as: UInt64.self)
                    data += Self.rounded(max(1, b.count))
                    values[arg] = slot
                    values[arg + 1] = slot + Self.slot
                    arg += 2
                case .out(_, let o, _):
                    slot.storeBytes(of: outSlots + o * Self.slot, as: UnsafeMutableRawPointer.self)
                    values[arg] = slot
                    arg += 1
                }
            }

            ffi_call(cif, function, returned, values)

            // Read everything (freeing owned strings) before throwing.
            var firstError: FFICallError?
            var result: WeftValue?
            if signature.returnType != .void {
                switch read(signature.returnType, at: returned, widened: true, what: "the result") {
                case .success(let v): result = v
                case .failure(let e): firstError = e
                }
            }
            var outs: [WeftValue] = []
            outs.reserveCapacity(outCount)
            for case .out(let t, let o, let name) in steps {
                switch read(t, at: outSlots + o * Self.slot, widened: false, what: "out parameter '\(name)'") {
                case .success(let v): outs.append(v)
                case .failure(let e): if firstError == nil { firstError = e }
                }
            }
            if let firstError { throw firstError }
            return (result, outs)
        }
    }

    /// The call path of functions whose parameters are all numbers or bools
    /// by value and whose result is not a string (`double hypot(double,
    /// double)`): inputs straight from the node's input slots into a stack
    /// buffer, no arrays. Returns nil when the signature does not qualify
    /// (use `call`); otherwise the result as in `call` (`.null` for void).
    func callScalars(_ inputs: [WeftValue?]) throws(FFICallError) -> WeftValue? {
        guard let scalarArgs else { return nil }
        guard inputs.count == scalarArgs.count else {
            throw fail(.arity, "got \(inputs.count) input values for \(scalarArgs.count) input ports; pass one value per input, in order")
        }
        let count = scalarArgs.count
        return try withUnsafeTemporaryAllocation(byteCount: 2 * max(1, count) * Self.slot + Self.returnSlot, alignment: 16) {
            (buffer: UnsafeMutableRawBufferPointer) throws(FFICallError) -> WeftValue in
            guard let base = buffer.baseAddress else { throw fail(.prepare, "no memory for the call's arguments") }
            let values = base.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: max(1, count))
            let slots = base + max(1, count) * Self.slot
            let returned = slots + max(1, count) * Self.slot
            returned.storeBytes(of: 0, as: UInt64.self)
            (returned + 8).storeBytes(of: 0, as: UInt64.self)
            for a in 0..<count {
                let slot = slots + a * Self.slot
                slot.storeBytes(of: 0, as: UInt64.self)
                guard let v = inputs[a] else {
                    throw fail(.inputType, "input '\(inputName(a))' has no value")
                }
                // The common cases first, without a name in hand.
                switch (scalarArgs[a], v) {
                case (.double, .double(let d)): slot.storeBytes(of: d, as: Double.self)
                case (.double, .int(let i)): slot.storeBytes(of: Double(i), as: Double.self)
                case (.int64, .int(let i)): slot.storeBytes(of: i, as: Int64.self)
                default: try store(v, as: scalarArgs[a], name: inputName(a), at: slot)
                }
                values[a] = slot
            }
            ffi_call(cif, function, returned, values)
            switch returnType {
            case .void: return .null
            case .double: return .double(returned.load(as: Double.self))
            case .int64: return .int(returned.load(as: Int64.self))
            default: return try read(returnType, at: returned, widened: true, what: "the result").get()
            }
        }
    }

    /// The common case without `WeftValue`s at all: every argument a
    /// double or int64 read from the run's number frame (the C fast path's
    /// data), the double or int64 result written back into it. Returns
    /// false, having done nothing, when the signature or an input does not
    /// fit (the caller then takes `callScalars`).
    func callNumbers(_ f: UnsafeMutablePointer<weft_shim_frame_t>) -> Bool {
        guard let scalarArgs, returnType == .double || returnType == .int64 || returnType == .void else { return false }
        let count = scalarArgs.count
        guard count <= 8, Int(f.pointee.input_count) == count else { return false }
        if returnType != .void {
            guard f.pointee.output_count >= 1, f.pointee.outputs[0].taken == 0 else { return false }
            let accept = f.pointee.accept[0]
            let ok = returnType == .double ? accept & UInt8(WEFT_SHIM_ACCEPT_DOUBLE) != 0 : accept & UInt8(WEFT_SHIM_ACCEPT_INT) != 0
            guard ok else { return false }
        }
        return withUnsafeTemporaryAllocation(byteCount: (2 * 8 + 2) * 8, alignment: 16) { buffer -> Bool in
            let base = buffer.baseAddress!
            let values = base.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: 8)
            let slots = base + 8 * 8
            let returned = slots + 8 * 8
            returned.storeBytes(of: 0, as: UInt64.self)
            (returned + 8).storeBytes(of: 0, as: UInt64.self)
            for a in 0..<count {
                let n = f.pointee.inputs[a]
                let slot = slots + a * 8
                switch (scalarArgs[a], n.kind) {
                case (.double, Int32(WEFT_SHIM_DOUBLE)), (.int64, Int32(WEFT_SHIM_INT)): slot.storeBytes(of: n.bits, as: Int64.self)
                case (.double, Int32(WEFT_SHIM_INT)): slot.storeBytes(of: Double(n.bits), as: Double.self)
                default: return false
                }
                values[a] = slot
            }
            ffi_call(cif, function, returned, values)
            if returnType != .void {
                f.pointee.outputs[0] = weft_shim_number_t(
                    bits: returned.load(as: Int64.self),
                    kind: returnType == .double ? Int32(WEFT_SHIM_DOUBLE) : Int32(WEFT_SHIM_INT), taken: 1)
            }
            return true
        }
    }

    private func inputName(_ input: Int) -> String {
        for case .value(_, let i, let name) in steps where i == input { return name }
        return "#\(input)"
    }

    // MARK: Converting arguments

    /// Writes input `value` as C type `t` into `slot`.
    private func store(_ value: WeftValue, as t: FFIScalar, name: String,
                       at slot: UnsafeMutableRawPointer) throws(FFICallError) {
        switch t {
        case .bool:
            guard case .bool(let b) = value else { throw typeError(name, t, value) }
            slot.storeBytes(of: b ? 1 : 0, as: UInt8.self)
        case .int8: slot.storeBytes(of: try fit(value, Int8.self, t, name), as: Int8.self)
        case .int16: slot.storeBytes(of: try fit(value, Int16.self, t, name), as: Int16.self)
        case .int32: slot.storeBytes(of: try fit(value, Int32.self, t, name), as: Int32.self)
        case .int64: slot.storeBytes(of: try fit(value, Int64.self, t, name), as: Int64.self)
        case .uint8: slot.storeBytes(of: try fit(value, UInt8.self, t, name), as: UInt8.self)
        case .uint16: slot.storeBytes(of: try fit(value, UInt16.self, t, name), as: UInt16.self)
        case .uint32: slot.storeBytes(of: try fit(value, UInt32.self, t, name), as: UInt32.self)
        case .uint64, .size: slot.storeBytes(of: try fit(value, UInt64.self, t, name), as: UInt64.self)
        case .double:
            slot.storeBytes(of: try number(value, t, name), as: Double.self)
        case .float:
            let d = try number(value, t, name)
            let f = Float(d)
            guard f.isFinite || !d.isFinite else {
                throw fail(.inputRange, "input '\(name)' = \(d) is beyond float's range (±\(Float.greatestFiniteMagnitude)); pass a smaller value or declare the parameter double")
            }
            slot.storeBytes(of: f, as: Float.self)
        case .void, .cString:
            // Rejected in init / handled by the caller.
            throw typeError(name, t, value)
        }
    }

    /// `value` as integer type `T`, or a range or type error naming `name`.
    private func fit<T: FixedWidthInteger>(_ value: WeftValue, _: T.Type, _ t: FFIScalar,
                                           _ name: String) throws(FFICallError) -> T {
        guard case .int(let v) = value else { throw typeError(name, t, value) }
        guard let x = T(exactly: v) else {
            throw fail(.inputRange, "input '\(name)' = \(v) does not fit in \(Self.cName(t)) (\(T.min)...\(T.max)); pass a value in that range or declare a wider type")
        }
        return x
    }

    /// `value` (a double or an int) as a double.
    private func number(_ value: WeftValue, _ t: FFIScalar, _ name: String) throws(FFICallError) -> Double {
        switch value {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: throw typeError(name, t, value)
        }
    }

    // MARK: Converting results

    /// The value of C type `t` at `p`. A return value is `widened`: libffi
    /// stores integers narrower than `ffi_arg` as a whole `ffi_arg`.
    /// Frees an owned string once it has been copied.
    private func read(_ t: FFIScalar, at p: UnsafeMutableRawPointer, widened: Bool,
                      what: String) -> Result<WeftValue, FFICallError> {
        func integer<T: FixedWidthInteger>(_: T.Type) -> T {
            widened ? T(truncatingIfNeeded: p.load(as: UInt64.self)) : p.load(as: T.self)
        }
        switch t {
        case .void: return .success(.null)
        case .bool: return .success(.bool(integer(UInt8.self) != 0))
        case .int8: return .success(.int(Int64(integer(Int8.self))))
        case .int16: return .success(.int(Int64(integer(Int16.self))))
        case .int32: return .success(.int(Int64(integer(Int32.self))))
        case .int64: return .success(.int(integer(Int64.self)))
        case .uint8: return .success(.int(Int64(integer(UInt8.self))))
        case .uint16: return .success(.int(Int64(integer(UInt16.self))))
        case .uint32: return .success(.int(Int64(integer(UInt32.self))))
        case .uint64, .size:
            let v = integer(UInt64.self)
            guard let i = Int64(exactly: v) else {
                return .failure(fail(.result, "\(what) is \(v), above the largest Weft int (\(Int64.max)); declare it int64_t to receive the same bits as a negative int"))
            }
            return .success(.int(i))
        case .float: return .success(.double(Double(p.load(as: Float.self))))
        case .double: return .success(.double(p.load(as: Double.self)))
        case .cString:
            guard let s = p.load(as: UnsafeMutablePointer<CChar>?.self) else { return .success(.null) }
            defer { freeString?(UnsafeMutableRawPointer(s)) }
            if let text = String(validatingCString: s) { return .success(.string(text)) }
            let bytes = UnsafeRawBufferPointer(start: s, count: strlen(s))
            let shown = bytes.prefix(32).map { String($0, radix: 16, uppercase: true) }.joined(separator: " ")
            return .failure(fail(.result, "\(what) is not valid UTF-8 (\(bytes.count) bytes: \(shown)\(bytes.count > 32 ? " …" : "")); return UTF-8 text, or pass the data as bytes"))
        }
    }

    // MARK: Helpers

    private func fail(_ kind: FFICallError.Kind, _ message: String) -> FFICallError {
        FFICallError(kind: kind, function: label, message: message)
    }

    private func typeError(_ name: String, _ t: FFIScalar, _ value: WeftValue) -> FFICallError {
        let wanted = switch t {
        case .float, .double: "double or int"
        default: t.valueType.description
        }
        return fail(.inputType, "input '\(name)' (\(Self.cName(t))) must be \(wanted), got \(value.kind.description)")
    }

    /// `n` rounded up to a whole number of slots.
    private static func rounded(_ n: Int) -> Int { (n + slot - 1) / slot * slot }

    /// The libffi type of `t` (a `const char *` is a pointer; `bool` is one
    /// byte, as C's `_Bool` on the supported ABIs).
    private static func ffiType(_ t: FFIScalar) -> UnsafeMutablePointer<ffi_type>? {
        switch t {
        case .void: cffi_type_void()
        case .bool, .uint8: cffi_type_uint8()
        case .int8: cffi_type_sint8()
        case .int16: cffi_type_sint16()
        case .int32: cffi_type_sint32()
        case .int64: cffi_type_sint64()
        case .uint16: cffi_type_uint16()
        case .uint32: cffi_type_uint32()
        case .uint64, .size: cffi_type_uint64()
        case .float: cffi_type_float()
        case .double: cffi_type_double()
        case .cString: cffi_type_pointer()
        }
    }

    /// The name of an `ffi_status` value.
    static func statusName(_ raw: UInt32) -> String {
        switch raw {
        case FFI_OK.rawValue: "FFI_OK"
        case FFI_BAD_TYPEDEF.rawValue: "FFI_BAD_TYPEDEF"
        case FFI_BAD_ABI.rawValue: "FFI_BAD_ABI"
        case FFI_BAD_ARGTYPE.rawValue: "FFI_BAD_ARGTYPE"
        default: "ffi_status \(raw)"
        }
    }

    /// The C spelling of `t`.
    private static func cName(_ t: FFIScalar) -> String {
        switch t {
        case .void, .bool, .float, .double: t.rawValue
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64: t.rawValue + "_t"
        case .size: "size_t"
        case .cString: "const char *"
        }
    }

    /// `signature` as C text, e.g. `void divmod(int64_t a, int64_t b, int64_t *q, int64_t *r)`.
    static func text(of signature: FFISignature) -> String {
        func typed(_ type: String, _ name: String) -> String {
            type.hasSuffix("*") ? type + name : type + " " + name
        }
        let params = signature.parameters.map { p -> String in
            switch p.kind {
            case .value(let t): typed(cName(t), p.name)
            case .out(let t): typed(cName(t) + (t == .cString ? "*" : " *"), p.name)
            case .bytes: "const void *\(p.name), size_t \(p.name)_size"
            }
        }
        let ret = cName(signature.returnType)
        let head = signature.name.map { typed(ret, $0) } ?? ret
        return "\(head)(\(params.isEmpty ? "void" : params.joined(separator: ", ")))"
    }
}
