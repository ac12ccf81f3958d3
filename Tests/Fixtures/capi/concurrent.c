/*
 * concurrent.c — one engine, one graph, several runs at once from several
 * threads; a run cancelled while it runs; a run destroyed while it runs;
 * node destroy callbacks all done when weft_run_destroy returns.
 *
 *   cc -std=c99 -Wall -Wextra -Werror concurrent.c \
 *      $(pkg-config --cflags --libs weft) -lpthread -o concurrent
 *   ./concurrent [N]     (N: loop length of the concurrent runs, default 20000)
 *
 * Prints `concurrent: ok` and exits 0 when every check passes; otherwise a
 * `FAIL line N: ...` line per failed check and exit code 1.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <weft/weft.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int failures;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

#define CHECK(cond, ...)                                                              \
    do {                                                                              \
        if (!(cond)) {                                                                \
            pthread_mutex_lock(&report_lock);                                         \
            failures++;                                                               \
            printf("FAIL line %d: ", __LINE__);                                       \
            printf(__VA_ARGS__);                                                      \
            printf(" (last error: \"%s\") -- %s\n", weft_last_error(), #cond);        \
            fflush(stdout);                                                           \
            pthread_mutex_unlock(&report_lock);                                       \
        }                                                                             \
    } while (0)

#define CHECK_OK(call) CHECK((call) == WEFT_OK, "expected WEFT_OK")

/* The sum of 0..n-1 in a loop of std nodes; `count` is n. */
static const char *SUM_GRAPH =
    "{\"weft\": 1, \"inputs\": {\"n\": \"int\"},"
    " \"nodes\": ["
    "  {\"id\": \"loop\", \"type\": \"loop\", \"carry\": {\"i\": \"int\", \"sum\": \"int\"},"
    "   \"inputs\": {\"i\": 0, \"sum\": 0}, \"max_iterations\": 1000000},"
    "  {\"id\": \"more\", \"type\": \"std.lt\"},"
    "  {\"id\": \"inc\", \"type\": \"std.add\", \"inputs\": {\"b\": 1}},"
    "  {\"id\": \"acc\", \"type\": \"std.add\"}"
    " ],"
    " \"edges\": ["
    "  {\"from\": \"loop.i\", \"to\": \"more.a\"}, {\"from\": \"$n\", \"to\": \"more.b\"},"
    "  {\"from\": \"more.result\", \"to\": \"loop.continue\"},"
    "  {\"from\": \"loop.i\", \"to\": \"inc.a\"}, {\"from\": \"inc.result\", \"to\": \"loop.next_i\"},"
    "  {\"from\": \"loop.sum\", \"to\": \"acc.a\"}, {\"from\": \"loop.i\", \"to\": \"acc.b\"},"
    "  {\"from\": \"acc.result\", \"to\": \"loop.next_sum\"}"
    " ],"
    " \"outputs\": {\"sum\": \"loop.done_sum\", \"count\": \"loop.done_i\"}}";

/* n passes of a loop with a time.sleep of ms each; `count` is n. */
static const char *SLOW_GRAPH =
    "{\"weft\": 1,"
    " \"inputs\": {\"ms\": {\"type\": \"int\", \"default\": 20}, \"n\": {\"type\": \"int\", \"default\": 1000000}},"
    " \"nodes\": ["
    "  {\"id\": \"loop\", \"type\": \"loop\", \"carry\": {\"i\": \"int\"}, \"inputs\": {\"i\": 0},"
    "   \"max_iterations\": 2000000000},"
    "  {\"id\": \"more\", \"type\": \"std.lt\"},"
    "  {\"id\": \"nap\", \"type\": \"time.sleep\"},"
    "  {\"id\": \"inc\", \"type\": \"std.add\", \"inputs\": {\"b\": 1}}"
    " ],"
    " \"edges\": ["
    "  {\"from\": \"loop.i\", \"to\": \"more.a\"}, {\"from\": \"$n\", \"to\": \"more.b\"},"
    "  {\"from\": \"more.result\", \"to\": \"loop.continue\"},"
    "  {\"from\": \"$ms\", \"to\": \"nap.ms\"}, {\"from\": \"loop.i\", \"to\": \"nap.value\"},"
    "  {\"from\": \"nap.value\", \"to\": \"inc.a\"}, {\"from\": \"inc.result\", \"to\": \"loop.next_i\"}"
    " ],"
    " \"outputs\": {\"count\": \"loop.done_i\"}}";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts;
    ts.tv_sec = ms / 1000;
    ts.tv_nsec = (ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* A simple barrier (pthread_barrier_t is optional in POSIX). */
struct barrier {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int waiting, total;
};

static void barrier_wait(struct barrier *b)
{
    pthread_mutex_lock(&b->lock);
    if (++b->waiting >= b->total)
        pthread_cond_broadcast(&b->cond);
    else
        while (b->waiting < b->total)
            pthread_cond_wait(&b->cond, &b->lock);
    pthread_mutex_unlock(&b->lock);
}

/* ------------------------------------------------------------------------ */
/* 1. Several runs of one graph, started at once from several threads       */
/* ------------------------------------------------------------------------ */

#define NRUNS 4

struct starter {
    const weft_graph_t *graph;
    int64_t n;
    int mode;
    struct barrier *barrier;
    weft_run_t *run;
    weft_status_t create_status, start_status;
};

static void *start_run(void *arg)
{
    struct starter *s = arg;
    weft_run_options_t o;
    weft_run_options_init(&o);
    o.mode = s->mode;
    o.workers = 2;
    s->create_status = weft_run_create(s->graph, &o, &s->run);
    if (s->create_status == WEFT_OK)
        CHECK_OK(weft_run_set_input_int(s->run, "n", s->n));
    barrier_wait(s->barrier);
    if (s->create_status == WEFT_OK)
        s->start_status = weft_run_start(s->run);
    return NULL;
}

static void concurrent_runs(const weft_graph_t *sum, int64_t base_n)
{
    pthread_t th[NRUNS];
    struct starter st[NRUNS];
    struct barrier b = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NRUNS};
    int i, running_after_start = 0;

    for (i = 0; i < NRUNS; i++) {
        memset(&st[i], 0, sizeof st[i]);
        st[i].graph = sum;
        st[i].n = base_n + 1000 * i;
        st[i].mode = i % 2 ? WEFT_MODE_PARALLEL : WEFT_MODE_SEQUENTIAL;
        st[i].barrier = &b;
        CHECK(pthread_create(&th[i], NULL, start_run, &st[i]) == 0, "pthread_create");
    }
    for (i = 0; i < NRUNS; i++)
        pthread_join(th[i], NULL);
    for (i = 0; i < NRUNS; i++)
        if (st[i].run && weft_run_state(st[i].run) == WEFT_RUN_RUNNING)
            running_after_start++;
    /* wait from this thread, not the ones that started the runs */
    for (i = 0; i < NRUNS; i++) {
        int64_t sum_out = -1, count = -1, n = st[i].n;
        CHECK(st[i].create_status == WEFT_OK, "run %d: weft_run_create", i);
        CHECK(st[i].start_status == WEFT_OK, "run %d: weft_run_start", i);
        if (!st[i].run)
            continue;
        CHECK_OK(weft_run_wait(st[i].run, 60000));
        CHECK(weft_run_state(st[i].run) == WEFT_RUN_SUCCEEDED, "run %d: state %d", i,
              (int)weft_run_state(st[i].run));
        CHECK_OK(weft_run_output_int(st[i].run, "sum", &sum_out));
        CHECK_OK(weft_run_output_int(st[i].run, "count", &count));
        CHECK(sum_out == n * (n - 1) / 2, "run %d: sum of 0..%lld == %lld, got %lld", i, (long long)(n - 1),
              (long long)(n * (n - 1) / 2), (long long)sum_out);
        CHECK(count == n, "run %d: count %lld, got %lld", i, (long long)n, (long long)count);
        CHECK_OK(weft_run_destroy(st[i].run));
    }
    printf("concurrent runs: %d runs of one graph, %d still running when all had started\n", NRUNS,
           running_after_start);
}

/* Blocking runs overlap: NRUNS runs of n sleeps of ms each take about as
 * long as one. */
static void concurrent_sleeps(const weft_graph_t *slow)
{
    weft_run_t *runs[NRUNS];
    int i;
    double t0 = now_s(), elapsed, serial = NRUNS * 10 * 0.030;

    for (i = 0; i < NRUNS; i++) {
        runs[i] = NULL;
        CHECK_OK(weft_run_create(slow, NULL, &runs[i]));
        if (!runs[i])
            continue;
        CHECK_OK(weft_run_set_inputs_json(runs[i], "{\"n\": 10, \"ms\": 30}"));
        CHECK_OK(weft_run_start(runs[i]));
    }
    for (i = 0; i < NRUNS; i++) {
        int64_t count = -1;
        if (!runs[i])
            continue;
        CHECK_OK(weft_run_wait(runs[i], 60000));
        CHECK(weft_run_state(runs[i]) == WEFT_RUN_SUCCEEDED, "sleep run %d succeeded", i);
        CHECK_OK(weft_run_output_int(runs[i], "count", &count));
        CHECK(count == 10, "sleep run %d: count 10, got %lld", i, (long long)count);
    }
    elapsed = now_s() - t0;
    CHECK(elapsed < 0.75 * serial, "%d runs of 10 x 30 ms overlap: %.3f s (one after the other: %.3f s)",
          NRUNS, elapsed, serial);
    for (i = 0; i < NRUNS; i++)
        if (runs[i])
            CHECK_OK(weft_run_destroy(runs[i]));
    printf("concurrent sleeps: %d runs of 10 x 30 ms in %.3f s\n", NRUNS, elapsed);
}

/* One engine used from several threads at once: each parses its own copy
 * of the graph and runs it. */
struct parser {
    weft_engine_t *engine;
    int64_t n;
    int ok;
};

static void *parse_and_run(void *arg)
{
    struct parser *p = arg;
    weft_graph_t *g = NULL;
    weft_run_t *r = NULL;
    char inputs[64];
    int64_t sum = -1;
    int k;
    for (k = 0; k < 5; k++) {
        CHECK_OK(weft_graph_parse(p->engine, SUM_GRAPH, WEFT_NUL_TERMINATED, &g, NULL));
        if (!g)
            return NULL;
        snprintf(inputs, sizeof inputs, "{\"n\": %lld}", (long long)p->n);
        CHECK_OK(weft_run_graph(g, NULL, inputs, &r));
        if (r) {
            CHECK_OK(weft_run_output_int(r, "sum", &sum));
            CHECK(sum == p->n * (p->n - 1) / 2, "parse_and_run: sum of 0..%lld, got %lld", (long long)(p->n - 1),
                  (long long)sum);
            CHECK_OK(weft_run_destroy(r));
        }
        CHECK_OK(weft_graph_destroy(g));
        g = NULL;
        r = NULL;
    }
    p->ok = 1;
    return NULL;
}

static void engine_from_threads(weft_engine_t *engine)
{
    pthread_t th[NRUNS];
    struct parser p[NRUNS];
    int i;
    for (i = 0; i < NRUNS; i++) {
        p[i].engine = engine;
        p[i].n = 100 + 37 * i;
        p[i].ok = 0;
        CHECK(pthread_create(&th[i], NULL, parse_and_run, &p[i]) == 0, "pthread_create");
    }
    for (i = 0; i < NRUNS; i++) {
        pthread_join(th[i], NULL);
        CHECK(p[i].ok, "thread %d parsed and ran its graphs", i);
    }
    printf("engine from threads: %d threads parsed and ran 5 graphs each\n", NRUNS);
}

/* ------------------------------------------------------------------------ */
/* 2. Cancel a run while it runs; 3. destroy a run while it runs            */
/* ------------------------------------------------------------------------ */

struct watch {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int node_finished;
    int run_finished;
    int outcome;
    int destroyed;    /* set once weft_run_destroy has returned */
    int late_events;  /* events after that: must stay 0 */
    weft_run_t *run;  /* for the canceller */
    weft_status_t cancel_status;
    /* Events arrive shortly after they happen (the run does not wait for
     * the callback), so "after the cancel" is told by the event's time: a
     * node that started more than `cancel_bound_ns` after the run began
     * started after weft_run_cancel had returned. The bound is measured
     * from before weft_run_start, so it is never too small. */
    double start_s;             /* before weft_run_start */
    uint64_t cancel_bound_ns;   /* 0 until the cancel returned */
    int started_after_cancel;   /* must stay 0 */
};

static void watch_init(struct watch *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->outcome = -1;
}

static void watch_fini(struct watch *w)
{
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
}

static void on_event(const weft_event_t *ev, void *user_data)
{
    struct watch *w = user_data;
    pthread_mutex_lock(&w->lock);
    if (w->destroyed)
        w->late_events++;
    if (ev->kind == WEFT_EVENT_NODE_FINISHED)
        w->node_finished++;
    if (ev->kind == WEFT_EVENT_NODE_STARTED && w->cancel_bound_ns && ev->time_ns > w->cancel_bound_ns)
        w->started_after_cancel++;
    if (ev->kind == WEFT_EVENT_RUN_FINISHED) {
        w->run_finished++;
        w->outcome = ev->outcome;
    }
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

/* Waits (at most 10 s) until the run has finished at least one node. */
static int wait_first_node(struct watch *w)
{
    struct timespec deadline;
    int ok;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&w->lock);
    while (w->node_finished == 0)
        if (pthread_cond_timedwait(&w->cond, &w->lock, &deadline) == ETIMEDOUT)
            break;
    ok = w->node_finished > 0;
    pthread_mutex_unlock(&w->lock);
    return ok;
}

static void *canceller(void *arg)
{
    struct watch *w = arg;
    if (wait_first_node(w)) {
        w->cancel_status = weft_run_cancel(w->run);
        pthread_mutex_lock(&w->lock);
        w->cancel_bound_ns = (uint64_t)((now_s() - w->start_s) * 1e9);
        pthread_mutex_unlock(&w->lock);
    } else
        w->cancel_status = -1;
    return NULL;
}

struct waiter {
    weft_run_t *run;
    weft_status_t status;
};

static void *wait_run(void *arg)
{
    struct waiter *wt = arg;
    wt->status = weft_run_wait(wt->run, 30000);
    return NULL;
}

static void cancel_running(const weft_graph_t *slow)
{
    struct watch w;
    weft_run_options_t o;
    weft_run_t *r = NULL;
    pthread_t th, waiters[3];
    struct waiter wt[3];
    int i, finished_at_cancel;
    double t0;

    watch_init(&w);
    weft_run_options_init(&o);
    o.on_event = on_event;
    o.user_data = &w;
    CHECK_OK(weft_run_create(slow, &o, &r));
    if (!r)
        return;
    w.run = r;
    CHECK_OK(weft_run_set_input_int(r, "ms", 20));
    t0 = now_s();
    w.start_s = t0;
    CHECK(pthread_create(&th, NULL, canceller, &w) == 0, "pthread_create");
    CHECK_OK(weft_run_start(r));
    /* several threads wait for the same run while another cancels it */
    for (i = 0; i < 3; i++) {
        wt[i].run = r;
        wt[i].status = -1;
        CHECK(pthread_create(&waiters[i], NULL, wait_run, &wt[i]) == 0, "pthread_create");
    }
    pthread_join(th, NULL);
    CHECK(w.cancel_status == WEFT_OK, "weft_run_cancel from another thread after the first node: %d",
          (int)w.cancel_status);
    pthread_mutex_lock(&w.lock);
    finished_at_cancel = w.node_finished;
    pthread_mutex_unlock(&w.lock);
    CHECK_OK(weft_run_wait(r, 10000));
    for (i = 0; i < 3; i++) {
        pthread_join(waiters[i], NULL);
        CHECK(wt[i].status == WEFT_OK, "waiter %d: weft_run_wait returned %d", i, (int)wt[i].status);
    }
    CHECK(weft_run_state(r) == WEFT_RUN_CANCELLED, "the cancelled run is CANCELLED (state %d)",
          (int)weft_run_state(r));
    CHECK(w.run_finished == 1 && w.outcome == WEFT_RUN_CANCELLED,
          "one RUN_FINISHED event with outcome CANCELLED (got %d events, outcome %d)", w.run_finished, w.outcome);
    CHECK(w.started_after_cancel == 0,
          "no node starts after the cancel (%d did; %d had finished at the cancel, %d at the end)",
          w.started_after_cancel, finished_at_cancel, w.node_finished);
    CHECK(weft_run_error(r) != NULL, "a cancelled run has an error message");
    CHECK(now_s() - t0 < 10.0, "cancel stops the run promptly");
    CHECK_OK(weft_run_cancel(r)); /* finished: nothing changes */
    CHECK(weft_run_state(r) == WEFT_RUN_CANCELLED, "still CANCELLED");
    CHECK_OK(weft_run_destroy(r));
    printf("cancel while running: CANCELLED after %d node(s) finished\n", w.node_finished);
    watch_fini(&w);
}

static void destroy_running(const weft_graph_t *slow, int wait_for_a_node)
{
    struct watch w;
    weft_run_options_t o;
    weft_run_t *r = NULL;
    weft_status_t st;
    double t0;

    watch_init(&w);
    weft_run_options_init(&o);
    o.on_event = on_event;
    o.user_data = &w;
    o.mode = wait_for_a_node ? WEFT_MODE_SEQUENTIAL : WEFT_MODE_PARALLEL;
    CHECK_OK(weft_run_create(slow, &o, &r));
    if (!r)
        return;
    CHECK_OK(weft_run_set_input_int(r, "ms", 20));
    CHECK_OK(weft_run_start(r));
    if (wait_for_a_node)
        CHECK(wait_first_node(&w), "a node finished within 10 s");
    t0 = now_s();
    st = weft_run_destroy(r); /* cancels, waits, then releases */
    pthread_mutex_lock(&w.lock);
    w.destroyed = 1;
    pthread_mutex_unlock(&w.lock);
    CHECK(st == WEFT_OK, "weft_run_destroy of a running run returned %d", (int)st);
    CHECK(now_s() - t0 < 10.0, "weft_run_destroy of a running run returns promptly");
    CHECK(w.run_finished == 1, "the run finished before destroy returned (%d RUN_FINISHED events)",
          w.run_finished);
    sleep_ms(100);
    pthread_mutex_lock(&w.lock);
    CHECK(w.late_events == 0, "no callback after weft_run_destroy returned (%d late)", w.late_events);
    pthread_mutex_unlock(&w.lock);
    CHECK(weft_run_state(r) == -1, "the destroyed run is no handle any more");
    CHECK(weft_run_destroy(r) == WEFT_ERR_HANDLE, "destroying it again gives WEFT_ERR_HANDLE");
    printf("destroy while running (%s): ok\n", wait_for_a_node ? "after a node finished" : "right after start");
    watch_fini(&w);
}

/* ------------------------------------------------------------------------ */
/* Node lifetimes: every create is matched by a destroy before               */
/* weft_run_destroy returns, in both modes                                    */
/* ------------------------------------------------------------------------ */

static pthread_mutex_t life_lock = PTHREAD_MUTEX_INITIALIZER;
static long life_created, life_destroyed;
static int life_run_released; /* set once weft_run_destroy has returned */
static long life_late;        /* destroys that came after that          */

static const weft_port_t life_inputs[] = {{"x", WEFT_TYPE_INT, 0, NULL, "in"}, WEFT_PORTS_END};
static const weft_port_t life_outputs[] = {{"y", WEFT_TYPE_INT, 0, NULL, "x + 1"}, WEFT_PORTS_END};

static weft_status_t life_create(weft_ctx_t *ctx, void *user_data, void **state_out)
{
    (void)ctx;
    (void)user_data;
    pthread_mutex_lock(&life_lock);
    life_created++;
    pthread_mutex_unlock(&life_lock);
    *state_out = malloc(1);
    return WEFT_OK;
}

static weft_status_t life_run(weft_ctx_t *ctx, void *state)
{
    const weft_host_t *host = weft_host_table();
    int64_t x = 0;
    (void)state;
    if (host->input_int(ctx, 0, &x) != WEFT_OK)
        return host->fail(ctx, "life: no input");
    return host->output_int(ctx, 0, x + 1);
}

static void life_destroy(void *state)
{
    /* a little late on purpose: a destroy still running after
     * weft_run_destroy returned would be seen below */
    sleep_ms(1);
    free(state);
    pthread_mutex_lock(&life_lock);
    life_destroyed++;
    if (life_run_released)
        life_late++;
    pthread_mutex_unlock(&life_lock);
}

/* Eight life nodes: a fan-out of four, each followed by one more. */
static const char *LIFE_GRAPH =
    "{\"weft\": 1, \"nodes\": ["
    "  {\"id\": \"a1\", \"type\": \"life.node\", \"inputs\": {\"x\": 1}},"
    "  {\"id\": \"a2\", \"type\": \"life.node\", \"inputs\": {\"x\": 2}},"
    "  {\"id\": \"a3\", \"type\": \"life.node\", \"inputs\": {\"x\": 3}},"
    "  {\"id\": \"a4\", \"type\": \"life.node\", \"inputs\": {\"x\": 4}},"
    "  {\"id\": \"b1\", \"type\": \"life.node\"}, {\"id\": \"b2\", \"type\": \"life.node\"},"
    "  {\"id\": \"b3\", \"type\": \"life.node\"}, {\"id\": \"b4\", \"type\": \"life.node\"}"
    " ],"
    " \"edges\": ["
    "  {\"from\": \"a1.y\", \"to\": \"b1.x\"}, {\"from\": \"a2.y\", \"to\": \"b2.x\"},"
    "  {\"from\": \"a3.y\", \"to\": \"b3.x\"}, {\"from\": \"a4.y\", \"to\": \"b4.x\"}"
    " ],"
    " \"outputs\": {\"last\": \"b4.y\"}}";

static void node_lifetimes(weft_engine_t *engine)
{
    weft_node_desc_t d;
    weft_graph_t *g = NULL;
    int i, mismatched = 0;

    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.name = "node";
    d.summary = "x + 1, counting creates and destroys";
    d.inputs = life_inputs;
    d.outputs = life_outputs;
    d.flags = WEFT_NODE_THREAD_SAFE;
    d.create = life_create;
    d.run = life_run;
    d.destroy = life_destroy;
    CHECK_OK(weft_engine_register_node(engine, "life", &d));
    CHECK_OK(weft_graph_parse(engine, LIFE_GRAPH, WEFT_NUL_TERMINATED, &g, NULL));
    if (!g)
        return;
    for (i = 0; i < 40; i++) {
        weft_run_options_t o;
        weft_run_t *r = NULL;
        int64_t last = 0;
        long created, destroyed;

        weft_run_options_init(&o);
        o.mode = i % 2 ? WEFT_MODE_PARALLEL : WEFT_MODE_SEQUENTIAL;
        o.workers = 2;
        pthread_mutex_lock(&life_lock);
        life_run_released = 0;
        pthread_mutex_unlock(&life_lock);
        CHECK_OK(weft_run_graph(g, &o, NULL, &r));
        if (!r)
            break;
        CHECK(weft_run_output_int(r, "last", &last) == WEFT_OK && last == 6, "life graph: last = %lld", (long long)last);
        CHECK_OK(weft_run_destroy(r));
        pthread_mutex_lock(&life_lock);
        life_run_released = 1;
        created = life_created;
        destroyed = life_destroyed;
        pthread_mutex_unlock(&life_lock);
        if (created != destroyed || created != 8L * (i + 1)) {
            mismatched++;
            CHECK(0, "after weft_run_destroy of run %d: %ld created, %ld destroyed (want %d each)", i, created,
                  destroyed, 8 * (i + 1));
        }
    }
    CHECK_OK(weft_graph_destroy(g));
    sleep_ms(50); /* room for a late destroy to show itself */
    pthread_mutex_lock(&life_lock);
    CHECK(life_late == 0, "%ld node destroy callbacks came after weft_run_destroy returned", life_late);
    pthread_mutex_unlock(&life_lock);
    printf("node lifetimes: %ld created, %ld destroyed, every destroy before weft_run_destroy returned%s\n",
           life_created, life_destroyed, mismatched ? " -- NOT" : "");
}

int main(int argc, char **argv)
{
    weft_engine_t *engine = NULL;
    /* the loop length of the concurrent runs (smaller under valgrind) */
    int64_t base_n = argc > 1 ? atoll(argv[1]) : 20000;
    weft_graph_t *sum = NULL, *slow = NULL;

    setvbuf(stdout, NULL, _IOLBF, 0);
    alarm(300); /* a deadlock ends the test (SIGALRM) instead of hanging it */

    if (weft_engine_create(&engine) != WEFT_OK || weft_engine_load_default_plugins(engine) != WEFT_OK) {
        printf("FAIL: engine: %s\n", weft_last_error());
        return 1;
    }
    if (weft_graph_parse(engine, SUM_GRAPH, WEFT_NUL_TERMINATED, &sum, NULL) != WEFT_OK ||
        weft_graph_parse(engine, SLOW_GRAPH, WEFT_NUL_TERMINATED, &slow, NULL) != WEFT_OK) {
        printf("FAIL: graph: %s\n", weft_last_error());
        return 1;
    }

    concurrent_runs(sum, base_n > 0 ? base_n : 20000);
    concurrent_sleeps(slow);
    engine_from_threads(engine);
    cancel_running(slow);
    destroy_running(slow, 1);
    destroy_running(slow, 0);
    node_lifetimes(engine);

    CHECK_OK(weft_graph_destroy(sum));
    CHECK_OK(weft_graph_destroy(slow));
    CHECK_OK(weft_engine_destroy(engine));

    if (failures) {
        printf("concurrent: FAILED (%d failures)\n", failures);
        return 1;
    }
    printf("concurrent: ok\n");
    return 0;
}
