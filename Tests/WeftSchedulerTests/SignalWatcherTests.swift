import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import WeftScheduler

/// The signals a watcher's handler was called with, guarded by a lock.
private final class SignalLog: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [WatchedSignal] = []

    var count: Int { lock.withLock { received.count } }
    var all: [WatchedSignal] { lock.withLock { received } }

    func start(_ watcher: SignalWatcher) {
        watcher.start { signal in self.lock.withLock { self.received.append(signal) } }
    }
}

/// Polls until `condition` holds, at most `seconds`; true if it held.
private func eventually(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(2_000)
    }
    return condition()
}

/// The address of the handler currently installed for `signal` (0 for
/// SIG_DFL, 1 for SIG_IGN).
private func installedHandler(_ signal: Int32) -> Int {
    var current = sigaction()
    sigaction(signal, nil, &current)
    return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
}

/// The custom handler `restoresDisposition` installs writes a byte here
/// (async-signal-safe), read by the test.
nonisolated(unsafe) private var customHandlerPipe: Int32 = -1

/// Sends `signal` to the process. Not raise(): that sends it to the calling
/// thread, and the test runs on a libdispatch worker thread, which blocks
/// SIGUSR1 and SIGUSR2; a process-directed signal goes to a thread that
/// does not block it (the main thread or the watcher's dispatcher).
private func sendToProcess(_ signal: Int32) {
    kill(getpid(), signal)
}

/// True if `fd` becomes readable within `milliseconds`.
private func readable(_ fd: Int32, milliseconds: Int32) -> Bool {
    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&entry, 1, milliseconds) == 1
}

extension EventSourceTests {
    /// Only SIGUSR1 and SIGUSR2 are sent: the test runner may care about
    /// the others. Before each send the test checks that a handler is
    /// installed, so a failure cannot kill the runner. Each signal is
    /// awaited before the next is sent: pending signals may merge.
    @Suite("SignalWatcher")
    struct SignalWatcherTests {
        @Test("signal names and numbers")
        func names() {
            #expect(WatchedSignal.allCases.map(\.rawValue) == ["SIGHUP", "SIGUSR1", "SIGUSR2"])
            #expect(WatchedSignal.allCases.map(\.number) == [SIGHUP, SIGUSR1, SIGUSR2])
        }

        @Test("a signal sent to the process reaches a started watcher")
        func delivered() throws {
            let watcher = SignalWatcher(.usr1)
            defer { watcher.stop() }
            let log = SignalLog()
            log.start(watcher)
            try #require(installedHandler(SIGUSR1) > 1)
            sendToProcess(SIGUSR1)
            #expect(eventually { log.count == 1 })
            #expect(log.all == [.usr1])
            sendToProcess(SIGUSR1)
            #expect(eventually { log.count == 2 })
        }

        @Test("two watchers of one signal both get every delivery")
        func twoWatchers() throws {
            let first = SignalWatcher(.usr2), second = SignalWatcher(.usr2)
            defer {
                first.stop()
                second.stop()
            }
            let firstLog = SignalLog(), secondLog = SignalLog()
            firstLog.start(first)
            secondLog.start(second)
            try #require(installedHandler(SIGUSR2) > 1)
            sendToProcess(SIGUSR2)
            #expect(eventually { firstLog.count == 1 && secondLog.count == 1 })
            sendToProcess(SIGUSR2)
            #expect(eventually { firstLog.count == 2 && secondLog.count == 2 })
            #expect(firstLog.all == [.usr2, .usr2])
        }

        @Test("a stopped watcher gets nothing further")
        func stoppedWatcher() throws {
            let stopped = SignalWatcher(.usr2), running = SignalWatcher(.usr2)
            defer { running.stop() }
            let stoppedLog = SignalLog(), runningLog = SignalLog()
            stoppedLog.start(stopped)
            runningLog.start(running)
            try #require(installedHandler(SIGUSR2) > 1)
            sendToProcess(SIGUSR2)
            #expect(eventually { stoppedLog.count == 1 && runningLog.count == 1 })

            stopped.stop()
            stopped.stop()  // idempotent
            try #require(installedHandler(SIGUSR2) > 1)
            sendToProcess(SIGUSR2)
            #expect(eventually { runningLog.count == 2 })
            // Deliveries are handled in order, so once the running watcher
            // has the third, the second has been handed to every watcher.
            sendToProcess(SIGUSR2)
            #expect(eventually { runningLog.count == 3 })
            #expect(stoppedLog.count == 1)
        }

        @Test("after the last watcher stops, the previous disposition is back")
        func restoresDisposition() throws {
            var fds: [Int32] = [-1, -1]
            try #require(pipe(&fds) == 0)
            defer {
                close(fds[0])
                close(fds[1])
            }
            customHandlerPipe = fds[1]
            var original = sigaction()
            sigaction(SIGUSR2, nil, &original)
            defer { sigaction(SIGUSR2, &original, nil) }
            var custom = sigaction()
            custom.__sigaction_handler.sa_handler = { _ in
                var byte: UInt8 = 1
                _ = write(customHandlerPipe, &byte, 1)
            }
            sigemptyset(&custom.sa_mask)
            custom.sa_flags = 0
            try #require(sigaction(SIGUSR2, &custom, nil) == 0)
            var installed = sigaction()
            sigaction(SIGUSR2, nil, &installed)
            let customAddress = installedHandler(SIGUSR2)

            let first = SignalWatcher(.usr2), second = SignalWatcher(.usr2)
            let firstLog = SignalLog(), secondLog = SignalLog()
            firstLog.start(first)
            secondLog.start(second)
            #expect(installedHandler(SIGUSR2) != customAddress)
            try #require(installedHandler(SIGUSR2) > 1)
            sendToProcess(SIGUSR2)
            #expect(eventually { firstLog.count == 1 && secondLog.count == 1 })
            #expect(!readable(fds[0], milliseconds: 0))  // the custom handler was not called

            first.stop()
            #expect(installedHandler(SIGUSR2) != customAddress)  // `second` still watches
            second.stop()
            var restored = sigaction()
            sigaction(SIGUSR2, nil, &restored)
            #expect(installedHandler(SIGUSR2) == customAddress)
            #expect(restored.sa_flags == installed.sa_flags)

            // And it works: the custom handler gets the next one.
            try #require(installedHandler(SIGUSR2) == customAddress)
            sendToProcess(SIGUSR2)
            #expect(readable(fds[0], milliseconds: 10_000))
            #expect(firstLog.count == 1 && secondLog.count == 1)
        }
    }
}
