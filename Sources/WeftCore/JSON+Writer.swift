// JSON's writer: values to JSON text, strings quoted and escaped.

import OrderedCollections

extension JSON {
    /// Encodes a value as JSON. `bytes` become `{"$bytes": "<base64>"}`;
    /// non-finite doubles become `null` (JSON has no NaN or infinity).
    public static func encode(_ value: WeftValue, pretty: Bool = false) -> String {
        var out = ""
        write(value, into: &out, pretty: pretty, indent: 0)
        return out
    }

    static func write(_ v: WeftValue, into out: inout String, pretty: Bool, indent: Int) {
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite {
                let s = String(d)
                out += s
                if !s.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { out += ".0" }
            } else {
                out += "null"
            }
        case .string(let s): writeString(s, into: &out)
        case .bytes(let b):
            out += pretty ? "{\"$bytes\": " : "{\"$bytes\":"
            writeString(Base64.encode(b), into: &out)
            out += "}"
        case .list(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                if pretty { newline(&out, indent + 1) }
                write(item, into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(&out, indent) }
            out += "]"
        case .map(let m):
            if m.isEmpty { out += "{}"; return }
            out += "{"
            var first = true
            for (k, item) in m {
                if !first { out += "," }
                first = false
                if pretty { newline(&out, indent + 1) }
                writeString(k, into: &out)
                out += pretty ? ": " : ":"
                write(item, into: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { newline(&out, indent) }
            out += "}"
        }
    }

    private static func newline(_ out: inout String, _ indent: Int) {
        out += "\n"
        out += String(repeating: "  ", count: indent)
    }

    /// Appends `s` as a JSON string literal.
    public static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// Quotes `s` as a JSON string literal.
    public static func quote(_ s: String) -> String {
        var out = ""
        writeString(s, into: &out)
        return out
    }
}

extension String {
    /// A number with two decimals, without Foundation (`12.50`).
    public init(format2 value: Double) {
        let scaled = Int64((value * 100).rounded())
        let whole = scaled / 100, frac = abs(scaled % 100)
        self = "\(value < 0 && whole == 0 ? "-" : "")\(whole).\(frac < 10 ? "0" : "")\(frac)"
    }
}
