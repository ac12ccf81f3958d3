import Testing
import WeftCore
@testable import WeftScheduler

/// The event queue's ring buffer: order across wrap-around and growth, and
/// storage bounded by the most events queued at once, not by how many
/// passed through (a million lines of stdin must not be kept).
@Suite("event queue")
struct EventQueueTests {
    static func entry(_ n: Int) -> EventQueue.Entry {
        EventQueue.Entry(source: n % 3, event: n, payload: [.string("line \(n)"), .int(Int64(n))])
    }

    @Test func eventsComeOutInOrderAcrossWrapAroundAndGrowth() {
        var queue = EventQueue()
        var next = 0, expected = 0
        // Take fewer than are added each round, so the ring wraps and grows with events in it.
        for round in 1...40 {
            for _ in 0..<(round % 7 + 3) {
                queue.append(Self.entry(next))
                next += 1
            }
            for _ in 0..<(round % 5 + 1) {
                let e = queue.popFirst()
                #expect(e?.event == expected && e?.payload.first == .string("line \(expected)"))
                expected += 1
            }
            #expect(queue.count == next - expected)
        }
        while let e = queue.popFirst() {
            #expect(e.event == expected)
            expected += 1
        }
        #expect(expected == next && queue.isEmpty && queue.popFirst() == nil)
    }

    @Test func storageStaysBoundedByTheEventsQueuedAtOnce() {
        var queue = EventQueue()
        // A queue kept full (as with a fast source and the block policy): 1000 queued, 200000 passing through.
        for n in 0..<1000 { queue.append(Self.entry(n)) }
        let capacity = queue.storageCapacity
        #expect(capacity >= 1000 && capacity <= 2048)
        var outOfOrder = 0
        for n in 1000..<201_000 {
            if queue.popFirst()?.event != n - 1000 { outOfOrder += 1 }
            queue.append(Self.entry(n))
        }
        #expect(outOfOrder == 0)
        #expect(queue.count == 1000 && queue.storageCapacity == capacity)
        queue.removeAll()
        #expect(queue.isEmpty && queue.storageCapacity == 0 && queue.popFirst() == nil)
    }
}
