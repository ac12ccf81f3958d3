// The benchmark scenarios on oneTBB's flow graph (tbb::flow::graph).
//
// Usage: tbb_flow SCENARIO N [WORKERS]   (prints one line of JSON, exit 0;
//                                         bad arguments: message, exit 2)
//   chain N              N serial function_nodes chained by make_edge, 1 worker
//   independent N W      a broadcast_node feeding N function_nodes (unlimited)
//   loop N               a serial multifunction_node whose output port is
//                        edged to its own input, 1 worker
//   sleeps N             N function_nodes (unlimited) sleeping 200 ms, then a
//                        continue_node join; default task arena
//   cpu ITERATIONS W     2 function_nodes calling spin(ITERATIONS), then a
//                        join_node and a function_node adding the results
//
// The worker count is set with tbb::global_control(max_allowed_parallelism).
// `seconds` times try_put .. wait_for_all (building the graph is not timed).
//
// Build: see build.sh (spin.c is compiled as C, linked with -ltbb).
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/info.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <sys/resource.h>
#include <time.h>

extern "C" double spin(int64_t iterations); // spin.c

namespace flow = tbb::flow;

namespace {

double now()
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return double(t.tv_sec) + double(t.tv_nsec) * 1e-9;
}

double cpu_now()
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return double(r.ru_utime.tv_sec) + double(r.ru_utime.tv_usec) * 1e-6 +
           double(r.ru_stime.tv_sec) + double(r.ru_stime.tv_usec) * 1e-6;
}

// round(1e6 * x), half away from zero: the same arithmetic as floor.c.
int64_t round_micro(double x)
{
    double v = 1e6 * x;
    return int64_t(v >= 0 ? v + 0.5 : v - 0.5);
}

[[noreturn]] void usage(const char *why)
{
    if (why) std::fprintf(stderr, "tbb_flow: %s\n", why);
    std::fprintf(stderr,
                 "usage: tbb_flow SCENARIO N [WORKERS]\n"
                 "  chain N            (WORKERS, if given, must be 1)\n"
                 "  independent N [WORKERS]   (default 1)\n"
                 "  loop N             (WORKERS, if given, must be 1)\n"
                 "  sleeps N           (default task arena; no WORKERS)\n"
                 "  cpu ITERATIONS [WORKERS]  (default 1)\n");
    std::exit(2);
}

bool parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = std::strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) return false;
    *out = v;
    return true;
}

void sleep_200ms()
{
    struct timespec t = {0, 200 * 1000 * 1000}, rest;
    while (nanosleep(&t, &rest) != 0 && errno == EINTR) t = rest;
}

struct outcome {
    double seconds;
    int64_t result;
    double cpu_seconds;
};

// N serial function_nodes, each adding 1; the last one records the result.
outcome chain(int64_t n)
{
    using node_t = flow::function_node<int64_t, int64_t>;
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, 1);
    int64_t result = -1;
    flow::graph g;
    std::vector<std::unique_ptr<node_t>> nodes;
    nodes.reserve(size_t(n));
    for (int64_t i = 0; i + 1 < n; i++)
        nodes.emplace_back(new node_t(g, flow::serial, [](int64_t x) { return x + 1; }));
    nodes.emplace_back(new node_t(g, flow::serial, [&result](int64_t x) {
        result = x + 1;
        return x + 1;
    }));
    for (int64_t i = 0; i + 1 < n; i++) flow::make_edge(*nodes[size_t(i)], *nodes[size_t(i + 1)]);
    double t0 = now();
    nodes[0]->try_put(0);
    g.wait_for_all();
    double t1 = now();
    return {t1 - t0, result, 0};
}

// A broadcast_node feeding N distinct function_nodes; node i outputs i + 1
// into its own output cell; the cells are summed after wait_for_all (timed).
outcome independent(int64_t n, int64_t workers)
{
    using node_t = flow::function_node<flow::continue_msg, flow::continue_msg>;
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, size_t(workers));
    std::vector<int64_t> out(size_t(n), 0);
    flow::graph g;
    flow::broadcast_node<flow::continue_msg> start(g);
    std::vector<std::unique_ptr<node_t>> nodes;
    nodes.reserve(size_t(n));
    for (int64_t i = 0; i < n; i++) {
        int64_t *cell = &out[size_t(i)];
        nodes.emplace_back(new node_t(g, flow::unlimited, [cell, i](flow::continue_msg) {
            *cell = i + 1;
            return flow::continue_msg();
        }));
        flow::make_edge(start, *nodes.back());
    }
    double t0 = now();
    start.try_put(flow::continue_msg());
    g.wait_for_all();
    int64_t sum = 0;
    for (int64_t v : out) sum += v;
    double t1 = now();
    return {t1 - t0, sum, 0};
}

// A cycle: the loop node's output port 0 is edged to its own input. A
// function_node always emits its result, so with a self-edge it could never
// stop; a multifunction_node puts only when the loop continues and records
// the result when it stops, so the graph goes idle and wait_for_all returns.
outcome loop(int64_t n)
{
    using node_t = flow::multifunction_node<int64_t, std::tuple<int64_t>>;
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, 1);
    int64_t result = -1;
    flow::graph g;
    node_t body(g, flow::serial, [n, &result](const int64_t &i, node_t::output_ports_type &ports) {
        if (i == n)
            result = i;
        else
            std::get<0>(ports).try_put(i + 1);
    });
    flow::make_edge(flow::output_port<0>(body), body);
    double t0 = now();
    body.try_put(0);
    g.wait_for_all();
    double t1 = now();
    return {t1 - t0, result, 0};
}

// N function_nodes (unlimited concurrency) sleeping 200 ms each, started by
// a broadcast_node, joined by a continue_node (it fires once all N have
// finished) that counts their outputs. Default task arena.
outcome sleeps(int64_t n)
{
    using node_t = flow::function_node<flow::continue_msg, flow::continue_msg>;
    std::vector<int64_t> done(size_t(n), 0);
    int64_t result = -1;
    flow::graph g;
    flow::broadcast_node<flow::continue_msg> start(g);
    flow::continue_node<flow::continue_msg> join(g, [&done, &result](const flow::continue_msg &) {
        int64_t c = 0;
        for (int64_t v : done) c += v;
        result = c;
        return flow::continue_msg();
    });
    std::vector<std::unique_ptr<node_t>> nodes;
    for (int64_t i = 0; i < n; i++) {
        int64_t *cell = &done[size_t(i)];
        nodes.emplace_back(new node_t(g, flow::unlimited, [cell](flow::continue_msg) {
            sleep_200ms();
            *cell = 1;
            return flow::continue_msg();
        }));
        flow::make_edge(start, *nodes.back());
        flow::make_edge(*nodes.back(), join);
    }
    double t0 = now();
    start.try_put(flow::continue_msg());
    g.wait_for_all();
    double t1 = now();
    return {t1 - t0, result, 0};
}

// 2 function_nodes calling spin, a join_node pairing their results and a
// function_node adding them. WORKERS threads at most.
outcome cpu(int64_t iterations, int64_t workers)
{
    using spin_t = flow::function_node<flow::continue_msg, double>;
    using pair_t = std::tuple<double, double>;
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism, size_t(workers));
    int64_t result = -1;
    flow::graph g;
    flow::broadcast_node<flow::continue_msg> start(g);
    auto body = [iterations](flow::continue_msg) { return spin(iterations); };
    spin_t a(g, flow::unlimited, body), b(g, flow::unlimited, body);
    flow::join_node<pair_t, flow::queueing> join(g);
    flow::function_node<pair_t, flow::continue_msg> add(g, flow::serial, [&result](const pair_t &p) {
        result = round_micro(std::get<0>(p) + std::get<1>(p));
        return flow::continue_msg();
    });
    flow::make_edge(start, a);
    flow::make_edge(start, b);
    flow::make_edge(a, flow::input_port<0>(join));
    flow::make_edge(b, flow::input_port<1>(join));
    flow::make_edge(join, add);
    double c0 = cpu_now();
    double t0 = now();
    start.try_put(flow::continue_msg());
    g.wait_for_all();
    double t1 = now();
    double c1 = cpu_now();
    return {t1 - t0, result, c1 - c0};
}

} // namespace

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) usage("expected SCENARIO N [WORKERS]");
    std::string scenario = argv[1];
    int64_t n = 0, workers = 1;
    bool has_workers = argc == 4;
    if (has_workers && !parse_int(argv[3], 1, 256, &workers))
        usage("WORKERS must be an integer from 1 to 256");
    const int64_t max_nodes = 100000000;

    outcome o;
    if (scenario == "chain") {
        if (!parse_int(argv[2], 1, max_nodes, &n)) usage("chain: N must be an integer from 1 to 100000000");
        if (workers != 1) usage("chain is single-threaded: WORKERS must be 1");
        o = chain(n);
    } else if (scenario == "independent") {
        if (!parse_int(argv[2], 1, max_nodes, &n)) usage("independent: N must be an integer from 1 to 100000000");
        o = independent(n, workers);
    } else if (scenario == "loop") {
        if (!parse_int(argv[2], 0, INT64_MAX - 1, &n)) usage("loop: N must be a non-negative integer");
        if (workers != 1) usage("loop is single-threaded: WORKERS must be 1");
        o = loop(n);
    } else if (scenario == "sleeps") {
        if (!parse_int(argv[2], 1, 1024, &n)) usage("sleeps: N must be an integer from 1 to 1024");
        if (has_workers) usage("sleeps runs in the default task arena: no WORKERS");
        workers = tbb::info::default_concurrency();
        o = sleeps(n);
    } else if (scenario == "cpu") {
        if (!parse_int(argv[2], 0, INT64_MAX, &n)) usage("cpu: ITERATIONS must be a non-negative integer");
        o = cpu(n, workers);
    } else {
        usage("unknown scenario (chain, independent, loop, sleeps, cpu)");
    }

    std::printf("{\"peer\":\"tbb\",\"scenario\":\"%s\",\"n\":%lld,\"workers\":%lld,\"seconds\":%.9f,",
                scenario.c_str(), (long long)n, (long long)workers, o.seconds);
    if (scenario == "cpu") std::printf("\"cpu_seconds\":%.6f,", o.cpu_seconds);
    std::printf("\"result\":%lld}\n", (long long)o.result);
    return 0;
}
