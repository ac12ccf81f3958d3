/*
 * isolate.c — crash isolation through the C API: the host survives a
 * plugin that crashes, the node fails with a message, keep_going lets the
 * rest of the graph run.
 *
 *   cc -std=c99 isolate.c $(pkg-config --cflags --libs weft) -o isolate
 *   ./isolate /path/to/libcrashy.so      (Tests/Fixtures/plugins/crashy.c)
 *
 * Prints `isolate: ok` and exits 0 when every check passes.
 */
#include <weft/weft.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

static const char *GRAPH =
    "{\"weft\": 1, \"inputs\": {\"x\": \"int\"},"
    " \"nodes\": ["
    "  {\"id\": \"a\", \"type\": \"crashy.echo\"},"
    "  {\"id\": \"p\", \"type\": \"crashy.pid\"},"
    "  {\"id\": \"q\", \"type\": \"std.add\", \"inputs\": {\"a\": 1, \"b\": 2}}"
    " ],"
    " \"edges\": [{\"from\": \"$x\", \"to\": \"a.x\"}],"
    " \"outputs\": {\"y\": \"a.y\", \"pid\": \"p.n\", \"q\": \"q.result\"}}";

int main(int argc, char **argv)
{
    weft_engine_t *e = NULL;
    weft_graph_t *g = NULL;
    weft_run_t *r = NULL;
    weft_run_options_t o;
    int64_t q = 0, pid = 0, y = 0;
    const char *err;

    if (argc < 2) {
        fprintf(stderr, "usage: isolate /path/to/libcrashy.so\n");
        return 2;
    }
    CHECK(weft_engine_create(&e) == WEFT_OK, "engine");
    CHECK(weft_engine_load_default_plugins(e) == WEFT_OK, "default plugins");
    CHECK(weft_engine_load_plugin(e, argv[1]) == WEFT_OK, "crashy plugin");

    CHECK(weft_engine_isolate_plugin(e, "nope") == WEFT_ERR_NOT_FOUND, "unknown plugin refused");
    CHECK(strstr(weft_last_error(), "no plugin named 'nope' is loaded") != NULL, "message names the plugin");
    CHECK(weft_engine_isolate_plugin(e, NULL) == WEFT_ERR_INVALID, "NULL name refused");
    CHECK(weft_engine_isolate_plugin(e, "crashy") == WEFT_OK, "isolate crashy");

    CHECK(weft_graph_parse(e, GRAPH, WEFT_NUL_TERMINATED, &g, NULL) == WEFT_OK, "graph");
    weft_run_options_init(&o);
    o.keep_going = 1;

    /* A good call: runs in another process. */
    CHECK(weft_run_graph(g, &o, "{\"x\": 5}", &r) == WEFT_OK, "run x=5");
    CHECK(weft_run_state(r) == WEFT_RUN_SUCCEEDED, "x=5 succeeded");
    CHECK(weft_run_output_int(r, "y", &y) == WEFT_OK && y == 5, "y = 5");
    CHECK(weft_run_output_int(r, "pid", &pid) == WEFT_OK && pid > 0 && pid != (int64_t)getpid(),
          "crashy.pid ran in a child process (%lld, host %d)", (long long)pid, (int)getpid());
    weft_run_destroy(r);
    r = NULL;

    /* A crash: the node fails, the host lives, q still runs. */
    CHECK(weft_run_graph(g, &o, "{\"x\": -11}", &r) == WEFT_OK, "run x=-11");
    CHECK(weft_run_state(r) == WEFT_RUN_FAILED, "x=-11 failed");
    err = weft_run_error(r);
    CHECK(err != NULL && strstr(err, "node 'a' (crashy.echo)") && strstr(err, "crashed with SIGSEGV"),
          "error names the node and the signal: %s", err ? err : "(null)");
    CHECK(weft_run_failed_node(r) && strcmp(weft_run_failed_node(r), "a") == 0, "failed node is a");
    CHECK(weft_run_output_int(r, "q", &q) == WEFT_OK && q == 3, "q ran after the crash");
    CHECK(weft_run_output_int(r, "y", &y) == WEFT_ERR_NOT_FOUND, "y did not fire");
    if (err)
        printf("crash reported: %s\n", err);
    weft_run_destroy(r);

    weft_graph_destroy(g);
    weft_engine_destroy(e);
    if (failures) {
        printf("isolate: FAILED (%d)\n", failures);
        return 1;
    }
    printf("isolate: ok\n");
    return 0;
}
