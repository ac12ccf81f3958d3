/* The "C floor": the lower bound a graph engine could reach on the benchmark
 * scenarios. A graph is an array of nodes, each with a function pointer, its
 * input slot(s), its output, its successor edges and a pending-input counter.
 * Running it is a FIFO ready queue of node indices: pop a node, call its fn,
 * deliver its output to the successors, decrement their counters, enqueue
 * the ones that became ready. Nothing else: no types, no validation, no
 * allocation while running.
 *
 * Usage: floor SCENARIO N [WORKERS]   (prints one line of JSON, exit 0;
 *                                      bad arguments: message, exit 2)
 *   chain N              N nodes in a chain, each adds 1; the first gets 0
 *   independent N W      N nodes without edges, node i outputs i + 1; W threads
 *   loop N               one node whose successor is itself, N passes
 *   sleeps N             N nodes sleeping 200 ms (one thread each), then a join
 *   cpu ITERATIONS W     2 nodes calling spin(ITERATIONS), then a join
 *
 * Build: gcc -O2 -std=c11 floor.c spin.c -o floor -lpthread (see build.sh).
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

double spin(int64_t iterations); /* spin.c */

/* ---------------------------------------------------------------- graph */

union value {
    int64_t i;
    double d;
};

struct edge {
    int32_t to;   /* successor node index */
    int32_t port; /* its input slot */
};

enum { EMIT_NONE, EMIT_SUCC, EMIT_SINK };

/* One cache line. A node with one input uses its own `slot`; a join points
 * `in` at an array of slots, one per predecessor (port). */
struct node {
    void (*fn)(struct node *);
    union value *in;
    union value out;
    struct edge *succ;
    int64_t aux;     /* per-node constant: index, N, ... */
    int32_t nsucc;
    int32_t npreds;  /* inputs needed to fire */
    int32_t pending; /* inputs still missing */
    int32_t emit;    /* set by fn (default EMIT_SUCC): where `out` goes */
    union value slot;
};

struct graph {
    struct node *nodes;
    int32_t nnodes;
    int32_t *start; /* initially ready nodes, in order */
    int32_t nstart;
};

/* Where an emitted output goes: to the successors; a node without
 * successors (or one that emits EMIT_SINK) adds it to the run's result. */

static void *xalloc(size_t count, size_t size)
{
    size_t bytes = count * size;
    if (size != 0 && bytes / size != count) {
        fprintf(stderr, "floor: allocation too large\n");
        exit(1);
    }
    bytes = (bytes + 63) / 64 * 64;
    if (bytes == 0) bytes = 64;
    void *p = aligned_alloc(64, bytes);
    if (!p) {
        fprintf(stderr, "floor: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    memset(p, 0, bytes);
    return p;
}

static void graph_init(struct graph *g, int32_t nnodes, int32_t nstart)
{
    g->nodes = xalloc((size_t)nnodes, sizeof(struct node));
    g->nnodes = nnodes;
    g->start = xalloc((size_t)(nstart > 0 ? nstart : 1), sizeof(int32_t));
    g->nstart = nstart;
    for (int32_t i = 0; i < nnodes; i++) {
        struct node *n = &g->nodes[i];
        n->in = &n->slot;
        n->emit = EMIT_SUCC;
    }
}

static uint32_t pow2_at_least(uint32_t x)
{
    uint32_t p = 1;
    while (p < x) p <<= 1;
    return p;
}

/* ---------------------------------------------------- sequential runner */

/* The ready queue: a ring of node indices. A node is in it at most once (it
 * is enqueued when its counter reaches 0 and the counter is reset when it
 * fires), so nnodes slots are enough. */
static int64_t run_sequential(struct graph *g, int32_t *ring, uint32_t mask)
{
    struct node *nodes = g->nodes;
    uint32_t head = 0, tail = 0;
    int64_t sink = 0;
    for (int32_t i = 0; i < g->nstart; i++) ring[tail++ & mask] = g->start[i];
    while (head != tail) {
        struct node *n = &nodes[ring[head++ & mask]];
        n->fn(n);
        n->pending = n->npreds;
        if (n->emit == EMIT_SUCC && n->nsucc != 0) {
            const struct edge *e = n->succ, *end = e + n->nsucc;
            for (; e != end; e++) {
                struct node *d = &nodes[e->to];
                d->in[e->port] = n->out;
                if (--d->pending == 0) ring[tail++ & mask] = e->to;
            }
        } else if (n->emit != EMIT_NONE) {
            sink += n->out.i;
        }
    }
    return sink;
}

/* ------------------------------------------------------ parallel runner */

/* W threads (the caller plus W - 1 pthreads) take the initially ready nodes
 * from the start list through a shared atomic index, in chunks. A node made
 * ready by a delivery goes to the local FIFO of the thread that made the
 * last delivery (the atomic decrement that reaches 0), which runs it; every
 * thread drains its own FIFO before it leaves, so every node runs. Delivery
 * writes its own slot, then decrements the counter (acq_rel): the thread
 * that fires the node sees all its inputs. */
struct shared {
    struct graph *g;
    uint64_t next; /* next start-list index, atomic */
    uint64_t chunk;
};

struct worker {
    struct shared *s;
    int32_t *ring;
    uint32_t mask;
    int64_t sink;
    pthread_t thread;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared *s = w->s;
    struct graph *g = s->g;
    struct node *nodes = g->nodes;
    int32_t *ring = w->ring;
    uint32_t mask = w->mask, head = 0, tail = 0;
    int64_t sink = 0;
    for (;;) {
        uint64_t b = __atomic_fetch_add(&s->next, s->chunk, __ATOMIC_RELAXED);
        if (b >= (uint64_t)g->nstart) break;
        uint64_t e = b + s->chunk;
        if (e > (uint64_t)g->nstart) e = (uint64_t)g->nstart;
        for (uint64_t k = b; k < e; k++) {
            ring[tail++ & mask] = g->start[k];
            while (head != tail) {
                struct node *n = &nodes[ring[head++ & mask]];
                n->fn(n);
                n->pending = n->npreds;
                if (n->emit == EMIT_SUCC && n->nsucc != 0) {
                    const struct edge *ed = n->succ, *end = ed + n->nsucc;
                    for (; ed != end; ed++) {
                        struct node *d = &nodes[ed->to];
                        d->in[ed->port] = n->out;
                        if (__atomic_sub_fetch(&d->pending, 1, __ATOMIC_ACQ_REL) == 0)
                            ring[tail++ & mask] = ed->to;
                    }
                } else if (n->emit != EMIT_NONE) {
                    sink += n->out.i;
                }
            }
        }
    }
    w->sink = sink;
    return NULL;
}

/* The workers and their queues are set up before the clock starts; the
 * threads are created inside the timed part (run_parallel). */
struct parallel {
    struct shared s;
    struct worker *w;
    int workers;
};

static void parallel_init(struct parallel *p, struct graph *g, int workers)
{
    p->s.g = g;
    p->s.next = 0;
    uint64_t chunk = (uint64_t)g->nstart / ((uint64_t)workers * 8);
    p->s.chunk = chunk < 1 ? 1 : chunk > 256 ? 256 : chunk;
    p->workers = workers;
    p->w = xalloc((size_t)workers, sizeof(struct worker));
    uint32_t cap = pow2_at_least((uint32_t)g->nnodes);
    for (int i = 0; i < workers; i++) {
        p->w[i].s = &p->s;
        p->w[i].ring = xalloc(cap, sizeof(int32_t));
        p->w[i].mask = cap - 1;
    }
}

static int64_t run_parallel(struct parallel *p)
{
    for (int i = 1; i < p->workers; i++) {
        int rc = pthread_create(&p->w[i].thread, NULL, worker_main, &p->w[i]);
        if (rc != 0) {
            fprintf(stderr, "floor: pthread_create: %s\n", strerror(rc));
            exit(1);
        }
    }
    worker_main(&p->w[0]);
    int64_t sink = p->w[0].sink;
    for (int i = 1; i < p->workers; i++) {
        pthread_join(p->w[i].thread, NULL);
        sink += p->w[i].sink;
    }
    return sink;
}

/* ------------------------------------------------------------ node kinds */

static void fn_add1(struct node *n) { n->out.i = n->in[0].i + 1; }

static void fn_index_plus1(struct node *n) { n->out.i = n->aux + 1; }

/* aux = N: i == N stops (the result leaves the loop), else i + 1 goes round. */
static void fn_loop(struct node *n)
{
    int64_t i = n->in[0].i;
    if (i == n->aux) {
        n->out.i = i;
        n->emit = EMIT_SINK;
    } else {
        n->out.i = i + 1;
        n->emit = EMIT_SUCC;
    }
}

static void fn_sleep(struct node *n)
{
    struct timespec t = {0, 200 * 1000 * 1000}, rest;
    while (nanosleep(&t, &rest) != 0 && errno == EINTR) t = rest;
    n->out.i = 1;
}

/* Counts its inputs: the sum of npreds slots of 1. */
static void fn_count(struct node *n)
{
    int64_t c = 0;
    for (int32_t k = 0; k < n->npreds; k++) c += n->in[k].i;
    n->out.i = c;
}

static void fn_spin(struct node *n) { n->out.d = spin(n->aux); }

/* round(1e6 * (a + b)), half away from zero, without libm. */
static int64_t round_micro(double x)
{
    double v = 1e6 * x;
    return (int64_t)(v >= 0 ? v + 0.5 : v - 0.5);
}

static void fn_sum_spins(struct node *n)
{
    n->out.i = round_micro(n->in[0].d + n->in[1].d);
}

/* -------------------------------------------------------------- helpers */

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return (double)r.ru_utime.tv_sec + (double)r.ru_utime.tv_usec * 1e-6 +
           (double)r.ru_stime.tv_sec + (double)r.ru_stime.tv_usec * 1e-6;
}

static const char *prog = "floor";

static void usage(const char *why)
{
    if (why) fprintf(stderr, "%s: %s\n", prog, why);
    fprintf(stderr,
            "usage: %s SCENARIO N [WORKERS]\n"
            "  chain N            (WORKERS, if given, must be 1)\n"
            "  independent N [WORKERS]   (default 1)\n"
            "  loop N             (WORKERS, if given, must be 1)\n"
            "  sleeps N           (one thread per node; no WORKERS)\n"
            "  cpu ITERATIONS [WORKERS]  (default 1)\n",
            prog);
    exit(2);
}

static int parse_int(const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < min || v > max) return 0;
    *out = v;
    return 1;
}

/* ------------------------------------------------------------ scenarios */

#define MAX_NODES 100000000 /* 6.4 GB of nodes; int32 indices */

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) usage("expected SCENARIO N [WORKERS]");
    const char *scenario = argv[1];
    int64_t n, workers = 1;
    int has_workers = argc == 4;
    if (has_workers && !parse_int(argv[3], 1, 256, &workers))
        usage("WORKERS must be an integer from 1 to 256");

    struct graph g;
    double t0, t1, c0 = 0, c1 = 0;
    int64_t result;
    int64_t reported_workers = workers;

    if (strcmp(scenario, "chain") == 0) {
        if (!parse_int(argv[2], 1, MAX_NODES, &n)) usage("chain: N must be an integer from 1 to 100000000");
        if (workers != 1) usage("chain is single-threaded: WORKERS must be 1");
        graph_init(&g, (int32_t)n, 1);
        struct edge *edges = xalloc((size_t)n, sizeof(struct edge));
        for (int32_t i = 0; i < (int32_t)n; i++) {
            struct node *nd = &g.nodes[i];
            nd->fn = fn_add1;
            nd->npreds = nd->pending = i == 0 ? 0 : 1;
            if (i + 1 < (int32_t)n) {
                edges[i].to = i + 1;
                edges[i].port = 0;
                nd->succ = &edges[i];
                nd->nsucc = 1;
            }
        }
        g.nodes[0].slot.i = 0; /* the chain's input */
        g.start[0] = 0;
        uint32_t cap = pow2_at_least((uint32_t)g.nnodes);
        int32_t *ring = xalloc(cap, sizeof(int32_t));
        t0 = now();
        result = run_sequential(&g, ring, cap - 1);
        t1 = now();
    } else if (strcmp(scenario, "independent") == 0) {
        if (!parse_int(argv[2], 1, MAX_NODES, &n)) usage("independent: N must be an integer from 1 to 100000000");
        graph_init(&g, (int32_t)n, (int32_t)n);
        for (int32_t i = 0; i < (int32_t)n; i++) {
            g.nodes[i].fn = fn_index_plus1;
            g.nodes[i].aux = i;
            g.start[i] = i;
        }
        if (workers == 1) {
            uint32_t cap = pow2_at_least((uint32_t)g.nnodes);
            int32_t *ring = xalloc(cap, sizeof(int32_t));
            t0 = now();
            result = run_sequential(&g, ring, cap - 1);
            t1 = now();
        } else {
            struct parallel p;
            parallel_init(&p, &g, (int)workers);
            t0 = now();
            result = run_parallel(&p);
            t1 = now();
        }
    } else if (strcmp(scenario, "loop") == 0) {
        if (!parse_int(argv[2], 0, INT64_MAX - 1, &n)) usage("loop: N must be a non-negative integer");
        if (workers != 1) usage("loop is single-threaded: WORKERS must be 1");
        graph_init(&g, 1, 1);
        static struct edge self = {0, 0};
        struct node *nd = &g.nodes[0];
        nd->fn = fn_loop;
        nd->aux = n;
        nd->succ = &self;
        nd->nsucc = 1;
        nd->npreds = nd->pending = 1; /* its own output */
        nd->slot.i = 0;               /* i starts at 0 */
        g.start[0] = 0;
        int32_t ring[1];
        t0 = now();
        result = run_sequential(&g, ring, 0);
        t1 = now();
    } else if (strcmp(scenario, "sleeps") == 0) {
        if (!parse_int(argv[2], 1, 1024, &n)) usage("sleeps: N must be an integer from 1 to 1024");
        if (has_workers) usage("sleeps runs one thread per node: no WORKERS");
        /* nodes 0..n-1 sleep, node n joins them (one input port each) */
        graph_init(&g, (int32_t)n + 1, (int32_t)n);
        struct edge *edges = xalloc((size_t)n, sizeof(struct edge));
        struct node *join = &g.nodes[n];
        join->fn = fn_count;
        join->in = xalloc((size_t)n, sizeof(union value));
        join->npreds = join->pending = (int32_t)n;
        for (int32_t i = 0; i < (int32_t)n; i++) {
            g.nodes[i].fn = fn_sleep;
            edges[i].to = (int32_t)n;
            edges[i].port = i;
            g.nodes[i].succ = &edges[i];
            g.nodes[i].nsucc = 1;
            g.start[i] = i;
        }
        workers = reported_workers = n; /* one thread per node */
        struct parallel p;
        parallel_init(&p, &g, (int)workers);
        t0 = now();
        result = run_parallel(&p);
        t1 = now();
    } else if (strcmp(scenario, "cpu") == 0) {
        if (!parse_int(argv[2], 0, INT64_MAX, &n)) usage("cpu: ITERATIONS must be a non-negative integer");
        /* nodes 0 and 1 spin, node 2 adds their results */
        graph_init(&g, 3, 2);
        static struct edge edges[2] = {{2, 0}, {2, 1}};
        struct node *join = &g.nodes[2];
        join->fn = fn_sum_spins;
        join->in = xalloc(2, sizeof(union value));
        join->npreds = join->pending = 2;
        for (int32_t i = 0; i < 2; i++) {
            g.nodes[i].fn = fn_spin;
            g.nodes[i].aux = n;
            g.nodes[i].succ = &edges[i];
            g.nodes[i].nsucc = 1;
            g.start[i] = i;
        }
        if (workers == 1) {
            int32_t ring[4];
            c0 = cpu_now();
            t0 = now();
            result = run_sequential(&g, ring, 3);
            t1 = now();
            c1 = cpu_now();
        } else {
            struct parallel p;
            parallel_init(&p, &g, (int)workers);
            c0 = cpu_now();
            t0 = now();
            result = run_parallel(&p);
            t1 = now();
            c1 = cpu_now();
        }
    } else {
        usage("unknown scenario (chain, independent, loop, sleeps, cpu)");
        return 2;
    }

    printf("{\"peer\":\"floor\",\"scenario\":\"%s\",\"n\":%lld,\"workers\":%lld,"
           "\"seconds\":%.9f,",
           scenario, (long long)n, (long long)reported_workers, t1 - t0);
    if (strcmp(scenario, "cpu") == 0) printf("\"cpu_seconds\":%.6f,", c1 - c0);
    printf("\"result\":%lld}\n", (long long)result);
    return 0;
}
