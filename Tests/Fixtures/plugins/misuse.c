/* A test plugin that misuses the host API in a loop: the host must refuse
 * every call and rate-limit its warnings (a count of the suppressed ones
 * instead of one line per call). Its deinit writes a line to stderr with
 * its thread, so tests can see when, whether and where it ran. */
#include <weft/plugin.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const weft_host_t *H;

static const weft_port_t n_param[] = {{"n", WEFT_TYPE_INT, 0, "1000", "how many bad calls to make"}, WEFT_PORTS_END};
static const weft_port_t refused_out[] = {{"refused", WEFT_TYPE_INT, 0, NULL, "how many were refused"}, WEFT_PORTS_END};

/* Calls output_int with a NULL ctx n times (each is refused with
 * WEFT_ERR_HANDLE), then outputs how many were refused. */
static weft_status_t loop_run(weft_ctx_t *c, void *s) {
    (void)s;
    int64_t n = 0, refused = 0;
    if (H->get_int(c, H->param(c, 0), &n) != WEFT_OK) return H->fail(c, "param n is not an int");
    for (int64_t i = 0; i < n; i++) {
        if (H->output_int(NULL, 0, 1) == WEFT_ERR_HANDLE) refused++;
    }
    return H->output_int(c, 0, refused);
}

static weft_status_t misuse_init(const weft_host_t *host, weft_registry_t *reg) {
    H = host;
    weft_node_desc_t d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.name = "loop";
    d.summary = "Calls the host with a NULL ctx n times; outputs how many calls were refused.";
    d.outputs = refused_out;
    d.params = n_param;
    d.run = loop_run;
    return host->register_node(reg, &d);
}

static void misuse_deinit(void) {
    fprintf(stderr, "misuse: deinit on thread %lu\n", (unsigned long)pthread_self());
    fflush(stderr);
}

WEFT_PLUGIN("misuse", "1.0.0", "Misuses the host API in a loop", misuse_init, misuse_deinit);
