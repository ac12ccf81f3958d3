/*
 * std_misc.c — std.const, std.identity and the stateful std.counter.
 */
#include "std_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static const weft_host_t *H;

/* ------------------------------------------------------------------------ */
/* const, identity                                                          */
/* ------------------------------------------------------------------------ */

static weft_status_t run_const(weft_ctx_t *ctx, void *state)
{
    weft_value_t v = H->param(ctx, 0);
    (void)state;
    if (v == WEFT_NO_VALUE)
        return std_failf(ctx, "std.const: param 'value' is not set (%s)",
                         std_host_reason(ctx));
    return std_out(ctx, "const", 0, "value", v);
}

static weft_status_t run_identity(weft_ctx_t *ctx, void *state)
{
    weft_value_t v = WEFT_NO_VALUE;
    weft_status_t st;
    (void)state;
    if ((st = std_in_value(ctx, "identity", 0, "value", &v)) != WEFT_OK)
        return st;
    return std_out(ctx, "identity", 0, "value", v);
}

/* ------------------------------------------------------------------------ */
/* counter                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct counter {
    int64_t next;     /* value the next run outputs */
    int64_t step;
    int exhausted;    /* next + step overflowed: the next run fails */
} counter_t;

static weft_status_t param_int(weft_ctx_t *ctx, int32_t index,
                               const char *name, int64_t *out)
{
    weft_value_t v = H->param(ctx, index);
    if (v == WEFT_NO_VALUE)
        return std_failf(ctx, "std.counter: param '%s' has no value (%s)",
                         name, std_host_reason(ctx));
    if (H->get_int(ctx, v, out) != WEFT_OK)
        return std_failf(ctx, "std.counter: param '%s' must be an int, got %s",
                         name, std_kind_name(H->type_of(ctx, v)));
    return WEFT_OK;
}

static weft_status_t counter_create(weft_ctx_t *ctx, void *user_data,
                                    void **state_out)
{
    int64_t start = 0, step = 1;
    counter_t *c;
    weft_status_t st;
    (void)user_data;
    if ((st = param_int(ctx, 0, "start", &start)) != WEFT_OK) return st;
    if ((st = param_int(ctx, 1, "step", &step)) != WEFT_OK) return st;
    c = (counter_t *)malloc(sizeof *c);
    if (c == NULL) return std_failf(ctx, "std.counter: out of memory");
    c->next = start;
    c->step = step;
    c->exhausted = 0;
    *state_out = c;
    return WEFT_OK;
}

static weft_status_t counter_run(weft_ctx_t *ctx, void *state)
{
    counter_t *c = (counter_t *)state;
    int64_t now;
    if (c == NULL)
        return std_failf(ctx, "std.counter: no state (create was not run)");
    if (c->exhausted)
        return std_failf(ctx, "std.counter: the count overflowed the int "
                              "range after %" PRId64 " (step %" PRId64 ")",
                         c->next, c->step);
    now = c->next;
    if (H->output_int(ctx, 0, now) != WEFT_OK)
        return std_failf(ctx, "std.counter: cannot write output 'count': %s",
                         std_host_reason(ctx));
    if ((c->step > 0 && now > INT64_MAX - c->step) ||
        (c->step < 0 && now < INT64_MIN - c->step))
        c->exhausted = 1;
    else
        c->next = now + c->step;
    return WEFT_OK;
}

static void counter_destroy(void *state) { free(state); }

/* ------------------------------------------------------------------------ */
/* Descriptors                                                              */
/* ------------------------------------------------------------------------ */

static const weft_port_t const_params[] = {
    {"value", WEFT_TYPE_ANY, 0, NULL, "the value to emit (any JSON value)"},
    WEFT_PORTS_END};
static const weft_port_t value_out[] = {
    {"value", WEFT_TYPE_ANY, 0, NULL, "the value"},
    WEFT_PORTS_END};
static const weft_port_t value_in[] = {
    {"value", WEFT_TYPE_ANY, 0, NULL, "any value"},
    WEFT_PORTS_END};
static const weft_port_t counter_in[] = {
    {"trigger", WEFT_TYPE_ANY, WEFT_PORT_OPTIONAL, NULL,
     "ignored; connect it to count each time something arrives"},
    WEFT_PORTS_END};
static const weft_port_t counter_out[] = {
    {"count", WEFT_TYPE_INT, 0, NULL, "start, start+step, ... one per run"},
    WEFT_PORTS_END};
static const weft_port_t counter_params[] = {
    {"start", WEFT_TYPE_INT, WEFT_PORT_OPTIONAL, "0", "first count"},
    {"step", WEFT_TYPE_INT, WEFT_PORT_OPTIONAL, "1",
     "added after each run (may be negative or 0)"},
    WEFT_PORTS_END};

/* const and identity hand on one value; counter adds to an int: CHEAP. */
#define PURE (WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE | WEFT_NODE_CHEAP)

static const weft_node_desc_t nodes[] = {
    {.struct_size = sizeof(weft_node_desc_t),
     .name = "const",
     .summary = "emits the value of its param 'value'",
     .outputs = value_out,
     .params = const_params,
     .flags = PURE,
     .run = run_const},
    {.struct_size = sizeof(weft_node_desc_t),
     .name = "identity",
     .summary = "passes its input through unchanged",
     .inputs = value_in,
     .outputs = value_out,
     .flags = PURE,
     .run = run_identity},
    {.struct_size = sizeof(weft_node_desc_t),
     .name = "counter",
     .summary = "outputs start, start+step, ... one more each run (stateful)",
     .inputs = counter_in,
     .outputs = counter_out,
     .params = counter_params,
     .flags = WEFT_NODE_CHEAP,
     .create = counter_create,
     .run = counter_run,
     .destroy = counter_destroy},
    {.struct_size = 0}};

weft_status_t std_register_misc(const weft_host_t *host, weft_registry_t *reg)
{
    if (H != host) H = host; /* a second init (another engine) writes nothing: no race with running nodes */
    return std_register_table(host, reg, nodes);
}
