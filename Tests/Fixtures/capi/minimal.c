/* The smallest useful host: run a graph file with inputs given as JSON and
 * print the outputs. Usage: minimal GRAPH.json [INPUTS-JSON] */
#include <stdio.h>
#include <weft/weft.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s graph.json [inputs-json]\n", argv[0]);
        return 2;
    }
    weft_engine_t *engine = NULL;
    weft_graph_t *graph = NULL;
    weft_run_t *run = NULL;
    char *outputs = NULL;
    int rc = 1;

    if (weft_engine_create(&engine) != WEFT_OK) goto fail;
    if (weft_engine_load_default_plugins(engine) != WEFT_OK) goto fail;
    if (weft_graph_load(engine, argv[1], &graph, NULL) != WEFT_OK) goto fail;
    if (weft_run_graph(graph, NULL, argc > 2 ? argv[2] : NULL, &run) != WEFT_OK) goto fail;
    if (weft_run_state(run) != WEFT_RUN_SUCCEEDED) {
        fprintf(stderr, "run failed: %s\n", weft_run_error(run));
        goto done;
    }
    if (weft_run_outputs_json(run, &outputs) != WEFT_OK) goto fail;
    printf("%s\n", outputs);
    rc = 0;
    goto done;
fail:
    fprintf(stderr, "error: %s\n", weft_last_error());
done:
    weft_free(outputs);
    weft_run_destroy(run);
    weft_graph_destroy(graph);
    weft_engine_destroy(engine);
    return rc;
}
