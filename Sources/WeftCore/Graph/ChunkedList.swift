// ChunkedList: a list grown in chunks whose final array has exactly its length.

/// A list built one element at a time whose final array has exactly its
/// length: elements gather in chunks (about 1.5 MB each for nodes), and
/// `take` moves them into one array of the right capacity, freeing each
/// chunk once moved. An array grown by doubling ends with up to twice the
/// room it needs and briefly holds its old and new buffers together; for a
/// million nodes that is hundreds of megabytes. (An allocator that maps
/// blocks of a chunk's size on their own, as glibc does by default, gives
/// each chunk back to the kernel as it is freed; the CLI asks for that
/// while it decodes.)
struct ChunkedList<Element> {
    private var chunks: [UnsafeMutablePointer<Element>] = []
    /// Elements in the last chunk.
    private var filled = 0
    private(set) var count = 0
    private static var chunkSize: Int { 16_384 }

    mutating func append(_ element: Element) {
        if chunks.isEmpty || filled == Self.chunkSize {
            chunks.append(.allocate(capacity: Self.chunkSize))
            filled = 0
        }
        (chunks[chunks.count - 1] + filled).initialize(to: element)
        filled += 1
        count += 1
    }

    /// All elements, in order, in one array; the list is empty afterwards.
    mutating func take() -> [Element] {
        let total = count
        let all = chunks
        let lastFilled = filled
        chunks = []
        filled = 0
        count = 0
        // (Never a zero capacity: the standard library then writes the
        // count into its shared empty-array storage, a race between threads
        // that ThreadSanitizer reports, if a benign one.)
        guard total > 0 else {
            for chunk in all { chunk.deallocate() }
            return []
        }
        return [Element](unsafeUninitializedCapacity: total) { buffer, initialized in
            initialized = 0
            for (i, chunk) in all.enumerated() {
                let n = i == all.count - 1 ? lastFilled : Self.chunkSize
                (buffer.baseAddress! + initialized).moveInitialize(from: chunk, count: n)
                initialized += n
                chunk.deallocate()
            }
        }
    }

    /// Drops whatever was not taken.
    mutating func discard() {
        for (i, chunk) in chunks.enumerated() {
            chunk.deinitialize(count: i == chunks.count - 1 ? filled : Self.chunkSize)
            chunk.deallocate()
        }
        chunks = []
        filled = 0
        count = 0
    }
}
