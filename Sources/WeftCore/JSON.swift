/// A JSON syntax error with its place in the text.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line and column (in bytes) of the offending character.
    public var line: Int
    public var column: Int
    public var message: String

    public var description: String { "line \(line), column \(column): \(message)" }
}

/// Weft's JSON reader and writer, over `WeftValue`.
///
/// Hand-written rather than Foundation's `JSONSerialization` or `Codable`
/// because Weft needs what those do not give together: integers kept apart
/// from doubles (`1` is `.int`, `1.0` is `.double`), object key order kept,
/// errors with line and column, a nesting limit, and no Foundation (and its
/// ICU) in libweft. See Docs/architecture.md.
public enum JSON {
    /// Deepest nesting accepted by `parse` (arrays and objects).
    public static let maxDepth = 512

    /// Parses one JSON document. Integers that fit in `Int64` become `.int`;
    /// numbers with a fraction or exponent, or too large for `Int64`, become
    /// `.double`. Duplicate object keys are an error.
    public static func parse(_ text: String) throws(JSONSyntaxError) -> WeftValue {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses JSON from raw bytes (which must be UTF-8).
    public static func parse(bytes: [UInt8]) throws(JSONSyntaxError) -> WeftValue {
        try bytes.withUnsafeBufferPointer { buf throws(JSONSyntaxError) in
            var p = JSONParser(bytes: buf)
            return try p.document()
        }
    }

    /// Parses a document whose top level is normally an object, handing the
    /// items of the arrays under `streamed` keys to `item` (key, index,
    /// value) one at a time instead of keeping them, so a caller that
    /// converts each item never holds the whole tree. Those keys hold an
    /// empty list in the returned value and are listed in `streamedKeys`.
    /// Anything else (another top level, a streamed key whose value is not
    /// an array) parses as `parse` would. Errors are `parse`'s, at the same
    /// places; `item` may have been called before one is thrown.
    static func parse(bytes: [UInt8], streaming streamed: Set<String>,
                      item: (String, Int, inout JSONParser) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError)
        -> (value: WeftValue, streamedKeys: Set<String>) {
        try bytes.withUnsafeBufferPointer { buf throws(JSONSyntaxError) in
            try parse(buffer: buf, streaming: streamed, item: item)
        }
    }

    /// `parse(bytes:streaming:item:)` over bytes the caller holds.
    static func parse(buffer: UnsafeBufferPointer<UInt8>, streaming streamed: Set<String>,
                      item: (String, Int, inout JSONParser) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError)
        -> (value: WeftValue, streamedKeys: Set<String>) {
        var p = JSONParser(bytes: buffer)
        return try p.streamingDocument(streamed: streamed, item: item)
    }
}
