/* A plugin that crashes or hangs on purpose, for crash and hang isolation
 * (weft run --isolate, "isolate": true, "timeout_ms").
 *
 *   crashy.echo   y = x, and calls = how many calls this instance has seen
 *                 since its create (shows that a restarted worker creates
 *                 the node again). x = -11: SIGSEGV (write through NULL);
 *                 x = -6: abort(); x = -1: hang (sleeps forever);
 *                 x = -2: exit(3) in the middle of the call;
 *                 x = -3: writes "crashy.echo: hanging (pid N)" to stderr,
 *                 then hangs (a test knows the call is under way).
 *   crashy.segv   crashes at once, always.
 *   crashy.pid    the process id it runs in (isolated: not weft's).
 *   crashy.bytes  passes bytes and nested values through (copying check).
 */
#define _POSIX_C_SOURCE 200809L
#include <weft/plugin.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const weft_host_t *H;

static const weft_port_t x_in[] = {{"x", WEFT_TYPE_INT, 0, NULL, "the value"}, WEFT_PORTS_END};
static const weft_port_t echo_out[] = {
    {"y", WEFT_TYPE_INT, 0, NULL, "x"},
    {"calls", WEFT_TYPE_INT, 0, NULL, "calls since create"},
    WEFT_PORTS_END};
static const weft_port_t int_out[] = {{"n", WEFT_TYPE_INT, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t any_in[] = {{"value", WEFT_TYPE_ANY, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t any_out[] = {{"value", WEFT_TYPE_ANY, 0, NULL, NULL}, WEFT_PORTS_END};

typedef struct { int64_t calls; } echo_state;

static weft_status_t echo_create(weft_ctx_t *c, void *ud, void **out) {
    (void)c; (void)ud;
    echo_state *s = calloc(1, sizeof *s);
    if (!s) return WEFT_ERR_NOMEM;
    *out = s;
    return WEFT_OK;
}

static void crash_now(void) {
    volatile int *p = NULL;
    *p = 42;
}

/* Recurses until the stack runs out (4 KiB a frame, not a tail call). */
static int overflow(int n) {
    volatile char pad[4096];
    pad[0] = (char)n;
    return overflow(n + 1) + pad[0];
}

static weft_status_t echo_run(weft_ctx_t *c, void *state) {
    echo_state *s = state;
    int64_t x = 0;
    if (H->input_int(c, 0, &x) != WEFT_OK) return H->fail(c, H->error_message(c));
    s->calls++;
    if (x == -11) crash_now();
    if (x == -6) abort();
    if (x == -7) return overflow(0) ? WEFT_ERR_FAILED : WEFT_ERR_FAILED;
    if (x == -2) exit(3);
    if (x == -1) for (;;) sleep(1);
    if (x == -3) {
        char line[64];
        int n = snprintf(line, sizeof line, "crashy.echo: hanging (pid %ld)\n", (long)getpid());
        if (n > 0) { ssize_t w = write(2, line, (size_t)n); (void)w; }
        for (;;) sleep(1);
    }
    if (H->output_int(c, 0, x) != WEFT_OK) return WEFT_ERR_FAILED;
    return H->output_int(c, 1, s->calls);
}

static void echo_destroy(void *state) { free(state); }

static weft_status_t segv_run(weft_ctx_t *c, void *s) {
    (void)c; (void)s;
    crash_now();
    return WEFT_OK;
}

static weft_status_t pid_run(weft_ctx_t *c, void *s) {
    (void)s;
    return H->output_int(c, 0, (int64_t)getpid());
}

static weft_status_t bytes_run(weft_ctx_t *c, void *s) {
    (void)s;
    return H->output(c, 0, H->input(c, 0));
}

#define NODE(NAME, SUMMARY, IN, OUT, CREATE, RUN, DESTROY) \
    do { \
        weft_node_desc_t d; \
        memset(&d, 0, sizeof d); \
        d.struct_size = sizeof d; d.name = NAME; d.summary = SUMMARY; \
        d.inputs = IN; d.outputs = OUT; \
        d.create = CREATE; d.run = RUN; d.destroy = DESTROY; \
        weft_status_t st = host->register_node(reg, &d); \
        if (st != WEFT_OK) return st; \
    } while (0)

static weft_status_t crashy_init(const weft_host_t *host, weft_registry_t *reg) {
    if (H != host) H = host;
    NODE("echo", "y = x; crashes, aborts, exits or hangs on some x.", x_in, echo_out, echo_create, echo_run, echo_destroy);
    NODE("segv", "Crashes at once.", NULL, int_out, NULL, segv_run, NULL);
    NODE("pid", "The process id it runs in.", NULL, int_out, NULL, pid_run, NULL);
    NODE("pass", "Passes any value through.", any_in, any_out, NULL, bytes_run, NULL);
    return WEFT_OK;
}

WEFT_PLUGIN("crashy", "1.0", "Crashes and hangs on purpose", crashy_init, NULL);
