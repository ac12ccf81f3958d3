import WeftCore

/// The queue of an event run: events waiting for a wave, oldest first, in a
/// ring buffer.
///
/// Its storage holds no more slots than the most events ever queued at
/// once (rounded up to a power of two, at least 16) — at most the run's
/// queue capacity — and an event taken off the queue or dropped releases
/// its payload at once.
/// So a long run — a million lines of stdin, a followed file that grows
/// forever — keeps memory flat whatever the number of events that passed.
///
/// Not thread-safe: `EventRun` guards it with its lock.
struct EventQueue {
    /// One queued event: the source node's index, the event's number for
    /// that source (1, 2, …) and its payload (one value per output, nil = dead).
    struct Entry {
        var source: Int
        var event: Int
        var payload: [WeftValue?]
    }

    private var slots: [Entry?] = []
    /// Index in `slots` of the oldest event.
    private var head = 0
    /// Events queued.
    private(set) var count = 0

    init() {}

    var isEmpty: Bool { count == 0 }

    /// Slots allocated (see the type's documentation); for tests.
    var storageCapacity: Int { slots.count }

    /// Adds an event after the newest; grows the storage (doubling) only
    /// when every slot is taken.
    mutating func append(_ entry: Entry) {
        if count == slots.count { grow() }
        slots[(head + count) % slots.count] = entry
        count += 1
    }

    /// Takes the oldest event off the queue; nil if it is empty.
    mutating func popFirst() -> Entry? {
        guard count > 0 else { return nil }
        let entry = slots[head]
        slots[head] = nil
        head = (head + 1) % slots.count
        count -= 1
        if count == 0 { head = 0 }
        return entry
    }

    /// Empties the queue and releases its storage.
    mutating func removeAll() {
        slots = []
        head = 0
        count = 0
    }

    private mutating func grow() {
        var bigger = [Entry?](repeating: nil, count: max(16, slots.count * 2))
        for i in 0..<count { bigger[i] = slots[(head + i) % slots.count] }
        slots = bigger
        head = 0
    }
}
