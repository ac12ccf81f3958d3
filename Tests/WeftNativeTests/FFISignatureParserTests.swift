import Testing
@testable import WeftNative

/// `FFISignatureParser`: C declarations as text become `FFISignature`s, or
/// errors with a column and advice.
@Suite("FFI signature parser")
struct FFISignatureParserTests {
    /// A parameter, for terse expectations.
    static func p(_ name: String, _ kind: FFIParameter.Kind, _ column: Int) -> FFIParameter {
        FFIParameter(name: name, kind: kind, column: column)
    }

    /// Parses `text`, recording the error as an issue when it does not parse.
    static func parsed(_ text: String) -> FFISignature? {
        do {
            return try FFISignatureParser.parse(text)
        } catch {
            Issue.record("\(text) did not parse: \(error)")
            return nil
        }
    }

    /// The error `text` gives, recording an issue when it parses.
    static func failure(_ text: String) -> FFISignatureError? {
        do {
            let signature = try FFISignatureParser.parse(text)
            Issue.record("\(text) parsed as \(signature), expected an error")
            return nil
        } catch {
            return error
        }
    }

    // MARK: Accepted forms

    static let accepted: [(String, FFISignature)] = [
        ("double(double, double)",
         FFISignature(returnType: .double, name: nil, parameters: [p("arg0", .value(.double), 8), p("arg1", .value(.double), 16)])),
        ("double hypot(double x, double y)",
         FFISignature(returnType: .double, name: "hypot", parameters: [p("x", .value(.double), 14), p("y", .value(.double), 24)])),
        ("int64_t(const char *)",
         FFISignature(returnType: .int64, name: nil, parameters: [p("arg0", .value(.cString), 9)])),
        ("size_t strlen(const char *s)",
         FFISignature(returnType: .size, name: "strlen", parameters: [p("s", .value(.cString), 15)])),
        ("void(double, double *, double *)",
         FFISignature(returnType: .void, name: nil, parameters: [
             p("arg0", .value(.double), 6), p("arg1", .out(.double), 14), p("arg2", .out(.double), 24)])),
        ("void sincos(double x, double *sin, double *cos)",
         FFISignature(returnType: .void, name: "sincos", parameters: [
             p("x", .value(.double), 13), p("sin", .out(.double), 23), p("cos", .out(.double), 36)])),
        ("uint32_t crc(uint32_t seed, const uint8_t *data, size_t len)",
         FFISignature(returnType: .uint32, name: "crc", parameters: [p("seed", .value(.uint32), 14), p("data", .bytes, 29)])),
        ("int f(void)", FFISignature(returnType: .int32, name: "f", parameters: [])),
        ("int f()", FFISignature(returnType: .int32, name: "f", parameters: [])),
        ("int(void)", FFISignature(returnType: .int32, name: nil, parameters: [])),
        ("void()", FFISignature(returnType: .void, name: nil, parameters: [])),
        // Whitespace anywhere; the star may touch either side.
        ("  double   hypot ( double x ,double y )  ",
         FFISignature(returnType: .double, name: "hypot", parameters: [p("x", .value(.double), 20), p("y", .value(.double), 30)])),
        ("\tint\nf(\n void \n)", FFISignature(returnType: .int32, name: "f", parameters: [])),
        ("size_t strlen(const char*s)", FFISignature(returnType: .size, name: "strlen", parameters: [p("s", .value(.cString), 15)])),
        ("size_t strlen(const char * s)", FFISignature(returnType: .size, name: "strlen", parameters: [p("s", .value(.cString), 15)])),
        ("size_t strlen(const char* s)", FFISignature(returnType: .size, name: "strlen", parameters: [p("s", .value(.cString), 15)])),
        ("size_t strlen(char const *s)", FFISignature(returnType: .size, name: "strlen", parameters: [p("s", .value(.cString), 15)])),
        ("size_t strlen(const char *restrict s)", FFISignature(returnType: .size, name: "strlen", parameters: [p("s", .value(.cString), 15)])),
        ("void f(double*x)", FFISignature(returnType: .void, name: "f", parameters: [p("x", .out(.double), 8)])),
        // A trailing semicolon, as in a header, is allowed.
        ("size_t strlen(const char *s);", FFISignature(returnType: .size, name: "strlen", parameters: [p("s", .value(.cString), 15)])),
        // Strings are returned as const char *.
        ("const char *getenv(const char *name)",
         FFISignature(returnType: .cString, name: "getenv", parameters: [p("name", .value(.cString), 20)])),
        ("char const*version()", FFISignature(returnType: .cString, name: "version", parameters: [])),
        // const on a value is ignored.
        ("const int f(const double x)", FFISignature(returnType: .int32, name: "f", parameters: [p("x", .value(.double), 13)])),
        // Names may use underscores and digits; the function may be called result.
        ("int _f2(int _a, int b_9)", FFISignature(returnType: .int32, name: "_f2", parameters: [p("_a", .value(.int32), 9), p("b_9", .value(.int32), 17)])),
        ("int result(int x)", FFISignature(returnType: .int32, name: "result", parameters: [p("x", .value(.int32), 12)])),
        // Unnamed parameters are named by their position among all C parameters.
        ("int(int, const uint8_t *, size_t, int *, int)",
         FFISignature(returnType: .int32, name: nil, parameters: [
             p("arg0", .value(.int32), 5), p("arg1", .bytes, 10), p("arg3", .out(.int32), 35), p("arg4", .value(.int32), 42)])),
        ("int f(int a, int, double *)",
         FFISignature(returnType: .int32, name: "f", parameters: [p("a", .value(.int32), 7), p("arg1", .value(.int32), 14), p("arg2", .out(.double), 19)])),
    ]

    @Test(arguments: accepted)
    func acceptsDeclaration(text: String, expected: FFISignature) {
        #expect(Self.parsed(text) == expected)
    }

    // MARK: Type names

    static let scalarTypes: [(String, FFIScalar)] = [
        ("bool", .bool), ("_Bool", .bool),
        ("int8_t", .int8), ("int16_t", .int16), ("int32_t", .int32), ("int64_t", .int64),
        ("uint8_t", .uint8), ("uint16_t", .uint16), ("uint32_t", .uint32), ("uint64_t", .uint64),
        ("char", .int8), ("signed char", .int8), ("char signed", .int8), ("unsigned char", .uint8),
        ("short", .int16), ("short int", .int16), ("signed short", .int16), ("signed short int", .int16),
        ("unsigned short", .uint16), ("unsigned short int", .uint16), ("short unsigned", .uint16),
        ("int", .int32), ("signed", .int32), ("signed int", .int32), ("int signed", .int32),
        ("unsigned", .uint32), ("unsigned int", .uint32),
        ("long", .int64), ("long int", .int64), ("signed long", .int64), ("long long", .int64), ("long long int", .int64),
        ("ssize_t", .int64), ("ptrdiff_t", .int64), ("intptr_t", .int64),
        ("unsigned long", .uint64), ("unsigned long int", .uint64), ("unsigned long long", .uint64),
        ("long unsigned long int", .uint64), ("uintptr_t", .uint64),
        ("size_t", .size), ("float", .float), ("double", .double),
        ("const double", .double), ("int const", .int32),
    ]

    @Test(arguments: scalarTypes)
    func mapsTypeName(type: String, scalar: FFIScalar) {
        #expect(Self.parsed("\(type) f(\(type) x)") == FFISignature(returnType: scalar, name: "f", parameters: [Self.p("x", .value(scalar), 4 + type.count)]))
        #expect(Self.parsed("\(type)(\(type))") == FFISignature(returnType: scalar, name: nil, parameters: [Self.p("arg0", .value(scalar), 2 + type.count)]))
        // T * is an out-parameter (char * is ambiguous and const T * is no out-parameter).
        if type != "char" && !type.contains("const") {
            #expect(Self.parsed("void f(\(type) *x)") == FFISignature(returnType: .void, name: "f", parameters: [Self.p("x", .out(scalar), 8)]))
        }
    }

    @Test func voidReturn() {
        #expect(Self.parsed("void f(int x)") == FFISignature(returnType: .void, name: "f", parameters: [Self.p("x", .value(.int32), 8)]))
        #expect(Self.parsed("void f(int x)")?.outputNames == [])
    }

    @Test func boolOutParameter() {
        #expect(Self.parsed("void f(bool *ok)") == FFISignature(returnType: .void, name: "f", parameters: [Self.p("ok", .out(.bool), 8)]))
    }

    @Test func portsOfSincos() throws {
        let signature = try FFISignatureParser.parse("int sincos(double x, double *sin, double *cos)")
        #expect(signature.inputs.map(\.name) == ["x"])
        #expect(signature.outputNames == ["result", "sin", "cos"])
    }

    // MARK: Buffers

    static let bufferPointers = [
        "const void *", "const uint8_t *", "const unsigned char *", "const int8_t *", "const signed char *",
        "const char *", "char const *", "uint8_t const *",
    ]

    @Test(arguments: bufferPointers)
    func bufferPointerFollowedBySizeIsBytes(pointer: String) {
        #expect(Self.parsed("int f(\(pointer)data, size_t len)") == FFISignature(returnType: .int32, name: "f", parameters: [Self.p("data", .bytes, 7)]))
        #expect(Self.parsed("int f(\(pointer)data, const size_t len, int x)") == FFISignature(returnType: .int32, name: "f", parameters: [
            Self.p("data", .bytes, 7), Self.p("x", .value(.int32), 31 + pointer.count)]))
        #expect(Self.parsed("int(\(pointer), size_t)") == FFISignature(returnType: .int32, name: nil, parameters: [Self.p("arg0", .bytes, 5)]))
    }

    @Test func stringNotFollowedBySizeIsAString() {
        #expect(Self.parsed("int f(const char *s, int n)") == FFISignature(returnType: .int32, name: "f", parameters: [
            Self.p("s", .value(.cString), 7), Self.p("n", .value(.int32), 22)]))
        // Only the pointer directly before the size_t pairs with it.
        #expect(Self.parsed("int f(const char *a, const char *b, size_t n)") == FFISignature(returnType: .int32, name: "f", parameters: [
            Self.p("a", .value(.cString), 7), Self.p("b", .bytes, 22)]))
        // A size_t after an ordinary parameter stays a value.
        #expect(Self.parsed("int f(int x, size_t n)") == FFISignature(returnType: .int32, name: "f", parameters: [
            Self.p("x", .value(.int32), 7), Self.p("n", .value(.size), 14)]))
    }

    @Test func twoBuffers() {
        #expect(Self.parsed("int memcmp2(const void *a, size_t an, const void *b, size_t bn)") == FFISignature(returnType: .int32, name: "memcmp2", parameters: [
            Self.p("a", .bytes, 13), Self.p("b", .bytes, 39)]))
    }

    // MARK: Errors

    static let buffer = "a buffer pointer must be followed by its size_t length: write e.g. "
    static let ambiguousChar = "char * is ambiguous: use const char * for a string input, or const uint8_t * + size_t for bytes"
    static let pointerToPointer = "pointers to pointers (T **) are not supported: use T * for an out-parameter"
    static let stringOut = "string out-parameters (char **) are not supported: return the string as const char * instead"
    static let functionPointer = "function pointers are not supported: pass scalars, strings or buffers"
    static let voidAlone = "void can only stand alone, as in f(void): remove it or use a value type"
    static let notAType = "is not a C type: write e.g. unsigned int, long long, int64_t or double"
    static let badName = "is not a valid parameter name: use letters, digits and _, not starting with a digit"
    static let noParen = "expected '(' to start the parameter list"
    static let example = "e.g. double hypot(double x, double y)"
    static let unknownFallback = "use a C scalar type (int, double, int64_t, size_t, …) or const char *"

    static let errors: [(String, Int, String)] = [
        // Structs, unions, enums.
        ("double f(struct point p)", 10, "structs are not supported: pass the fields as separate scalar parameters"),
        ("struct point f(void)", 1, "structs are not supported: pass the fields as separate scalar parameters"),
        ("int f(union u x)", 7, "unions are not supported: pass the member you need as a scalar parameter"),
        ("enum color f(void)", 1, "enums are not supported: use int"),
        ("int f(const enum color c)", 13, "enums are not supported: use int"),
        // Arrays.
        ("double sum(double v[])", 20, "arrays are not supported: use a pointer, e.g. const uint8_t *data, size_t len for bytes"),
        ("double sum(double [4])", 19, "arrays are not supported: use a pointer, e.g. const uint8_t *data, size_t len for bytes"),
        // Function pointers.
        ("void on(void (*cb)(int))", 14, functionPointer),
        ("void on(int cb(int))", 15, functionPointer),
        ("int (*)(int)", 5, functionPointer),
        // Pointers to pointers; string out-parameters.
        ("int f(double **out)", 15, pointerToPointer),
        ("int f(double * const * out)", 22, pointerToPointer),
        ("int f(char **out)", 13, stringOut),
        ("int f(const char **out)", 19, stringOut),
        ("char **f(void)", 7, stringOut),
        // void *, char *.
        ("int f(void *p)", 7, "void * is not supported: use const void *data, size_t len for an input buffer"),
        ("int f(void *p, size_t n)", 7, "void * is not supported: use const void *data, size_t len for an input buffer"),
        ("size_t f(char *s)", 10, ambiguousChar),
        ("size_t f(char *s, size_t n)", 10, ambiguousChar),
        ("size_t f(char * const s)", 10, ambiguousChar),
        // Varargs.
        ("int printf(const char *fmt, ...)", 29, "variadic functions are not supported: declare a fixed list of parameters instead of ..."),
        ("int f(...)", 7, "variadic functions are not supported: declare a fixed list of parameters instead of ..."),
        // void as a parameter.
        ("int f(void, int)", 7, voidAlone),
        ("int f(int, void)", 12, voidAlone),
        ("int f(void x)", 7, voidAlone),
        ("int f(const void)", 7, voidAlone),
        // Pointer return types.
        ("double *f(void)", 1, "returning double * is not supported: return const char * for a string, or use an out-parameter (T *) for other results"),
        ("void *malloc(size_t n)", 1, "returning void * is not supported: return const char * for a string, or use an out-parameter (T *) for other results"),
        ("char *strdup(const char *s)", 1, "returning char * is not supported: return const char * for a string, or use an out-parameter (T *) for other results"),
        ("const uint8_t *f(void)", 1, "returning const uint8_t * is not supported: return const char * for a string, or use an out-parameter (T *) for other results"),
        // Unknown identifiers.
        ("dubble f(double x)", 1, "unknown type 'dubble': did you mean 'double'?"),
        ("dubble(double)", 1, "unknown type 'dubble': did you mean 'double'?"),
        ("double f(flaot x)", 10, "unknown type 'flaot': did you mean 'float'?"),
        ("int f(uint32 x)", 7, "unknown type 'uint32': did you mean 'uint32_t'?"),
        ("int f(Int x)", 7, "unknown type 'Int': did you mean 'int'?"),
        ("int f(unsinged x)", 7, "unknown type 'unsinged': did you mean 'unsigned'?"),
        ("int f(sizet n)", 7, "unknown type 'sizet': did you mean 'size_t'?"),
        ("unsigned lnog f(int x)", 10, "unknown type 'lnog': did you mean 'long'?"),
        ("int f(unsigned lnog x)", 16, "unknown type 'lnog': did you mean 'long'?"),
        ("int f(long lnog *x)", 12, "unknown type 'lnog': did you mean 'long'?"),
        ("int f(string s)", 7, "unknown type 'string': \(unknownFallback)"),
        ("int f(const foo *p)", 13, "unknown type 'foo': \(unknownFallback)"),
        ("hypot(double x, double y)", 1, "missing return type before 'hypot': write e.g. double hypot(…) or void hypot(…)"),
        // Missing parentheses.
        ("", 1, "expected a return type, e.g. int, double or const char *"),
        ("   ", 4, "expected a return type, e.g. int, double or const char *"),
        ("(double)", 1, "expected a return type, e.g. int, double or const char *"),
        ("double", 7, "\(noParen), \(example)"),
        ("double hypot", 13, "\(noParen), \(example)"),
        ("double hypot double x)", 14, "\(noParen), not 'double', \(example)"),
        ("double hypot[2](double x)", 13, "\(noParen), not '[', \(example)"),
        ("double hypot(double x", 22, "expected ')' to close the parameter list"),
        ("double hypot(double x,", 23, "expected a parameter type, e.g. int, double or const char *"),
        ("int f(int,)", 11, "expected a parameter type, e.g. int, double or const char *"),
        ("int f(const)", 12, "expected a parameter type, e.g. int, double or const char *"),
        ("int f(int x y)", 13, "expected ',' or ')' after a parameter, not 'y'"),
        ("int f(int x; int y)", 12, "expected ',' or ')' after a parameter, not ';'"),
        // Trailing junk.
        ("double f(double x) y", 20, "unexpected 'y' after the parameter list: remove it"),
        ("int f(void);;", 13, "unexpected ';' after the parameter list: remove it"),
        ("int f(void) {", 13, "unexpected '{' after the parameter list: remove it"),
        ("int f(void) (int)", 13, "unexpected '(' after the parameter list: remove it"),
        // Duplicate names.
        ("double f(double x, double x)", 27, "duplicate parameter name 'x': rename one of them"),
        ("int f(const void *data, size_t data)", 32, "duplicate parameter name 'data': rename one of them"),
        ("int f(int arg1, int)", 17, "parameter 2 is unnamed and would be called 'arg1', which is already used: give it a name"),
        // Invalid names; result is reserved.
        ("int f(int 2x)", 11, "'2x' \(badName)"),
        ("int f(int x-y)", 11, "'x-y' \(badName)"),
        ("int f(int é)", 11, "'é' \(badName)"),
        ("int 2f(int x)", 5, "'2f' is not a valid function name: use letters, digits and _, not starting with a digit"),
        ("int f(int result)", 11, "'result' is reserved for the return value's port: choose another parameter name"),
        ("void f(double *result)", 16, "'result' is reserved for the return value's port: choose another parameter name"),
        // Buffers without a length.
        ("int f(const void *p)", 7, "\(buffer)const void *data, size_t len"),
        ("int f(const uint8_t *p, int n)", 7, "\(buffer)const uint8_t *data, size_t len"),
        ("int f(const unsigned char *p, unsigned long n)", 7, "\(buffer)const unsigned char *data, size_t len"),
        ("int f(const int8_t *p, size_t *n)", 7, "\(buffer)const int8_t *data, size_t len"),
        ("int f(size_t n, const uint8_t *p)", 17, "\(buffer)const uint8_t *data, size_t len"),
        // Other const pointers.
        ("double f(const double *x)", 10, "const double * is not supported: pass double by value, or use double * (without const) for an out-parameter"),
        ("int f(unsigned const long *x)", 7, "const unsigned long * is not supported: pass unsigned long by value, or use unsigned long * (without const) for an out-parameter"),
        // Impossible combinations.
        ("long double f(void)", 6, "long double is not supported: use double"),
        ("double long f(void)", 8, "long double is not supported: use double"),
        ("unsigned double f(void)", 10, "'unsigned double' \(notAType)"),
        ("long long long f(void)", 11, "'long long long' \(notAType)"),
        ("signed unsigned f(void)", 8, "'signed unsigned' \(notAType)"),
        ("int f(short long x)", 13, "'short long' \(notAType)"),
        ("int f(unsigned size_t n)", 16, "'unsigned size_t' \(notAType)"),
        ("int f(int64_t int x)", 15, "'int64_t int' \(notAType)"),
        ("int f(char int x)", 12, "'char int' \(notAType)"),
        ("double double(double x)", 8, "'double double' \(notAType)"),
    ]

    @Test(arguments: errors)
    func rejects(text: String, column: Int, message: String) {
        let error = Self.failure(text)
        #expect(error?.column == column)
        #expect(error?.message == message)
        #expect(error?.text == text)
    }

    @Test func descriptionPutsTheCaretUnderTheColumn() throws {
        let error = try #require(Self.failure("double f(dubble x)"))
        #expect(error.description == """
            unknown type 'dubble': did you mean 'double'? at column 10
                double f(dubble x)
                         ^
            """)
        // At the end of the text, the caret sits just past the last character.
        let end = try #require(Self.failure("double hypot"))
        let lines = end.description.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines[2] == "    " + String(repeating: " ", count: 12) + "^")
    }

    @Test(arguments: errors)
    func caretSitsUnderTheOffendingToken(text: String, column: Int, message: String) throws {
        guard !text.contains("\n") else { return }
        let error = try #require(Self.failure(text))
        let lines = error.description.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines[0] == "\(message) at column \(column)")
        #expect(lines[1] == "    \(text)")
        #expect(Array(lines[2]) == Array(repeating: " " as Character, count: 3 + column) + ["^"])
    }
}
