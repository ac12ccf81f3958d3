import Prometheus
import WeftScheduler
import WeftStore

/// The server's metrics (`GET /metrics`, swift-prometheus): counters kept
/// as things happen, and gauges read from the store when scraped.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let immediateRuns: Counter
    let queuedRuns: Counter
    let nodeDurations: DurationHistogram
    let queueDepth: Gauge
    let workers: Gauge

    init(workers: Int) {
        immediateRuns = registry.makeCounter(descriptor: Self.name("runs_started", "total", "Runs started through the API"),
                                             labels: [("mode", "immediate")])
        queuedRuns = registry.makeCounter(descriptor: Self.name("runs_started", "total", "Runs started through the API"),
                                          labels: [("mode", "queued")])
        nodeDurations = registry.makeDurationHistogram(
            descriptor: Self.name("node_duration", "seconds", "Node calls of the runs this process executed for the queue"),
            buckets: [.microseconds(10), .microseconds(100), .milliseconds(1), .milliseconds(10), .milliseconds(100),
                      .seconds(1), .seconds(10)])
        queueDepth = registry.makeGauge(descriptor: Self.name("queue", "depth", "Runs waiting in the queue"))
        self.workers = registry.makeGauge(descriptor: Self.name("workers", "", "Queue workers of this process"))
        self.workers.set(Double(workers))
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "weft", metricName: metric, unitName: unit, helpText: help)
    }

    /// Runs by state: a gauge per state seen.
    func update(from store: any RunJournal) {
        if let depth = try? store.queueDepth() { queueDepth.set(Double(depth)) }
        guard let counts = try? store.countsByState() else { return }
        let states = ["queued", "running", "paused", "succeeded", "failed", "cancelled"]
        for state in states + counts.map(\.state).filter({ !states.contains($0) }) {
            registry.makeGauge(descriptor: Self.name("runs", "", "Runs in the store by state"), labels: [("state", state)])
                .set(Double(counts.first { $0.state == state }?.count ?? 0))
        }
    }

    func requests(status: Int) -> Counter {
        registry.makeCounter(descriptor: Self.name("http_requests", "total", "HTTP requests answered, by status"),
                             labels: [("status", String(status))])
    }
}

/// Feeds the node duration histogram from a run's events.
final class NodeDurationObserver: RunObserver, Sendable {
    let histogram: DurationHistogram

    init(_ histogram: DurationHistogram) { self.histogram = histogram }

    func receive(_ event: RunEvent) {
        if case .nodeFinished(_, _, _, _, let duration) = event {
            histogram.record(.nanoseconds(Int64(clamping: duration)))
        }
    }
}
