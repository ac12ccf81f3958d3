// FFIFunction's conversions between Weft values and C arguments and results, and its C-type helpers.

import CFFI
import WeftCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension FFIFunction {
    // MARK: Converting arguments

    /// Writes input `value` as C type `t` into `slot`.
    func store(_ value: WeftValue, as t: FFIScalar, name: String,
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
    func read(_ t: FFIScalar, at p: UnsafeMutableRawPointer, widened: Bool,
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

    func fail(_ kind: FFICallError.Kind, _ message: String) -> FFICallError {
        FFICallError(kind: kind, function: label, message: message)
    }

    func typeError(_ name: String, _ t: FFIScalar, _ value: WeftValue) -> FFICallError {
        let wanted = switch t {
        case .float, .double: "double or int"
        default: t.valueType.description
        }
        return fail(.inputType, "input '\(name)' (\(Self.cName(t))) must be \(wanted), got \(value.kind.description)")
    }

    /// `n` rounded up to a whole number of slots.
    static func rounded(_ n: Int) -> Int { (n + slot - 1) / slot * slot }

    /// The libffi type of `t` (a `const char *` is a pointer; `bool` is one
    /// byte, as C's `_Bool` on the supported ABIs).
    static func ffiType(_ t: FFIScalar) -> UnsafeMutablePointer<ffi_type>? {
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
