/*
 * watch — an observer plugin (ABI v4) for examples/observed.json, or any
 * graph with `weft run --observer watch.summary`, in C99 against
 * include/weft/plugin.h (see Docs/plugin-authoring.md, "Observers").
 *
 *   watch.summary   params top (int, 3), path (string, "": stderr).
 *                   At the end of each run writes one line with the
 *                   outcome, the node calls, failures and retries, then
 *                   the `top` nodes that took longest in all.
 *
 * An observer is a node descriptor with `observe` set (and no ports, no
 * run): `create` reads its params as a node's would, `observe` gets every
 * event of every run of the graph, `destroy` ends it. It cannot change a
 * run: it gets no ctx and the events are read-only.
 *
 * Build: bash examples/plugins/build.sh OUTDIR (makes libexample_watch.so).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/plugin.h>

static const weft_host_t *host;

typedef struct {
    char *id;
    uint64_t ns;
    int64_t calls;
} node_time;

typedef struct {
    int64_t top;
    FILE *out;     /* stderr, or the file `path` */
    node_time *nodes;
    size_t count, capacity;
    int64_t calls, failed, retries;
} summary;

static const weft_port_t summary_params[] = {
    {"top", WEFT_TYPE_INT, 0, "3", "how many of the slowest nodes to list"},
    {"path", WEFT_TYPE_STRING, 0, "\"\"", "a file to append to; empty: stderr"},
    WEFT_PORTS_END};

static weft_status_t summary_create(weft_ctx_t *ctx, void *user_data, void **state_out)
{
    (void)user_data;
    summary *s = calloc(1, sizeof *s);
    if (!s) return host->fail(ctx, "watch.summary: out of memory");
    host->get_int(ctx, host->param(ctx, 0), &s->top);
    const char *path = host->get_string(ctx, host->param(ctx, 1), NULL);
    s->out = stderr;
    if (path && path[0]) {
        s->out = fopen(path, "a");
        if (!s->out) {
            free(s);
            return host->fail(ctx, "watch.summary: cannot open its path for appending");
        }
    }
    *state_out = s;
    return WEFT_OK;
}

static node_time *find(summary *s, const char *id)
{
    for (size_t i = 0; i < s->count; i++)
        if (strcmp(s->nodes[i].id, id) == 0) return &s->nodes[i];
    if (s->count == s->capacity) {
        size_t cap = s->capacity ? 2 * s->capacity : 16;
        node_time *grown = realloc(s->nodes, cap * sizeof *grown);
        if (!grown) return NULL;
        s->nodes = grown;
        s->capacity = cap;
    }
    size_t len = strlen(id) + 1;
    char *copy = malloc(len); /* the event's strings live only during observe */
    if (!copy) return NULL;
    memcpy(copy, id, len);
    s->nodes[s->count] = (node_time){copy, 0, 0};
    return &s->nodes[s->count++];
}

static int slower_first(const void *a, const void *b)
{
    uint64_t x = ((const node_time *)a)->ns, y = ((const node_time *)b)->ns;
    return x < y ? 1 : x > y ? -1 : strcmp(((const node_time *)a)->id, ((const node_time *)b)->id);
}

static void forget(summary *s)
{
    for (size_t i = 0; i < s->count; i++) free(s->nodes[i].id);
    s->count = 0;
    s->calls = s->failed = s->retries = 0;
}

static void summary_observe(void *state, const weft_event_t *e)
{
    summary *s = state;
    switch (e->kind) {
    case WEFT_EVENT_RUN_STARTED:
        forget(s);
        break;
    case WEFT_EVENT_NODE_FINISHED: {
        s->calls++;
        node_time *n = e->node_id ? find(s, e->node_id) : NULL;
        if (n) {
            n->ns += e->duration_ns;
            n->calls++;
        }
        break;
    }
    case WEFT_EVENT_NODE_FAILED: s->failed++; break;
    case WEFT_EVENT_NODE_RETRY: s->retries++; break;
    case WEFT_EVENT_RUN_FINISHED: {
        const char *outcome = e->outcome == WEFT_RUN_SUCCEEDED ? "succeeded"
                              : e->outcome == WEFT_RUN_FAILED  ? "failed" : "cancelled";
        fprintf(s->out, "watch: run %s in %.3f ms: %lld node calls, %lld failed, %lld retries\n", outcome,
                (double)e->time_ns / 1e6, (long long)s->calls, (long long)s->failed, (long long)s->retries);
        qsort(s->nodes, s->count, sizeof *s->nodes, slower_first);
        for (size_t i = 0; i < s->count && (int64_t)i < s->top; i++)
            fprintf(s->out, "watch:   %s %.3f ms (%lld calls)\n", s->nodes[i].id, (double)s->nodes[i].ns / 1e6,
                    (long long)s->nodes[i].calls);
        fflush(s->out);
        break;
    }
    default: break; /* kinds this plugin does not use, and kinds added later */
    }
}

static void summary_destroy(void *state)
{
    summary *s = state;
    forget(s);
    free(s->nodes);
    if (s->out != stderr) fclose(s->out);
    free(s);
}

static weft_status_t watch_init(const weft_host_t *h, weft_registry_t *reg)
{
    host = h;
    /* Observers came with ABI v4: an older host's descriptor has no `observe`. */
    if (h->struct_size < WEFT_HOST_HAS(should_stop))
        return h->registry_fail(reg, "watch needs a Weft host with plugin ABI 4 (observers)");
    weft_node_desc_t d = {
        .struct_size = sizeof d,
        .name = "summary",
        .summary = "Observer: after each run, the outcome, counts and the slowest nodes.",
        .params = summary_params,
        .create = summary_create,
        .destroy = summary_destroy,
        .observe = summary_observe,
    };
    return h->register_node(reg, &d);
}

WEFT_PLUGIN("watch", "1.0.0", "An observer: a summary of each run", watch_init, NULL);
