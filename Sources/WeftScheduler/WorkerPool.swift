import WeftNative

/// A bounded pool of real threads for node execution, plus elastic extra
/// threads for nodes flagged blocking.
///
/// Compute jobs run on at most `computeThreads` threads. A blocking job
/// (sleep, I/O) gets a thread of its own — an idle blocking thread or a new
/// one, up to `maxBlockingThreads` — so it never holds a compute worker;
/// past the cap blocking jobs queue. Threads start on first use and exit at
/// `shutdown`. Each thread owns one `CallContext`.
final class WorkerPool: @unchecked Sendable {
    typealias Job = @Sendable (_ thread: Int, _ context: CallContext) -> Void

    private let lock = ConditionLock()
    private var compute = JobQueue()
    private var blocking = JobQueue()
    private var computeStarted = 0
    private var blockingStarted = 0
    private var blockingIdle = 0
    private var stopping = false
    private let computeThreads: Int
    private let maxBlockingThreads: Int

    init(computeThreads: Int, maxBlockingThreads: Int) {
        self.computeThreads = max(1, computeThreads)
        self.maxBlockingThreads = max(1, maxBlockingThreads)
    }

    func submit(blocking isBlocking: Bool, _ job: @escaping Job) {
        lock.lock()
        if isBlocking {
            blocking.append(job)
            if blockingIdle == 0 && blockingStarted < maxBlockingThreads {
                blockingStarted += 1
                let id = computeThreads + blockingStarted
                lock.unlock()
                POSIXThread.spawn { self.loop(thread: id, blocking: true) }
                return
            }
        } else {
            compute.append(job)
            if computeStarted < computeThreads && computeStarted < pendingCompute {
                computeStarted += 1
                let id = computeStarted
                lock.unlock()
                POSIXThread.spawn { self.loop(thread: id, blocking: false) }
                return
            }
        }
        lock.broadcast()
        lock.unlock()
    }

    private var pendingCompute: Int { compute.count }

    /// Starts one compute thread now if none has started, so the first
    /// job does not wait for a thread to be made (a run that will hand out
    /// batches calls this as it starts).
    func warmUp() {
        lock.lock()
        guard computeStarted == 0 else {
            lock.unlock()
            return
        }
        computeStarted = 1
        lock.unlock()
        POSIXThread.spawn { self.loop(thread: 1, blocking: false) }
    }

    /// Lets every thread finish its queue and exit.
    /// Jobs still queued run first; the queues are emptied of finished jobs
    /// so no closure (and nothing it captured) outlives the pool's work.
    func shutdown() {
        lock.withLock {
            stopping = true
            lock.broadcast()
        }
    }

    private func take(blocking isBlocking: Bool) -> Job? {
        isBlocking ? blocking.take() : compute.take()
    }

    private func loop(thread: Int, blocking isBlocking: Bool) {
        let context = CallContext()
        lock.lock()
        while true {
            if let job = take(blocking: isBlocking) {
                lock.unlock()
                job(thread, context)
                lock.lock()
                continue
            }
            if stopping { break }
            if isBlocking { blockingIdle += 1 }
            lock.wait()
            if isBlocking { blockingIdle -= 1 }
        }
        lock.unlock()
    }
}

/// A FIFO of jobs: taken from a moving head, the array compacted when it
/// empties or its taken half passes 1,024 entries. (Under the pool's lock.)
private struct JobQueue {
    private var jobs: [WorkerPool.Job] = []
    private var head = 0

    var count: Int { jobs.count - head }

    mutating func append(_ job: @escaping WorkerPool.Job) { jobs.append(job) }

    mutating func take() -> WorkerPool.Job? {
        guard head < jobs.count else { return nil }
        let j = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024 && head * 2 > jobs.count {
            jobs.removeFirst(head)
            head = 0
        }
        return j
    }
}
