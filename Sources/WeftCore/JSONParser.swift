// JSONParser: the JSON reader, over bytes, with the streaming of big lists.

import OrderedCollections

/// The JSON reader. Internal so the graph decoder can read the items of a
/// big list itself (see `JSON.parse(bytes:streaming:item:)`).
struct JSONParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0
    var depth = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func document() throws(JSONSyntaxError) -> WeftValue {
        // Tolerate a UTF-8 byte order mark.
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { pos = 3 }
        skipSpace()
        if pos >= bytes.count { throw error("empty document: expected a JSON value") }
        let v = try value()
        skipSpace()
        if pos < bytes.count { throw error("unexpected \(describe(bytes[pos])) after the JSON value") }
        return v
    }

    /// `document()` with the top-level object's arrays under `streamed`
    /// keys handed out item by item (see `JSON.parse(bytes:streaming:item:)`).
    mutating func streamingDocument(streamed: Set<String>,
                                    item: (String, Int, inout JSONParser) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError)
        -> (value: WeftValue, streamedKeys: Set<String>) {
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { pos = 3 }
        skipSpace()
        if pos >= bytes.count { throw error("empty document: expected a JSON value") }
        guard bytes[pos] == UInt8(ascii: "{") else { pos = 0; return (try document(), []) }
        var keys: Set<String> = []
        let v = try object { key, parser throws(JSONSyntaxError) -> WeftValue? in
            guard streamed.contains(key), parser.pos < parser.bytes.count, parser.bytes[parser.pos] == UInt8(ascii: "[") else {
                return nil
            }
            keys.insert(key)
            var index = 0
            try parser.arrayItems { p throws(JSONSyntaxError) in
                try item(key, index, &p)
                index += 1
            }
            return .list([])
        }
        skipSpace()
        if pos < bytes.count { throw error("unexpected \(describe(bytes[pos])) after the JSON value") }
        return (v, keys)
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONSyntaxError {
        let end = min(offset ?? pos, bytes.count)
        var line = 1, col = 1
        var i = 0
        while i < end {
            if bytes[i] == 10 { line += 1; col = 1 } else if bytes[i] & 0xC0 != 0x80 { col += 1 }
            i += 1
        }
        return JSONSyntaxError(line: line, column: col, message: message)
    }

    func describe(_ b: UInt8) -> String {
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x\(String(b, radix: 16))"
    }

    /// The byte at the current position, or 0 at the end.
    var peek: UInt8 { pos < bytes.count ? bytes[pos] : 0 }

    mutating func skipSpace() {
        while pos < bytes.count {
            let b = bytes[pos]
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { pos += 1 } else { break }
        }
    }

    mutating func value() throws(JSONSyntaxError) -> WeftValue {
        guard pos < bytes.count else { throw error("unexpected end of input: expected a value") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw error("unexpected \(describe(bytes[pos])): expected a value")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let start = pos
        let w = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for b in w {
            guard pos < bytes.count, bytes[pos] == b else {
                throw error("invalid literal: expected '\(word)'", at: start)
            }
            pos += 1
        }
    }

    mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > JSON.maxDepth { throw error("nesting deeper than \(JSON.maxDepth) levels") }
    }

    mutating func object() throws(JSONSyntaxError) -> WeftValue {
        try object { _, _ throws(JSONSyntaxError) in nil }
    }

    /// An object; `special(key, &self)` may parse a member's value itself
    /// (returning it), or return nil to have it parsed as usual.
    mutating func object(special: (String, inout JSONParser) throws(JSONSyntaxError) -> WeftValue?) throws(JSONSyntaxError) -> WeftValue {
        try enter()
        pos += 1
        var m = OrderedDictionary<String, WeftValue>()
        skipSpace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; depth -= 1; return .map(m) }
        while true {
            skipSpace()
            guard pos < bytes.count else { throw error("unexpected end of input inside an object") }
            guard bytes[pos] == UInt8(ascii: "\"") else {
                throw error("expected a string key in double quotes, found \(describe(bytes[pos]))")
            }
            let keyAt = pos
            let key = try string()
            skipSpace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
                throw error("expected ':' after the key \(JSON.quote(key))")
            }
            pos += 1
            skipSpace()
            let v: WeftValue
            if let given = try special(key, &self) { v = given } else { v = try value() }
            if m.updateValue(v, forKey: key) != nil {
                throw error("duplicate key \(JSON.quote(key)) in object", at: keyAt)
            }
            skipSpace()
            guard pos < bytes.count else { throw error("unexpected end of input: expected ',' or '}'") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "}") { pos += 1; break }
            throw error("expected ',' or '}' in object, found \(describe(bytes[pos]))")
        }
        depth -= 1
        return .map(m)
    }

    mutating func array() throws(JSONSyntaxError) -> WeftValue {
        var items: [WeftValue] = []
        try array { items.append($0) }
        return .list(items)
    }

    /// An array, each item handed to `each` as it is parsed.
    mutating func array(_ each: (WeftValue) -> Void) throws(JSONSyntaxError) {
        try arrayItems { p throws(JSONSyntaxError) in each(try p.value()) }
    }

    /// An array whose items `each` reads: it must read exactly one value
    /// (with `value()` or on its own), leaving the parser after it.
    mutating func arrayItems(_ each: (inout JSONParser) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
        try enter()
        pos += 1
        skipSpace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; depth -= 1; return }
        while true {
            skipSpace()
            try each(&self)
            skipSpace()
            guard pos < bytes.count else { throw error("unexpected end of input: expected ',' or ']'") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "]") { pos += 1; break }
            throw error("expected ',' or ']' in array, found \(describe(bytes[pos]))")
        }
        depth -= 1
    }

    mutating func hex4() throws(JSONSyntaxError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[pos]
            let d: UInt32
            switch b {
            case 48...57: d = UInt32(b - 48)
            case 65...70: d = UInt32(b - 55)
            case 97...102: d = UInt32(b - 87)
            default: throw error("invalid hex digit in \\u escape")
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    mutating func string() throws(JSONSyntaxError) -> String {
        let start = pos
        pos += 1
        // Fast path: no escapes.
        var i = pos
        var high: UInt8 = 0
        while i < bytes.count, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 {
            high |= bytes[i]
            i += 1
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "\"") {
            let slice = UnsafeBufferPointer(rebasing: bytes[pos..<i])
            if high < 0x80 {
                // ASCII (ids, types, port names): valid UTF-8 by construction.
                pos = i + 1
                return String(decoding: slice, as: UTF8.self)
            }
            guard let s = String(validating: slice, as: UTF8.self) else {
                throw error("string is not valid UTF-8", at: start)
            }
            pos = i + 1
            return s
        }
        var out: [UInt8] = []
        while true {
            guard pos < bytes.count else { throw error("unterminated string", at: start) }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") { pos += 1; break }
            if b < 0x20 { throw error("control character \(describe(b)) in string: escape it") }
            if b != UInt8(ascii: "\\") { out.append(b); pos += 1; continue }
            pos += 1
            guard pos < bytes.count else { throw error("unterminated escape", at: start) }
            let e = bytes[pos]
            pos += 1
            switch e {
            case UInt8(ascii: "\""): out.append(0x22)
            case UInt8(ascii: "\\"): out.append(0x5C)
            case UInt8(ascii: "/"): out.append(0x2F)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var cp = try hex4()
                if cp >= 0xD800 && cp < 0xDC00 {
                    guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired UTF-16 surrogate in \\u escape")
                    }
                    pos += 2
                    let lo = try hex4()
                    guard lo >= 0xDC00 && lo < 0xE000 else { throw error("invalid UTF-16 low surrogate") }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
                } else if cp >= 0xDC00 && cp < 0xE000 {
                    throw error("unpaired UTF-16 surrogate in \\u escape")
                }
                guard let scalar = Unicode.Scalar(cp) else { throw error("invalid code point in \\u escape") }
                out.append(contentsOf: Array(String(scalar).utf8))
            default:
                throw error("invalid escape '\\\(Character(Unicode.Scalar(e)))'", at: pos - 2)
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            throw error("string is not valid UTF-8", at: start)
        }
        return s
    }

    mutating func number() throws(JSONSyntaxError) -> WeftValue {
        let start = pos
        var isInt = true
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        func digits(_ p: inout Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Int {
            let s = p
            while p < bytes.count, bytes[p] >= 48, bytes[p] <= 57 { p += 1 }
            return p - s
        }
        guard pos < bytes.count, bytes[pos] >= 48, bytes[pos] <= 57 else {
            throw error("invalid number: expected a digit", at: pos)
        }
        if bytes[pos] == 48 {
            pos += 1
            if pos < bytes.count, bytes[pos] >= 48, bytes[pos] <= 57 {
                throw error("invalid number: leading zeros are not allowed", at: start)
            }
        } else {
            _ = digits(&pos, bytes)
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            isInt = false
            pos += 1
            if digits(&pos, bytes) == 0 { throw error("invalid number: expected digits after '.'") }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "e") || bytes[pos] == UInt8(ascii: "E") {
            isInt = false
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            if digits(&pos, bytes) == 0 { throw error("invalid number: expected digits in the exponent") }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<pos]), as: UTF8.self)
        if isInt, let i = Int64(text) { return .int(i) }
        guard let d = Double(text), d.isFinite else {
            throw error("number \(text) is out of range", at: start)
        }
        return .double(d)
    }
}
