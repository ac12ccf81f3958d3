// LineSplitter: bytes to lines for LineReader (line ends, long lines cut at 1 MiB, UTF-8 repaired).

#if canImport(Glibc)
import Glibc
#endif

/// Accumulates bytes and cuts them into lines (see `LineReader`).
struct LineSplitter {
    private var bytes: [UInt8] = []
    private var start = 0
    /// Index from which to search for the next newline (>= start).
    private var scan = 0
    let maxLine: Int

    init(maxLine: Int) { self.maxLine = maxLine }

    mutating func append(_ chunk: UnsafeBufferPointer<UInt8>) {
        if start > 0 && start >= bytes.count / 2 {
            bytes.removeSubrange(0..<start)
            scan -= start
            start = 0
        }
        bytes.append(contentsOf: chunk)
    }

    /// The next complete line (or an over-long piece), nil if none yet.
    mutating func nextLine() -> String? {
        let newline: Int? = bytes.withUnsafeBufferPointer { all in
            guard scan < all.count,
                  let found = memchr(all.baseAddress! + scan, 10, all.count - scan) else { return nil }
            return all.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
        if let newline {
            var end = newline
            if end > start && bytes[end - 1] == 13 { end -= 1 }
            if end - start <= maxLine {
                let text = decode(start..<end)
                start = newline + 1
                scan = start
                return text
            }
            scan = newline
            return cutPiece()
        }
        scan = bytes.count
        let pending = bytes.count - start
        // A "\r" right after maxLine bytes may still turn out to end the line.
        if pending > maxLine + 1 || (pending == maxLine + 1 && bytes[start + maxLine] != 13) {
            return cutPiece()
        }
        return nil
    }

    /// At the end of the input: the rest, in pieces of at most maxLine.
    mutating func takeRemainder() -> String? {
        let pending = bytes.count - start
        if pending == 0 {
            bytes.removeAll(keepingCapacity: true)
            start = 0
            scan = 0
            return nil
        }
        if pending > maxLine { return cutPiece() }
        let text = decode(start..<bytes.count)
        start = bytes.count
        scan = start
        return text
    }

    /// Cuts maxLine bytes (fewer to stay on a UTF-8 boundary) off the front.
    private mutating func cutPiece() -> String {
        var cut = start + maxLine
        while cut > start + maxLine - 3 && cut > start + 1 && bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        let text = decode(start..<cut)
        start = cut
        if scan < start { scan = start }
        return text
    }

    private func decode(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }
}
