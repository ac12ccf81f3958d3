/* A test plugin exercising the host functions, good and bad uses alike.
 * Built by the tests with plain cc; the plugin name can be changed with
 * -DFIXTURE_NAME='"other"' to test namespace clashes, and -DFIXTURE_NOT_CHEAP
 * drops WEFT_NODE_CHEAP from every node (the same work, placed as a node
 * without the hint). */
#include <weft/plugin.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef FIXTURE_NAME
#define FIXTURE_NAME "fixture"
#endif

/* The trivial number nodes (add, branch, counter, live, ticket) are CHEAP. */
#ifdef FIXTURE_NOT_CHEAP
#define CHEAP 0u
#else
#define CHEAP WEFT_NODE_CHEAP
#endif

static const weft_host_t *H;

static const weft_port_t ab_in[] = {
    {"a", WEFT_TYPE_INT, 0, NULL, "left"},
    {"b", WEFT_TYPE_INT, 0, "10", "right, default 10"},
    WEFT_PORTS_END};
static const weft_port_t sum_out[] = {{"sum", WEFT_TYPE_INT, 0, NULL, "a + b"}, WEFT_PORTS_END};
static const weft_port_t any_in[] = {{"value", WEFT_TYPE_ANY, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t after_in[] = {{"after", WEFT_TYPE_ANY, WEFT_PORT_OPTIONAL, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t any_out[] = {{"value", WEFT_TYPE_ANY, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t int_out[] = {{"n", WEFT_TYPE_INT, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t branch_in[] = {{"cond", WEFT_TYPE_BOOL, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t branch_out[] = {
    {"yes", WEFT_TYPE_NULL, WEFT_PORT_OPTIONAL, NULL, NULL},
    {"no", WEFT_TYPE_NULL, WEFT_PORT_OPTIONAL, NULL, NULL},
    WEFT_PORTS_END};
static const weft_port_t counter_params[] = {
    {"start", WEFT_TYPE_INT, 0, "0", NULL},
    {"label", WEFT_TYPE_STRING, WEFT_PORT_OPTIONAL, NULL, NULL},
    WEFT_PORTS_END};

static weft_status_t add_run(weft_ctx_t *c, void *s) {
    (void)s;
    int64_t a, b;
    if (H->input_int(c, 0, &a) || H->input_int(c, 1, &b)) return H->fail(c, H->error_message(c));
    return H->output_int(c, 0, a + b);
}

/* Rebuilds the input value through the value API (deep copy), so every
 * constructor and reader is exercised. */
static weft_value_t copy_value(weft_ctx_t *c, weft_value_t v) {
    switch (H->type_of(c, v)) {
    case WEFT_TYPE_NULL: return H->null_new(c);
    case WEFT_TYPE_BOOL: { int32_t b; H->get_bool(c, v, &b); return H->bool_new(c, b); }
    case WEFT_TYPE_INT: { int64_t i; H->get_int(c, v, &i); return H->int_new(c, i); }
    case WEFT_TYPE_DOUBLE: { double d; H->get_double(c, v, &d); return H->double_new(c, d); }
    case WEFT_TYPE_STRING: { size_t n; const char *s = H->get_string(c, v, &n); return H->string_new(c, s, n); }
    case WEFT_TYPE_BYTES: { size_t n; const void *p = H->get_bytes(c, v, &n); return H->bytes_new(c, p, n); }
    case WEFT_TYPE_LIST: {
        weft_value_t l = H->list_new(c);
        for (int64_t i = 0; i < H->length(c, v); i++) H->list_push(c, l, copy_value(c, H->list_get(c, v, (size_t)i)));
        return l;
    }
    case WEFT_TYPE_MAP: {
        weft_value_t m = H->map_new(c);
        for (int64_t i = 0; i < H->length(c, v); i++)
            H->map_set(c, m, H->map_key(c, v, (size_t)i), copy_value(c, H->map_value(c, v, (size_t)i)));
        return m;
    }
    default: return WEFT_NO_VALUE;
    }
}

static weft_status_t echo_run(weft_ctx_t *c, void *s) {
    (void)s;
    weft_value_t v = copy_value(c, H->input(c, 0));
    if (v == WEFT_NO_VALUE) return H->fail(c, "copy failed");
    return H->output(c, 0, v);
}

static weft_status_t twice_run(weft_ctx_t *c, void *s) {
    (void)s;
    if (H->output_int(c, 0, 1) != WEFT_OK) return H->fail(c, "first write refused");
    weft_status_t st = H->output_int(c, 0, 2);
    if (st == WEFT_OK) return H->fail(c, "second write was accepted");
    return H->fail(c, H->error_message(c));
}

static weft_status_t fails_run(weft_ctx_t *c, void *s) {
    (void)s;
    return H->fail(c, "fixture.fails: this node always fails");
}

/* Fails once the file named by its input exists (polled each ms, up to
 * 10 s): a node that is running when something else happens, then fails. */
static const weft_port_t path_in[] = {{"path", WEFT_TYPE_STRING, 0, NULL, NULL}, WEFT_PORTS_END};
static weft_status_t fails_when_run(weft_ctx_t *c, void *s) {
    (void)s;
    size_t len = 0;
    const char *path = H->get_string(c, H->input(c, 0), &len);
    if (!path) return H->fail(c, "path is not a string");
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 10000; i++) {
        if (access(path, F_OK) == 0) return H->fail(c, "fixture.fails_when: told to fail");
        nanosleep(&ms, NULL);
    }
    return H->fail(c, "fixture.fails_when: no file after 10 s");
}

static weft_status_t silent_fail_run(weft_ctx_t *c, void *s) {
    (void)c; (void)s;
    return WEFT_ERR_TYPE;
}

static weft_value_t stale_handle;
static weft_ctx_t *stale_ctx;
static weft_status_t stale_run(weft_ctx_t *c, void *s) {
    (void)s;
    if (stale_handle == WEFT_NO_VALUE) {
        stale_handle = H->int_new(c, 7);
        stale_ctx = c;
        return H->output(c, 0, stale_handle);
    }
    /* Second run: a handle from the previous call must be refused. */
    if (H->output(c, 0, stale_handle) == WEFT_OK) return H->fail(c, "stale handle accepted");
    return H->fail(c, H->error_message(c));
}

/* Keeps its ctx; on the next run, uses the old one: must be refused even
 * though the same thread and the same host context object serve both. */
static weft_ctx_t *kept_ctx;
static weft_status_t stale_ctx_run(weft_ctx_t *c, void *s) {
    (void)s;
    if (kept_ctx == NULL) {
        kept_ctx = c;
        return H->output_int(c, 0, 0);
    }
    weft_status_t st = H->output_int(kept_ctx, 0, 1);
    kept_ctx = c;
    if (st == WEFT_OK) return WEFT_OK; /* accepted: the test sees 1 */
    return H->output_int(c, 0, st);
}

static weft_status_t missing_output_run(weft_ctx_t *c, void *s) {
    (void)c; (void)s;
    return WEFT_OK;
}

static weft_status_t wrong_type_run(weft_ctx_t *c, void *s) {
    (void)s;
    weft_status_t st = H->output(c, 0, H->string_new(c, "seven", WEFT_NUL_TERMINATED));
    if (st == WEFT_OK) return WEFT_OK;
    return H->fail(c, H->error_message(c));
}

static weft_status_t branch_run(weft_ctx_t *c, void *s) {
    (void)s;
    int32_t b = 0;
    if (H->get_bool(c, H->input(c, 0), &b) != WEFT_OK) return H->fail(c, H->error_message(c));
    return H->fire(c, b ? 0 : 1);
}

typedef struct { int64_t next; } counter_state;
static int live_counters;
static weft_status_t counter_create(weft_ctx_t *c, void *ud, void **out) {
    (void)ud;
    int64_t start = 0;
    if (H->get_int(c, H->param(c, 0), &start) != WEFT_OK) return H->fail(c, "start is not an int");
    if (start < 0) return H->fail(c, "start must be >= 0");
    counter_state *st = malloc(sizeof *st);
    if (!st) return H->fail(c, "out of memory");
    st->next = start;
    live_counters++;
    *out = st;
    return WEFT_OK;
}
static weft_status_t counter_run(weft_ctx_t *c, void *s) {
    counter_state *st = s;
    return H->output_int(c, 0, st->next++);
}
static void counter_destroy(void *s) { live_counters--; free(s); }

/* Reports how many counter states are alive (create - destroy). */
static weft_status_t live_run(weft_ctx_t *c, void *s) {
    (void)s;
    return H->output_int(c, 0, live_counters);
}

/* The next number of a counter all ticket nodes share: which node ran
 * when (its optional input only orders it after another node). */
static int64_t tickets;
static weft_status_t ticket_run(weft_ctx_t *c, void *s) {
    (void)s;
    return H->output_int(c, 0, __atomic_add_fetch(&tickets, 1, __ATOMIC_RELAXED));
}
/* Tickets handed out so far: a test's view of a run's progress from
 * another thread (found with dlsym). */
__attribute__((visibility("default"))) int64_t fixture_tickets(void) { return __atomic_load_n(&tickets, __ATOMIC_RELAXED); }

/* Calls a host function from a thread of its own: must be refused. */
static weft_status_t thread_result;
static weft_ctx_t *thread_ctx;
static void *thread_main(void *arg) {
    (void)arg;
    thread_result = H->output_int(thread_ctx, 0, 1);
    return NULL;
}
static weft_status_t thread_run(weft_ctx_t *c, void *s) {
    (void)s;
    pthread_t t;
    thread_ctx = c;
    if (pthread_create(&t, NULL, thread_main, NULL) != 0) return H->fail(c, "pthread_create failed");
    pthread_join(t, NULL);
    if (thread_result != WEFT_ERR_HANDLE) return H->fail(c, "call from another thread was not refused");
    return H->output_int(c, 0, thread_result);
}

/* Fires the first `fire` (param) of its two optional outputs. */
static const weft_port_t multi_out[] = {
    {"a", WEFT_TYPE_INT, WEFT_PORT_OPTIONAL, NULL, NULL},
    {"b", WEFT_TYPE_INT, WEFT_PORT_OPTIONAL, NULL, NULL},
    WEFT_PORTS_END};
static const weft_port_t multi_params[] = {{"fire", WEFT_TYPE_INT, 0, "1", NULL}, WEFT_PORTS_END};
static weft_status_t multi_run(weft_ctx_t *c, void *s) {
    (void)s;
    int64_t n = 0;
    H->get_int(c, H->param(c, 0), &n);
    for (int64_t i = 0; i < n && i < 2; i++) H->output_int(c, (int32_t)i, i);
    return WEFT_OK;
}

/* Reads an input port it does not have: the host refuses, names the port. */
static weft_status_t missing_input_run(weft_ctx_t *c, void *s) {
    (void)s;
    int64_t x = 0;
    if (H->input_int(c, 0, &x) == WEFT_OK) return H->fail(c, "a missing input was read");
    return H->fail(c, H->error_message(c));
}

/* Passes a handle it made up (never handed out by the host). */
static weft_status_t foreign_handle_run(weft_ctx_t *c, void *s) {
    (void)s;
    weft_value_t made_up = (weft_value_t)0x0000abcd00000007ULL;
    if (H->output(c, 0, made_up) == WEFT_OK) return H->fail(c, "a made-up handle was accepted");
    return H->fail(c, H->error_message(c));
}

/* Makes 100,000 values and never uses them: the host takes them back when
 * the call ends, so nothing leaks across calls. */
static weft_status_t leak_run(weft_ctx_t *c, void *s) {
    (void)s;
    int64_t made = 0;
    for (int i = 0; i < 100000; i++)
        if (H->string_new(c, "leaked value", WEFT_NUL_TERMINATED) != WEFT_NO_VALUE) made++;
    return H->output_int(c, 0, made);
}

/* Hands the host a string from a buffer it then scribbles over and frees:
 * string_new copies, so the output is intact. */
static const weft_port_t string_out[] = {{"text", WEFT_TYPE_STRING, 0, NULL, NULL}, WEFT_PORTS_END};
/* Fails its first `fail_times` calls ("flaky: failure K of N"), then
 * outputs how many calls it has had (retries). Per instance. */
static const weft_port_t flaky_params[] = {{"fail_times", WEFT_TYPE_INT, 0, "1", NULL}, WEFT_PORTS_END};
typedef struct { int64_t calls, fail_times; } flaky_state;
static weft_status_t flaky_create(weft_ctx_t *c, void *ud, void **out) {
    (void)ud;
    flaky_state *st = calloc(1, sizeof *st);
    if (!st) return H->fail(c, "out of memory");
    if (H->get_int(c, H->param(c, 0), &st->fail_times) != WEFT_OK) {
        free(st);
        return H->fail(c, "fail_times is not an int");
    }
    *out = st;
    return WEFT_OK;
}
static weft_status_t flaky_run(weft_ctx_t *c, void *s) {
    flaky_state *st = s;
    st->calls++;
    if (st->calls <= st->fail_times) {
        char msg[64];
        snprintf(msg, sizeof msg, "flaky: failure %lld of %lld", (long long)st->calls, (long long)st->fail_times);
        return H->fail(c, msg);
    }
    return H->output_int(c, 0, st->calls);
}
static void flaky_destroy(void *s) { free(s); }

static weft_status_t freed_string_run(weft_ctx_t *c, void *s) {
    (void)s;
    char *buf = malloc(64);
    if (!buf) return H->fail(c, "out of memory");
    strcpy(buf, "written into a buffer the plugin freed");
    weft_value_t v = H->string_new(c, buf, WEFT_NUL_TERMINATED);
    memset(buf, 'X', 63);
    free(buf);
    return H->output(c, 0, v);
}

/* The number shortcuts (served by the host's C fast path) mixed with the
 * value API on the same ports: every answer must be the one the value API
 * path gives. Fails with the first check that does not hold. */
static const weft_port_t numbers_in[] = {
    {"i", WEFT_TYPE_INT, 0, NULL, NULL}, {"d", WEFT_TYPE_DOUBLE, 0, NULL, NULL},
    {"x", WEFT_TYPE_ANY, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t numbers_out[] = {
    {"as_int", WEFT_TYPE_INT, 0, NULL, NULL}, {"as_double", WEFT_TYPE_DOUBLE, 0, NULL, NULL},
    {"any", WEFT_TYPE_ANY, 0, NULL, NULL}, {"text", WEFT_TYPE_STRING, WEFT_PORT_OPTIONAL, NULL, NULL},
    WEFT_PORTS_END};
#define EXPECT(COND, WHAT) do { if (!(COND)) return H->fail(c, WHAT); } while (0)
static weft_status_t numbers_run(weft_ctx_t *c, void *s) {
    (void)s;
    int64_t i = 0;
    double d = 0;
    EXPECT(H->input_double(c, 0, &d) == WEFT_OK && d == 7.0, "input_double of an int input is not widened");
    EXPECT(H->input_int(c, 0, &i) == WEFT_OK && i == 7, "input_int of an int input");
    EXPECT(H->input_int(c, 1, &i) == WEFT_ERR_TYPE, "input_int of a double input is not a type error");
    EXPECT(strstr(H->error_message(c), "not int") != NULL, "input_int's type error has no message");
    EXPECT(H->input_int(c, 2, &i) == WEFT_ERR_TYPE, "input_int of a string input is not a type error");
    EXPECT(H->input_int(c, 5, &i) == WEFT_ERR_NOT_FOUND, "input_int of a port that does not exist");
    EXPECT(H->input_int(c, 0, NULL) == WEFT_OK, "input_int with a NULL out pointer");
    EXPECT(H->output_double(c, 0, 1.5) == WEFT_ERR_TYPE, "output_double into an int port is not a type error");
    EXPECT(H->output(c, 0, H->int_new(c, 4)) == WEFT_OK, "output of an int");
    EXPECT(H->output_int(c, 0, 5) == WEFT_ERR_STATE, "output_int after output on the same port");
    EXPECT(H->output_int(c, 1, 3) == WEFT_OK, "output_int into a double port");
    EXPECT(H->output_double(c, 1, 3.5) == WEFT_ERR_STATE, "output_double after output_int on the same port");
    EXPECT(H->output_int(c, 2, 9) == WEFT_OK, "output_int into an any port");
    EXPECT(H->output(c, 2, H->int_new(c, 10)) == WEFT_ERR_STATE, "output after output_int on the same port");
    EXPECT(H->fire(c, 2) == WEFT_OK, "fire of a written port");
    EXPECT(H->output_double(c, 3, 1.0) == WEFT_ERR_TYPE, "output_double into a string port is not a type error");
    EXPECT(H->output_int(c, 7, 1) == WEFT_ERR_NOT_FOUND, "output_int into a port that does not exist");
    return WEFT_OK;
}

/* The bool shortcuts (appended to ABI v3; served by the host's C fast
 * path) mixed with the value API on the same ports. */
static const weft_port_t bools_in[] = {
    {"b", WEFT_TYPE_BOOL, 0, NULL, NULL}, {"i", WEFT_TYPE_INT, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t bools_out[] = {
    {"flag", WEFT_TYPE_BOOL, 0, NULL, NULL}, {"any", WEFT_TYPE_ANY, 0, NULL, NULL},
    {"n", WEFT_TYPE_INT, 0, NULL, NULL}, WEFT_PORTS_END};
static weft_status_t bools_run(weft_ctx_t *c, void *s) {
    (void)s;
    int32_t b = -1, via_value = -1;
    EXPECT(H->struct_size >= WEFT_HOST_HAS(output_bool), "the host has no bool shortcuts");
    EXPECT(H->input_bool(c, 0, &b) == WEFT_OK && (b == 0 || b == 1), "input_bool of a bool input");
    EXPECT(H->get_bool(c, H->input(c, 0), &via_value) == WEFT_OK && via_value == b,
           "input_bool and the value API disagree");
    EXPECT(H->input_bool(c, 1, &b) == WEFT_ERR_TYPE, "input_bool of an int input is not a type error");
    EXPECT(strstr(H->error_message(c), "not bool") != NULL, "input_bool's type error has no message");
    EXPECT(H->input_bool(c, 4, &b) == WEFT_ERR_NOT_FOUND, "input_bool of a port that does not exist");
    EXPECT(H->input_bool(c, 0, NULL) == WEFT_OK, "input_bool with a NULL out pointer");
    EXPECT(H->output_bool(c, 2, 1) == WEFT_ERR_TYPE, "output_bool into an int port is not a type error");
    EXPECT(H->output_bool(c, 0, via_value ? 0 : 5) == WEFT_OK, "output_bool into a bool port");
    EXPECT(H->output(c, 0, H->bool_new(c, 1)) == WEFT_ERR_STATE, "output after output_bool on the same port");
    EXPECT(H->output(c, 1, H->bool_new(c, 0)) == WEFT_OK, "output of a bool into an any port");
    EXPECT(H->output_bool(c, 1, 1) == WEFT_ERR_STATE, "output_bool after output on the same port");
    EXPECT(H->output_bool(c, 9, 1) == WEFT_ERR_NOT_FOUND, "output_bool into a port that does not exist");
    return H->output_int(c, 2, 3);
}

/* The types its inputs arrived as, e.g. "int double bool int": what the
 * host delivered after its checks and conversions (an int on a double port
 * must arrive as a double). Not cheap: in parallel mode it runs on the pool. */
static const weft_port_t kinds_in[] = {
    {"i", WEFT_TYPE_INT, 0, NULL, NULL}, {"d", WEFT_TYPE_DOUBLE, 0, NULL, NULL},
    {"b", WEFT_TYPE_BOOL, 0, NULL, NULL}, {"n", WEFT_TYPE_NUMBER, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t kinds_out[] = {{"kinds", WEFT_TYPE_STRING, 0, NULL, NULL}, WEFT_PORTS_END};
static weft_status_t kinds_run(weft_ctx_t *c, void *s) {
    (void)s;
    static const char *names[] = {"any", "null", "bool", "int", "double", "string", "bytes", "list", "map"};
    char text[64] = "";
    for (int32_t p = 0; p < 4; p++) {
        weft_type_t t = H->type_of(c, H->input(c, p));
        if (t < WEFT_TYPE_NULL || t > WEFT_TYPE_MAP) return H->fail(c, "an input has no valid value");
        if (p) strcat(text, " ");
        strcat(text, names[t]);
    }
    return H->output(c, 0, H->string_new(c, text, WEFT_NUL_TERMINATED));
}


/* fixture.state: a state of a flow. It adds its name to store["trail"]
 * (a list) and one to store["n"]; its action is actions[k % length], k
 * being how often its name was in the trail before (none: no action). It
 * fails when store["n"] is fail_at before the call. */
static const weft_port_t state_in[] = {
    {"store", WEFT_TYPE_MAP, 0, NULL, NULL}, {"name", WEFT_TYPE_STRING, 0, NULL, NULL},
    {"actions", WEFT_TYPE_LIST, 0, "[]", NULL}, {"fail_at", WEFT_TYPE_INT, 0, "-1", NULL}, WEFT_PORTS_END};
static const weft_port_t state_out[] = {
    {"store", WEFT_TYPE_MAP, 0, NULL, NULL}, {"action", WEFT_TYPE_STRING, WEFT_PORT_OPTIONAL, NULL, NULL}, WEFT_PORTS_END};
static weft_status_t state_run(weft_ctx_t *c, void *s) {
    (void)s;
    weft_value_t in = H->input(c, 0);
    size_t nlen = 0;
    const char *name = H->get_string(c, H->input(c, 1), &nlen);
    weft_value_t actions = H->input(c, 2);
    int64_t fail_at = -1, n = 0;
    H->get_int(c, H->input(c, 3), &fail_at);
    weft_value_t nv = H->map_get(c, in, "n");
    if (nv != WEFT_NO_VALUE) H->get_int(c, nv, &n);
    if (n == fail_at) return H->fail(c, "fixture.state: told to fail at this n");
    weft_value_t out = H->map_new(c);
    int64_t entries = H->length(c, in);
    for (int64_t i = 0; i < entries; i++) {
        const char *key = H->map_key(c, in, (size_t)i);
        if (strcmp(key, "trail") && strcmp(key, "n")) H->map_set(c, out, key, H->map_value(c, in, (size_t)i));
    }
    weft_value_t trail = H->list_new(c);
    weft_value_t old = H->map_get(c, in, "trail");
    int64_t seen = 0, length = old == WEFT_NO_VALUE ? 0 : H->length(c, old);
    for (int64_t i = 0; i < length; i++) {
        weft_value_t item = H->list_get(c, old, (size_t)i);
        size_t len = 0;
        const char *t = H->get_string(c, item, &len);
        if (t && len == nlen && !memcmp(t, name, len)) seen++;
        H->list_push(c, trail, item);
    }
    H->list_push(c, trail, H->string_new(c, name, nlen));
    H->map_set(c, out, "trail", trail);
    H->map_set(c, out, "n", H->int_new(c, n + 1));
    weft_status_t st = H->output(c, 0, out);
    if (st != WEFT_OK) return st;
    int64_t count = H->length(c, actions);
    if (count > 0) return H->output(c, 1, H->list_get(c, actions, (size_t)(seen % count)));
    return WEFT_OK;
}


/* fixture.later (ABI v4, async): y = 2x, ending later. ms >= 0: a thread of
 * its own ends the call after ms milliseconds; ms = -1: ended inside run,
 * before it returns WEFT_PENDING; ms = -2: deferred, then returns WEFT_OK
 * (a plugin bug the host reports). fail: ends it with fail_call. cancel:
 * fails a call still waiting at once. deinit waits for its threads. */
typedef struct later_call {
    weft_token_t *token;
    int64_t y, ms;
    int fail, ended, group;
    struct later_call *next;
} later_call;
static pthread_mutex_t later_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t later_cond = PTHREAD_COND_INITIALIZER;
static later_call *later_calls;
static int later_threads;
/* Calls of `group` (1-15; input "group") pending now, and the most at once. */
static int later_pending[16], later_peak[16];

/* Ends `c` once (whoever comes first: its thread or cancel). */
static void later_end(later_call *c, const char *failure) {
    pthread_mutex_lock(&later_lock);
    int first = !c->ended;
    c->ended = 1;
    if (first && c->group > 0) later_pending[c->group]--;
    pthread_mutex_unlock(&later_lock);
    if (!first) return;
    if (failure) {
        H->fail_call(c->token, failure);
    } else {
        weft_ctx_t *ctx = H->resume_call(c->token);
        if (ctx) {
            H->output_int(ctx, 0, c->y);
            H->complete_call(c->token);
        }
    }
}
static void *later_main(void *arg) {
    later_call *c = arg;
    struct timespec t = {(time_t)(c->ms / 1000), (long)(c->ms % 1000) * 1000000};
    nanosleep(&t, NULL);
    later_end(c, c->fail ? "fixture.later: told to fail" : NULL);
    pthread_mutex_lock(&later_lock);
    later_call **p = &later_calls;
    while (*p && *p != c) p = &(*p)->next;
    if (*p) *p = c->next;
    later_threads--;
    pthread_cond_broadcast(&later_cond);
    pthread_mutex_unlock(&later_lock);
    free(c);
    return NULL;
}
static void *later_now(void *arg) {
    later_end(arg, NULL);
    return NULL;
}
static const weft_port_t later_out[] = {{"y", WEFT_TYPE_INT, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t later_in[] = {
    {"x", WEFT_TYPE_INT, 0, NULL, NULL}, {"ms", WEFT_TYPE_INT, 0, "0", NULL}, {"fail", WEFT_TYPE_BOOL, 0, "false", NULL},
    {"group", WEFT_TYPE_INT, 0, "0", NULL}, WEFT_PORTS_END};
static weft_status_t later_run(weft_ctx_t *c, void *s) {
    (void)s;
    int64_t x = 0, ms = 0;
    int32_t fail = 0;
    H->input_int(c, 0, &x);
    H->input_int(c, 1, &ms);
    H->input_bool(c, 2, &fail);
    weft_token_t *token = H->defer_call(c);
    if (!token) return H->fail(c, H->error_message(c));
    if (ms == -2) return WEFT_OK;
    if (ms == -1) {
        if (fail) {
            H->fail_call(token, "fixture.later: told to fail");
        } else {
            /* Ended from another thread while run has not returned yet. */
            later_call lc = {token, 2 * x, 0, 0, 0, 0, NULL};
            pthread_t t;
            pthread_create(&t, NULL, later_now, &lc);
            pthread_join(t, NULL);
        }
        return WEFT_PENDING;
    }
    later_call *lc = calloc(1, sizeof *lc);
    if (!lc) { H->fail_call(token, "out of memory"); return WEFT_PENDING; }
    int64_t group = 0;
    H->input_int(c, 3, &group);
    lc->token = token; lc->y = 2 * x; lc->ms = ms; lc->fail = fail; lc->group = group > 0 && group < 16 ? (int)group : 0;
    pthread_t t;
    pthread_mutex_lock(&later_lock);
    if (lc->group && ++later_pending[lc->group] > later_peak[lc->group]) later_peak[lc->group] = later_pending[lc->group];
    later_threads++;
    lc->next = later_calls; later_calls = lc;
    pthread_mutex_unlock(&later_lock);
    pthread_create(&t, NULL, later_main, lc);
    pthread_detach(t);
    return WEFT_PENDING;
}
static const weft_port_t group_in[] = {{"group", WEFT_TYPE_INT, 0, NULL, NULL}, WEFT_PORTS_END};
static weft_status_t later_peak_run(weft_ctx_t *c, void *s) {
    (void)s;
    int64_t group = 0;
    H->input_int(c, 0, &group);
    if (group <= 0 || group >= 16) return H->fail(c, "group must be 1 to 15");
    pthread_mutex_lock(&later_lock);
    int peak = later_peak[group];
    pthread_mutex_unlock(&later_lock);
    return H->output_int(c, 0, peak);
}
static void later_cancel(void *state, weft_token_t *token) {
    (void)state;
    later_call *found = NULL;
    pthread_mutex_lock(&later_lock);
    for (later_call *c = later_calls; c; c = c->next) if (c->token == token) found = c;
    pthread_mutex_unlock(&later_lock);
    if (found) later_end(found, "fixture.later: cancelled");
}
static void fixture_deinit(void) {
    pthread_mutex_lock(&later_lock);
    while (later_threads > 0) pthread_cond_wait(&later_cond, &later_lock);
    pthread_mutex_unlock(&later_lock);
}


/* Hooks (see Docs/graph-format.md, "Hooks"). fixture.clamp_hook (before):
 * int inputs above `max` become `max`; an int input below 0 vetoes the
 * call. fixture.double_hook (after): int outputs doubled. fixture.bad_hook
 * (before): gives an input the node does not have. */
static const weft_port_t hook_in[] = {{"call", WEFT_TYPE_MAP, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t before_out[] = {
    {"inputs", WEFT_TYPE_MAP, WEFT_PORT_OPTIONAL, NULL, NULL}, {"veto", WEFT_TYPE_STRING, WEFT_PORT_OPTIONAL, NULL, NULL},
    WEFT_PORTS_END};
static const weft_port_t after_out[] = {{"outputs", WEFT_TYPE_MAP, WEFT_PORT_OPTIONAL, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t clamp_params[] = {{"max", WEFT_TYPE_INT, 0, NULL, NULL}, WEFT_PORTS_END};
static weft_status_t clamp_hook_run(weft_ctx_t *c, void *s) {
    (void)s;
    int64_t max = 0;
    H->get_int(c, H->param(c, 0), &max);
    weft_value_t inputs = H->map_get(c, H->input(c, 0), "inputs");
    weft_value_t out = H->map_new(c);
    int64_t n = H->length(c, inputs);
    for (int64_t i = 0; i < n; i++) {
        int64_t v;
        if (H->get_int(c, H->map_value(c, inputs, (size_t)i), &v) != WEFT_OK) continue;
        if (v < 0) return H->output(c, 1, H->string_new(c, "negative input", WEFT_NUL_TERMINATED));
        if (v > max) H->map_set(c, out, H->map_key(c, inputs, (size_t)i), H->int_new(c, max));
    }
    return H->output(c, 0, out);
}
static weft_status_t double_hook_run(weft_ctx_t *c, void *s) {
    (void)s;
    weft_value_t outputs = H->map_get(c, H->input(c, 0), "outputs");
    weft_value_t out = H->map_new(c);
    int64_t n = H->length(c, outputs);
    for (int64_t i = 0; i < n; i++) {
        int64_t v;
        if (H->get_int(c, H->map_value(c, outputs, (size_t)i), &v) == WEFT_OK)
            H->map_set(c, out, H->map_key(c, outputs, (size_t)i), H->int_new(c, 2 * v));
    }
    return H->output(c, 0, out);
}
static weft_status_t bad_hook_run(weft_ctx_t *c, void *s) {
    (void)s;
    weft_value_t out = H->map_new(c);
    H->map_set(c, out, "nope", H->int_new(c, 1));
    return H->output(c, 0, out);
}

/* An observer (ABI v4): fixture.recorder appends to the file `path` a line
 * "open" at create, one per event ("KIND NODE ITERATION MESSAGE", "-" for
 * a NULL string) and "close" at destroy. */
static const weft_port_t recorder_params[] = {{"path", WEFT_TYPE_STRING, 0, NULL, NULL}, WEFT_PORTS_END};
static weft_status_t recorder_create(weft_ctx_t *c, void *u, void **out) {
    (void)u;
    const char *path = H->get_string(c, H->param(c, 0), NULL);
    FILE *f = path ? fopen(path, "a") : NULL;
    if (!f) return H->fail(c, "fixture.recorder: cannot open its file");
    fputs("open\n", f);
    fflush(f);
    *out = f;
    return WEFT_OK;
}
static void recorder_observe(void *s, const weft_event_t *e) {
    fprintf((FILE *)s, "%d %s %lld %s\n", e->kind, e->node_id ? e->node_id : "-", (long long)e->iteration,
            e->message ? e->message : "-");
    fflush((FILE *)s);
}
static void recorder_destroy(void *s) {
    fputs("close\n", (FILE *)s);
    fclose((FILE *)s);
}

/* Time limits (timeout_ms). fixture.slow: runs `ms` milliseconds in 1 ms
 * naps; with `cooperative` it fails as soon as should_stop says so, naming
 * the millisecond. fixture.hang (BLOCKING, not THREAD_SAFE): sleeps `ms`,
 * then creates the file `done` if given; it counts the calls inside it at
 * once, whose most fixture.hang_peak gives. */
static const weft_port_t slow_in[] = {{"ms", WEFT_TYPE_INT, 0, NULL, NULL},
                                      {"cooperative", WEFT_TYPE_BOOL, 0, "false", NULL}, WEFT_PORTS_END};
static weft_status_t slow_run(weft_ctx_t *c, void *s) {
    (void)s;
    int64_t ms = 0;
    int32_t cooperative = 0;
    H->input_int(c, 0, &ms);
    H->input_bool(c, 1, &cooperative);
    struct timespec nap = {0, 1000000};
    for (int64_t i = 0; i < ms; i++) {
        if (cooperative && H->should_stop(c)) {
            char m[96];
            snprintf(m, sizeof m, "fixture.slow: should_stop said stop after %lld of %lld naps", (long long)i, (long long)ms);
            return H->fail(c, m);
        }
        nanosleep(&nap, NULL);
    }
    return H->output_int(c, 0, ms);
}
static const weft_port_t hang_in[] = {{"ms", WEFT_TYPE_INT, 0, NULL, NULL},
                                      {"done", WEFT_TYPE_STRING, 0, "\"\"", NULL}, WEFT_PORTS_END};
static pthread_mutex_t hang_lock = PTHREAD_MUTEX_INITIALIZER;
static int hang_inside = 0, hang_peak = 0;
static weft_status_t hang_run(weft_ctx_t *c, void *s) {
    (void)s;
    int64_t ms = 0;
    H->input_int(c, 0, &ms);
    const char *done = H->get_string(c, H->input(c, 1), NULL);
    char path[512];
    snprintf(path, sizeof path, "%s", done ? done : "");
    pthread_mutex_lock(&hang_lock);
    if (++hang_inside > hang_peak) hang_peak = hang_inside;
    pthread_mutex_unlock(&hang_lock);
    struct timespec t = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
    if (path[0]) {
        FILE *f = fopen(path, "w");
        if (f) fclose(f);
    }
    pthread_mutex_lock(&hang_lock);
    hang_inside--;
    pthread_mutex_unlock(&hang_lock);
    return H->output_int(c, 0, ms);
}
static weft_status_t hang_peak_run(weft_ctx_t *c, void *s) {
    (void)s;
    pthread_mutex_lock(&hang_lock);
    int peak = hang_peak;
    pthread_mutex_unlock(&hang_lock);
    return H->output_int(c, 0, peak);
}

/* Resume tests: fixture.tally appends its label (and with `with_x`, a
 * space and x) and a newline to the file `path` (one write, O_APPEND:
 * lines from several processes do not mix), sleeps `ms`, and gives
 * y = 3x + 1. */
static const weft_port_t tally_in[] = {{"x", WEFT_TYPE_INT, 0, "0", NULL}, WEFT_PORTS_END};
static const weft_port_t tally_out[] = {{"y", WEFT_TYPE_INT, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t tally_params[] = {{"path", WEFT_TYPE_STRING, 0, NULL, NULL}, {"label", WEFT_TYPE_STRING, 0, NULL, NULL},
                                           {"ms", WEFT_TYPE_INT, 0, "0", NULL}, {"with_x", WEFT_TYPE_BOOL, 0, "false", NULL},
                                           WEFT_PORTS_END};
static weft_status_t tally_run(weft_ctx_t *c, void *s) {
    (void)s;
    int64_t x = 0, ms = 0;
    H->input_int(c, 0, &x);
    const char *path = H->get_string(c, H->param(c, 0), NULL);
    const char *label = H->get_string(c, H->param(c, 1), NULL);
    H->get_int(c, H->param(c, 2), &ms);
    int32_t with_x = 0;
    H->get_bool(c, H->param(c, 3), &with_x);
    char line[256];
    int n = with_x ? snprintf(line, sizeof line, "%s %lld\n", label ? label : "?", (long long)x)
                   : snprintf(line, sizeof line, "%s\n", label ? label : "?");
    int fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT, 0644) : -1;
    if (fd < 0) return H->fail(c, "fixture.tally: cannot open its file");
    ssize_t w = write(fd, line, (size_t)n);
    close(fd);
    if (w != n) return H->fail(c, "fixture.tally: cannot write its file");
    struct timespec t = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
    return H->output_int(c, 0, 3 * x + 1);
}

#define NODE(NAME, SUMMARY, IN, OUT, PARAMS, FLAGS, CREATE, RUN, DESTROY) \
    do { \
        weft_node_desc_t d; \
        memset(&d, 0, sizeof d); \
        d.struct_size = sizeof d; d.name = NAME; d.summary = SUMMARY; \
        d.inputs = IN; d.outputs = OUT; d.params = PARAMS; d.flags = FLAGS; \
        d.create = CREATE; d.run = RUN; d.destroy = DESTROY; \
        weft_status_t st = host->register_node(reg, &d); \
        if (st != WEFT_OK) return st; \
    } while (0)

static weft_status_t fixture_init(const weft_host_t *host, weft_registry_t *reg) {
    if (H != host) H = host; /* a second init (another engine) writes nothing: no race with running nodes */
    if (host->struct_size < WEFT_HOST_HAS(output_double)) return host->registry_fail(reg, "host too old");
    NODE("add", "Adds two ints.", ab_in, sum_out, NULL, WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE | CHEAP, NULL, add_run, NULL);
    NODE("echo", "Copies any value through the value API.", any_in, any_out, NULL, WEFT_NODE_PURE, NULL, echo_run, NULL);
    NODE("twice", "Writes one output twice.", NULL, int_out, NULL, 0, NULL, twice_run, NULL);
    NODE("fails", "Always fails.", NULL, int_out, NULL, 0, NULL, fails_run, NULL);
    NODE("fails_when", "Fails once a file exists.", path_in, int_out, NULL, 0, NULL, fails_when_run, NULL);
    NODE("silent_fail", "Fails without a message.", NULL, int_out, NULL, 0, NULL, silent_fail_run, NULL);
    NODE("stale", "Reuses a handle from an earlier call.", NULL, int_out, NULL, 0, NULL, stale_run, NULL);
    NODE("stale_ctx", "Reuses the ctx of an earlier call.", NULL, int_out, NULL, 0, NULL, stale_ctx_run, NULL);
    NODE("missing_output", "Forgets its required output.", NULL, int_out, NULL, 0, NULL, missing_output_run, NULL);
    NODE("wrong_type", "Writes a string to an int output.", NULL, int_out, NULL, 0, NULL, wrong_type_run, NULL);
    NODE("branch", "Fires yes or no.", branch_in, branch_out, NULL, WEFT_NODE_PURE | CHEAP, NULL, branch_run, NULL);
    NODE("counter", "Counts up from start.", NULL, int_out, counter_params, CHEAP, counter_create, counter_run, counter_destroy);
    NODE("live", "Number of live counter states.", NULL, int_out, NULL, CHEAP, NULL, live_run, NULL);
    NODE("multi", "Fires the first n of its optional outputs.", NULL, multi_out, multi_params, 0, NULL, multi_run, NULL);
    NODE("thread", "Calls the host from another thread.", NULL, int_out, NULL, 0, NULL, thread_run, NULL);
    NODE("missing_input", "Reads an input port it does not have.", NULL, int_out, NULL, 0, NULL, missing_input_run, NULL);
    NODE("foreign_handle", "Outputs a handle the host never made.", NULL, int_out, NULL, 0, NULL, foreign_handle_run, NULL);
    NODE("leak", "Makes 100,000 values and drops them.", NULL, int_out, NULL, 0, NULL, leak_run, NULL);
    NODE("numbers", "Mixes the number shortcuts with the value API.", numbers_in, numbers_out, NULL, 0, NULL, numbers_run, NULL);
    NODE("bools", "Mixes the bool shortcuts with the value API.", bools_in, bools_out, NULL, 0, NULL, bools_run, NULL);
    NODE("ticket", "The next number of a counter shared by all ticket nodes.", after_in, int_out, NULL, CHEAP, NULL, ticket_run, NULL);
    NODE("kinds", "The types its inputs arrived as.", kinds_in, kinds_out, NULL, 0, NULL, kinds_run, NULL);
    NODE("freed_string", "Outputs a string whose buffer it freed.", NULL, string_out, NULL, 0, NULL, freed_string_run, NULL);
    NODE("flaky", "Fails its first fail_times calls, then counts its calls.", after_in, int_out, flaky_params, 0, flaky_create,
         flaky_run, flaky_destroy);
    if (host->struct_size >= WEFT_HOST_HAS(should_stop)) {
        weft_node_desc_t d;
        memset(&d, 0, sizeof d);
        d.struct_size = sizeof d; d.name = "later"; d.summary = "y = 2x, ending later (async)";
        d.inputs = later_in; d.outputs = later_out; d.flags = WEFT_NODE_ASYNC; d.run = later_run; d.cancel = later_cancel;
        weft_status_t st = host->register_node(reg, &d);
        if (st != WEFT_OK) return st;
    }
    if (host->struct_size >= WEFT_HOST_HAS(should_stop)) {
        weft_node_desc_t d;
        memset(&d, 0, sizeof d);
        d.struct_size = sizeof d; d.name = "recorder"; d.summary = "Observer: writes each run event as a line to path.";
        d.params = recorder_params; d.create = recorder_create; d.observe = recorder_observe; d.destroy = recorder_destroy;
        weft_status_t st = host->register_node(reg, &d);
        if (st != WEFT_OK) return st;
    }
    if (host->struct_size >= WEFT_HOST_HAS(should_stop)) {
        NODE("slow", "Runs ms milliseconds; with cooperative, stops when should_stop says so.", slow_in, int_out, NULL, 0, NULL,
             slow_run, NULL);
    }
    NODE("later_peak", "The most fixture.later calls of a group pending at once.", group_in, int_out, NULL, 0, NULL, later_peak_run, NULL);
    NODE("hang", "Sleeps ms (BLOCKING), then makes the file done.", hang_in, int_out, NULL, WEFT_NODE_BLOCKING, NULL, hang_run, NULL);
    NODE("hang_peak", "The most fixture.hang calls inside at once.", after_in, int_out, NULL, 0, NULL, hang_peak_run, NULL);
    NODE("clamp_hook", "Before hook: int inputs above max become max; a negative one vetoes.", hook_in, before_out, clamp_params,
         0, NULL, clamp_hook_run, NULL);
    NODE("double_hook", "After hook: int outputs doubled.", hook_in, after_out, NULL, 0, NULL, double_hook_run, NULL);
    NODE("bad_hook", "Before hook giving an input no node has.", hook_in, before_out, NULL, 0, NULL, bad_hook_run, NULL);
    NODE("state", "A flow state: adds its name to store.trail, picks actions[k] on its k-th visit.", state_in, state_out, NULL, 0,
         NULL, state_run, NULL);
    NODE("tally", "Appends label to the file path, sleeps ms, gives y = 3x + 1.", tally_in, tally_out, tally_params, 0, NULL,
         tally_run, NULL);
    host->log(NULL, WEFT_LOG_DEBUG, "fixture loaded");
    return WEFT_OK;
}

WEFT_PLUGIN(FIXTURE_NAME, "1.2.3", "Test fixture plugin", fixture_init, fixture_deinit);
