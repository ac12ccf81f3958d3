/*
 * std_list.c — list nodes: list_length, list_get, list_append, range.
 *
 * Values are immutable: list_append builds a new list (copying the items
 * into host->list_new, then pushing the new one), so it costs O(n).
 */
#include "std_internal.h"

#include <inttypes.h>
#include <stdio.h>

static const weft_host_t *H;

/* Reads required input `index` as a list. */
static weft_status_t in_list(weft_ctx_t *ctx, const char *node, int32_t index,
                             const char *port, weft_value_t *list, int64_t *n)
{
    weft_status_t st = std_in_value(ctx, node, index, port, list);
    if (st != WEFT_OK) return st;
    if (H->type_of(ctx, *list) != WEFT_TYPE_LIST)
        return std_failf(ctx, "std.%s: input '%s' must be a list, got %s",
                         node, port,
                         std_kind_name(H->type_of(ctx, *list)));
    *n = H->length(ctx, *list);
    if (*n < 0)
        return std_failf(ctx, "std.%s: cannot read input '%s': %s", node,
                         port, std_host_reason(ctx));
    return WEFT_OK;
}

static weft_status_t run_list_length(weft_ctx_t *ctx, void *state)
{
    weft_value_t list = WEFT_NO_VALUE;
    int64_t n = 0;
    weft_status_t st;
    (void)state;
    if ((st = in_list(ctx, "list_length", 0, "list", &list, &n)) != WEFT_OK)
        return st;
    return std_out(ctx, "list_length", 0, "result", H->int_new(ctx, n));
}

static weft_status_t run_list_get(weft_ctx_t *ctx, void *state)
{
    weft_value_t list = WEFT_NO_VALUE, item;
    int64_t n = 0, index = 0, at;
    weft_status_t st;
    (void)state;
    if ((st = in_list(ctx, "list_get", 0, "list", &list, &n)) != WEFT_OK)
        return st;
    if ((st = std_in_int(ctx, "list_get", 1, "index", &index)) != WEFT_OK)
        return st;
    at = index < 0 ? n + index : index;  /* n >= 0, index < 0: no overflow */
    if (at < 0 || at >= n)
        return std_failf(ctx, "std.list_get: index %" PRId64 " is out of "
                              "range for a list of %" PRId64 " item%s",
                         index, n, n == 1 ? "" : "s");
    item = H->list_get(ctx, list, (size_t)at);
    if (item == WEFT_NO_VALUE)
        return std_failf(ctx, "std.list_get: cannot read item %" PRId64
                              ": %s", at, std_host_reason(ctx));
    return std_out(ctx, "list_get", 0, "result", item);
}

static weft_status_t run_list_append(weft_ctx_t *ctx, void *state)
{
    weft_value_t list = WEFT_NO_VALUE, item = WEFT_NO_VALUE, out;
    int64_t n = 0, i;
    weft_status_t st;
    (void)state;
    if ((st = in_list(ctx, "list_append", 0, "list", &list, &n)) != WEFT_OK)
        return st;
    if ((st = std_in_value(ctx, "list_append", 1, "item", &item)) != WEFT_OK)
        return st;
    out = H->list_new(ctx);
    if (out == WEFT_NO_VALUE) goto host_error;
    for (i = 0; i < n; i++) {
        weft_value_t x = H->list_get(ctx, list, (size_t)i);
        if (x == WEFT_NO_VALUE || H->list_push(ctx, out, x) != WEFT_OK)
            goto host_error;
    }
    if (H->list_push(ctx, out, item) != WEFT_OK) goto host_error;
    return std_out(ctx, "list_append", 0, "result", out);
host_error:
    return std_failf(ctx, "std.list_append: cannot build the new list: %s",
                     std_host_reason(ctx));
}

static weft_status_t run_range(weft_ctx_t *ctx, void *state)
{
    int64_t start = 0, stop = 0, step = 0, v;
    uint64_t count = 0, k;
    weft_value_t list;
    weft_status_t st;
    (void)state;
    if ((st = std_in_int(ctx, "range", 0, "start", &start)) != WEFT_OK) return st;
    if ((st = std_in_int(ctx, "range", 1, "stop", &stop)) != WEFT_OK) return st;
    if ((st = std_in_int(ctx, "range", 2, "step", &step)) != WEFT_OK) return st;
    if (step == 0)
        return std_failf(ctx, "std.range: step must not be 0 (start=%" PRId64
                              ", stop=%" PRId64 ")", start, stop);
    /* Unsigned arithmetic: the distance between two int64 fits a uint64. */
    if (step > 0 && start < stop)
        count = ((uint64_t)stop - (uint64_t)start - 1u) / (uint64_t)step + 1u;
    else if (step < 0 && start > stop)
        count = ((uint64_t)start - (uint64_t)stop - 1u) /
                    ((uint64_t)0 - (uint64_t)step) + 1u;
    if (count > (uint64_t)STD_MAX_LIST_ITEMS)
        return std_failf(ctx, "std.range: start=%" PRId64 ", stop=%" PRId64
                              ", step=%" PRId64 " would make %" PRIu64
                              " items; the limit is %" PRId64,
                         start, stop, step, count, STD_MAX_LIST_ITEMS);
    list = H->list_new(ctx);
    if (list == WEFT_NO_VALUE) goto host_error;
    v = start;
    for (k = 0; k < count; k++) {
        weft_value_t x = H->int_new(ctx, v);
        if (x == WEFT_NO_VALUE || H->list_push(ctx, list, x) != WEFT_OK)
            goto host_error;
        if (k + 1 < count) v += step;  /* stays within [start, stop) */
    }
    return std_out(ctx, "range", 0, "result", list);
host_error:
    return std_failf(ctx, "std.range: cannot build the list: %s",
                     std_host_reason(ctx));
}

/* ------------------------------------------------------------------------ */
/* Descriptors                                                               */
/* ------------------------------------------------------------------------ */

#define PURE (WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE)

static const weft_port_t list_in[] = {
    {"list", WEFT_TYPE_LIST, 0, NULL, "the list"},
    WEFT_PORTS_END};
static const weft_port_t length_out[] = {
    {"result", WEFT_TYPE_INT, 0, NULL, "number of items"},
    WEFT_PORTS_END};
static const weft_port_t get_in[] = {
    {"list", WEFT_TYPE_LIST, 0, NULL, "the list"},
    {"index", WEFT_TYPE_INT, 0, NULL,
     "0-based position; negative counts from the end (-1 = last)"},
    WEFT_PORTS_END};
static const weft_port_t get_out[] = {
    {"result", WEFT_TYPE_ANY, 0, NULL, "the item"},
    WEFT_PORTS_END};
static const weft_port_t append_in[] = {
    {"list", WEFT_TYPE_LIST, 0, NULL, "the list (not modified)"},
    {"item", WEFT_TYPE_ANY, 0, NULL, "value to add at the end"},
    WEFT_PORTS_END};
static const weft_port_t list_out[] = {
    {"result", WEFT_TYPE_LIST, 0, NULL, "a new list"},
    WEFT_PORTS_END};
static const weft_port_t range_in[] = {
    {"start", WEFT_TYPE_INT, WEFT_PORT_OPTIONAL, "0", "first value"},
    {"stop", WEFT_TYPE_INT, 0, NULL, "end, excluded"},
    {"step", WEFT_TYPE_INT, WEFT_PORT_OPTIONAL, "1",
     "increment, may be negative, not 0"},
    WEFT_PORTS_END};
static const weft_port_t range_out[] = {
    {"result", WEFT_TYPE_LIST, 0, NULL, "list of ints"},
    WEFT_PORTS_END};

/* list_length and list_get take constant time (CHEAP); list_append copies
 * its list and range builds one, so their cost grows with the list. */
#define CHEAP (PURE | WEFT_NODE_CHEAP)
#define NODE(NAME, SUMMARY, IN, OUT, RUN) NODE_FLAGS(NAME, SUMMARY, IN, OUT, RUN, PURE)
#define NODE_FLAGS(NAME, SUMMARY, IN, OUT, RUN, FLAGS) \
    {.struct_size = sizeof(weft_node_desc_t), .name = NAME, .summary = SUMMARY, .inputs = IN, .outputs = OUT, .flags = FLAGS, .run = RUN}

static const weft_node_desc_t nodes[] = {
    NODE_FLAGS("list_length", "number of items in a list", list_in,
               length_out, run_list_length, CHEAP),
    NODE_FLAGS("list_get", "item at index (negative from the end); out of "
                           "range fails", get_in, get_out, run_list_get, CHEAP),
    NODE("list_append", "a new list: the items of list, then item",
         append_in, list_out, run_list_append),
    NODE("range", "ints from start up to (not including) stop by step",
         range_in, range_out, run_range),
    {.struct_size = 0}};

weft_status_t std_register_list(const weft_host_t *host, weft_registry_t *reg)
{
    if (H != host) H = host; /* a second init (another engine) writes nothing: no race with running nodes */
    return std_register_table(host, reg, nodes);
}
