import WeftCore

/// Parses a C function declaration, given as text, into an ``FFISignature``.
///
/// Grammar (whitespace may separate any two tokens):
///
///     signature := type [name] "(" params ")" [";"]
///     params    := <empty> | "void" | param { "," param }
///     param     := type [name]
///     type      := { "const" } specifier { specifier | "const" } [ "*" { "const" | "restrict" } ]
///     specifier := "signed" | "unsigned" | "short" | "long" | "int" | "char"
///                | "void" | "bool" | "_Bool" | "float" | "double" | "size_t" | "ssize_t"
///                | "ptrdiff_t" | "intptr_t" | "uintptr_t" | "int8_t" … "int64_t" | "uint8_t" … "uint64_t"
///     name      := [A-Za-z_][A-Za-z0-9_]*
///
/// A `const` pointer to `void`, `char`, `signed`/`unsigned char` or an 8-bit
/// integer directly followed by a `size_t` parameter is one `.bytes`
/// parameter; `const char *` otherwise is a string; a non-const `T *` is an
/// out-parameter. Columns in errors are 1-based character columns.
public enum FFISignatureParser {
    /// Parses `text`, e.g. `double hypot(double x, double y)`.
    public static func parse(_ text: String) throws(FFISignatureError) -> FFISignature {
        var parser = Parser(text: text)
        return try parser.signature()
    }
}

/// Whether `word` is a C identifier: `[A-Za-z_][A-Za-z0-9_]*`.
private func isIdentifier(_ word: String) -> Bool {
    guard let first = word.first, !("0"..."9").contains(first) else { return false }
    return word.allSatisfy { c in
        c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c)
    }
}

/// A parsed C type: a scalar, or one level of pointer to a scalar.
private struct CType {
    var scalar: FFIScalar
    /// Spelled `char` (not `signed char`, `int8_t`, …).
    var isPlainChar = false
    /// `const` applies to the scalar (the pointee, for a pointer).
    var isConst = false
    var isPointer = false
    /// Only `signed`/`unsigned`/`short`/`long` so far: another word could still belong to it.
    var isOpenEnded = false
    var column: Int
    /// The type as written, normalised, e.g. `const uint8_t *`.
    var spelling: String
}

/// A parameter as written, before pairing buffers with lengths.
private struct RawParameter {
    var type: CType
    var name: String?
    var nameColumn: Int
}

/// Type names with one word.
private let namedTypes: [(String, FFIScalar)] = [
    ("void", .void), ("bool", .bool), ("_Bool", .bool), ("float", .float), ("double", .double),
    ("int8_t", .int8), ("int16_t", .int16), ("int32_t", .int32), ("int64_t", .int64),
    ("uint8_t", .uint8), ("uint16_t", .uint16), ("uint32_t", .uint32), ("uint64_t", .uint64),
    ("size_t", .size), ("ssize_t", .int64), ("ptrdiff_t", .int64), ("intptr_t", .int64), ("uintptr_t", .uint64),
]
/// Words that combine into integer types (`unsigned long long int`).
private let integerWords = ["signed", "unsigned", "short", "long", "int", "char"]

/// A recursive-descent parser over the tokens of one signature.
private struct Parser {
    let text: String
    let tokens: [Token]
    var index = 0

    init(text: String) {
        self.text = text
        self.tokens = tokenize(Array(text))
    }

    /// The token being looked at; the last token is always `.end`.
    var current: Token { tokens[index] }
    var next: Token { tokens[min(index + 1, tokens.count - 1)] }
    mutating func advance() { index = min(index + 1, tokens.count - 1) }

    /// An error at `column` of this signature.
    func error(_ message: String, at column: Int) -> FFISignatureError {
        FFISignatureError(column: column, message: message, text: text)
    }

    /// The whole signature.
    mutating func signature() throws(FFISignatureError) -> FFISignature {
        let type = try parseType(isReturn: true)
        let returnType: FFIScalar
        if !type.isPointer {
            returnType = type.scalar
        } else if type.isPlainChar && type.isConst {
            returnType = .cString
        } else {
            throw error("returning \(type.spelling) is not supported: return const char * for a string, or use an out-parameter (T *) for other results", at: type.column)
        }
        var name: String?
        if case .word(let word) = current.kind {
            try checkNameFollower(word, type: type)
            guard isIdentifier(word) else {
                throw error("'\(word)' is not a valid function name: use letters, digits and _, not starting with a digit", at: current.column)
            }
            name = word
            advance()
        }
        guard current.kind == .open else {
            let found = current.kind == .end ? "" : ", not '\(current.spelling)'"
            throw error("expected '(' to start the parameter list\(found), e.g. double hypot(double x, double y)", at: current.column)
        }
        advance()
        let raw = try parameterList()
        if current.kind == .semicolon { advance() }
        guard current.kind == .end else {
            throw error("unexpected '\(current.spelling)' after the parameter list: remove it", at: current.column)
        }
        return FFISignature(returnType: returnType, name: name, parameters: try resolve(raw))
    }

    /// The parameters after `(`, through the closing `)`.
    mutating func parameterList() throws(FFISignatureError) -> [RawParameter] {
        if current.kind == .close {
            advance()
            return []
        }
        if current.kind == .star {
            throw error("function pointers are not supported: pass scalars, strings or buffers", at: tokens[index - 1].column)
        }
        var raw: [RawParameter] = []
        while true {
            if current.kind == .ellipsis {
                throw error("variadic functions are not supported: declare a fixed list of parameters instead of ...", at: current.column)
            }
            let type = try parseType(isReturn: false)
            var parameter = RawParameter(type: type, name: nil, nameColumn: type.column)
            if case .word(let word) = current.kind {
                try checkNameFollower(word, type: type)
                guard isIdentifier(word) else {
                    throw error("'\(word)' is not a valid parameter name: use letters, digits and _, not starting with a digit", at: current.column)
                }
                guard word != "result" else {
                    throw error("'result' is reserved for the return value's port: choose another parameter name", at: current.column)
                }
                parameter.name = word
                parameter.nameColumn = current.column
                advance()
            }
            switch current.kind {
            case .openBracket:
                throw error("arrays are not supported: use a pointer, e.g. const uint8_t *data, size_t len for bytes", at: current.column)
            case .open:
                throw error("function pointers are not supported: pass scalars, strings or buffers", at: current.column)
            default:
                break
            }
            raw.append(parameter)
            switch current.kind {
            case .comma:
                advance()
            case .close:
                advance()
                return raw
            case .end:
                throw error("expected ')' to close the parameter list", at: current.column)
            default:
                throw error("expected ',' or ')' after a parameter, not '\(current.spelling)'", at: current.column)
            }
        }
    }

    /// A word after a type is its name, unless the type could still take
    /// more words and another word or `*` follows: then it is a misspelt type.
    func checkNameFollower(_ word: String, type: CType) throws(FFISignatureError) {
        guard type.isOpenEnded else { return }
        switch next.kind {
        case .word, .star: throw unknownType(word, at: current.column)
        default: return
        }
    }

    /// The known type name nearest to `word`, if it is near enough to be a typo.
    func suggestion(for word: String) -> String? {
        var best: String?, bestDistance = max(1, word.count / 3) + 1
        for candidate in integerWords + namedTypes.map(\.0) {
            let d = EditDistance.distance(word, candidate, ignoringCase: true, swapIsOneEdit: true)
            if d < bestDistance { (best, bestDistance) = (candidate, d) }
        }
        return best
    }

    /// An error for a word that is no type name, with a suggestion when one is near.
    func unknownType(_ word: String, at column: Int) -> FFISignatureError {
        if let best = suggestion(for: word) {
            return error("unknown type '\(word)': did you mean '\(best)'?", at: column)
        }
        return error("unknown type '\(word)': use a C scalar type (int, double, int64_t, size_t, …) or const char *", at: column)
    }

    /// A type: qualifiers and specifiers, then at most one `*`.
    mutating func parseType(isReturn: Bool) throws(FFISignatureError) -> CType {
        let column = current.column
        var words: [String] = []
        var isConst = false
        var named: FFIScalar?
        var sign: String?
        var shorts = 0, longs = 0, ints = 0, chars = 0
        loop: while case .word(let word) = current.kind {
            let wordColumn = current.column
            switch word {
            case "const":
                isConst = true
            case "struct", "union", "enum":
                let advice = switch word {
                case "struct": "structs are not supported: pass the fields as separate scalar parameters"
                case "union": "unions are not supported: pass the member you need as a scalar parameter"
                default: "enums are not supported: use int"
                }
                throw error(advice, at: wordColumn)
            default:
                let scalar = namedTypes.first { $0.0 == word }?.1
                guard scalar != nil || integerWords.contains(word) else {
                    if words.isEmpty {
                        if isReturn && next.kind == .open && !isConst && suggestion(for: word) == nil {
                            throw error("missing return type before '\(word)': write e.g. double \(word)(…) or void \(word)(…)", at: wordColumn)
                        }
                        throw unknownType(word, at: wordColumn)
                    }
                    break loop  // the name
                }
                if (word == "double" && longs > 0) || (word == "long" && named == .double) {
                    throw error("long double is not supported: use double", at: wordColumn)
                }
                let conflict = switch word {
                case "signed", "unsigned": sign != nil
                case "char": chars + shorts + longs + ints > 0
                case "short": shorts + longs + chars > 0
                case "long": shorts + chars > 0 || longs == 2
                case "int": ints + chars > 0
                default: !words.isEmpty
                }
                if conflict || named != nil {
                    throw error("'\((words + [word]).joined(separator: " "))' is not a C type: write e.g. unsigned int, long long, int64_t or double", at: wordColumn)
                }
                switch word {
                case "signed", "unsigned": sign = word
                case "short": shorts += 1
                case "long": longs += 1
                case "int": ints += 1
                case "char": chars += 1
                default: named = scalar
                }
                words.append(word)
            }
            advance()
        }
        guard !words.isEmpty else {
            let what = isReturn ? "a return type" : "a parameter type"
            throw error("expected \(what), e.g. int, double or const char *", at: current.column)
        }
        let unsigned = sign == "unsigned"
        let scalar: FFIScalar = if let named { named }
            else if chars > 0 { unsigned ? .uint8 : .int8 }
            else if shorts > 0 { unsigned ? .uint16 : .int16 }
            else if longs > 0 { unsigned ? .uint64 : .int64 }
            else { unsigned ? .uint32 : .int32 }
        var type = CType(scalar: scalar, column: column, spelling: ((isConst ? ["const"] : []) + words).joined(separator: " "))
        type.isPlainChar = chars > 0 && sign == nil
        type.isConst = isConst
        type.isOpenEnded = named == nil && ints == 0 && chars == 0
        if current.kind == .star {
            type.isPointer = true
            type.isOpenEnded = false
            type.spelling += " *"
            advance()
            while case .word(let word) = current.kind, ["const", "restrict", "__restrict"].contains(word) { advance() }
            if current.kind == .star {
                throw type.isPlainChar
                    ? error("string out-parameters (char **) are not supported: return the string as const char * instead", at: current.column)
                    : error("pointers to pointers (T **) are not supported: use T * for an out-parameter", at: current.column)
            }
        }
        return type
    }

    /// Pairs buffers with their lengths, checks pointer kinds, names the
    /// unnamed parameters `argN` and rejects duplicate names.
    func resolve(_ raw: [RawParameter]) throws(FFISignatureError) -> [FFIParameter] {
        if raw.count == 1, raw[0].name == nil, !raw[0].type.isPointer, raw[0].type.scalar == .void, !raw[0].type.isConst {
            return []  // f(void)
        }
        var parameters: [FFIParameter] = []
        var seen: Set<String> = []
        func claim(_ name: String, position: Int, column: Int, isNamed: Bool) throws(FFISignatureError) {
            guard seen.insert(name).inserted else {
                throw error(isNamed
                    ? "duplicate parameter name '\(name)': rename one of them"
                    : "parameter \(position + 1) is unnamed and would be called '\(name)', which is already used: give it a name",
                    at: column)
            }
        }
        var i = 0
        while i < raw.count {
            let p = raw[i], type = p.type
            let name = p.name ?? "arg\(i)"
            let kind: FFIParameter.Kind
            if !type.isPointer {
                guard type.scalar != .void else {
                    throw error("void can only stand alone, as in f(void): remove it or use a value type", at: type.column)
                }
                kind = .value(type.scalar)
            } else if type.isConst {
                let isBuffer = type.scalar == .void || type.scalar == .int8 || type.scalar == .uint8
                let lengthFollows = i + 1 < raw.count && !raw[i + 1].type.isPointer && raw[i + 1].type.scalar == .size
                if isBuffer && lengthFollows {
                    kind = .bytes
                    try claim(name, position: i, column: p.nameColumn, isNamed: p.name != nil)
                    i += 1
                    if let lengthName = raw[i].name {
                        try claim(lengthName, position: i, column: raw[i].nameColumn, isNamed: true)
                    }
                    parameters.append(FFIParameter(name: name, kind: kind, column: type.column))
                    i += 1
                    continue
                } else if type.isPlainChar {
                    kind = .value(.cString)
                } else if isBuffer {
                    throw error("a buffer pointer must be followed by its size_t length: write e.g. \(type.spelling)data, size_t len", at: type.column)
                } else {
                    let t = type.spelling.dropFirst("const ".count).dropLast(2)
                    throw error("\(type.spelling) is not supported: pass \(t) by value, or use \(t) * (without const) for an out-parameter", at: type.column)
                }
            } else if type.scalar == .void {
                throw error("void * is not supported: use const void *data, size_t len for an input buffer", at: type.column)
            } else if type.isPlainChar {
                throw error("char * is ambiguous: use const char * for a string input, or const uint8_t * + size_t for bytes", at: type.column)
            } else {
                kind = .out(type.scalar)
            }
            try claim(name, position: i, column: p.nameColumn, isNamed: p.name != nil)
            parameters.append(FFIParameter(name: name, kind: kind, column: type.column))
            i += 1
        }
        return parameters
    }
}
