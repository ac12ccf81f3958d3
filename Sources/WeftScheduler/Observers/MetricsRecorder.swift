#if canImport(Glibc)
import Glibc
#endif
import WeftCore
import WeftNative

/// Per-node figures of a run, gathered from its events (`weft run
/// --metrics`): calls, time in calls (total, mean, longest), failures,
/// retries, skips and failed map items, plus the process's peak resident
/// set. An observer like any other: the run takes its usual path, and the
/// times of cheap calls are the event log's (spread evenly over the short
/// groups it times together, see Docs/cli.md), not measured one by one.
public final class MetricsRecorder: RunObserver, @unchecked Sendable {
    public struct Node: Sendable, Equatable {
        public var id: String
        /// Calls started (a mapped node's whole map is one; its items are steps).
        public var calls = 0
        /// Time in calls that finished, in ns.
        public var totalNs: UInt64 = 0
        public var maxNs: UInt64 = 0
        public var failures = 0
        public var retries = 0
        public var skipped = 0
        public var itemsFailed = 0
        /// Loops: the iterations started.
        public var iterations = 0
    }

    private let lock = ConditionLock()
    private var nodes: [Node] = []
    private var index: [String: Int] = [:]
    private var steps = 0

    public init() {}

    public func receive(_ event: RunEvent) {
        lock.withLock {
            switch event {
            case .nodeStarted(_, _, let id, _): update(id) { $0.calls += 1 }
            case .nodeFinished(_, _, let id, _, let d):
                update(id) {
                    $0.totalNs += d
                    $0.maxNs = max($0.maxNs, d)
                }
            case .nodeFailed(_, _, let id, _, _): update(id) { $0.failures += 1 }
            case .nodeRetry(_, _, let id, _, _, _): update(id) { $0.retries += 1 }
            case .nodeSkipped(_, _, let id): update(id) { $0.skipped += 1 }
            case .itemFailed(_, _, let id, _, _): update(id) { $0.itemsFailed += 1 }
            case .loopIteration(_, _, let id, _): update(id) { $0.iterations += 1 }
            case .runFinished(_, _, let s): steps += s
            case .waveFinished(_, _, _, let s): steps += s
            default: break
            }
        }
    }

    private func update(_ id: String, _ change: (inout Node) -> Void) {
        let i: Int
        if let known = index[id] {
            i = known
        } else {
            i = nodes.count
            index[id] = i
            nodes.append(Node(id: id))
        }
        change(&nodes[i])
    }

    /// The nodes, most time first (then first seen).
    public var byTime: [Node] {
        lock.withLock { nodes.enumerated().sorted { ($0.element.totalNs, -$0.offset) > ($1.element.totalNs, -$1.offset) }.map(\.element) }
    }

    /// The process's peak resident set so far, in bytes.
    public static var peakRSSBytes: Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Int(usage.ru_maxrss) * 1024
    }

    /// The figures as JSON: `{"steps", "peak_rss_bytes", "nodes": [{"node",
    /// "calls", "total_ns", "mean_ns", "max_ns", "failures", "retries",
    /// "skipped", "items_failed", "iterations"}]}`, nodes most time first.
    public func json() -> WeftValue {
        let list: [WeftValue] = byTime.map { n in
            .object([("node", .string(n.id)), ("calls", .int(Int64(n.calls))), ("total_ns", .int(Int64(n.totalNs))),
                     ("mean_ns", .int(n.calls > 0 ? Int64(n.totalNs / UInt64(n.calls)) : 0)),
                     ("max_ns", .int(Int64(n.maxNs))), ("failures", .int(Int64(n.failures))),
                     ("retries", .int(Int64(n.retries))), ("skipped", .int(Int64(n.skipped))),
                     ("items_failed", .int(Int64(n.itemsFailed))), ("iterations", .int(Int64(n.iterations)))])
        }
        return .object([("steps", .int(Int64(lock.withLock { steps }))), ("peak_rss_bytes", .int(Int64(Self.peakRSSBytes))),
                        ("nodes", .list(list))])
    }

    /// The figures as a table: a line per node (most time first, at most
    /// `limit`), then the totals.
    public func table(limit: Int = 30) -> String {
        let all = byTime
        let shown = all.prefix(limit)
        func ms(_ ns: UInt64) -> String { String(format2: Double(ns) / 1e6) }
        func us(_ ns: UInt64) -> String { String(format2: Double(ns) / 1e3) }
        var rows = [["node", "calls", "total ms", "mean µs", "max µs", "failed", "retried", "skipped", "iterations"]]
        for n in shown {
            rows.append([n.id, "\(n.calls)", ms(n.totalNs), us(n.calls > 0 ? n.totalNs / UInt64(n.calls) : 0), us(n.maxNs),
                         "\(n.failures + n.itemsFailed)", "\(n.retries)", "\(n.skipped)", "\(n.iterations)"])
        }
        var widths = [Int](repeating: 0, count: rows[0].count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        var out = ""
        for r in rows {
            let cells = r.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return i == 0 ? c + pad : pad + c
            }
            out += cells.joined(separator: "  ") + "\n"
        }
        if all.count > shown.count { out += "(\(all.count - shown.count) more nodes; --json --metrics lists them all)\n" }
        out += "steps \(lock.withLock { steps }), peak memory \(String(format2: Double(Self.peakRSSBytes) / 1_048_576)) MiB\n"
        return out
    }
}
