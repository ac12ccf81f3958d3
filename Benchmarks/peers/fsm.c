/*
 * benchfsm — the two C nodes of benchmark scenarios 14 (fsm) and 15 (retry),
 * in C99 against include/weft/plugin.h (ABI 4). Built by peers/build.sh
 * into OUT/plugins/libbenchfsm.so, which bench.py passes with --plugins.
 *
 *   benchfsm.tick   a state of a flow (Docs/graph-format.md, "Flows"):
 *                   input store (map) -> output store, the same map with
 *                   n + 1 as "n" (n read from the store, 0 when absent), and
 *                   output action "again" while n + 1 < the store's "limit",
 *                   else "done". A transition tick --again--> tick makes
 *                   the flow go round `limit` times.
 *   benchfsm.flaky  fails its first `fail_first` calls (param, default 2) and
 *                   succeeds on the next: input total (int, default 0) ->
 *                   output total = total + the calls this instance took,
 *                   output attempts = that count. A count per instance
 *                   (create / destroy), so each node of a graph fails on its
 *                   own first calls; with "retry": {"max_attempts": 3} it
 *                   succeeds on its third attempt, and a chain of M of them
 *                   gives total 3M.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/plugin.h>

static const weft_host_t *host;

/* ---------------------------------------------------------------- tick */

static const weft_port_t tick_in[] = {
    {"store", WEFT_TYPE_MAP, 0, NULL, "the flow's store: n (int, 0 when absent) and limit (int)"},
    WEFT_PORTS_END};
static const weft_port_t tick_out[] = {
    {"store", WEFT_TYPE_MAP, 0, NULL, "the store with n + 1"},
    {"action", WEFT_TYPE_STRING, WEFT_PORT_OPTIONAL, NULL, "\"again\" while n + 1 < limit, else \"done\""},
    WEFT_PORTS_END};

static weft_status_t tick_run(weft_ctx_t *ctx, void *state)
{
    (void)state;
    weft_value_t store = host->input(ctx, 0);
    int64_t n = 0, limit = 0;
    weft_value_t v = host->map_get(ctx, store, "n");
    if (v != WEFT_NO_VALUE && host->get_int(ctx, v, &n) != WEFT_OK)
        return host->fail(ctx, "benchfsm.tick: the store's n is not an int");
    v = host->map_get(ctx, store, "limit");
    if (v == WEFT_NO_VALUE || host->get_int(ctx, v, &limit) != WEFT_OK)
        return host->fail(ctx, "benchfsm.tick: the store needs an int \"limit\"");
    if (n == INT64_MAX) return host->fail(ctx, "benchfsm.tick: n overflows");
    n += 1;

    /* The store handed in is immutable: give back a copy with the new n
     * (map_set on a key already there keeps its position). */
    weft_value_t out = host->map_new(ctx);
    int64_t entries = host->length(ctx, store);
    for (int64_t i = 0; i < entries; i++)
        host->map_set(ctx, out, host->map_key(ctx, store, (size_t)i), host->map_value(ctx, store, (size_t)i));
    weft_status_t st = host->map_set(ctx, out, "n", host->int_new(ctx, n));
    if (st != WEFT_OK) return host->fail(ctx, host->error_message(ctx));
    st = host->output(ctx, 0, out);
    if (st != WEFT_OK) return st;
    return host->output(ctx, 1, host->string_new(ctx, n < limit ? "again" : "done", WEFT_NUL_TERMINATED));
}

/* ---------------------------------------------------------------- flaky */

typedef struct {
    int64_t fail_first; /* calls that fail before one succeeds */
    int64_t calls;      /* calls of this instance so far */
} flaky_t;

static const weft_port_t flaky_params[] = {
    {"fail_first", WEFT_TYPE_INT, 0, "2", "how many calls fail before one succeeds"},
    WEFT_PORTS_END};
static const weft_port_t flaky_in[] = {
    {"total", WEFT_TYPE_INT, 0, "0", "added to the attempt count"},
    WEFT_PORTS_END};
static const weft_port_t flaky_out[] = {
    {"total", WEFT_TYPE_INT, 0, NULL, "total + attempts"},
    {"attempts", WEFT_TYPE_INT, 0, NULL, "the calls this instance took, the successful one included"},
    WEFT_PORTS_END};

static weft_status_t flaky_create(weft_ctx_t *ctx, void *user_data, void **state_out)
{
    (void)user_data;
    int64_t fail_first = 2;
    weft_value_t p = host->param(ctx, 0);
    if (p != WEFT_NO_VALUE && (host->get_int(ctx, p, &fail_first) != WEFT_OK || fail_first < 0))
        return host->fail(ctx, "benchfsm.flaky: fail_first must be an int >= 0");
    flaky_t *f = calloc(1, sizeof *f);
    if (f == NULL) return host->fail(ctx, "benchfsm.flaky: out of memory");
    f->fail_first = fail_first;
    *state_out = f;
    return WEFT_OK;
}

static void flaky_destroy(void *state)
{
    free(state);
}

static weft_status_t flaky_run(weft_ctx_t *ctx, void *state)
{
    flaky_t *f = state;
    int64_t total = 0;
    if (host->input_int(ctx, 0, &total) != WEFT_OK) return host->fail(ctx, host->error_message(ctx));
    f->calls += 1;
    if (f->calls <= f->fail_first) {
        char msg[64];
        snprintf(msg, sizeof msg, "benchfsm.flaky: call %lld fails", (long long)f->calls);
        return host->fail(ctx, msg);
    }
    weft_status_t st = host->output_int(ctx, 0, total + f->calls);
    if (st != WEFT_OK) return st;
    return host->output_int(ctx, 1, f->calls);
}

/* ---------------------------------------------------------------- init */

static weft_status_t benchfsm_init(const weft_host_t *h, weft_registry_t *reg)
{
    const weft_node_desc_t nodes[] = {
        {.struct_size = sizeof(weft_node_desc_t), .name = "tick",
         .summary = "A flow state: n + 1 into the store; action again while n + 1 < limit, else done",
         .inputs = tick_in, .outputs = tick_out, .flags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE, .run = tick_run},
        {.struct_size = sizeof(weft_node_desc_t), .name = "flaky",
         .summary = "Fails its first fail_first calls (per instance), then outputs total + its call count",
         .inputs = flaky_in, .outputs = flaky_out, .params = flaky_params,
         .create = flaky_create, .run = flaky_run, .destroy = flaky_destroy},
    };
    if (h->struct_size < WEFT_HOST_HAS(output_double)) return h->registry_fail(reg, "benchfsm needs a Weft ABI v1 host");
    if (host != h) host = h;
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        weft_status_t st = h->register_node(reg, &nodes[i]);
        if (st != WEFT_OK) return st;
    }
    return WEFT_OK;
}

WEFT_PLUGIN("benchfsm", "1.0.0", "Benchmark scenarios 14 (a cycling flow state) and 15 (a node that fails twice)",
            benchfsm_init, NULL);
