import Testing
@testable import WeftCore

@Suite("JSON")
struct JSONTests {
    @Test func integersAndDoublesStayApart() throws {
        #expect(try JSON.parse("1") == .int(1))
        #expect(try JSON.parse("-0") == .int(0))
        #expect(try JSON.parse("1.0") == .double(1.0))
        #expect(try JSON.parse("2e3") == .double(2000))
        #expect(try JSON.parse("9223372036854775807") == .int(.max))
        #expect(try JSON.parse("9223372036854775808") == .double(9_223_372_036_854_775_808))
    }

    @Test func objectsKeepKeyOrder() throws {
        let v = try JSON.parse(#"{"b": 1, "a": [true, null, "x"], "c": {}}"#)
        #expect(v.mapKeys == ["b", "a", "c"])
        #expect(JSON.encode(v) == #"{"b":1,"a":[true,null,"x"],"c":{}}"#)
    }

    @Test func stringsAndEscapesRoundTrip() throws {
        let text = "tab\t quote\" back\\ nl\n bell\u{07} é ✓ \u{1F600}"
        let encoded = JSON.encode(.string(text))
        #expect(encoded == #""tab\t quote\" back\\ nl\n bell\u0007 é ✓ 😀""#)
        #expect(try JSON.parse(encoded) == .string(text))
        #expect(try JSON.parse(#""\ud83d\ude00 \u00e9 \/""#) == .string("😀 é /"))
    }

    @Test func encodeThenParseIsIdentity() throws {
        let v: WeftValue = ["n": .null, "l": [1, 2.5, "s", false, [:], []], "m": ["k": ["deep": -3]]]
        #expect(try JSON.parse(JSON.encode(v)) == v)
        #expect(try JSON.parse(JSON.encode(v, pretty: true)) == v)
    }

    @Test func doublesAlwaysLookLikeDoubles() {
        #expect(JSON.encode(.double(2)) == "2.0")
        #expect(JSON.encode(.double(0.1)) == "0.1")
        #expect(JSON.encode(.double(.infinity)) == "null")
    }

    @Test func bytesEncodeAsBase64() {
        #expect(JSON.encode(.bytes(Array("hello".utf8))) == #"{"$bytes":"aGVsbG8="}"#)
        #expect(Base64.decode("aGVsbG8=") == Array("hello".utf8))
        #expect(Base64.decode("aGVsbA==") == Array("hell".utf8))
        #expect(Base64.decode("not base64!") == nil)
        for n in 0..<8 {
            let bytes = (0..<n).map { UInt8($0 * 37 & 0xFF) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
    }

    @Test(arguments: [
        ("", 1, 1, "empty document"),
        ("{\"a\": 1,}", 1, 9, "expected a string key"),
        ("[1, 2", 1, 6, "unexpected end of input"),
        ("{\"a\" 1}", 1, 6, "expected ':' after the key \"a\""),
        ("{\n  \"a\": tru\n}", 2, 8, "invalid literal"),
        ("01", 1, 1, "leading zeros"),
        ("[1] x", 1, 5, "after the JSON value"),
        ("\"abc", 1, 1, "unterminated string"),
        ("{\"a\": 1, \"a\": 2}", 1, 10, "duplicate key \"a\""),
        ("\"\\x\"", 1, 2, "invalid escape"),
        ("1e999", 1, 1, "out of range"),
        ("\"\\ud800\"", 1, 8, "unpaired UTF-16 surrogate"),
    ])
    func syntaxErrorsSayWhereAndWhat(text: String, line: Int, column: Int, fragment: String) {
        do {
            _ = try JSON.parse(text)
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.line == line && error.column == column, "\(error)")
            #expect(error.message.contains(fragment), "\(error)")
        }
    }

    @Test func invalidUTF8IsRefused() {
        #expect(throws: JSONSyntaxError.self) { try JSON.parse(bytes: [0x22, 0xFF, 0xFE, 0x22]) }
    }

    @Test func nestingIsLimited() throws {
        let ok = String(repeating: "[", count: JSON.maxDepth) + String(repeating: "]", count: JSON.maxDepth)
        #expect(throws: Never.self) { try JSON.parse(ok) }
        let deep = String(repeating: "[", count: JSON.maxDepth + 1) + String(repeating: "]", count: JSON.maxDepth + 1)
        #expect(throws: JSONSyntaxError.self) { try JSON.parse(deep) }
    }
}

@Suite("Value types")
struct ValueTypeTests {
    @Test func portTypesAcceptTheRightKinds() {
        #expect(ValueType.any.accepts(.bytes([])))
        #expect(ValueType.number.accepts(.int(1)) && ValueType.number.accepts(.double(1)))
        #expect(!ValueType.number.accepts(.string("1")))
        #expect(ValueType.double.accepts(.int(1)))
        #expect(!ValueType.int.accepts(.double(1)))
        #expect(ValueType.double.coerce(.int(3)) == .double(3))
        #expect(ValueType.number.coerce(.int(3)) == .int(3))
        #expect(ValueType.string.coerce(.int(3)) == nil)
    }

    @Test func typeNamesRoundTrip() {
        for t in ValueType.allCases { #expect(ValueType(name: t.description) == t) }
        #expect(ValueType(name: "float") == nil)
    }

    @Test func identifiers() {
        #expect(Identifier.isValid("std") && Identifier.isValid("_x9") && Identifier.isValid("A_b"))
        #expect(!Identifier.isValid("") && !Identifier.isValid("9a") && !Identifier.isValid("a.b")
                    && !Identifier.isValid("a-b") && !Identifier.isValid("é"))
    }
}
