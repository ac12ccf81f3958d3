/*
 * unload.c — an engine's plugins are unloaded when the engine and the last
 * graph and run made from it are destroyed: inside that last destroy call,
 * on the thread that makes it, after runs on other threads have finished.
 *
 *   cc -std=c99 -Wall -Wextra -Werror unload.c \
 *      $(pkg-config --cflags --libs weft) -lpthread -o unload
 *   ./unload /path/to/libmisuse.so
 *
 * The plugin (Tests/Fixtures/plugins/misuse.c) prints
 * `misuse: deinit on thread T` to stderr from its deinit; this program
 * prints `unload: last destroy on thread T` (stderr) just before its last
 * destroy call, then `unload: ok` (stdout) and exits 0 when every check
 * passes; otherwise a `FAIL line N: ...` line per failed check and exit 1.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <weft/weft.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define RUNS 4

static const char *plugin_path;

/* Whether the plugin library is still mapped into the process (does not
 * load it: RTLD_NOLOAD). */
static int plugin_mapped(void) {
    void *h = dlopen(plugin_path, RTLD_NOW | RTLD_NOLOAD);
    if (h == NULL) return 0;
    dlclose(h);
    return 1;
}

/* Waits for one run and destroys it, on a thread of its own. */
static void *finish_run(void *arg) {
    weft_run_t *run = arg;
    CHECK(weft_run_wait(run, -1) == WEFT_OK, "wait");
    CHECK(weft_run_state(run) == WEFT_RUN_SUCCEEDED, "run succeeded");
    int64_t refused = -1;
    CHECK(weft_run_output_int(run, "refused", &refused) == WEFT_OK && refused == 3, "refused = %lld", (long long)refused);
    CHECK(weft_run_destroy(run) == WEFT_OK, "destroy the run on its own thread");
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: unload /path/to/libmisuse.so\n");
        return 2;
    }
    plugin_path = argv[1];
    CHECK(!plugin_mapped(), "the plugin is not loaded before the engine loads it");

    for (int round = 0; round < 3; round++) {
        weft_engine_t *engine = NULL;
        CHECK(weft_engine_create(&engine) == WEFT_OK, "create");
        CHECK(weft_engine_load_plugin(engine, plugin_path) == WEFT_OK, "load %s", plugin_path);
        const char *json =
            "{\"weft\": 1, \"nodes\": [{\"id\": \"m\", \"type\": \"misuse.loop\", \"params\": {\"n\": 3}}],"
            " \"outputs\": {\"refused\": \"m.refused\"}}";
        weft_graph_t *graph = NULL;
        CHECK(weft_graph_parse(engine, json, WEFT_NUL_TERMINATED, &graph, NULL) == WEFT_OK, "parse");

        weft_run_t *runs[RUNS] = {0};
        for (int i = 0; i < RUNS; i++) {
            CHECK(weft_run_create(graph, NULL, &runs[i]) == WEFT_OK, "create run %d", i);
            CHECK(weft_run_start(runs[i]) == WEFT_OK, "start run %d", i);
        }
        /* The engine and the graph go first: runs still use the plugin. */
        CHECK(weft_engine_destroy(engine) == WEFT_OK, "destroy the engine while runs are going");
        CHECK(weft_graph_destroy(graph) == WEFT_OK, "destroy the graph while runs are going");
        CHECK(plugin_mapped(), "the plugin stays loaded while runs made from the engine exist");

        /* Every run but the first is waited for and destroyed on a thread
         * of its own. */
        pthread_t threads[RUNS];
        for (int i = 1; i < RUNS; i++) CHECK(pthread_create(&threads[i], NULL, finish_run, runs[i]) == 0, "thread");
        for (int i = 1; i < RUNS; i++) pthread_join(threads[i], NULL);
        CHECK(plugin_mapped(), "the plugin stays loaded while one run handle is left");

        /* The last handle: the plugin's deinit and dlclose happen in this
         * call, on this thread. */
        CHECK(weft_run_wait(runs[0], -1) == WEFT_OK, "wait for the first run");
        fprintf(stderr, "unload: last destroy on thread %lu\n", (unsigned long)pthread_self());
        fflush(stderr);
        CHECK(weft_run_destroy(runs[0]) == WEFT_OK, "destroy the last run");
        CHECK(!plugin_mapped(), "the plugin is unloaded when the last destroy returns (round %d)", round);
    }

    if (failures) {
        printf("unload: %d failures\n", failures);
        return 1;
    }
    printf("unload: ok\n");
    return 0;
}
