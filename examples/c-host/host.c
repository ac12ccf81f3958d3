/*
 * host.c — a C99 program embedding Weft through libweft (<weft/weft.h>).
 *
 * 1. Makes an engine, loads the shipped plugins (std, io, time) and
 *    registers a node of its own, written in C: host.clamp.
 * 2. Loads graph.json (std.mul -> host.clamp -> std.add), runs it with
 *    weft_run_graph and the inputs given as argv[1] (default {"x": 7}),
 *    prints the outputs as JSON and the output `result` as a C int64, and
 *    counts the node_finished events its on_event callback received.
 * 3. Starts long.json (a loop sleeping 50 ms per pass, 1000 passes) with
 *    weft_run_start, cancels it from a second thread after ~200 ms, waits,
 *    and checks that it ended WEFT_RUN_CANCELLED.
 *
 * Every status is checked: on failure it prints weft_last_error() and
 * exits 1, after destroying what it made. Build: see the Makefile.
 *
 * Usage: host [INPUTS_JSON]
 * The graphs are read from the folder of the executable (argv[0]).
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weft/weft.h>

/* ------------------------------------------------------------------------ */
/* host.clamp: result = min(max(x, lo), hi)                                 */
/* ------------------------------------------------------------------------ */

static const weft_port_t clamp_inputs[] = {
    {"x", WEFT_TYPE_INT, 0, NULL, "the value to clamp"},
    WEFT_PORTS_END
};
static const weft_port_t clamp_outputs[] = {
    {"result", WEFT_TYPE_INT, 0, NULL, "x, clamped to [lo, hi]"},
    WEFT_PORTS_END
};
static const weft_port_t clamp_params[] = {
    {"lo", WEFT_TYPE_INT, 0, "0", "lower bound"},
    {"hi", WEFT_TYPE_INT, 0, "100", "upper bound (>= lo)"},
    WEFT_PORTS_END
};

/* One instance's bounds, read once in create. */
struct clamp_state {
    int64_t lo, hi;
};

/* THREAD: any run thread; never concurrently for one instance. */
static weft_status_t clamp_create(weft_ctx_t *ctx, void *user_data, void **state_out)
{
    const weft_host_t *host = weft_host_table();
    struct clamp_state *s;
    int64_t lo, hi;
    char message[128];

    (void)user_data;
    if (host->get_int(ctx, host->param(ctx, 0), &lo) != WEFT_OK ||
        host->get_int(ctx, host->param(ctx, 1), &hi) != WEFT_OK) {
        snprintf(message, sizeof message, "host.clamp: bad param: %s", host->error_message(ctx));
        return host->fail(ctx, message);
    }
    if (lo > hi) {
        snprintf(message, sizeof message, "host.clamp: lo (%lld) is greater than hi (%lld)",
                 (long long)lo, (long long)hi);
        return host->fail(ctx, message);
    }
    s = malloc(sizeof *s);
    if (s == NULL)
        return host->fail(ctx, "host.clamp: out of memory");
    s->lo = lo;
    s->hi = hi;
    *state_out = s;
    return WEFT_OK;
}

/* THREAD: may run concurrently (THREAD_SAFE): the state is read-only. */
static weft_status_t clamp_run(weft_ctx_t *ctx, void *state)
{
    const weft_host_t *host = weft_host_table();
    const struct clamp_state *s = state;
    int64_t x;
    char message[128];

    if (host->input_int(ctx, 0, &x) != WEFT_OK) {
        snprintf(message, sizeof message, "host.clamp: input x: %s", host->error_message(ctx));
        return host->fail(ctx, message);
    }
    if (x < s->lo)
        x = s->lo;
    if (x > s->hi)
        x = s->hi;
    if (host->output_int(ctx, 0, x) != WEFT_OK) {
        snprintf(message, sizeof message, "host.clamp: output result: %s", host->error_message(ctx));
        return host->fail(ctx, message);
    }
    return WEFT_OK;
}

static void clamp_destroy(void *state)
{
    free(state);
}

/* ------------------------------------------------------------------------ */
/* Events: count node_finished (the callback runs on a run thread)          */
/* ------------------------------------------------------------------------ */

struct event_counts {
    pthread_mutex_t mutex;
    long node_finished;
};

static void on_event(const weft_event_t *event, void *user_data)
{
    struct event_counts *counts = user_data;
    if (event->kind == WEFT_EVENT_NODE_FINISHED) {
        pthread_mutex_lock(&counts->mutex);
        counts->node_finished++;
        pthread_mutex_unlock(&counts->mutex);
    }
}

/* ------------------------------------------------------------------------ */
/* The canceller: a second thread that cancels the long run                  */
/* ------------------------------------------------------------------------ */

struct canceller {
    weft_run_t *run;
    long delay_ms;
    weft_status_t status; /* of weft_run_cancel                       */
    char error[512];      /* its last error (thread-local: copy it)   */
};

static void *cancel_later(void *arg)
{
    struct canceller *c = arg;
    struct timespec delay;

    delay.tv_sec = c->delay_ms / 1000;
    delay.tv_nsec = (c->delay_ms % 1000) * 1000000L;
    while (nanosleep(&delay, &delay) != 0) {
        /* interrupted by a signal: sleep the rest */
    }
    c->status = weft_run_cancel(c->run);
    if (c->status != WEFT_OK)
        snprintf(c->error, sizeof c->error, "%s", weft_last_error());
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* main                                                                     */
/* ------------------------------------------------------------------------ */

/* Prints "error: STATUS_NAME: last error" and jumps to cleanup. The last
 * error starts with the name of the function that failed. */
#define CHECK(call)                                                                  \
    do {                                                                             \
        weft_status_t status_ = (call);                                              \
        if (status_ != WEFT_OK) {                                                    \
            fprintf(stderr, "error: %s: %s\n", weft_status_name(status_),            \
                    weft_last_error());                                              \
            goto done;                                                               \
        }                                                                            \
    } while (0)

/* Prints "error: ..." and jumps to cleanup. */
#define FAIL(...)                          \
    do {                                   \
        fprintf(stderr, "error: ");        \
        fprintf(stderr, __VA_ARGS__);      \
        fprintf(stderr, "\n");             \
        goto done;                         \
    } while (0)

/* Releases a handle if there is one; a failing destroy fails the program. */
#define DESTROY(fn, handle)                                                          \
    do {                                                                             \
        if ((handle) != NULL) {                                                      \
            weft_status_t status_ = fn(handle);                                      \
            if (status_ != WEFT_OK) {                                                \
                fprintf(stderr, "error: %s: %s\n", weft_status_name(status_),        \
                        weft_last_error());                                          \
                exit_code = 1;                                                       \
            }                                                                        \
            (handle) = NULL;                                                         \
        }                                                                            \
    } while (0)

/* `dir` + `name` into `out` (size `size`). */
static void path_in(char *out, size_t size, const char *dir, const char *name)
{
    snprintf(out, size, "%s%s", dir, name);
}

int main(int argc, char **argv)
{
    const char *inputs = argc > 1 ? argv[1] : "{\"x\": 7}";
    int exit_code = 1;
    char dir[1024] = "";
    char graph_path[1200], long_path[1200];
    const char *slash;

    weft_engine_t *engine = NULL;
    weft_graph_t *graph = NULL, *long_graph = NULL;
    weft_diagnostics_t *diags = NULL;
    weft_run_t *run = NULL, *long_run = NULL;
    char *outputs = NULL;
    weft_run_options_t options;
    struct event_counts counts;
    struct canceller canceller;
    pthread_t canceller_thread;
    int canceller_started = 0, counts_ready = 0;
    int64_t result;
    int32_t state;
    size_t i;
    weft_status_t wait_status;

    weft_node_desc_t clamp;

    /* The graphs sit beside the executable. */
    slash = strrchr(argv[0], '/');
    if (slash != NULL && (size_t)(slash - argv[0] + 1) < sizeof dir) {
        memcpy(dir, argv[0], (size_t)(slash - argv[0] + 1));
        dir[slash - argv[0] + 1] = '\0';
    }
    path_in(graph_path, sizeof graph_path, dir, "graph.json");
    path_in(long_path, sizeof long_path, dir, "long.json");

    if (weft_api_version() < WEFT_API_VERSION)
        FAIL("libweft API version %u is older than this header's (%d)",
             (unsigned)weft_api_version(), WEFT_API_VERSION);
    printf("weft %s (embedding API %u)\n", weft_version(), (unsigned)weft_api_version());

    /* --- The engine: shipped plugins and the host's node ----------------- */
    CHECK(weft_engine_create(&engine));
    CHECK(weft_engine_load_default_plugins(engine));

    memset(&clamp, 0, sizeof clamp);
    clamp.struct_size = sizeof(weft_node_desc_t);
    clamp.name = "clamp";
    clamp.summary = "x clamped to [lo, hi]";
    clamp.inputs = clamp_inputs;
    clamp.outputs = clamp_outputs;
    clamp.params = clamp_params;
    clamp.flags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE;
    clamp.user_data = NULL;
    clamp.create = clamp_create;
    clamp.run = clamp_run;
    clamp.destroy = clamp_destroy;
    CHECK(weft_engine_register_node(engine, "host", &clamp));
    printf("registered host.clamp\n");

    /* --- graph.json: parse, print its warnings ----------------------------- */
    if (weft_graph_load(engine, graph_path, &graph, &diags) != WEFT_OK) {
        fprintf(stderr, "error: %s is not a valid graph:\n%s\n", graph_path, weft_last_error());
        goto done;
    }
    for (i = 0; diags != NULL && i < weft_diagnostics_count(diags); i++) {
        const char *message, *path;
        CHECK(weft_diagnostics_get(diags, i, NULL, &message, NULL, &path));
        fprintf(stderr, "warning: %s: %s\n", path, message);
    }
    DESTROY(weft_diagnostics_destroy, diags);

    /* --- Run it, counting events -------------------------------------------- */
    if (pthread_mutex_init(&counts.mutex, NULL) != 0)
        FAIL("pthread_mutex_init failed");
    counts_ready = 1;
    counts.node_finished = 0;
    weft_run_options_init(&options);
    options.mode = WEFT_MODE_SEQUENTIAL;
    options.on_event = on_event;
    options.user_data = &counts;

    CHECK(weft_run_graph(graph, &options, inputs, &run));
    state = weft_run_state(run);
    if (state != WEFT_RUN_SUCCEEDED)
        FAIL("the run of %s ended in state %d, not WEFT_RUN_SUCCEEDED: %s (failed node: %s)",
             graph_path, (int)state, weft_run_error(run) ? weft_run_error(run) : "?",
             weft_run_failed_node(run) ? weft_run_failed_node(run) : "none");
    CHECK(weft_run_outputs_json(run, &outputs));
    printf("outputs: %s\n", outputs);
    CHECK(weft_run_output_int(run, "result", &result));
    printf("result = %lld\n", (long long)result);
    pthread_mutex_lock(&counts.mutex);
    printf("events: node_finished=%ld\n", counts.node_finished);
    pthread_mutex_unlock(&counts.mutex);

    /* --- long.json: start, cancel from another thread, wait ------------------ */
    if (weft_graph_load(engine, long_path, &long_graph, NULL) != WEFT_OK) {
        fprintf(stderr, "error: %s is not a valid graph:\n%s\n", long_path, weft_last_error());
        goto done;
    }
    CHECK(weft_run_create(long_graph, NULL, &long_run));
    CHECK(weft_run_set_input_int(long_run, "n", 1000));
    CHECK(weft_run_start(long_run));
    printf("long run: started (1000 passes of 50 ms)\n");

    canceller.run = long_run;
    canceller.delay_ms = 200;
    canceller.status = WEFT_OK;
    canceller.error[0] = '\0';
    if (pthread_create(&canceller_thread, NULL, cancel_later, &canceller) != 0)
        FAIL("pthread_create failed");
    canceller_started = 1;

    wait_status = weft_run_wait(long_run, 10);
    if (wait_status != WEFT_ERR_TIMEOUT)
        FAIL("weft_run_wait(long_run, 10) gave %s, expected WEFT_ERR_TIMEOUT (still running): %s",
             weft_status_name(wait_status), weft_last_error());

    /* At most 10 s: a run that does not stop on cancel is an error here. */
    wait_status = weft_run_wait(long_run, 10000);
    if (wait_status == WEFT_ERR_TIMEOUT)
        FAIL("the long run was still running 10 s after it was cancelled");
    CHECK(wait_status);

    pthread_join(canceller_thread, NULL);
    canceller_started = 0;
    if (canceller.status != WEFT_OK)
        FAIL("weft_run_cancel: %s: %s", weft_status_name(canceller.status), canceller.error);

    state = weft_run_state(long_run);
    if (state != WEFT_RUN_CANCELLED)
        FAIL("the long run ended in state %d, expected WEFT_RUN_CANCELLED (%d)", (int)state,
             WEFT_RUN_CANCELLED);
    printf("long run: state WEFT_RUN_CANCELLED\n");
    printf("long run: cancelled after %lld steps\n", (long long)weft_run_steps(long_run));

    exit_code = 0;

done:
    if (canceller_started) {
        /* Reached on an error after the thread started: it only cancels. */
        pthread_join(canceller_thread, NULL);
    }
    weft_free(outputs);
    DESTROY(weft_run_destroy, long_run);
    DESTROY(weft_run_destroy, run);
    DESTROY(weft_diagnostics_destroy, diags);
    DESTROY(weft_graph_destroy, long_graph);
    DESTROY(weft_graph_destroy, graph);
    DESTROY(weft_engine_destroy, engine);
    if (counts_ready)
        pthread_mutex_destroy(&counts.mutex);
    return exit_code;
}
