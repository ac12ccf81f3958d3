/*
 * store.c — runs recorded in a run store through the C API (store_path,
 * resume_run_id, weft_run_id, weft_run_pause) on examples/fan-out.json
 * (four 150 ms sleeps one after another, nine nodes in all):
 *
 *   store DIR            a recorded run gets an id; a run paused from its
 *                        event callback ends WEFT_RUN_PAUSED and a run with
 *                        resume_run_id finishes it, restoring what completed
 *                        (each node completes once in all) with the outputs
 *                        of an uninterrupted run; the refusals (a store that
 *                        is not one, a missing, running or succeeded run,
 *                        another graph or other inputs). Last, a run paused
 *                        from this thread is left paused: prints `paused: ID`.
 *   store DIR resume ID  resumes run ID in this new process; prints
 *                        `resumed: ID restored R`.
 *
 * The store is DIR/runs.db. Run from the repository's root (it loads
 * examples/fan-out.json). Prints `store: ok` and exits 0 when every check
 * passes.
 */
#include <weft/weft.h>

#include <stdio.h>
#include <stdlib.h>
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

#define GRAPH "examples/fan-out.json"
#define INPUTS "{\"ms\": 150}"
#define NODES 9

static char store_path[4096];

/* What one run's events showed; pauses its run after `pause_after` finished. */
typedef struct {
    weft_run_t *run;
    const char *pause_after; /* a node id, or NULL */
    weft_status_t pause_status;
    int paused;              /* weft_run_pause was called */
    int finished;            /* NODE_FINISHED */
    int restored;            /* NODE_RESTORED */
    int outcome;             /* RUN_FINISHED's */
    char message[256];       /* RUN_FINISHED's */
} tally;

static void on_event(const weft_event_t *ev, void *user)
{
    tally *t = user;
    if (ev->kind == WEFT_EVENT_NODE_RESTORED) t->restored++;
    if (ev->kind == WEFT_EVENT_NODE_FINISHED) {
        t->finished++;
        if (t->pause_after && !t->paused && ev->node_id && strcmp(ev->node_id, t->pause_after) == 0) {
            t->paused = 1;
            t->pause_status = weft_run_pause(t->run); /* from the run's own event callback */
        }
    }
    if (ev->kind == WEFT_EVENT_RUN_FINISHED) {
        t->outcome = ev->outcome;
        snprintf(t->message, sizeof t->message, "%s", ev->message ? ev->message : "");
    }
}

/* Options recording in the store (resuming `resume` unless 0), events to `t`. */
static weft_run_options_t recorded(int64_t resume, tally *t)
{
    weft_run_options_t o;
    weft_run_options_init(&o);
    o.store_path = store_path;
    o.resume_run_id = resume;
    if (t) {
        memset(t, 0, sizeof *t);
        o.on_event = on_event;
        o.user_data = t;
    }
    return o;
}

/* The outputs of a finished run (caller frees), or NULL. */
static char *outputs(weft_run_t *r)
{
    char *json = NULL;
    return weft_run_outputs_json(r, &json) == WEFT_OK ? json : NULL;
}

/* The outputs of an uninterrupted run that is not recorded. */
static char *baseline(weft_graph_t *g)
{
    weft_run_t *r = NULL;
    char *json = NULL;
    CHECK(weft_run_graph(g, NULL, INPUTS, &r) == WEFT_OK, "baseline run");
    CHECK(weft_run_state(r) == WEFT_RUN_SUCCEEDED, "baseline succeeded");
    CHECK(weft_run_id(r) == 0, "a run without store_path has id 0 (%lld)", (long long)weft_run_id(r));
    json = outputs(r);
    CHECK(json && strstr(json, "\"count\":4"), "baseline outputs (%s)", json ? json : "(none)");
    weft_run_destroy(r);
    return json;
}

/* Resumes run `id` to its end: checks it finishes with `expected`; returns
 * the nodes restored, or -1. `completed`: nodes completed before the pause. */
static int resume(weft_graph_t *g, int64_t id, const char *expected, int completed)
{
    weft_run_t *r = NULL;
    tally t;
    weft_run_options_t o = recorded(id, &t);
    char *json;
    int restored;
    if (weft_run_graph(g, &o, INPUTS, &r) != WEFT_OK) {
        CHECK(0, "resume run %lld", (long long)id);
        return -1;
    }
    CHECK(weft_run_id(r) == id, "a resumed run keeps its id (%lld, not %lld)", (long long)weft_run_id(r), (long long)id);
    CHECK(weft_run_state(r) == WEFT_RUN_SUCCEEDED, "the resumed run succeeded (state %d: %s)", (int)weft_run_state(r),
          weft_run_error(r) ? weft_run_error(r) : "");
    json = outputs(r);
    CHECK(json && strcmp(json, expected) == 0, "the resumed run's outputs are an uninterrupted run's (%s, not %s)",
          json ? json : "(none)", expected);
    weft_free(json);
    CHECK(t.restored >= 1, "the resumed run restored nodes (%d)", t.restored);
    if (completed >= 0)
        CHECK(t.restored == completed, "it restored the %d nodes completed before the pause (%d)", completed, t.restored);
    CHECK(t.restored + t.finished == NODES, "each node completed once in all: %d restored + %d called != %d", t.restored,
          t.finished, NODES);
    CHECK(t.finished >= 1, "some nodes were left to call (%d)", t.finished);
    restored = t.restored;
    weft_run_destroy(r);
    return restored;
}

/* weft_run_start of a resume of `id` with graph `g` and `inputs` is
 * refused with `status` and a last error holding `says`. */
static void refused(weft_graph_t *g, int64_t id, const char *inputs, weft_status_t status, const char *says)
{
    weft_run_t *r = NULL, *untouched = (weft_run_t *)&r;
    weft_run_options_t o = recorded(id, NULL);
    weft_status_t s;
    CHECK(weft_run_create(g, &o, &r) == WEFT_OK, "create a resume of %lld", (long long)id);
    CHECK(weft_run_set_inputs_json(r, inputs) == WEFT_OK, "inputs");
    s = weft_run_start(r);
    CHECK(s == status && strstr(weft_last_error(), says), "resume of %lld: %s, not %s, saying '%s'", (long long)id,
          weft_status_name(s), weft_status_name(status), says);
    CHECK(weft_run_state(r) == WEFT_RUN_PENDING && weft_run_id(r) == 0, "a refused run does not start (state %d, id %lld)",
          (int)weft_run_state(r), (long long)weft_run_id(r));
    weft_run_destroy(r);
    /* weft_run_graph: the same, and *out untouched. */
    s = weft_run_graph(g, &o, inputs, &untouched);
    CHECK(s == status && untouched == (weft_run_t *)&r, "weft_run_graph refuses it too (%s)", weft_status_name(s));
}

static int all(weft_engine_t *e, weft_graph_t *g)
{
    weft_run_t *r = NULL;
    weft_graph_t *other = NULL;
    weft_run_options_t o;
    tally t;
    char *expected = baseline(g), *json;
    int64_t first, paused, cancelled, still;
    FILE *f;
    char bad[4200];
    if (!expected) return 1;

    /* Not recorded: no pause. */
    CHECK(weft_run_create(g, NULL, &r) == WEFT_OK, "create");
    CHECK(weft_run_pause(r) == WEFT_ERR_STATE && strstr(weft_last_error(), "set store_path"),
          "a run without store_path cannot be paused");
    weft_run_destroy(r);
    CHECK(weft_run_id(NULL) == -1, "weft_run_id(NULL) is -1");

    /* Options that are refused; a file that is not a store. */
    weft_run_options_init(&o);
    o.resume_run_id = 3;
    CHECK(weft_run_create(g, &o, &r) == WEFT_ERR_INVALID && strstr(weft_last_error(), "store_path is NULL"),
          "resume_run_id without store_path");
    o = recorded(-1, NULL);
    CHECK(weft_run_create(g, &o, &r) == WEFT_ERR_INVALID && strstr(weft_last_error(), "resume_run_id is -1"),
          "a negative resume_run_id");
    o = recorded(0, NULL);
    o.store_path = "";
    CHECK(weft_run_create(g, &o, &r) == WEFT_ERR_INVALID && strstr(weft_last_error(), "store_path is empty"), "empty store_path");
    snprintf(bad, sizeof bad, "%s.not-a-store", store_path);
    f = fopen(bad, "w");
    CHECK(f != NULL, "write %s", bad);
    if (f) {
        fputs("these bytes are not an SQLite database, nor a Weft run store, whatever its name says.\n", f);
        fclose(f);
    }
    o.store_path = bad;
    CHECK(weft_run_create(g, &o, &r) == WEFT_ERR_FAILED && strstr(weft_last_error(), "not a Weft run store")
              && strstr(weft_last_error(), "give another store_path"),
          "a file that is not a run store");

    /* A recorded run: its id from weft_run_start on; the next one's is new. */
    o = recorded(0, NULL);
    CHECK(weft_run_create(g, &o, &r) == WEFT_OK, "create recorded");
    CHECK(weft_run_id(r) == 0, "no id before start (%lld)", (long long)weft_run_id(r));
    CHECK(weft_run_pause(r) == WEFT_ERR_STATE && strstr(weft_last_error(), "not started"), "a run not started cannot be paused");
    CHECK(weft_run_set_input_int(r, "ms", 1) == WEFT_OK, "ms");
    CHECK(weft_run_start(r) == WEFT_OK, "start recorded");
    first = weft_run_id(r);
    CHECK(first > 0, "a recorded run has an id (%lld)", (long long)first);
    CHECK(weft_run_wait(r, -1) == WEFT_OK && weft_run_state(r) == WEFT_RUN_SUCCEEDED, "recorded run succeeded");
    CHECK(weft_run_pause(r) == WEFT_OK && weft_run_state(r) == WEFT_RUN_SUCCEEDED, "pausing a finished run changes nothing");
    weft_run_destroy(r);
    o = recorded(0, NULL);
    CHECK(weft_run_graph(g, &o, "{\"ms\": 1}", &r) == WEFT_OK && weft_run_id(r) > first, "the next run's id is new (%lld, %lld)",
          (long long)weft_run_id(r), (long long)first);
    weft_run_destroy(r);
    refused(g, first, "{\"ms\": 1}", WEFT_ERR_STATE, "nothing to resume");
    refused(g, 999999, INPUTS, WEFT_ERR_NOT_FOUND, "no run 999999");

    /* Paused from its own event callback after sleep1: ends PAUSED. */
    o = recorded(0, &t);
    t.pause_after = "sleep1";
    CHECK(weft_run_create(g, &o, &r) == WEFT_OK, "create to pause");
    t.run = r;
    CHECK(weft_run_set_inputs_json(r, INPUTS) == WEFT_OK, "inputs");
    CHECK(weft_run_start(r) == WEFT_OK, "start to pause");
    paused = weft_run_id(r);
    CHECK(weft_run_wait(r, -1) == WEFT_OK, "wait paused");
    CHECK(t.paused && t.pause_status == WEFT_OK, "weft_run_pause from on_event (called %d, %s)", t.paused,
          weft_status_name(t.pause_status));
    CHECK(weft_run_state(r) == WEFT_RUN_PAUSED, "the run ended WEFT_RUN_PAUSED (state %d: %s)", (int)weft_run_state(r),
          weft_run_error(r) ? weft_run_error(r) : "");
    snprintf(bad, sizeof bad, "resume_run_id = %lld", (long long)paused);
    CHECK(weft_run_error(r) && strstr(weft_run_error(r), "paused") && strstr(weft_run_error(r), bad),
          "weft_run_error says paused and how to go on (%s)", weft_run_error(r) ? weft_run_error(r) : "NULL");
    CHECK(t.outcome == WEFT_RUN_CANCELLED && strstr(t.message, "the run was paused"),
          "RUN_FINISHED: cancelled, 'the run was paused' (%d, %s)", t.outcome, t.message);
    CHECK(t.finished >= 1 && t.finished < NODES, "stopped part way (%d of %d nodes)", t.finished, NODES);
    CHECK(weft_run_steps(r) < NODES, "fewer steps than the whole run (%lld)", (long long)weft_run_steps(r));
    CHECK(weft_run_output_json(r, "count", &json) == WEFT_ERR_NOT_FOUND, "no count output yet");
    CHECK(weft_run_pause(r) == WEFT_OK && weft_run_state(r) == WEFT_RUN_PAUSED, "pausing again changes nothing");
    weft_run_destroy(r);
    refused(g, paused, "{\"ms\": 100}", WEFT_ERR_INVALID, "started with the inputs");
    resume(g, paused, expected, t.finished);
    refused(g, paused, INPUTS, WEFT_ERR_STATE, "nothing to resume");

    /* Another graph is refused; a cancelled run can be resumed. */
    o = recorded(0, NULL);
    CHECK(weft_run_create(g, &o, &r) == WEFT_OK, "create to cancel");
    CHECK(weft_run_cancel(r) == WEFT_OK && weft_run_set_inputs_json(r, INPUTS) == WEFT_OK, "cancel before start");
    CHECK(weft_run_start(r) == WEFT_OK && weft_run_wait(r, -1) == WEFT_OK && weft_run_state(r) == WEFT_RUN_CANCELLED, "cancelled");
    cancelled = weft_run_id(r);
    weft_run_destroy(r);
    CHECK(weft_graph_parse(e, "{\"weft\": 1, \"nodes\": [], \"outputs\": {}}", WEFT_NUL_TERMINATED, &other, NULL) == WEFT_OK,
          "another graph");
    refused(other, cancelled, "{}", WEFT_ERR_INVALID, "has changed");
    weft_graph_destroy(other);
    {
        weft_run_t *c = NULL;
        o = recorded(cancelled, &t);
        CHECK(weft_run_graph(g, &o, INPUTS, &c) == WEFT_OK && weft_run_state(c) == WEFT_RUN_SUCCEEDED,
              "a cancelled run resumed to its end");
        CHECK(t.restored == 0 && t.finished == NODES, "nothing to restore (%d restored, %d called)", t.restored, t.finished);
        weft_run_destroy(c);
    }

    /* Paused from this thread while it runs; a second run cannot take it
     * meanwhile. Left paused for `store DIR resume ID`. */
    o = recorded(0, &t);
    CHECK(weft_run_create(g, &o, &r) == WEFT_OK, "create to pause from main");
    CHECK(weft_run_set_inputs_json(r, INPUTS) == WEFT_OK && weft_run_start(r) == WEFT_OK, "start to pause from main");
    still = weft_run_id(r);
    CHECK(weft_run_wait(r, 200) == WEFT_ERR_TIMEOUT, "still running at 200 ms");
    refused(g, still, INPUTS, WEFT_ERR_STATE, "is running");
    CHECK(weft_run_pause(r) == WEFT_OK, "weft_run_pause from another thread");
    CHECK(weft_run_wait(r, -1) == WEFT_OK && weft_run_state(r) == WEFT_RUN_PAUSED, "paused from main (state %d)",
          (int)weft_run_state(r));
    CHECK(t.finished >= 1 && t.finished < NODES, "stopped part way (%d)", t.finished);
    weft_run_destroy(r);
    printf("paused: %lld completed %d\n", (long long)still, t.finished);
    weft_free(expected);
    return 0;
}

int main(int argc, char **argv)
{
    weft_engine_t *e = NULL;
    weft_graph_t *g = NULL;
    if (argc != 2 && !(argc == 4 && strcmp(argv[2], "resume") == 0)) {
        fprintf(stderr, "usage: %s DIR [resume ID]\n", argv[0]);
        return 2;
    }
    snprintf(store_path, sizeof store_path, "%s/runs.db", argv[1]);
    CHECK(weft_engine_create(&e) == WEFT_OK, "engine");
    CHECK(weft_engine_load_default_plugins(e) == WEFT_OK, "default plugins");
    CHECK(weft_graph_load(e, GRAPH, &g, NULL) == WEFT_OK, "load " GRAPH);
    if (failures) return 1;

    if (argc == 4) {
        int64_t id = strtoll(argv[3], NULL, 10);
        char *expected = baseline(g);
        int restored = expected ? resume(g, id, expected, -1) : -1;
        weft_free(expected);
        printf("resumed: %lld restored %d\n", (long long)id, restored);
    } else {
        all(e, g);
    }
    weft_graph_destroy(g);
    weft_engine_destroy(e);
    if (failures) {
        printf("store: FAILED (%d)\n", failures);
        return 1;
    }
    printf("store: ok\n");
    return 0;
}
