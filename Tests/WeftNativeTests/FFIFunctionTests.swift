import CFFI
import Foundation
import Testing
import WeftCore
import WeftTestSupport
@testable import WeftNative
#if canImport(Glibc)
import Glibc
#endif

/// Calls the C functions of `Tests/Fixtures/ffi/ffitest.c` (built with `cc`
/// once per process), libm and libc through `FFIFunction`, checking every
/// scalar type at its limits, range errors, out parameters, strings with both
/// ownership rules, bytes, many-argument calls and concurrent calls.
@Suite("FFI function")
struct FFIFunctionTests {
    // MARK: Fixture library

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
    }

    /// A `dlopen` handle kept for the whole process (never closed).
    struct Handle: @unchecked Sendable { let raw: UnsafeMutableRawPointer }

    /// Compiles ffitest.c into a scratch folder and opens it; once per process.
    static let fixture: Result<Handle, FixtureError> = {
        do {
            let folder = try TestPaths.scratch("ffi")
            let out = "\(folder)/libffitest.so"
            let src = "\(TestPaths.repoRoot)/Tests/Fixtures/ffi/ffitest.c"
            let r = try Shell.run("/usr/bin/env", ["cc", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared",
                                                   "-fPIC", src, "-o", out])
            guard r.status == 0 else { return .failure(FixtureError(description: "cc ffitest.c failed:\n\(r.stderr)")) }
            return openLibrary(out)
        } catch {
            return .failure(FixtureError(description: "cannot build ffitest.c: \(error)"))
        }
    }()

    static let libm = openLibrary("libm.so.6")
    static let libc = openLibrary("libc.so.6")

    static func openLibrary(_ path: String) -> Result<Handle, FixtureError> {
        guard let h = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            return .failure(FixtureError(description: "dlopen \(path): \(dlerror().map { String(cString: $0) } ?? "no dlerror text")"))
        }
        return .success(Handle(raw: h))
    }

    func symbol(_ name: String, in lib: Result<Handle, FixtureError> = fixture) throws -> UnsafeRawPointer {
        let h = try lib.get()
        return UnsafeRawPointer(try #require(dlsym(h.raw, name), "dlsym \(name)"))
    }

    /// Binds `name` from `lib` with the given return type and parameters.
    func bind(_ name: String, _ returnType: FFIScalar, _ params: [(String, FFIParameter.Kind)] = [],
              freeString: String? = nil, in lib: Result<Handle, FixtureError> = fixture) throws -> FFIFunction {
        let signature = FFISignature(returnType: returnType, name: name, parameters: params.enumerated().map {
            FFIParameter(name: $0.element.0, kind: $0.element.1, column: $0.offset + 1)
        })
        let free = try freeString.map { try symbol($0, in: lib) }
        return try FFIFunction(pointer: try symbol(name, in: lib), signature: signature, freeString: free)
    }

    /// The identity function for `t`: `t fx_id_<t>(t x)`.
    func identity(_ t: FFIScalar) throws -> FFIFunction {
        try bind("fx_id_\(t.rawValue)", t, [("x", .value(t))])
    }

    /// The result of a call that must succeed and return a value.
    func result(_ f: FFIFunction, _ inputs: [WeftValue]) throws -> WeftValue {
        try #require(try f.call(inputs).result)
    }

    /// The error of a call that must fail.
    func failure(_ f: FFIFunction, _ inputs: [WeftValue]) -> FFICallError? {
        do {
            _ = try f.call(inputs)
            return nil
        } catch {
            return error
        }
    }

    func double(_ v: WeftValue?) -> Double? {
        if case .double(let d) = v { return d }
        return nil
    }

    // MARK: Integers

    static let limits: [(FFIScalar, [Int64])] = [
        (.int8, [Int64(Int8.min), -1, 0, 1, Int64(Int8.max)]),
        (.int16, [Int64(Int16.min), -1, 0, Int64(Int16.max)]),
        (.int32, [Int64(Int32.min), -1, 0, Int64(Int32.max)]),
        (.int64, [Int64.min, -1, 0, Int64.max]),
        (.uint8, [0, 1, 128, Int64(UInt8.max)]),
        (.uint16, [0, 32768, Int64(UInt16.max)]),
        (.uint32, [0, 1 << 31, Int64(UInt32.max)]),
        (.uint64, [0, 1, Int64.max]),
        (.size, [0, 1, Int64.max]),
    ]

    @Test(arguments: limits)
    func integersRoundTripAtTheirLimits(type: FFIScalar, values: [Int64]) throws {
        let f = try identity(type)
        for v in values {
            #expect(try result(f, [.int(v)]) == .int(v), "\(type) \(v)")
        }
    }

    static let outOfRange: [(FFIScalar, Int64, String)] = [
        (.int8, Int64(Int8.max) + 1, "-128...127"), (.int8, Int64(Int8.min) - 1, "-128...127"),
        (.int16, 40_000, "-32768...32767"), (.int32, 1 << 31, "-2147483648...2147483647"),
        (.int32, -(1 << 31) - 1, "-2147483648...2147483647"),
        (.uint8, 300, "0...255"), (.uint8, -1, "0...255"), (.uint16, 65_536, "0...65535"),
        (.uint32, 1 << 32, "0...4294967295"), (.uint32, -1, "0...4294967295"),
        (.uint64, -1, "0...18446744073709551615"), (.uint64, Int64.min, "0...18446744073709551615"),
        (.size, -1, "0...18446744073709551615"),
    ]

    @Test(arguments: outOfRange)
    func narrowingOutOfRangeThrowsNamingTheParameter(type: FFIScalar, value: Int64, range: String) throws {
        let e = try #require(failure(try identity(type), [.int(value)]))
        #expect(e.kind == .inputRange)
        #expect(e.function.contains("fx_id_\(type.rawValue)"))
        #expect(e.message.contains("input 'x' = \(value) does not fit"))
        #expect(e.message.contains("(\(range))"))
    }

    @Test func rangeErrorMessageIsActionable() throws {
        let e = try #require(failure(try identity(.uint8), [300]))
        #expect(e.description == "uint8_t fx_id_uint8(uint8_t x): input 'x' = 300 does not fit in uint8_t (0...255); pass a value in that range or declare a wider type")
    }

    @Test func narrowIntegersAreExtendedCorrectly() throws {
        #expect(try result(try bind("fx_widen_int8", .int64, [("x", .value(.int8))]), [-128]) == -128)
        #expect(try result(try bind("fx_widen_int8", .int64, [("x", .value(.int8))]), [-1]) == -1)
        #expect(try result(try bind("fx_widen_uint16", .uint64, [("x", .value(.uint16))]), [65535]) == 65535)
        #expect(try result(try bind("fx_minus_one_int8", .int8), []) == -1)
        #expect(try result(try bind("fx_ff_uint8", .uint8), []) == 255)
    }

    @Test func unsignedResultsAboveInt64MaxThrowRatherThanWrap() throws {
        for (name, type, value) in [("fx_uint64_max", FFIScalar.uint64, "18446744073709551615"),
                                    ("fx_uint64_above_int64", .uint64, "9223372036854775808"),
                                    ("fx_size_max", .size, "18446744073709551615")] {
            let e = try #require(failure(try bind(name, type), []))
            #expect(e.kind == .result)
            #expect(e.function.contains(name))
            #expect(e.message.contains("the result is \(value), above the largest Weft int"))
            #expect(e.message.contains("declare it int64_t"))
        }
        // Declared int64_t, the same bits arrive as a negative int.
        #expect(try result(try bind("fx_uint64_max", .int64), []) == -1)
        #expect(try result(try bind("fx_uint64_above_int64", .int64), []) == .int(Int64.min))
    }

    @Test func integerParametersTakeOnlyInts() throws {
        let e = try #require(failure(try identity(.int32), [.double(1)]))
        #expect(e.kind == .inputType)
        #expect(e.message == "input 'x' (int32_t) must be int, got double")
        #expect(failure(try identity(.int64), ["1"])?.kind == .inputType)
        #expect(failure(try identity(.uint8), [true])?.kind == .inputType)
        #expect(failure(try identity(.size), [.null])?.kind == .inputType)
    }

    // MARK: Bool

    @Test func boolRoundTripsAndIsPassedAsZeroOrOne() throws {
        let id = try identity(.bool)
        #expect(try result(id, [true]) == true)
        #expect(try result(id, [false]) == false)
        let not = try bind("fx_not_bool", .int32, [("x", .value(.bool))])
        #expect(try result(not, [true]) == 0)
        #expect(try result(not, [false]) == 1)
        let e = try #require(failure(id, [1]))
        #expect(e.kind == .inputType)
        #expect(e.message == "input 'x' (bool) must be bool, got int")
    }

    // MARK: Floating point

    @Test func doublesRoundTripIncludingSpecialValues() throws {
        let id = try identity(.double)
        for v in [0.0, 1.5, -2.25, Double.greatestFiniteMagnitude, -Double.greatestFiniteMagnitude,
                  Double.leastNormalMagnitude, Double.leastNormalMagnitude.nextDown, Double.leastNonzeroMagnitude, .infinity, -.infinity, .pi] {
            #expect(try result(id, [.double(v)]) == .double(v), "\(v)")
        }
        let nan = try #require(double(try id.call([.double(.nan)]).result))
        #expect(nan.isNaN)
        let negativeZero = try #require(double(try id.call([.double(-0.0)]).result))
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        // 5e-324, the smallest denormal, keeps its exact bits.
        let tiny = try #require(double(try id.call([.double(Double(bitPattern: 1))]).result))
        #expect(tiny.bitPattern == 1 && tiny.description == "5e-324")
    }

    @Test func doublesAcceptIntsAsTheNearestDouble() throws {
        let id = try identity(.double)
        #expect(try result(id, [3]) == 3.0)
        #expect(try result(id, [.int(Int64.max)]) == .double(9_223_372_036_854_775_808.0))
        #expect(try result(id, [.int((1 << 53) + 1)]) == .double(9_007_199_254_740_992.0))
        let e = try #require(failure(id, ["3"]))
        #expect(e.message == "input 'x' (double) must be double or int, got string")
    }

    @Test func floatsRoundToTheNearestFloat() throws {
        let id = try identity(.float)
        for v in [0.0, 0.5, -2.25, Double(Float.greatestFiniteMagnitude), -Double(Float.greatestFiniteMagnitude),
                  Double(Float.leastNonzeroMagnitude), Double(Float.leastNormalMagnitude), .infinity, -.infinity] {
            #expect(try result(id, [.double(v)]) == .double(v), "\(v)")
        }
        #expect(try result(id, [0.1]) == .double(Double(Float(0.1))))
        #expect(try result(id, [.int(16_777_217)]) == .double(16_777_216))
        // Below the smallest float denormal: rounds to zero, keeping the sign.
        #expect(try result(id, [.double(Double(bitPattern: 1))]) == 0.0)
        let belowZero = try #require(double(try id.call([.double(-Double(bitPattern: 1))]).result))
        #expect(belowZero == 0 && belowZero.sign == .minus)
        let negativeZero = try #require(double(try id.call([.double(-0.0)]).result))
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        let nan = try #require(double(try id.call([.double(.nan)]).result))
        #expect(nan.isNaN)
    }

    @Test func finiteValuesBeyondFloatRangeThrow() throws {
        let id = try identity(.float)
        for v in [1e300, -1e39, Double.greatestFiniteMagnitude] {
            let e = try #require(failure(id, [.double(v)]), "\(v)")
            #expect(e.kind == .inputRange)
            #expect(e.message.contains("input 'x' = \(v) is beyond float's range"))
            #expect(e.message.contains("declare the parameter double"))
        }
    }

    // MARK: Out parameters

    @Test func outParametersComeBackInOrder() throws {
        let divmod = try bind("fx_divmod", .void, [("a", .value(.int64)), ("b", .value(.int64)),
                                                  ("q", .out(.int64)), ("r", .out(.int64))])
        #expect(divmod.signature.outputNames == ["q", "r"])
        let r1 = try divmod.call([17, 5])
        #expect(r1.result == nil)
        #expect(r1.outs == [3, 2])
        #expect(try divmod.call([-17, 5]).outs == [-3, -2])
        #expect(try divmod.call([.int(Int64.max), 1]).outs == [.int(Int64.max), 0])
    }

    @Test func outStorageStartsZeroed() throws {
        let f = try bind("fx_leave_outs", .void, [("a", .out(.int32)), ("b", .out(.double)), ("c", .out(.bool))])
        for _ in 0..<3 {
            #expect(try f.call([]).outs == [0, 0.0, false])
        }
    }

    @Test func outParametersOfEveryWidth() throws {
        let f = try bind("fx_outs_mixed", .int32, [("seed", .value(.int8)), ("i8", .out(.int8)), ("u16", .out(.uint16)),
                                                   ("f", .out(.float)), ("b", .out(.bool)), ("u64", .out(.uint64))])
        let r = try f.call([-5])
        #expect(r.result == 7)
        #expect(r.outs == [-5, 65535, 0.5, true, .int(12_345_678_901_234_567)])
        #expect(try f.call([100]).outs == [100, 65535, 0.5, false, .int(12_345_678_901_234_567)])
    }

    // MARK: Strings

    @Test func stringsGoInAsNulTerminatedCopies() throws {
        let count = try bind("fx_count_a", .size, [("s", .value(.cString))])
        #expect(try result(count, ["banana"]) == 3)
        #expect(try result(count, [""]) == 0)
        #expect(try result(count, ["añaña"]) == 3)
        let length = try bind("fx_strlen_or_max", .size, [("s", .value(.cString))])
        #expect(try result(length, [""]) == 0)
        #expect(try result(length, ["héllo"]) == 6)
        let long = String(repeating: "abc", count: 100_000)
        #expect(try result(length, [.string(long)]) == 300_000)
        #expect(try result(count, [.string(long)]) == 100_000)
    }

    @Test func stringWithNulThrows() throws {
        let count = try bind("fx_count_a", .size, [("s", .value(.cString))])
        let e = try #require(failure(count, ["a\u{0}a"]))
        #expect(e.kind == .inputString)
        #expect(e.message.contains("input 's' contains a NUL byte"))
        #expect(failure(count, [.bytes([97])])?.kind == .inputType)
    }

    @Test func borrowedStringsAreCopiedAndNullBecomesNull() throws {
        let s = try bind("fx_static_string", .cString)
        #expect(try result(s, []) == "borrowed héllo")
        #expect(try result(s, []) == "borrowed héllo")
        #expect(try result(try bind("fx_null_string", .cString), []) == .null)
    }

    @Test func invalidUTF8ResultThrowsNamingTheFunction() throws {
        let e = try #require(failure(try bind("fx_invalid_utf8", .cString), []))
        #expect(e.kind == .result)
        #expect(e.function == "const char *fx_invalid_utf8(void)")
        #expect(e.message.contains("the result is not valid UTF-8 (11 bytes: 62 61 64 20 FF FE 20 75 74 66 38)"))
    }

    /// The only test that calls `fx_free`, so the count it reads is its own.
    @Test func ownedStringsAreFreedExactlyOncePerCall() throws {
        let count = try bind("fx_free_count", .int64)
        func frees() throws -> Int64 {
            guard case .int(let n) = try result(count, []) else { throw FixtureError(description: "fx_free_count") }
            return n
        }
        let concat = try bind("fx_owned_concat", .cString, [("s", .value(.cString)), ("n", .value(.int32))],
                              freeString: "fx_free")
        let start = try frees()
        #expect(try result(concat, ["ab", -42]) == "ab#-42")
        #expect(try frees() == start + 1)
        for i in 0..<100 {
            #expect(try result(concat, ["x", .int(Int64(i))]) == .string("x#\(i)"))
        }
        #expect(try frees() == start + 101)

        // Invalid UTF-8: still freed, once.
        let invalid = try bind("fx_owned_invalid", .cString, freeString: "fx_free")
        #expect(failure(invalid, [])?.kind == .result)
        #expect(try frees() == start + 102)

        // NULL: nothing to free.
        let null = try bind("fx_owned_null", .cString, freeString: "fx_free")
        #expect(try result(null, []) == .null)
        #expect(try frees() == start + 102)

        // A borrowed string is never freed.
        #expect(try result(try bind("fx_static_string", .cString), []) == "borrowed héllo")
        #expect(try frees() == start + 102)

        // Errors before the call free nothing (nothing was returned).
        #expect(failure(concat, ["ab", .int(1 << 40)])?.kind == .inputRange)
        #expect(try frees() == start + 102)
    }

    // MARK: Bytes

    @Test func bytesPassPointerAndCount() throws {
        let sum = try bind("fx_sum_bytes", .uint32, [("p", .bytes)])
        #expect(try result(sum, [.bytes([1, 2, 3])]) == 6)
        #expect(try result(sum, [.bytes([])]) == 0)
        #expect(try result(sum, [.bytes([255])]) == 255)
        let large = [UInt8](repeating: 0xFF, count: 1 << 20)
        #expect(try result(sum, [.bytes(large)]) == .int(255 << 20))
        let ramp = (0..<100_003).map { UInt8(truncatingIfNeeded: $0) }
        #expect(try result(sum, [.bytes(ramp)]) == .int(Int64(ramp.reduce(0) { $0 + Int($1) })))
        #expect(failure(sum, ["abc"])?.message == "input 'p' must be bytes, got string")
    }

    @Test func emptyBytesStillPassANonNullPointer() throws {
        let f = try bind("fx_bytes_nonnull", .bool, [("p", .bytes)])
        #expect(try result(f, [.bytes([])]) == true)
        #expect(try result(f, [.bytes([0])]) == true)
    }

    @Test func bytesBetweenOtherArguments() throws {
        let f = try bind("fx_bytes_between", .int64, [("a", .value(.int32)), ("p", .bytes), ("b", .value(.int32))])
        #expect(try result(f, [7, .bytes([1, 2]), 9]) == 7012)
        #expect(try result(f, [-1, .bytes([]), -1]) == -1001)
    }

    // MARK: Many arguments

    @Test func manyMixedArgumentsUseRegistersAndStack() throws {
        let kinds: [FFIScalar] = [.double, .int64, .double, .int32, .double, .int16, .double, .int8,
                                  .double, .uint64, .double, .uint32, .double, .uint16, .double, .uint8]
        let f = try bind("fx_mix16", .double, kinds.enumerated().map { ("p\($0.offset)", .value($0.element)) })
        let doubles = [1.5, -2.0, 3.25, 4.0, -5.5, 6.0, 7.75, 8.0]
        let ints: [Int64] = [-1_000_000_007, -70_000, -300, -100, 9_000_000_000, 4_000_000_000, 65_535, 255]
        var inputs: [WeftValue] = []
        for i in 0..<8 { inputs += [.double(doubles[i]), .int(ints[i])] }
        var expected = 0.0
        for i in 0..<8 { expected += doubles[i] * Double(i + 1) }
        for i in 0..<8 { expected += Double(ints[i]) * Double((i + 1) * 10) }
        #expect(try result(f, inputs) == .double(expected))

        // A narrowing error names the parameter deep in the list.
        var bad = inputs
        bad[15] = 256
        #expect(failure(f, bad)?.message.contains("input 'p15' = 256 does not fit in uint8_t") == true)
    }

    @Test func twentyOneArgumentsWithAFloatOnTheStack() throws {
        let params: [(String, FFIParameter.Kind)] = (0..<10).map { ("a\($0)", .value(.double)) }
            + (0..<10).map { ("b\($0)", .value(.int64)) } + [("f", .value(.float))]
        let f = try bind("fx_many", .double, params)
        let a = (0..<10).map { Double($0) + 0.5 }
        let b = (0..<10).map { Int64($0) * -3 + 1 }
        var expected = 0.0
        for i in 0..<10 { expected += a[i] * Double(i + 1) + Double(b[i]) * Double(i + 101) }
        expected += 0.25 * 1000
        #expect(try result(f, a.map { .double($0) } + b.map { .int($0) } + [0.25]) == .double(expected))
    }

    @Test func stringsBytesOutsAndScalarsInOneCall() throws {
        let f = try bind("fx_kitchen", .int64, [("s", .value(.cString)), ("scale", .value(.double)), ("p", .bytes),
                                                ("neg", .value(.bool)), ("len", .out(.int64)), ("scaled", .out(.double))])
        #expect(f.signature.outputNames == ["result", "len", "scaled"])
        let r = try f.call(["hello", 1.5, .bytes([10, 20, 30]), true])
        #expect(r.result == -60)
        #expect(r.outs == [5, 7.5])
        #expect(failure(f, ["hello", 1.5, .bytes([])])?.message == "got 3 input values for 4 input ports; pass one value per input, in order")
        #expect(failure(f, ["hello", 1.5, .bytes([]), true, 1])?.kind == .arity)
    }

    // MARK: System libraries

    @Test func libmCosAndHypot() throws {
        let cos = try bind("cos", .double, [("x", .value(.double))], in: Self.libm)
        #expect(try result(cos, [0.0]) == 1.0)
        #expect(try result(cos, [.double(.pi)]) == -1.0)
        #expect(try result(cos, [0]) == 1.0)
        let nan = try #require(double(try cos.call([.double(.infinity)]).result))
        #expect(nan.isNaN)
        let hypot = try bind("hypot", .double, [("x", .value(.double)), ("y", .value(.double))], in: Self.libm)
        #expect(try result(hypot, [3.0, 4.0]) == 5.0)
        #expect(try result(hypot, [5, 12]) == 13.0)
        #expect(try result(hypot, [.double(.infinity), .double(.nan)]) == .double(.infinity))
    }

    @Test func libcStrlen() throws {
        let strlen = try bind("strlen", .size, [("s", .value(.cString))], in: Self.libc)
        #expect(try result(strlen, ["hello"]) == 5)
        #expect(try result(strlen, [""]) == 0)
        #expect(try result(strlen, ["日本語"]) == 9)
    }

    // MARK: Threads

    @Test func oneFunctionCalledFromFourThreadsAtOnce() throws {
        let mulAdd = try bind("fx_mul_add", .int64, [("a", .value(.int64)), ("b", .value(.int64)), ("c", .value(.int64))])
        let divmod = try bind("fx_divmod", .void, [("a", .value(.int64)), ("b", .value(.int64)),
                                                  ("q", .out(.int64)), ("r", .out(.int64))])
        let count = try bind("fx_count_a", .size, [("s", .value(.cString))])
        let wrong = Counter()
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            var bad = 0
            for i in 0..<10_000 {
                let a = Int64(thread * 1_000_000 + i), b = Int64(i % 97 + 1)
                do {
                    if try mulAdd.call([.int(a), .int(b), .int(Int64(thread))]).result != .int(a * b + Int64(thread)) { bad += 1 }
                    if try divmod.call([.int(a), .int(b)]).outs != [.int(a / b), .int(a % b)] { bad += 1 }
                    let s = String(repeating: "a", count: i % 50) + String(repeating: "b", count: thread)
                    if try count.call([.string(s)]).result != .int(Int64(i % 50)) { bad += 1 }
                } catch {
                    bad += 1
                }
            }
            wrong.add(bad)
        }
        #expect(wrong.value == 0)
    }

    // MARK: Preparing and leaks

    @Test func voidParameterIsRefused() throws {
        let sig = FFISignature(returnType: .int32, name: "f", parameters: [FFIParameter(name: "x", kind: .value(.void), column: 7)])
        let pointer = try symbol("fx_mul_add")
        do {
            _ = try FFIFunction(pointer: pointer, signature: sig)
            Issue.record("a void parameter was accepted")
        } catch {
            #expect(error.kind == .prepare)
            #expect(error.description.hasPrefix("int32_t f(void x): parameter 'x' has type void"))
        }
    }

    @Test func ffiPrepCifFailureNamesTheStatus() throws {
        let sig = FFISignature(returnType: .double, name: "cos", parameters: [FFIParameter(name: "x", kind: .value(.double), column: 12)])
        let pointer = try symbol("fx_id_double")
        do {
            _ = try FFIFunction(pointer: pointer, signature: sig, freeString: nil, abi: ffi_abi(rawValue: 999))
            Issue.record("a bad ABI was accepted")
        } catch {
            #expect(error.kind == .prepare)
            #expect(error.description == "double cos(double x): ffi_prep_cif failed with FFI_BAD_ABI; check the signature's types")
        }
        #expect(FFIFunction.statusName(FFI_BAD_TYPEDEF.rawValue) == "FFI_BAD_TYPEDEF")
        #expect(FFIFunction.statusName(FFI_BAD_ARGTYPE.rawValue) == "FFI_BAD_ARGTYPE")
        #expect(FFIFunction.statusName(77) == "ffi_status 77")
    }

    @Test func signatureTextInMessages() {
        let sig = FFISignature(returnType: .void, name: nil, parameters: [
            FFIParameter(name: "p", kind: .bytes, column: 1), FFIParameter(name: "s", kind: .value(.cString), column: 2),
            FFIParameter(name: "o", kind: .out(.cString), column: 3), FFIParameter(name: "n", kind: .out(.size), column: 4),
        ])
        #expect(FFIFunction.text(of: sig) == "void(const void *p, size_t p_size, const char *s, const char **o, size_t *n)")
    }

    /// Whether a sanitizer runtime is linked in: AddressSanitizer keeps freed
    /// memory in quarantine, so the resident set grows without a leak (its
    /// LeakSanitizer checks leaks there instead).
    static let underSanitizer = ["__asan_init", "__tsan_init"].contains { (name: String) in dlsym(nil, name) != nil }

    /// 100,000 calls with 1 KiB of string and bytes each: a leak of the copies
    /// would grow the resident set by ≥ 200 MB in every round of them. The
    /// resident set is the whole process's, and other suites run at the
    /// same time: the smallest growth of three rounds is what counts.
    @Test(.disabled(if: underSanitizer, "a sanitizer's allocator grows the resident set without leaking"))
    func callsDoNotLeak() throws {
        let f = try bind("fx_kitchen", .int64, [("s", .value(.cString)), ("scale", .value(.double)), ("p", .bytes),
                                                ("neg", .value(.bool)), ("len", .out(.int64)), ("scaled", .out(.double))])
        let s = WeftValue.string(String(repeating: "z", count: 1024)), p = WeftValue.bytes([UInt8](repeating: 1, count: 1024))
        _ = try f.call([s, 2.0, p, false])
        var growths: [Int] = []
        for _ in 0..<3 {
            let before = try residentBytes()
            for _ in 0..<100_000 {
                _ = try f.call([s, 2.0, p, false])
            }
            growths.append(try residentBytes() - before)
        }
        #expect(growths.min()! < 64 << 20, "resident set grew by \(growths) bytes in the rounds")
    }

    func residentBytes() throws -> Int {
        let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8).split(separator: " ")
        return (Int(statm[1]) ?? 0) * Int(getpagesize())
    }

    /// A counter several threads add to.
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var total = 0
        func add(_ n: Int) { lock.lock(); total += n; lock.unlock() }
        var value: Int { lock.lock(); defer { lock.unlock() }; return total }
    }
}
