import Testing
@testable import WeftNative

/// The rate limit of refused-call warnings, with the clock given by the test.
@Suite("Refused-call warning limit")
struct MisuseLimiterTests {
    let second: UInt64 = 1_000_000_000

    @Test func firstTenThenOneASecondWithTheSuppressedCount() {
        let limiter = MisuseLimiter(burst: 10, interval: second)
        let t0: UInt64 = 5 * second
        for _ in 0..<10 { #expect(limiter.admit("p", now: t0) == 0) }
        for _ in 0..<25 { #expect(limiter.admit("p", now: t0 + second / 2) == nil) }
        // A second after the last logged one: logged, with the count since.
        #expect(limiter.admit("p", now: t0 + second) == 25)
        #expect(limiter.admit("p", now: t0 + second + 1) == nil)
        #expect(limiter.admit("p", now: t0 + 2 * second - 1) == nil)
        #expect(limiter.admit("p", now: t0 + 2 * second) == 2)
        #expect(limiter.drain("p") == 0, "nothing left to report")
        #expect(limiter.admit("p", now: t0 + 2 * second + 1) == nil)
        #expect(limiter.drain("p") == 1)
        #expect(limiter.drain("p") == 0, "reported once")
    }

    @Test func eachPluginHasItsOwnLimit() {
        let limiter = MisuseLimiter(burst: 2, interval: second)
        #expect(limiter.admit("a", now: 0) == 0)
        #expect(limiter.admit("a", now: 0) == 0)
        #expect(limiter.admit("a", now: 0) == nil)
        #expect(limiter.admit("b", now: 0) == 0, "another plugin is not limited by the first")
        #expect(limiter.admit("", now: 0) == 0)
        #expect(limiter.admit("a", now: 1) == nil)
        #expect(limiter.drainAll().map { "\($0.key)=\($0.count)" } == ["a=2"])
        #expect(limiter.drainAll().isEmpty)
    }
}
