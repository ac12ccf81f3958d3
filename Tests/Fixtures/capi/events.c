/*
 * events.c — graphs with event sources through the C API: a timer with a
 * count ends by itself; an endless timer ends on duration_s and on
 * weft_run_cancel from the event callback; every wave's nodes are reported;
 * a failure handled by the node's on_error gives NODE_FAILED then
 * NODE_RECOVERED and the run succeeds.
 *
 *   cc -std=c99 events.c $(pkg-config --cflags --libs weft) -o events
 *   ./events
 *
 * Prints `events: ok` and exits 0 when every check passes.
 */
#include <weft/weft.h>

#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        if (!(cond)) {                                                            \
            failures++;                                                           \
            printf("FAIL line %d: ", __LINE__);                                   \
            printf(__VA_ARGS__);                                                  \
            printf(" (last error: \"%s\")\n", weft_last_error());                 \
        }                                                                         \
    } while (0)

static const char *COUNTED =
    "{\"weft\": 1, \"nodes\": ["
    "  {\"id\": \"t\", \"type\": \"event.timer\", \"params\": {\"interval_ms\": 5, \"count\": 4}},"
    "  {\"id\": \"sq\", \"type\": \"std.mul\"}],"
    " \"edges\": [{\"from\": \"t.tick\", \"to\": \"sq.a\"}, {\"from\": \"t.tick\", \"to\": \"sq.b\"}],"
    " \"outputs\": {\"square\": \"sq.result\"}}";

static const char *ENDLESS =
    "{\"weft\": 1, \"nodes\": ["
    "  {\"id\": \"t\", \"type\": \"event.timer\", \"params\": {\"interval_ms\": 5}},"
    "  {\"id\": \"sq\", \"type\": \"std.mul\"}],"
    " \"edges\": [{\"from\": \"t.tick\", \"to\": \"sq.a\"}, {\"from\": \"t.tick\", \"to\": \"sq.b\"}],"
    " \"outputs\": {\"square\": \"sq.result\"}}";

static const char *ROUTED =
    "{\"weft\": 1, \"nodes\": ["
    "  {\"id\": \"div\", \"type\": \"std.div\", \"inputs\": {\"a\": 1, \"b\": 0}, \"on_error\": \"route\"},"
    "  {\"id\": \"why\", \"type\": \"std.identity\"}],"
    " \"edges\": [{\"from\": \"div.error\", \"to\": \"why.value\"}],"
    " \"outputs\": {\"error\": \"why.value\"}}";

/* Kinds of the node events of `div`, in order. */
typedef struct {
    int kinds[8];
    int count;
    int recovered_how_ok; /* NODE_RECOVERED's message was "route" */
} trail;

static void on_routed_event(const weft_event_t *ev, void *user)
{
    trail *t = user;
    if (!ev->node_id || strcmp(ev->node_id, "div") != 0 || t->count == 8) return;
    t->kinds[t->count++] = ev->kind;
    if (ev->kind == WEFT_EVENT_NODE_RECOVERED) t->recovered_how_ok = ev->message && strcmp(ev->message, "route") == 0;
}

typedef struct {
    int finished;       /* NODE_FINISHED events of node sq */
    int waves_started;  /* WAVE_STARTED events (source t, in order) */
    int waves_finished; /* WAVE_FINISHED events that succeeded */
    int source_done;    /* SOURCE_FINISHED events of t */
    int order_ok;       /* every WAVE_STARTED had iteration == its count */
    int cancel_after;   /* cancel once this many were seen (0 = never) */
    weft_run_t *run;
} counter;

static void on_event(const weft_event_t *ev, void *user)
{
    counter *c = user;
    if (ev->kind == WEFT_EVENT_WAVE_STARTED) {
        c->waves_started++;
        if (ev->iteration != c->waves_started || ev->steps != c->waves_started || !ev->node_id || strcmp(ev->node_id, "t") != 0)
            c->order_ok = 0;
    }
    if (ev->kind == WEFT_EVENT_WAVE_FINISHED && ev->outcome == WEFT_RUN_SUCCEEDED && ev->steps == 1) c->waves_finished++;
    if (ev->kind == WEFT_EVENT_SOURCE_FINISHED && ev->node_id && strcmp(ev->node_id, "t") == 0 && !ev->message) c->source_done++;
    if (ev->kind == WEFT_EVENT_NODE_FINISHED && ev->node_id && strcmp(ev->node_id, "sq") == 0) {
        c->finished++;
        if (c->cancel_after && c->finished == c->cancel_after) weft_run_cancel(c->run);
    }
}

int main(void)
{
    weft_engine_t *e = NULL;
    weft_graph_t *g = NULL;
    weft_run_t *r = NULL;
    weft_run_options_t o;
    int64_t sq = 0;
    counter c;

    CHECK(weft_engine_create(&e) == WEFT_OK, "engine");
    CHECK(weft_engine_load_default_plugins(e) == WEFT_OK, "default plugins");

    /* A counted timer: four waves, then the run succeeds by itself. */
    CHECK(weft_graph_parse(e, COUNTED, WEFT_NUL_TERMINATED, &g, NULL) == WEFT_OK, "counted graph");
    memset(&c, 0, sizeof c);
    c.order_ok = 1;
    weft_run_options_init(&o);
    o.on_event = on_event;
    o.user_data = &c;
    CHECK(weft_run_graph(g, &o, NULL, &r) == WEFT_OK, "run counted");
    CHECK(c.waves_started == 4 && c.order_ok, "4 WAVE_STARTED events in order, source t (%d, ok %d)", c.waves_started, c.order_ok);
    CHECK(c.waves_finished == 4, "4 waves finished with 1 step each (%d)", c.waves_finished);
    CHECK(c.source_done == 1, "SOURCE_FINISHED once, without error (%d)", c.source_done);
    CHECK(weft_run_state(r) == WEFT_RUN_SUCCEEDED, "counted run succeeded");
    CHECK(weft_run_output_int(r, "square", &sq) == WEFT_OK && sq == 16, "last wave's output: 4*4 (got %lld)", (long long)sq);
    CHECK(c.finished == 4, "sq ran once per wave (%d)", c.finished);
    weft_run_destroy(r);
    r = NULL;
    weft_graph_destroy(g);
    g = NULL;

    /* An endless timer, cancelled from the event callback after 3 waves. */
    CHECK(weft_graph_parse(e, ENDLESS, WEFT_NUL_TERMINATED, &g, NULL) == WEFT_OK, "endless graph");
    memset(&c, 0, sizeof c);
    c.cancel_after = 3;
    weft_run_options_init(&o);
    o.on_event = on_event;
    o.user_data = &c;
    CHECK(weft_run_create(g, &o, &r) == WEFT_OK, "create");
    c.run = r;
    CHECK(weft_run_start(r) == WEFT_OK, "start");
    CHECK(weft_run_wait(r, 20000) == WEFT_OK, "cancel ends the run");
    CHECK(weft_run_state(r) == WEFT_RUN_CANCELLED, "cancelled");
    CHECK(c.finished >= 3, "at least 3 waves before the cancel (%d)", c.finished);
    CHECK(weft_run_output_int(r, "square", &sq) == WEFT_OK && sq >= 9, "an output of a finished wave (%lld)", (long long)sq);
    weft_run_destroy(r);
    r = NULL;

    /* The same graph stopped by duration_s. */
    weft_run_options_init(&o);
    o.duration_s = 0.2;
    CHECK(weft_run_graph(g, &o, NULL, &r) == WEFT_OK, "run with duration");
    CHECK(weft_run_state(r) == WEFT_RUN_CANCELLED, "duration_s ends it as cancelled");
    weft_run_destroy(r);

    weft_graph_destroy(g);
    g = NULL;

    /* A failure routed by on_error: NODE_FAILED, NODE_RECOVERED, success. */
    CHECK(weft_graph_parse(e, ROUTED, WEFT_NUL_TERMINATED, &g, NULL) == WEFT_OK, "routed graph");
    trail t;
    memset(&t, 0, sizeof t);
    weft_run_options_init(&o);
    o.on_event = on_routed_event;
    o.user_data = &t;
    CHECK(weft_run_graph(g, &o, NULL, &r) == WEFT_OK, "run routed");
    CHECK(weft_run_state(r) == WEFT_RUN_SUCCEEDED, "a routed failure does not fail the run");
    CHECK(t.count >= 3 && t.kinds[t.count - 2] == WEFT_EVENT_NODE_FAILED && t.kinds[t.count - 1] == WEFT_EVENT_NODE_RECOVERED,
          "div: ... NODE_FAILED, NODE_RECOVERED (%d events, last kinds %d %d)", t.count,
          t.count >= 2 ? t.kinds[t.count - 2] : -1, t.count >= 1 ? t.kinds[t.count - 1] : -1);
    CHECK(t.recovered_how_ok, "NODE_RECOVERED says how: \"route\"");
    char *json = NULL;
    CHECK(weft_run_output_json(r, "error", &json) == WEFT_OK && json && strstr(json, "division by zero"),
          "the error output holds the message (%s)", json ? json : "(none)");
    weft_free(json);
    weft_run_destroy(r);

    weft_graph_destroy(g);
    weft_engine_destroy(e);
    if (failures) {
        printf("events: FAILED (%d)\n", failures);
        return 1;
    }
    printf("events: ok\n");
    return 0;
}
