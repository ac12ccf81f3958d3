// The signature parser's tokens: Token and tokenize, which splits a declaration into words and punctuation.

/// One token of a signature: its kind, its text and the 1-based column where it starts.
struct Token {
    enum Kind: Equatable {
        case word(String), star, open, close, comma, openBracket, closeBracket, ellipsis, semicolon, end
    }

    var kind: Kind
    /// The token as written (`end of text` for the end), for messages.
    var spelling: String
    var column: Int
}

/// Splits `chars` into words and punctuation; a word is any run of other
/// non-space characters (it is checked to be an identifier where one is needed).
func tokenize(_ chars: [Character]) -> [Token] {
    func punctuation(_ c: Character) -> Token.Kind? {
        switch c {
        case "*": .star
        case "(": .open
        case ")": .close
        case ",": .comma
        case "[": .openBracket
        case "]": .closeBracket
        case ";": .semicolon
        default: nil
        }
    }
    func isEllipsis(_ i: Int) -> Bool {
        i + 2 < chars.count && chars[i] == "." && chars[i + 1] == "." && chars[i + 2] == "."
    }
    var tokens: [Token] = []
    var i = 0
    while i < chars.count {
        let c = chars[i]
        if c.isWhitespace {
            i += 1
        } else if let kind = punctuation(c) {
            tokens.append(Token(kind: kind, spelling: String(c), column: i + 1))
            i += 1
        } else if isEllipsis(i) {
            tokens.append(Token(kind: .ellipsis, spelling: "...", column: i + 1))
            i += 3
        } else {
            let start = i
            var word = ""
            while i < chars.count, !chars[i].isWhitespace, punctuation(chars[i]) == nil, !isEllipsis(i) {
                word.append(chars[i])
                i += 1
            }
            tokens.append(Token(kind: .word(word), spelling: word, column: start + 1))
        }
    }
    tokens.append(Token(kind: .end, spelling: "end of text", column: chars.count + 1))
    return tokens
}
