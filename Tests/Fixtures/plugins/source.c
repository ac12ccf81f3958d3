/* Event sources through the plugin ABI (v3): each emits from a thread of
 * its own. Built by the tests with plain cc. */
#include <weft/plugin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const weft_host_t *H;

typedef struct {
    int64_t count;
    int mode;               /* 0 counter, 1 misuse, 2 error */
    weft_emitter_t *emitter;
    pthread_t thread;
    int started;
    pthread_mutex_t lock;
    int stopping;
} source_state;

static const weft_port_t counter_out[] = {
    {"n", WEFT_TYPE_INT, 0, NULL, "1, 2, 3, …"},
    {"text", WEFT_TYPE_STRING, 0, NULL, "\"event n\""},
    WEFT_PORTS_END};
static const weft_port_t counter_params[] = {{"count", WEFT_TYPE_INT, 0, "3", "events to emit"}, WEFT_PORTS_END};

static int stopping(source_state *s) {
    pthread_mutex_lock(&s->lock);
    int v = s->stopping;
    pthread_mutex_unlock(&s->lock);
    return v;
}

static int emit_one(source_state *s, int64_t n) {
    weft_ctx_t *c = H->emit_begin(s->emitter);
    if (!c) return 0;
    char text[64];
    snprintf(text, sizeof text, "event %lld", (long long)n);
    H->output_int(c, 0, n);
    H->output(c, 1, H->string_new(c, text, WEFT_NUL_TERMINATED));
    return H->emit_end(c, 1) == WEFT_OK;
}

static void *source_main(void *arg) {
    source_state *s = arg;
    if (s->mode == 1) {
        /* Misuse: a made-up emitter, a NULL ctx, a ctx used after emit_end. */
        int refused = 0;
        if (H->emit_begin((weft_emitter_t *)(uintptr_t)0x1234) == NULL) refused++;
        if (H->emit_end(NULL, 1) == WEFT_ERR_HANDLE) refused++;
        weft_ctx_t *c = H->emit_begin(s->emitter);
        if (c) {
            H->output_int(c, 0, 0);
            H->output(c, 1, H->string_new(c, "discarded", WEFT_NUL_TERMINATED));
            H->emit_end(c, 0); /* discarded: never a wave */
            if (H->emit_end(c, 1) == WEFT_ERR_HANDLE) refused++;
        }
        emit_one(s, refused);
        H->source_done(s->emitter, NULL);
        return NULL;
    }
    for (int64_t n = 1; (s->count == 0 || n <= s->count) && !stopping(s); n++) {
        if (!emit_one(s, n)) return NULL;
    }
    H->source_done(s->emitter, s->mode == 2 ? "sensor unplugged" : NULL);
    return NULL;
}

static weft_status_t source_create(weft_ctx_t *c, void *ud, void **out) {
    source_state *s = calloc(1, sizeof *s);
    if (!s) return H->fail(c, "out of memory");
    s->mode = (int)(intptr_t)ud;
    if (s->mode != 1) H->get_int(c, H->param(c, 0), &s->count);
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    return WEFT_OK;
}

static weft_status_t source_start(void *state, weft_emitter_t *emitter) {
    source_state *s = state;
    s->emitter = emitter;
    if (pthread_create(&s->thread, NULL, source_main, s) != 0) return WEFT_ERR_FAILED;
    s->started = 1;
    return WEFT_OK;
}

static void source_stop(void *state) {
    source_state *s = state;
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    pthread_mutex_unlock(&s->lock);
    if (s->started) pthread_join(s->thread, NULL);
    s->started = 0;
}

static void source_destroy(void *state) {
    source_state *s = state;
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static weft_status_t refuse_start(void *state, weft_emitter_t *emitter) {
    (void)state; (void)emitter;
    return WEFT_ERR_FAILED;
}

static weft_status_t src_init(const weft_host_t *h, weft_registry_t *r) {
    if (H != h) H = h;
    if (h->struct_size < WEFT_HOST_HAS(source_done)) return h->registry_fail(r, "needs a host with event sources (ABI 3)");
    weft_node_desc_t d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.outputs = counter_out;
    d.create = source_create;
    d.destroy = source_destroy;
    d.start = source_start;
    d.stop = source_stop;

    d.name = "counter"; d.summary = "Emits n = 1 … count from its own thread."; d.params = counter_params;
    d.user_data = (void *)(intptr_t)0;
    weft_status_t st = h->register_node(r, &d);
    if (st != WEFT_OK) return st;

    d.name = "misuse"; d.summary = "Tries a made-up emitter and a stale ctx, then emits how many were refused."; d.params = NULL;
    d.user_data = (void *)(intptr_t)1;
    if ((st = h->register_node(r, &d)) != WEFT_OK) return st;

    d.name = "broken"; d.summary = "Emits count events, then ends with an error."; d.params = counter_params;
    d.user_data = (void *)(intptr_t)2;
    if ((st = h->register_node(r, &d)) != WEFT_OK) return st;

    d.name = "refuses"; d.summary = "Its start fails."; d.params = NULL; d.start = refuse_start;
    d.user_data = (void *)(intptr_t)0;
    return h->register_node(r, &d);
}

WEFT_PLUGIN("src", "1.0", "Event sources for the tests", src_init, NULL);
