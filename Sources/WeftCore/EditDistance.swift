/// Edit distance, for "did you mean" suggestions (the one implementation
/// every suggestion uses).
public enum EditDistance {
    /// Levenshtein distance over UTF-8 bytes; with `ignoringCase` after
    /// lowercasing both; with `swapIsOneEdit` a swap of two neighbours
    /// counts as one edit (optimal string alignment: `unsinged` is one edit
    /// from `unsigned`), for names people type by hand.
    public static func distance(_ a: String, _ b: String, ignoringCase: Bool = false, swapIsOneEdit: Bool = false) -> Int {
        let a = Array((ignoringCase ? a.lowercased() : a).utf8), b = Array((ignoringCase ? b.lowercased() : b).utf8)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        // Rows i-2, i-1 and i of the table.
        var before = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                var d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if swapIsOneEdit, i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, before[j - 2] + 1) }
                cur[j] = d
            }
            (before, prev, cur) = (prev, cur, before)
        }
        return prev[b.count]
    }

    /// Up to `limit` candidates within a distance of about a third of the
    /// name's length (at least 2), nearest first; a candidate whose last
    /// component equals the name's last component always qualifies.
    public static func closest(to name: String, among candidates: [String], limit: Int) -> [String] {
        let maxDistance = max(2, name.count / 3)
        let tail = name.split(separator: ".").last.map(String.init) ?? name
        var scored: [(name: String, d: Int)] = []
        for c in candidates {
            let d = distance(name, c)
            let last = c.split(separator: ".").last.map(String.init) ?? c
            if (d <= maxDistance && d < name.count) || last == tail { scored.append((c, d)) }
        }
        scored.sort { $0.d != $1.d ? $0.d < $1.d : $0.name < $1.name }
        return scored.prefix(limit).map { $0.name }
    }
}
