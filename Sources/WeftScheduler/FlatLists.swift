import CWeftShims
import WeftCore
import WeftNative

/// Lists of indices, one list per key, in two flat buffers (no array per
/// list): list `k` is `items[start[k]..<start[k + 1]]`. Built once; a plain
/// pair of pointers, so the run loop reads it without reference counting.
/// The owner calls `deallocate()` once (`CompiledGraph.deinit`).
struct FlatLists: @unchecked Sendable {
    private let start: UnsafeMutablePointer<Int32>
    private let items: UnsafeMutablePointer<Int32>
    /// Number of lists.
    let count: Int

    /// From the (key, item) pairs `pairs` hands to its argument, in
    /// order; `pairs` is called twice (to count, then to fill), so no list
    /// of pairs is made.
    init(count: Int, pairs: ((_ key: Int32, _ item: Int32) -> Void) -> Void) {
        let start = UnsafeMutablePointer<Int32>.allocate(capacity: count + 1)
        start.initialize(repeating: 0, count: count + 1)
        var total = 0
        pairs { key, _ in start[Int(key) + 1] += 1; total += 1 }
        for i in 0..<count { start[i + 1] += start[i] }
        let fill = UnsafeMutablePointer<Int32>.allocate(capacity: max(count, 1))
        fill.initialize(from: start, count: count)
        let sorted = UnsafeMutablePointer<Int32>.allocate(capacity: max(total, 1))
        sorted.initialize(repeating: 0, count: max(total, 1))
        pairs { key, item in
            sorted[Int(fill[Int(key)])] = item
            fill[Int(key)] += 1
        }
        fill.deallocate()
        self.start = start
        self.items = sorted
        self.count = count
    }

    /// From (key, item) pairs in order: list `k` holds the items whose key
    /// is `k`, in their order (a counting sort; no array per list).
    init(count: Int, keys: [Int32], items: [Int32]) {
        let start = UnsafeMutablePointer<Int32>.allocate(capacity: count + 1)
        start.initialize(repeating: 0, count: count + 1)
        for k in keys { start[Int(k) + 1] += 1 }
        for i in 0..<count { start[i + 1] += start[i] }
        var fill = [Int32](UnsafeBufferPointer(start: start, count: count))
        let sorted = UnsafeMutablePointer<Int32>.allocate(capacity: max(items.count, 1))
        sorted.initialize(repeating: 0, count: max(items.count, 1))
        for (k, item) in zip(keys, items) {
            sorted[Int(fill[Int(k)])] = item
            fill[Int(k)] += 1
        }
        self.start = start
        self.items = sorted
        self.count = count
    }

    func deallocate() {
        start.deallocate()
        items.deallocate()
    }

    /// Length of list `k`.
    @inline(__always) func count(_ k: Int) -> Int { Int(start[k + 1] - start[k]) }
    @inline(__always) func isEmpty(_ k: Int) -> Bool { start[k + 1] == start[k] }
    /// Where list `k`'s items are (`item(_:)` reads them).
    @inline(__always) func range(_ k: Int) -> Range<Int> { Int(start[k])..<Int(start[k + 1]) }
    @inline(__always) func item(_ i: Int) -> Int { Int(items[i]) }
    /// Calls `body` with each item of list `k`, in order.
    @inline(__always) func forEach(_ k: Int, _ body: (Int) -> Void) {
        var i = Int(start[k])
        let end = Int(start[k + 1])
        while i < end {
            body(Int(items[i]))
            i += 1
        }
    }
    /// Whether an item of list `k` satisfies `predicate`.
    func contains(_ k: Int, where predicate: (Int) -> Bool) -> Bool {
        for i in Int(start[k])..<Int(start[k + 1]) where predicate(Int(items[i])) { return true }
        return false
    }
}
