/*
 * agent — states for an agent-style flow (PocketFlow's "agent" pattern:
 * decide → search → decide → … → answer), in C99 against
 * include/weft/plugin.h. Used by examples/agent-flow.json.
 *
 *   agent.ask      input question (string)      -> output store = {question, notes: []}
 *   agent.decide   input store, enough (int, 2) -> store, action "search"
 *                  while store.notes has fewer than `enough` notes, else "answer"
 *   agent.search   input store                  -> store with one more note
 *                  (a stand-in for a web search: a canned table)
 *   agent.answer   input store                  -> store with "answer", action "done"
 *
 * A state of a flow takes the store on its input `store` and gives it
 * back on its output `store` (a new map: values handed in are immutable);
 * its output `action` (a string) picks the next state. See
 * Docs/graph-format.md, "Flows".
 *
 * Build: bash examples/plugins/build.sh OUTDIR (makes libexample_agent.so).
 */
#include <stdio.h>
#include <string.h>

#include <weft/plugin.h>

static const weft_host_t *host;

/* A copy of map `in` (which the host lent), but with `key` set to `value`
 * (added at the end when new). */
static weft_value_t with_entry(weft_ctx_t *ctx, weft_value_t in, const char *key, weft_value_t value)
{
    weft_value_t out = host->map_new(ctx);
    int64_t n = host->length(ctx, in);
    for (int64_t i = 0; i < n; i++) {
        const char *k = host->map_key(ctx, in, (size_t)i);
        if (strcmp(k, key) != 0) host->map_set(ctx, out, k, host->map_value(ctx, in, (size_t)i));
    }
    host->map_set(ctx, out, key, value);
    return out;
}

/* How many notes the store holds (0 without a "notes" list). */
static int64_t note_count(weft_ctx_t *ctx, weft_value_t store)
{
    weft_value_t notes = host->map_get(ctx, store, "notes");
    if (notes == WEFT_NO_VALUE || host->type_of(ctx, notes) != WEFT_TYPE_LIST) return 0;
    return host->length(ctx, notes);
}

/* The store's question, or "". Borrowed until the call returns. */
static const char *question(weft_ctx_t *ctx, weft_value_t store)
{
    const char *q = host->get_string(ctx, host->map_get(ctx, store, "question"), NULL);
    return q ? q : "";
}

static const weft_port_t ask_in[] = {{"question", WEFT_TYPE_STRING, 0, NULL, "what the agent is asked"}, WEFT_PORTS_END};
static const weft_port_t store_only[] = {{"store", WEFT_TYPE_MAP, 0, NULL, "the flow's store"}, WEFT_PORTS_END};
static const weft_port_t decide_in[] = {
    {"store", WEFT_TYPE_MAP, 0, NULL, "the flow's store"},
    {"enough", WEFT_TYPE_INT, 0, "2", "how many notes make an answer"},
    WEFT_PORTS_END};
static const weft_port_t state_out[] = {
    {"store", WEFT_TYPE_MAP, 0, NULL, "the store for the next state"},
    {"action", WEFT_TYPE_STRING, WEFT_PORT_OPTIONAL, NULL, "picks the next state"},
    WEFT_PORTS_END};

static weft_status_t ask_run(weft_ctx_t *ctx, void *state)
{
    (void)state;
    weft_value_t store = host->map_new(ctx);
    host->map_set(ctx, store, "question", host->input(ctx, 0));
    host->map_set(ctx, store, "notes", host->list_new(ctx));
    return host->output(ctx, 0, store);
}

static weft_status_t decide_run(weft_ctx_t *ctx, void *state)
{
    (void)state;
    weft_value_t store = host->input(ctx, 0);
    int64_t enough = 2;
    if (host->input_int(ctx, 1, &enough) != WEFT_OK) return host->fail(ctx, "agent.decide: enough is not an int");
    weft_status_t st = host->output(ctx, 0, store);
    if (st != WEFT_OK) return st;
    const char *action = note_count(ctx, store) < enough ? "search" : "answer";
    return host->output(ctx, 1, host->string_new(ctx, action, WEFT_NUL_TERMINATED));
}

/* The stand-in search engine: the k-th result for a question. */
static const char *const results[] = {
    "sunlight holds every colour",
    "air molecules scatter short (blue) wavelengths most: Rayleigh scattering",
    "our eyes are more sensitive to blue than to violet",
};

static weft_status_t search_run(weft_ctx_t *ctx, void *state)
{
    (void)state;
    weft_value_t store = host->input(ctx, 0);
    int64_t k = note_count(ctx, store);
    if (k >= (int64_t)(sizeof results / sizeof results[0])) return host->fail(ctx, "agent.search: no more results");
    weft_value_t notes = host->list_new(ctx);
    weft_value_t old = host->map_get(ctx, store, "notes");
    for (int64_t i = 0; i < k; i++) host->list_push(ctx, notes, host->list_get(ctx, old, (size_t)i));
    host->list_push(ctx, notes, host->string_new(ctx, results[k], WEFT_NUL_TERMINATED));
    return host->output(ctx, 0, with_entry(ctx, store, "notes", notes));
}

static weft_status_t answer_run(weft_ctx_t *ctx, void *state)
{
    (void)state;
    weft_value_t store = host->input(ctx, 0);
    char text[512];
    int64_t n = note_count(ctx, store);
    weft_value_t notes = host->map_get(ctx, store, "notes");
    int len = snprintf(text, sizeof text, "%s %s", question(ctx, store), n > 0 ? "Because" : "No idea.");
    for (int64_t i = 0; i < n && len > 0 && (size_t)len < sizeof text; i++) {
        const char *note = host->get_string(ctx, host->list_get(ctx, notes, (size_t)i), NULL);
        len += snprintf(text + len, sizeof text - (size_t)len, "%s %s", i ? ";" : "", note ? note : "?");
    }
    weft_status_t st = host->output(ctx, 0, with_entry(ctx, store, "answer", host->string_new(ctx, text, WEFT_NUL_TERMINATED)));
    if (st != WEFT_OK) return st;
    return host->output(ctx, 1, host->string_new(ctx, "done", WEFT_NUL_TERMINATED));
}

static weft_status_t agent_init(const weft_host_t *h, weft_registry_t *reg)
{
    const weft_node_desc_t nodes[] = {
        {.struct_size = sizeof(weft_node_desc_t), .name = "ask", .summary = "A store holding the question and no notes",
         .inputs = ask_in, .outputs = store_only, .flags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE, .run = ask_run},
        {.struct_size = sizeof(weft_node_desc_t), .name = "decide", .summary = "search while notes < enough, then answer",
         .inputs = decide_in, .outputs = state_out, .flags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE, .run = decide_run},
        {.struct_size = sizeof(weft_node_desc_t), .name = "search", .summary = "Adds the next search result to the notes",
         .inputs = store_only, .outputs = state_out, .flags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE, .run = search_run},
        {.struct_size = sizeof(weft_node_desc_t), .name = "answer", .summary = "Writes the answer from the notes",
         .inputs = store_only, .outputs = state_out, .flags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE, .run = answer_run},
    };
    if (h->struct_size < WEFT_HOST_HAS(output_double)) return h->registry_fail(reg, "agent needs a Weft ABI v1 host");
    if (host != h) host = h;
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        weft_status_t st = h->register_node(reg, &nodes[i]);
        if (st != WEFT_OK) return st;
    }
    return WEFT_OK;
}

WEFT_PLUGIN("agent", "1.0.0", "States for an agent-style flow (examples/agent-flow.json)", agent_init, NULL);
