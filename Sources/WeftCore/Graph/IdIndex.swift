// IdIndex: the validator's table from node ids to node indices.

/// Node ids to node indices, for the validator: an open-addressing table of
/// indices into the plan's nodes (whose ids it compares when 31 bits of the
/// hash match), hashed with the standard library's seeded hasher. A
/// `[String: Int]` of a million ids is about 50 MB; this is 16.
struct IdIndex {
    /// -1 = empty; else the high 32 bits of the id's hash, then the index.
    private var slots: [Int64]
    private var mask: Int

    init(capacity: Int) {
        var size = 16
        while size < 2 * capacity { size <<= 1 }
        slots = [Int64](repeating: -1, count: size)
        mask = size - 1
    }

    private static func hash(_ id: String) -> Int {
        var copy = id
        return copy.withUTF8 { bytes in
            var h = Hasher()
            h.combine(bytes: UnsafeRawBufferPointer(bytes))
            return h.finalize()
        }
    }

    @inline(__always)
    private static func tag(_ h: Int) -> Int64 { Int64(UInt64(UInt(bitPattern: h)) >> 33) << 32 }

    /// The index of the node whose id is `id`, if one was inserted. Ids
    /// are compared only when the stored hash bits match.
    func find(_ id: String, in nodes: [GraphPlan.Node]) -> Int? {
        let h = Self.hash(id)
        let tag = Self.tag(h)
        var i = h & mask
        while true {
            let s = slots[i]
            if s < 0 { return nil }
            if s & ~0xFFFF_FFFF == tag, nodes[Int(s & 0xFFFF_FFFF)].id == id { return Int(s & 0xFFFF_FFFF) }
            i = (i + 1) & mask
        }
    }

    /// Adds node `index` under `id` unless a node of `nodes` already has
    /// that id (then returns false and adds nothing): one hash and one probe
    /// sequence for both. At most the `capacity` given to `init` nodes are
    /// added (the table stays at most half full).
    mutating func insertIfAbsent(_ id: String, index: Int, in nodes: [GraphPlan.Node]) -> Bool {
        precondition(2 * (index + 1) <= slots.count, "IdIndex holds at most the capacity it was made for")
        let h = Self.hash(id)
        let tag = Self.tag(h)
        var i = h & mask
        while true {
            let s = slots[i]
            if s < 0 { break }
            if s & ~0xFFFF_FFFF == tag, nodes[Int(s & 0xFFFF_FFFF)].id == id { return false }
            i = (i + 1) & mask
        }
        slots[i] = tag | Int64(index)
        return true
    }
}
