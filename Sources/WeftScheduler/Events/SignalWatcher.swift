import WeftNative
#if canImport(Glibc)
import Glibc
#endif

/// The signals a `SignalWatcher` can watch.
public enum WatchedSignal: String, Sendable, CaseIterable {
    case hup = "SIGHUP", usr1 = "SIGUSR1", usr2 = "SIGUSR2"

    public var number: Int32 {
        switch self {
        case .hup: SIGHUP
        case .usr1: SIGUSR1
        case .usr2: SIGUSR2
        }
    }

    init?(number: Int32) {
        guard let found = Self.allCases.first(where: { $0.number == number }) else { return nil }
        self = found
    }
}

/// Calls a handler, on a dispatcher thread, each time the process receives
/// a signal.
///
/// While at least one watcher of a signal is started, the process-wide
/// disposition of that signal is an async-signal-safe handler (SA_RESTART)
/// that only writes the signal number to a self-pipe; one dispatcher thread
/// (started on first use, it lives as long as the process, as does the
/// pipe) reads the pipe and calls every started watcher of that signal, in
/// the order they were started. Several watchers of one signal each get
/// every delivery. When the last watcher of a signal stops, the disposition
/// it replaced is restored.
///
/// The dispatcher thread blocks every signal except those being watched,
/// which it unblocks (asynchronously, shortly after the first watcher of a
/// signal starts): a signal sent to the process is then delivered even when
/// every other thread blocks it, as libdispatch's worker threads (and the
/// threads they create) block SIGHUP, SIGUSR1 and SIGUSR2. A signal sent to
/// one thread (`raise`, `pthread_kill`) that blocks it stays pending there.
///
/// As with any signal handler, deliveries of one signal that arrive before
/// the first has been handled may merge into one.
/// Handlers run one at a time on the dispatcher thread and should return
/// soon. A watcher starts once; `start` after `stop` does nothing.
public final class SignalWatcher: @unchecked Sendable {
    private enum State {
        case idle
        case started(UInt64)
        case stopped(UInt64?)
    }

    private let signal: WatchedSignal
    private let lock = ConditionLock()
    private var state = State.idle

    public init(_ signal: WatchedSignal) {
        self.signal = signal
    }

    deinit { stop() }

    /// Starts calling `handler` for each delivery of the signal.
    public func start(_ handler: @escaping @Sendable (WatchedSignal) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        guard case .idle = state else { return }
        state = .started(SignalRegistry.shared.register(signal, handler))
    }

    /// No handler call after it returns (unless called from the handler
    /// itself, where the running call is the last); idempotent.
    public func stop() {
        lock.lock()
        let id: UInt64?
        switch state {
        case .idle: id = nil
        case .started(let started): id = started
        case .stopped(let stopped): id = stopped
        }
        state = .stopped(id)
        lock.unlock()
        if let id { SignalRegistry.shared.unregister(id) }
    }
}

// MARK: - Process-wide registry

/// The write end of the self-pipe, read by the signal handler. Set once,
/// before any handler is installed, and never changed.
nonisolated(unsafe) private var signalPipeWriteFD: Int32 = -1

/// The installed handler: async-signal-safe (write(2) only; errno kept).
private func forwardSignal(_ number: Int32) {
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(signalPipeWriteFD, &byte, 1)
    errno = savedErrno
}

private final class SignalRegistry: @unchecked Sendable {
    static let shared = SignalRegistry()

    private struct Entry {
        let id: UInt64
        let signal: WatchedSignal
        let handler: @Sendable (WatchedSignal) -> Void
    }

    private let lock = ConditionLock()
    // All guarded by `lock`.
    private var entries: [Entry] = []
    private var nextID: UInt64 = 1
    /// The disposition each installed signal replaced.
    private var previous: [Int32: sigaction] = [:]
    private var pipeReadFD: Int32 = -1
    private var dispatcherStarted = false
    private var dispatcherThread: pthread_t?
    /// The watcher whose handler the dispatcher is running.
    private var dispatching: UInt64?

    /// Registers a handler, installing the signal handler for its first
    /// watcher. Returns the registration id.
    func register(_ signal: WatchedSignal, _ handler: @escaping @Sendable (WatchedSignal) -> Void) -> UInt64 {
        lock.lock()
        defer { lock.unlock() }
        let id = nextID
        nextID += 1
        guard startDispatcher() else { return id }  // registered nowhere: never called
        entries.append(Entry(id: id, signal: signal, handler: handler))
        if previous[signal.number] == nil {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { forwardSignal($0) }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            var old = sigaction()
            if sigaction(signal.number, &action, &old) == 0 {
                previous[signal.number] = old
                requestMaskUpdate()
            }
        }
        return id
    }

    /// Unregisters; restores the previous disposition after the signal's
    /// last watcher; waits for a running call of this watcher's handler
    /// (except on the dispatcher thread itself).
    func unregister(_ id: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        if let index = entries.firstIndex(where: { $0.id == id }) {
            let signal = entries.remove(at: index).signal
            if !entries.contains(where: { $0.signal == signal }),
               var old = previous.removeValue(forKey: signal.number) {
                sigaction(signal.number, &old, nil)
                requestMaskUpdate()
            }
        }
        if let dispatcherThread, pthread_equal(dispatcherThread, pthread_self()) != 0 { return }
        while dispatching == id { lock.wait() }
    }

    /// Creates the self-pipe and the dispatcher thread once; call with the
    /// lock held. False if they could not be created (out of descriptors or
    /// threads): the watcher then never fires.
    private func startDispatcher() -> Bool {
        if dispatcherStarted { return true }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        // The handler must never block; the dispatcher may.
        _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK)
        pipeReadFD = fds[0]
        guard POSIXThread.spawn({ [self] in dispatch() }) else {
            close(fds[0])
            close(fds[1])
            pipeReadFD = -1
            return false
        }
        signalPipeWriteFD = fds[1]
        dispatcherStarted = true
        return true
    }

    /// Asks the dispatcher to update its signal mask to the signals now
    /// installed (the byte 0 on the pipe); call with the lock held.
    private func requestMaskUpdate() {
        var byte: UInt8 = 0
        _ = write(signalPipeWriteFD, &byte, 1)
    }

    /// On the dispatcher thread: blocks every signal but those installed.
    private func updateMask() {
        var mask = sigset_t()
        sigfillset(&mask)
        lock.withLock {
            for number in previous.keys { sigdelset(&mask, number) }
        }
        pthread_sigmask(SIG_SETMASK, &mask, nil)
    }

    private func dispatch() {
        let readFD: Int32 = lock.withLock {
            dispatcherThread = pthread_self()
            return pipeReadFD
        }
        updateMask()
        var bytes = [UInt8](repeating: 0, count: 64)
        while true {
            let n = bytes.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return
            }
            if n == 0 { return }
            for byte in bytes[0..<n] {
                if byte == 0 {
                    updateMask()
                    continue
                }
                guard let signal = WatchedSignal(number: Int32(byte)) else { continue }
                let handlers = lock.withLock { entries.filter { $0.signal == signal } }
                for entry in handlers {
                    lock.lock()
                    let active = entries.contains { $0.id == entry.id }
                    if active { dispatching = entry.id }
                    lock.unlock()
                    guard active else { continue }
                    entry.handler(signal)
                    lock.lock()
                    dispatching = nil
                    lock.broadcast()
                    lock.unlock()
                }
            }
        }
    }
}
