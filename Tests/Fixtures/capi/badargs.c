/*
 * badargs.c — calls every function of <weft/weft.h> with bad arguments and
 * checks the status codes (and the last-error message) the header promises.
 *
 *   cc -std=c99 -Wall -Wextra -Werror badargs.c \
 *      $(pkg-config --cflags --libs weft) -lpthread -o badargs
 *   ./badargs [--no-fork] [ABI99_PLUGIN.so]
 *
 * Each section runs in a child process (fork) so that a crash in one is
 * reported ("section X crashed with signal N") and the others still run;
 * --no-fork runs everything in this process (e.g. under valgrind, to see a
 * single leak report). The optional argument is a plugin built from
 * Tests/Fixtures/plugins/abi.c with -DFIXTURE_ABI=99 (checks
 * WEFT_ERR_VERSION); without it that check is skipped.
 *
 * Under valgrind (one process, Swift/ld.so noise suppressed):
 *   valgrind --error-exitcode=99 --leak-check=full \
 *            --suppressions=Tests/Fixtures/capi/valgrind.supp ./badargs --no-fork
 *
 * Prints one `FAIL line N: expected X got Y (last error: ...)` line per
 * failed check and, at the end, `badargs: N checks, F failures`; the exit
 * code is 1 if F > 0.
 */
#define _DEFAULT_SOURCE
#define _POSIX_C_SOURCE 200809L

#include <weft/weft.h>

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Checking                                                                 */
/* ------------------------------------------------------------------------ */

struct counters {
    long checks;
    long failures;
};
static struct counters local_counters;
static struct counters *C = &local_counters;
static int use_fork = 1;
static const char *abi99_plugin = NULL;
static const char *section_name = "";

static const char *status_str(weft_status_t s)
{
    static const char *names[] = {
        "WEFT_OK", "WEFT_ERR_FAILED", "WEFT_ERR_INVALID", "WEFT_ERR_TYPE",
        "WEFT_ERR_NOT_FOUND", "WEFT_ERR_HANDLE", "WEFT_ERR_STATE",
        "WEFT_ERR_VERSION", "WEFT_ERR_DUPLICATE", "WEFT_ERR_NOMEM",
        "WEFT_ERR_TIMEOUT"};
    static char buf[8][32];
    static int slot;
    if (s >= 0 && s <= 10)
        return names[s];
    slot = (slot + 1) % 8;
    snprintf(buf[slot], sizeof buf[slot], "status %d", (int)s);
    return buf[slot];
}

static const char *last_error_text(void)
{
    const char *e = weft_last_error();
    return e ? e : "(NULL)";
}

/* Case-insensitive: does `hay` contain one of the '|'-separated needles? */
static int contains_any(const char *hay, const char *needles)
{
    const char *p = needles;
    if (!hay)
        return 0;
    while (*p) {
        const char *end = strchr(p, '|');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *h;
        for (h = hay; *h; h++) {
            size_t i = 0;
            while (i < n && h[i] &&
                   tolower((unsigned char)h[i]) == tolower((unsigned char)p[i]))
                i++;
            if (i == n)
                return 1;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

static void fail_line(int line, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail_line(int line, const char *fmt, ...)
{
    va_list ap;
    C->failures++;
    printf("FAIL line %d: ", line);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* `want` is a status; `needle` ('|'-separated, case-insensitive) must occur
 * in the last error when want != WEFT_OK (NULL: only non-empty). */
static void check_status(int line, const char *expr, weft_status_t got, weft_status_t want,
                         const char *needle)
{
    C->checks++;
    if (got != want) {
        if (got == WEFT_OK) /* the last error is an earlier call's: not worth printing */
            fail_line(line, "expected %s got WEFT_OK (last error: none for this call) -- %s",
                      status_str(want), expr);
        else
            fail_line(line, "expected %s got %s (last error: \"%s\") -- %s", status_str(want),
                      status_str(got), last_error_text(), expr);
        return;
    }
    if (want != WEFT_OK) {
        const char *le = weft_last_error();
        if (!le || !*le)
            fail_line(line, "expected %s got %s, but the last error is empty -- %s",
                      status_str(want), status_str(got), expr);
        else if (needle && !contains_any(le, needle))
            fail_line(line, "expected %s got %s, but the last error does not mention \"%s\" "
                      "(last error: \"%s\") -- %s",
                      status_str(want), status_str(got), needle, le, expr);
    }
}

/* Any error status with a non-empty last error. */
static void check_error(int line, const char *expr, weft_status_t got, const char *needle)
{
    C->checks++;
    if (got == WEFT_OK) {
        fail_line(line, "expected an error got WEFT_OK -- %s", expr);
        return;
    }
    if (!*last_error_text())
        fail_line(line, "got %s, but the last error is empty -- %s", status_str(got), expr);
    else if (needle && !contains_any(last_error_text(), needle))
        fail_line(line, "got %s, but the last error does not mention \"%s\" (last error: \"%s\") -- %s",
                  status_str(got), needle, last_error_text(), expr);
}

static void check_true(int line, int ok, const char *expr, const char *what)
{
    C->checks++;
    if (!ok)
        fail_line(line, "expected %s (last error: \"%s\") -- %s", what, last_error_text(), expr);
}

static void check_str(int line, const char *got, const char *want, const char *expr)
{
    C->checks++;
    if (!got || strcmp(got, want) != 0)
        fail_line(line, "expected \"%s\" got %s%s%s -- %s", want, got ? "\"" : "",
                  got ? got : "NULL", got ? "\"" : "", expr);
}

static void check_contains(int line, const char *got, const char *needle, const char *expr)
{
    C->checks++;
    if (!got || !contains_any(got, needle))
        fail_line(line, "expected text mentioning \"%s\" got %s%s%s -- %s", needle,
                  got ? "\"" : "", got ? got : "NULL", got ? "\"" : "", expr);
}

#define CHECK(call, want) check_status(__LINE__, #call, (call), (want), NULL)
#define CHECK_MSG(call, want, needle) check_status(__LINE__, #call, (call), (want), (needle))
#define CHECK_ERR(call, needle) check_error(__LINE__, #call, (call), (needle))
#define CHECK_TRUE(cond, what) check_true(__LINE__, (cond) ? 1 : 0, #cond, (what))
#define CHECK_STR(got, want) check_str(__LINE__, (got), (want), #got)
#define CHECK_CONTAINS(got, needle) check_contains(__LINE__, (got), (needle), #got)

/* Bail out of a section when a precondition is missing (counts as a failure). */
#define REQUIRE(call)                                                                     \
    do {                                                                                  \
        weft_status_t st_ = (call);                                                       \
        if (st_ != WEFT_OK) {                                                             \
            C->checks++;                                                                  \
            fail_line(__LINE__, "expected WEFT_OK got %s (last error: \"%s\") -- %s; "   \
                      "skipping the rest of section %s", status_str(st_),                \
                      last_error_text(), #call, section_name);                            \
            return;                                                                       \
        }                                                                                 \
    } while (0)

/* Marker values: out-parameters must be left untouched on failure. */
#define SENTINEL ((void *)(uintptr_t)0x5e7e1a1)
#define NULL_MSG "null"
/* A handle that was destroyed, foreign, or of another kind. */
#define STALE_MSG "destroyed|stale|handle|not a|unknown|invalid|foreign"

/* A pointer that is no handle: the address of ordinary memory. */
static uint64_t not_a_handle_storage[64];
#define FOREIGN ((void *)not_a_handle_storage)

/* ------------------------------------------------------------------------ */
/* Graphs                                                                   */
/* ------------------------------------------------------------------------ */

/* Inputs of each type; outputs of each kind; one output that never fires
 * (br.false while flag is true); q fails (division by zero) when n == 0. */
static const char *TYPES_GRAPH =
    "{\"weft\": 1,"
    " \"inputs\": {\"n\": \"int\", \"s\": {\"type\": \"string\", \"default\": \"hi\"},"
    "   \"d\": {\"type\": \"double\", \"default\": 1.5}, \"flag\": {\"type\": \"bool\", \"default\": true}},"
    " \"nodes\": ["
    "  {\"id\": \"twice\", \"type\": \"std.mul\", \"inputs\": {\"b\": 2}},"
    "  {\"id\": \"up\", \"type\": \"std.upper\"},"
    "  {\"id\": \"half\", \"type\": \"std.div\", \"inputs\": {\"b\": 2}},"
    "  {\"id\": \"neg\", \"type\": \"std.not\"},"
    "  {\"id\": \"br\", \"type\": \"std.branch\"},"
    "  {\"id\": \"q\", \"type\": \"std.div\", \"inputs\": {\"a\": 100}}"
    " ],"
    " \"edges\": ["
    "  {\"from\": \"$n\", \"to\": \"twice.a\"}, {\"from\": \"$s\", \"to\": \"up.text\"},"
    "  {\"from\": \"$d\", \"to\": \"half.a\"}, {\"from\": \"$flag\", \"to\": \"neg.a\"},"
    "  {\"from\": \"$flag\", \"to\": \"br.cond\"}, {\"from\": \"$n\", \"to\": \"br.value\"},"
    "  {\"from\": \"$n\", \"to\": \"q.b\"}"
    " ],"
    " \"outputs\": {\"twice\": \"twice.result\", \"text\": \"up.result\", \"half\": \"half.result\","
    "   \"notflag\": \"neg.result\", \"kept\": \"br.true\", \"skipped\": \"br.false\", \"quot\": \"q.result\"}}";

/* sum of 0..n-1 in a loop (std nodes only). */
static const char *SUM_GRAPH =
    "{\"weft\": 1, \"inputs\": {\"n\": \"int\"},"
    " \"nodes\": ["
    "  {\"id\": \"loop\", \"type\": \"loop\", \"carry\": {\"i\": \"int\", \"sum\": \"int\"},"
    "   \"inputs\": {\"i\": 0, \"sum\": 0}, \"max_iterations\": 1000000},"
    "  {\"id\": \"more\", \"type\": \"std.lt\"},"
    "  {\"id\": \"inc\", \"type\": \"std.add\", \"inputs\": {\"b\": 1}},"
    "  {\"id\": \"acc\", \"type\": \"std.add\"}"
    " ],"
    " \"edges\": ["
    "  {\"from\": \"loop.i\", \"to\": \"more.a\"}, {\"from\": \"$n\", \"to\": \"more.b\"},"
    "  {\"from\": \"more.result\", \"to\": \"loop.continue\"},"
    "  {\"from\": \"loop.i\", \"to\": \"inc.a\"}, {\"from\": \"inc.result\", \"to\": \"loop.next_i\"},"
    "  {\"from\": \"loop.sum\", \"to\": \"acc.a\"}, {\"from\": \"loop.i\", \"to\": \"acc.b\"},"
    "  {\"from\": \"acc.result\", \"to\": \"loop.next_sum\"}"
    " ],"
    " \"outputs\": {\"sum\": \"loop.done_sum\", \"count\": \"loop.done_i\"}}";

/* A loop with a time.sleep of `ms` per pass, `n` passes (long by default). */
static const char *SLOW_GRAPH =
    "{\"weft\": 1,"
    " \"inputs\": {\"ms\": {\"type\": \"int\", \"default\": 20}, \"n\": {\"type\": \"int\", \"default\": 1000000}},"
    " \"nodes\": ["
    "  {\"id\": \"loop\", \"type\": \"loop\", \"carry\": {\"i\": \"int\"}, \"inputs\": {\"i\": 0},"
    "   \"max_iterations\": 2000000000},"
    "  {\"id\": \"more\", \"type\": \"std.lt\"},"
    "  {\"id\": \"nap\", \"type\": \"time.sleep\"},"
    "  {\"id\": \"inc\", \"type\": \"std.add\", \"inputs\": {\"b\": 1}}"
    " ],"
    " \"edges\": ["
    "  {\"from\": \"loop.i\", \"to\": \"more.a\"}, {\"from\": \"$n\", \"to\": \"more.b\"},"
    "  {\"from\": \"more.result\", \"to\": \"loop.continue\"},"
    "  {\"from\": \"$ms\", \"to\": \"nap.ms\"}, {\"from\": \"loop.i\", \"to\": \"nap.value\"},"
    "  {\"from\": \"nap.value\", \"to\": \"inc.a\"}, {\"from\": \"inc.result\", \"to\": \"loop.next_i\"}"
    " ],"
    " \"outputs\": {\"count\": \"loop.done_i\"}}";

/* Node 1 has an unknown type. */
static const char *UNKNOWN_TYPE_GRAPH =
    "{\"weft\": 1, \"nodes\": ["
    "  {\"id\": \"a\", \"type\": \"std.const\", \"params\": {\"value\": 1}},"
    "  {\"id\": \"x\", \"type\": \"std.frobnicate\"}"
    " ], \"outputs\": {\"v\": \"a.value\"}}";

/* Valid, with one warning (an unused input). */
static const char *WARNING_GRAPH =
    "{\"weft\": 1, \"inputs\": {\"unused\": \"int\"},"
    " \"nodes\": [{\"id\": \"c\", \"type\": \"std.const\", \"params\": {\"value\": 1}}],"
    " \"outputs\": {\"v\": \"c.value\"}}";

static weft_engine_t *new_engine(void)
{
    weft_engine_t *e = NULL;
    if (weft_engine_create(&e) != WEFT_OK) {
        C->checks++;
        fail_line(__LINE__, "weft_engine_create failed: %s", last_error_text());
        return NULL;
    }
    if (weft_engine_load_default_plugins(e) != WEFT_OK) {
        C->checks++;
        fail_line(__LINE__, "weft_engine_load_default_plugins failed: %s", last_error_text());
    }
    return e;
}

static weft_graph_t *parse(weft_engine_t *e, const char *json)
{
    weft_graph_t *g = NULL;
    if (weft_graph_parse(e, json, WEFT_NUL_TERMINATED, &g, NULL) != WEFT_OK) {
        C->checks++;
        fail_line(__LINE__, "weft_graph_parse of a valid graph failed: %s", last_error_text());
        return NULL;
    }
    return g;
}

static char tmpdir[64];

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* ------------------------------------------------------------------------ */
/* Sections                                                                 */
/* ------------------------------------------------------------------------ */

static void sec_globals(void)
{
    static const char *names[] = {
        "WEFT_OK", "WEFT_ERR_FAILED", "WEFT_ERR_INVALID", "WEFT_ERR_TYPE",
        "WEFT_ERR_NOT_FOUND", "WEFT_ERR_HANDLE", "WEFT_ERR_STATE",
        "WEFT_ERR_VERSION", "WEFT_ERR_DUPLICATE", "WEFT_ERR_NOMEM",
        "WEFT_ERR_TIMEOUT"};
    static const weft_status_t unknown[] = {-1, 11, 12, 100, INT32_MAX, INT32_MIN};
    const weft_host_t *h;
    weft_status_t s;
    size_t i;

    CHECK_TRUE(weft_version() != NULL && weft_version()[0] != '\0', "a non-empty version");
    CHECK_TRUE(weft_api_version() == WEFT_API_VERSION, "weft_api_version() == WEFT_API_VERSION");
    CHECK_TRUE(weft_plugin_abi_version() == WEFT_PLUGIN_ABI_VERSION,
               "weft_plugin_abi_version() == WEFT_PLUGIN_ABI_VERSION");
    for (s = 0; s <= 10; s++)
        CHECK_STR(weft_status_name(s), names[s]);
    for (i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        CHECK_STR(weft_status_name(unknown[i]), "WEFT_ERR_UNKNOWN");

    /* Nothing failed on this (fresh) thread yet. */
    CHECK_STR(weft_last_error(), "");
    weft_free(NULL); /* NULL is fine */

    h = weft_host_table();
    CHECK_TRUE(h != NULL, "weft_host_table() != NULL");
    if (!h)
        return;
    CHECK_TRUE(h->abi_version == WEFT_PLUGIN_ABI_VERSION, "host abi_version == WEFT_PLUGIN_ABI_VERSION");
    CHECK_TRUE(h->struct_size >= WEFT_HOST_HAS(register_function), "host table holds register_function");
    CHECK_TRUE(h->host_name != NULL && h->host_version != NULL, "host name and version");
    CHECK_TRUE(weft_host_table() == h, "the same host table every call");
    /* Host functions validate their ctx: NULL gives an error, never a crash. */
    CHECK_TRUE(h->input(NULL, 0) == WEFT_NO_VALUE, "host->input(NULL) == WEFT_NO_VALUE");
    CHECK_TRUE(h->param(NULL, 0) == WEFT_NO_VALUE, "host->param(NULL) == WEFT_NO_VALUE");
    CHECK_TRUE(h->output(NULL, 0, 1) != WEFT_OK, "host->output(NULL) fails");
    CHECK_TRUE(h->type_of(NULL, 1) == -1, "host->type_of(NULL) == -1");
    CHECK_TRUE(h->int_new(NULL, 1) == WEFT_NO_VALUE, "host->int_new(NULL) == WEFT_NO_VALUE");
    {
        int64_t v = 7;
        weft_status_t st = h->get_int(NULL, 1, &v);
        CHECK_TRUE(st == WEFT_ERR_HANDLE && v == 7, "host->get_int(NULL ctx) == WEFT_ERR_HANDLE");
    }
    CHECK_TRUE(h->port_index(NULL, WEFT_KIND_INPUT, "a") == -1, "host->port_index(NULL) == -1");
    CHECK_TRUE(h->register_node(NULL, NULL) != WEFT_OK, "host->register_node(NULL, NULL) fails");
    h->log(NULL, WEFT_LOG_DEBUG, "badargs: a debug log line with a NULL ctx (allowed)");
}

static const weft_port_t twice_in[] = {{"a", WEFT_TYPE_INT, 0, NULL, "operand"}, WEFT_PORTS_END};
static const weft_port_t twice_out[] = {{"result", WEFT_TYPE_INT, 0, NULL, "2a"}, WEFT_PORTS_END};
static const weft_port_t bad_type_port[] = {{"a", 77, 0, NULL, "bad type"}, WEFT_PORTS_END};
static const weft_port_t bad_default_port[] = {{"a", WEFT_TYPE_INT, 0, "\"x\"", "bad default"},
                                               WEFT_PORTS_END};
static const weft_port_t bad_name_port[] = {{"1a", WEFT_TYPE_INT, 0, NULL, "bad name"}, WEFT_PORTS_END};

static weft_status_t twice_run(weft_ctx_t *ctx, void *state)
{
    const weft_host_t *h = weft_host_table();
    int64_t a;
    (void)state;
    if (h->input_int(ctx, 0, &a) != WEFT_OK)
        return h->fail(ctx, h->error_message(ctx));
    return h->output_int(ctx, 0, 2 * a);
}

static weft_status_t failing_create(weft_ctx_t *ctx, void *user_data, void **state_out)
{
    (void)user_data;
    (void)state_out;
    return weft_host_table()->fail(ctx, "badcreate refuses to be created");
}

static weft_node_desc_t twice_desc(void)
{
    weft_node_desc_t d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d;
    d.name = "twice";
    d.summary = "2a";
    d.inputs = twice_in;
    d.outputs = twice_out;
    d.flags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE;
    d.run = twice_run;
    return d;
}

/* The path of the shipped std plugin, from weft_engine_nodes_json. */
static char *std_plugin_path(weft_engine_t *e)
{
    char *json = NULL, *hit, *start, *path = NULL;
    if (weft_engine_nodes_json(e, &json) != WEFT_OK || !json)
        return NULL;
    hit = strstr(json, "libweft_std.so");
    if (hit) {
        start = hit;
        while (start > json && start[-1] != '"')
            start--;
        path = malloc((size_t)(hit - start) + sizeof "libweft_std.so");
        if (path) {
            memcpy(path, start, (size_t)(hit - start));
            strcpy(path + (hit - start), "libweft_std.so");
        }
    }
    weft_free(json);
    return path;
}

static void sec_engine(void)
{
    weft_engine_t *e = SENTINEL, *e2, *olds[40];
    char *json = SENTINEL;
    char path[256];
    int i, j, reused = 0;

    /* create / destroy */
    CHECK_MSG(weft_engine_create(NULL), WEFT_ERR_INVALID, NULL_MSG "|out");
    CHECK(weft_engine_destroy(NULL), WEFT_OK); /* NULL is fine */
    REQUIRE(weft_engine_create(&e));
    CHECK_TRUE(e != NULL && e != SENTINEL, "a new engine");
    CHECK(weft_engine_destroy(e), WEFT_OK);
    CHECK_MSG(weft_engine_destroy(e), WEFT_ERR_HANDLE, STALE_MSG);   /* double destroy */
    CHECK_MSG(weft_engine_destroy((weft_engine_t *)FOREIGN), WEFT_ERR_HANDLE, STALE_MSG);
    {
        int on_the_stack = 42;
        CHECK_MSG(weft_engine_destroy((weft_engine_t *)(void *)&on_the_stack), WEFT_ERR_HANDLE, STALE_MSG);
        CHECK_MSG(weft_engine_load_default_plugins((weft_engine_t *)(void *)&on_the_stack), WEFT_ERR_HANDLE,
                  STALE_MSG);
        CHECK_TRUE(on_the_stack == 42, "a foreign pointer is not written to");
    }

    /* every engine function on NULL, on a destroyed engine, on a foreign pointer */
    CHECK_MSG(weft_engine_load_default_plugins(NULL), WEFT_ERR_INVALID, NULL_MSG "|engine");
    CHECK_MSG(weft_engine_load_default_plugins(e), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_engine_load_default_plugins((weft_engine_t *)FOREIGN), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_engine_add_plugin_folder(NULL, "/tmp"), WEFT_ERR_INVALID, NULL_MSG "|engine");
    CHECK_MSG(weft_engine_add_plugin_folder(e, "/tmp"), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_engine_load_plugin(NULL, "/tmp/x.so"), WEFT_ERR_INVALID, NULL_MSG "|engine");
    CHECK_MSG(weft_engine_load_plugin(e, "/tmp/x.so"), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_engine_allow_library(NULL, "/tmp/*.so"), WEFT_ERR_INVALID, NULL_MSG "|engine");
    CHECK_MSG(weft_engine_allow_library(e, "/tmp/*.so"), WEFT_ERR_HANDLE, STALE_MSG);
    {
        weft_node_desc_t d = twice_desc();
        CHECK_MSG(weft_engine_register_node(NULL, "host", &d), WEFT_ERR_INVALID, NULL_MSG "|engine");
        CHECK_MSG(weft_engine_register_node(e, "host", &d), WEFT_ERR_HANDLE, STALE_MSG);
        CHECK_MSG(weft_engine_register_node((weft_engine_t *)FOREIGN, "host", &d), WEFT_ERR_HANDLE, STALE_MSG);
    }
    CHECK_MSG(weft_engine_nodes_json(NULL, &json), WEFT_ERR_INVALID, NULL_MSG "|engine");
    CHECK_MSG(weft_engine_nodes_json(e, &json), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_engine_nodes_json((weft_engine_t *)FOREIGN, &json), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_TRUE(json == SENTINEL, "json_out untouched on failure");

    /* handle values are never reused */
    for (i = 0; i < 40; i++) {
        olds[i] = NULL;
        if (weft_engine_create(&olds[i]) != WEFT_OK)
            break;
        for (j = 0; j < i; j++)
            if (olds[j] == olds[i] || olds[i] == e)
                reused = 1;
        weft_engine_destroy(olds[i]);
    }
    CHECK_TRUE(!reused, "no engine handle value reused after destroy");
    CHECK_MSG(weft_engine_destroy(e), WEFT_ERR_HANDLE, STALE_MSG); /* still stale */
    CHECK_MSG(weft_engine_destroy(olds[0]), WEFT_ERR_HANDLE, STALE_MSG);

    /* a live engine, bad arguments */
    e = new_engine();
    if (!e)
        return;
    CHECK_MSG(weft_engine_nodes_json(e, NULL), WEFT_ERR_INVALID, NULL_MSG "|out");
    REQUIRE(weft_engine_nodes_json(e, &json));
    CHECK_CONTAINS(json, "std.add");
    CHECK_CONTAINS(json, "time.sleep");
    weft_free(json);

    CHECK_MSG(weft_engine_add_plugin_folder(e, NULL), WEFT_ERR_INVALID, NULL_MSG "|folder");
    CHECK_ERR(weft_engine_add_plugin_folder(e, "/nonexistent/weft-badargs-dir"), "weft-badargs-dir");
    snprintf(path, sizeof path, "%s/plugins", tmpdir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/plugins/libnotaplugin.so", tmpdir);
    write_file(path, "this is a text file, not a shared library\n");
    snprintf(path, sizeof path, "%s/plugins", tmpdir);
    CHECK_MSG(weft_engine_add_plugin_folder(e, path), WEFT_ERR_FAILED, "libnotaplugin.so");

    CHECK_MSG(weft_engine_load_plugin(e, NULL), WEFT_ERR_INVALID, NULL_MSG "|path");
    CHECK_MSG(weft_engine_load_plugin(e, "/nonexistent/libweft_badargs.so"), WEFT_ERR_NOT_FOUND,
              "/nonexistent/libweft_badargs.so");
    snprintf(path, sizeof path, "%s/plugins/libnotaplugin.so", tmpdir);
    CHECK_MSG(weft_engine_load_plugin(e, path), WEFT_ERR_FAILED, "libnotaplugin.so");
    {
        /* a library that is not a plugin (no weft_plugin_entry) */
        weft_status_t st = weft_engine_load_plugin(e, "libm.so.6");
        if (st != WEFT_ERR_NOT_FOUND) /* a bare soname may not count as a path */
            CHECK_MSG(st, WEFT_ERR_FAILED, "weft_plugin_entry|plugin");
    }
    if (abi99_plugin)
        CHECK_MSG(weft_engine_load_plugin(e, abi99_plugin), WEFT_ERR_VERSION, "99");

    {
        char *std_path = std_plugin_path(e);
        CHECK_TRUE(std_path != NULL, "weft_engine_nodes_json lists the std plugin's path");
        if (std_path) {
            /* the same file again is a no-op; a copy of it elsewhere is
             * another file with a plugin of the same name */
            CHECK(weft_engine_load_plugin(e, std_path), WEFT_OK);
            snprintf(path, sizeof path, "cp '%s' '%s/libstdcopy.so'", std_path, tmpdir);
            if (system(path) == 0) {
                snprintf(path, sizeof path, "%s/libstdcopy.so", tmpdir);
                CHECK_MSG(weft_engine_load_plugin(e, path), WEFT_ERR_DUPLICATE, "std");
            }

            /* a host namespace "std" first, then the plugin std */
            REQUIRE(weft_engine_create(&e2));
            {
                weft_node_desc_t d = twice_desc();
                CHECK(weft_engine_register_node(e2, "std", &d), WEFT_OK);
            }
            CHECK_MSG(weft_engine_load_plugin(e2, std_path), WEFT_ERR_DUPLICATE, "std");
            CHECK_MSG(weft_engine_load_default_plugins(e2), WEFT_ERR_FAILED, "std");
            CHECK(weft_engine_destroy(e2), WEFT_OK);
            free(std_path);
        }
    }

    CHECK_MSG(weft_engine_allow_library(e, NULL), WEFT_ERR_INVALID, NULL_MSG "|path|glob");
    CHECK(weft_engine_allow_library(e, "/tmp/weft-badargs-*.so"), WEFT_OK);

    /* register_node */
    {
        weft_node_desc_t d = twice_desc();
        CHECK_MSG(weft_engine_register_node(e, "host", NULL), WEFT_ERR_INVALID, NULL_MSG "|desc");
        CHECK_MSG(weft_engine_register_node(e, NULL, &d), WEFT_ERR_INVALID, NULL_MSG "|namespace");
        CHECK_MSG(weft_engine_register_node(e, "bad ns", &d), WEFT_ERR_INVALID, "bad ns");
        CHECK_MSG(weft_engine_register_node(e, "", &d), WEFT_ERR_INVALID, "namespace|name|empty");
        CHECK_MSG(weft_engine_register_node(e, "std", &d), WEFT_ERR_DUPLICATE, "std");
        d.name = "1bad";
        CHECK_MSG(weft_engine_register_node(e, "host", &d), WEFT_ERR_INVALID, "1bad");
        d.name = "has.dot";
        CHECK_MSG(weft_engine_register_node(e, "host", &d), WEFT_ERR_INVALID, "has.dot");
        d.name = NULL;
        CHECK_MSG(weft_engine_register_node(e, "host", &d), WEFT_ERR_INVALID, "name");
        d = twice_desc();
        d.struct_size = 0;
        CHECK_MSG(weft_engine_register_node(e, "host", &d), WEFT_ERR_INVALID, "struct_size|size");
        d = twice_desc();
        d.run = NULL;
        CHECK_MSG(weft_engine_register_node(e, "host", &d), WEFT_ERR_INVALID, "run");
        d = twice_desc();
        d.summary = NULL;
        CHECK_MSG(weft_engine_register_node(e, "host", &d), WEFT_ERR_INVALID, "summary");
        d = twice_desc();
        d.inputs = bad_type_port;
        CHECK_MSG(weft_engine_register_node(e, "host", &d), WEFT_ERR_INVALID, "type|77");
        d.inputs = bad_default_port;
        CHECK_MSG(weft_engine_register_node(e, "host", &d), WEFT_ERR_INVALID, "default");
        d.inputs = bad_name_port;
        CHECK_MSG(weft_engine_register_node(e, "host", &d), WEFT_ERR_INVALID, "1a");
        /* nothing of the refused descriptors was kept: a good one still registers */
        d = twice_desc();
        CHECK(weft_engine_register_node(e, "host", &d), WEFT_OK);
        CHECK_MSG(weft_engine_register_node(e, "host", &d), WEFT_ERR_DUPLICATE, "twice");
        d.name = "badcreate";
        d.create = failing_create;
        CHECK(weft_engine_register_node(e, "host", &d), WEFT_OK);
        REQUIRE(weft_engine_nodes_json(e, &json));
        CHECK_CONTAINS(json, "host.twice");
        weft_free(json);
    }

    /* the host node runs; a failing create fails weft_run_create */
    {
        weft_graph_t *g = parse(e, "{\"weft\": 1, \"nodes\": [{\"id\": \"t\", \"type\": \"host.twice\","
                                   " \"inputs\": {\"a\": 21}}], \"outputs\": {\"r\": \"t.result\"}}");
        weft_graph_t *g2 = parse(e, "{\"weft\": 1, \"nodes\": [{\"id\": \"bc\", \"type\": \"host.badcreate\","
                                    " \"inputs\": {\"a\": 1}}], \"outputs\": {\"r\": \"bc.result\"}}");
        weft_run_t *r = NULL;
        int64_t v = 0;
        if (g) {
            REQUIRE(weft_run_graph(g, NULL, NULL, &r));
            CHECK_TRUE(weft_run_state(r) == WEFT_RUN_SUCCEEDED, "host node run succeeded");
            CHECK(weft_run_output_int(r, "r", &v), WEFT_OK);
            CHECK_TRUE(v == 42, "host.twice(21) == 42");
            weft_run_destroy(r);
            weft_graph_destroy(g);
        }
        if (g2) {
            r = SENTINEL;
            CHECK_MSG(weft_run_create(g2, NULL, &r), WEFT_ERR_FAILED, "badcreate refuses");
            CHECK_TRUE(r == SENTINEL, "run out untouched when create fails");
            r = NULL;
            CHECK_MSG(weft_run_graph(g2, NULL, NULL, &r), WEFT_ERR_FAILED, "badcreate refuses");
            CHECK_TRUE(r == NULL, "weft_run_graph leaves *out NULL when the run could not start");
            weft_graph_destroy(g2);
        }
    }
    CHECK(weft_engine_destroy(e), WEFT_OK);
}

static void sec_graph(void)
{
    weft_engine_t *e, *dead_engine = NULL;
    weft_graph_t *g = SENTINEL, *g2, *dead_graph = NULL;
    weft_diagnostics_t *d = SENTINEL;
    const char *msg = SENTINEL, *node = SENTINEL, *jpath = SENTINEL;
    int32_t sev = -7;
    char *json = SENTINEL;
    char path[256];
    const char *valid = WARNING_GRAPH;

    REQUIRE(weft_engine_create(&dead_engine));
    weft_engine_destroy(dead_engine);
    e = new_engine();
    if (!e)
        return;

    /* parse: bad arguments */
    CHECK_MSG(weft_graph_parse(NULL, valid, WEFT_NUL_TERMINATED, &g, NULL), WEFT_ERR_INVALID, NULL_MSG "|engine");
    CHECK_MSG(weft_graph_parse(dead_engine, valid, WEFT_NUL_TERMINATED, &g, NULL), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_graph_parse((weft_engine_t *)FOREIGN, valid, WEFT_NUL_TERMINATED, &g, NULL), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_graph_parse(e, NULL, WEFT_NUL_TERMINATED, &g, NULL), WEFT_ERR_INVALID, NULL_MSG "|json");
    CHECK_MSG(weft_graph_parse(e, valid, WEFT_NUL_TERMINATED, NULL, NULL), WEFT_ERR_INVALID, NULL_MSG "|out");
    CHECK_TRUE(g == SENTINEL, "graph out untouched on failure");

    /* invalid JSON */
    CHECK_MSG(weft_graph_parse(e, "{\"weft\": 1, \"nodes\": [", WEFT_NUL_TERMINATED, &g, NULL),
              WEFT_ERR_INVALID, "json");
    CHECK_MSG(weft_graph_parse(e, "", WEFT_NUL_TERMINATED, &g, NULL), WEFT_ERR_INVALID, "json|empty");
    CHECK_MSG(weft_graph_parse(e, "[1, 2]", WEFT_NUL_TERMINATED, &g, NULL), WEFT_ERR_INVALID, "object");
    CHECK_MSG(weft_graph_parse(e, "{\"weft\": 1, \"nodes\": [], \"description\": \"\xff\xfe\"}", WEFT_NUL_TERMINATED, &g, NULL),
              WEFT_ERR_INVALID, "utf|json");
    CHECK_MSG(weft_graph_parse(e, valid, 0, &g, NULL), WEFT_ERR_INVALID, "json|empty");
    CHECK_MSG(weft_graph_parse(e, valid, strlen(valid) - 3, &g, NULL), WEFT_ERR_INVALID, "json");
    CHECK_TRUE(g == SENTINEL, "graph out untouched on failure");
    {
        /* `length` bytes only: the rest of the buffer is not read */
        size_t n = strlen(valid);
        char *buf = malloc(n + 16);
        if (buf) {
            memcpy(buf, valid, n);
            memcpy(buf + n, "garbage}}}]]]", 14);
            g2 = NULL;
            CHECK(weft_graph_parse(e, buf, n, &g2, NULL), WEFT_OK);
            if (g2)
                weft_graph_destroy(g2);
            free(buf);
        }
    }
    d = SENTINEL;
    CHECK_MSG(weft_graph_parse(e, "{\"weft\": 1, \"nodes\": [", WEFT_NUL_TERMINATED, &g, &d),
              WEFT_ERR_INVALID, "json");
    CHECK_TRUE(d != SENTINEL && d != NULL, "diagnostics of invalid JSON");
    if (d != SENTINEL && d) {
        CHECK_TRUE(weft_diagnostics_count(d) >= 1, "at least one diagnostic for invalid JSON");
        CHECK(weft_diagnostics_destroy(d), WEFT_OK);
    }

    /* unknown node type: the message, and the diagnostics one by one */
    d = SENTINEL;
    CHECK_MSG(weft_graph_parse(e, UNKNOWN_TYPE_GRAPH, WEFT_NUL_TERMINATED, &g, &d), WEFT_ERR_INVALID,
              "std.frobnicate");
    CHECK_CONTAINS(weft_last_error(), "$.nodes[1].type");
    CHECK_TRUE(g == SENTINEL, "graph out untouched on failure");
    CHECK_TRUE(d != SENTINEL && d != NULL, "diagnostics on failure");
    if (d != SENTINEL && d) {
        CHECK_TRUE(weft_diagnostics_count(d) == 1, "one diagnostic");
        CHECK(weft_diagnostics_get(d, 0, &sev, &msg, &node, &jpath), WEFT_OK);
        CHECK_TRUE(sev == WEFT_SEVERITY_ERROR, "severity error");
        CHECK_CONTAINS(msg, "std.frobnicate");
        CHECK_STR(node, "x");
        CHECK_STR(jpath, "$.nodes[1].type");
        CHECK(weft_diagnostics_get(d, 0, NULL, NULL, NULL, NULL), WEFT_OK);
        sev = -7;
        msg = SENTINEL;
        CHECK_MSG(weft_diagnostics_get(d, 1, &sev, &msg, NULL, NULL), WEFT_ERR_NOT_FOUND, "1");
        CHECK_MSG(weft_diagnostics_get(d, (size_t)-1, &sev, &msg, NULL, NULL), WEFT_ERR_NOT_FOUND, "index");
        CHECK_TRUE(sev == -7 && msg == SENTINEL, "diagnostic outs untouched on failure");
        CHECK_CONTAINS(weft_diagnostics_json(d), "std.frobnicate");
        CHECK_CONTAINS(weft_diagnostics_json(d), "$.nodes[1].type");
        CHECK(weft_diagnostics_destroy(d), WEFT_OK);
        CHECK_MSG(weft_diagnostics_destroy(d), WEFT_ERR_HANDLE, STALE_MSG);
        CHECK_TRUE(weft_diagnostics_count(d) == 0, "count of a destroyed diagnostics == 0");
        CHECK_TRUE(weft_diagnostics_json(d) == NULL, "json of a destroyed diagnostics == NULL");
        CHECK_MSG(weft_diagnostics_get(d, 0, &sev, &msg, &node, &jpath), WEFT_ERR_HANDLE, STALE_MSG);
    }
    CHECK_TRUE(weft_diagnostics_count(NULL) == 0, "weft_diagnostics_count(NULL) == 0");
    CHECK_TRUE(weft_diagnostics_count((weft_diagnostics_t *)FOREIGN) == 0, "count of a foreign pointer == 0");
    CHECK_TRUE(weft_diagnostics_count((weft_diagnostics_t *)(void *)e) == 0, "count of an engine == 0");
    CHECK_TRUE(weft_diagnostics_json(NULL) == NULL, "weft_diagnostics_json(NULL) == NULL");
    CHECK_TRUE(weft_diagnostics_json((weft_diagnostics_t *)FOREIGN) == NULL, "json of a foreign pointer == NULL");
    CHECK_MSG(weft_diagnostics_get(NULL, 0, &sev, &msg, &node, &jpath), WEFT_ERR_INVALID, NULL_MSG "|diag");
    CHECK_MSG(weft_diagnostics_get((weft_diagnostics_t *)FOREIGN, 0, &sev, &msg, &node, &jpath),
              WEFT_ERR_HANDLE, STALE_MSG);
    CHECK(weft_diagnostics_destroy(NULL), WEFT_OK); /* like free(NULL) */
    CHECK_MSG(weft_diagnostics_destroy((weft_diagnostics_t *)FOREIGN), WEFT_ERR_HANDLE, STALE_MSG);

    /* every problem at once (issue 16): the decoder's (an unknown field)
       does not hide the validator's (an unknown type), and a NUL in a name
       is escaped, not the end of the C string */
    d = SENTINEL;
    CHECK_MSG(weft_graph_parse(e, "{\"weft\": 1, \"nodes\": [{\"id\": \"x\", \"type\": \"std.frobnicate\", \"col\\u0000our\": 1}]}",
                               WEFT_NUL_TERMINATED, &g, &d), WEFT_ERR_INVALID, "2 errors");
    CHECK_CONTAINS(weft_last_error(), "$.nodes[0].col\\u0000our: error: unknown field 'col\\u0000our' in node 'x'; known fields");
    CHECK_CONTAINS(weft_last_error(), "$.nodes[0].type: error: unknown node type 'std.frobnicate'");
    CHECK_TRUE(d != SENTINEL && d != NULL, "diagnostics of two problems");
    if (d != SENTINEL && d) {
        CHECK_TRUE(weft_diagnostics_count(d) == 2, "two diagnostics: the unknown field and the unknown type");
        CHECK(weft_diagnostics_get(d, 0, &sev, &msg, &node, &jpath), WEFT_OK);
        CHECK_CONTAINS(msg, "unknown field 'col\\u0000our' in node 'x'; known fields");
        CHECK_STR(jpath, "$.nodes[0].col\\u0000our");
        CHECK(weft_diagnostics_get(d, 1, &sev, &msg, &node, &jpath), WEFT_OK);
        CHECK_STR(jpath, "$.nodes[0].type");
        CHECK(weft_diagnostics_destroy(d), WEFT_OK);
    }

    /* warnings on success */
    d = NULL;
    g = NULL;
    CHECK(weft_graph_parse(e, WARNING_GRAPH, WEFT_NUL_TERMINATED, &g, &d), WEFT_OK);
    CHECK_TRUE(d != NULL, "warnings come back on success");
    if (d) {
        CHECK_TRUE(weft_diagnostics_count(d) == 1, "one warning");
        sev = -7;
        node = SENTINEL;
        CHECK(weft_diagnostics_get(d, 0, &sev, &msg, &node, &jpath), WEFT_OK);
        CHECK_TRUE(sev == WEFT_SEVERITY_WARNING, "severity warning");
        CHECK_TRUE(node == NULL, "a diagnostic about no node has node_id NULL");
        CHECK_STR(jpath, "$.inputs.unused");
        CHECK_CONTAINS(msg, "unused");
        weft_diagnostics_destroy(d);
    }

    /* load */
    g2 = SENTINEL;
    CHECK_MSG(weft_graph_load(NULL, "/tmp/x.json", &g2, NULL), WEFT_ERR_INVALID, NULL_MSG "|engine");
    CHECK_MSG(weft_graph_load(dead_engine, "/tmp/x.json", &g2, NULL), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_graph_load(e, NULL, &g2, NULL), WEFT_ERR_INVALID, NULL_MSG "|path");
    CHECK_MSG(weft_graph_load(e, "/nonexistent/weft-badargs.json", &g2, NULL), WEFT_ERR_NOT_FOUND,
              "/nonexistent/weft-badargs.json");
    CHECK_MSG(weft_graph_load(e, tmpdir, &g2, NULL), WEFT_ERR_NOT_FOUND, tmpdir); /* a folder */
    snprintf(path, sizeof path, "%s/graph.json", tmpdir);
    write_file(path, "{\"weft\": 1, \"nodes\": [{\"id\": \"x\", \"type\": \"std.frobnicate\"}]}");
    CHECK_MSG(weft_graph_load(e, path, &g2, NULL), WEFT_ERR_INVALID, "std.frobnicate");
    snprintf(path, sizeof path, "%s/valid.json", tmpdir);
    write_file(path, SUM_GRAPH);
    CHECK_MSG(weft_graph_load(e, path, NULL, NULL), WEFT_ERR_INVALID, NULL_MSG "|out");
    CHECK_TRUE(g2 == SENTINEL, "graph out untouched on failure");
    g2 = NULL;
    CHECK(weft_graph_load(e, path, &g2, NULL), WEFT_OK);

    /* describe */
    json = SENTINEL;
    CHECK_MSG(weft_graph_describe_json(NULL, &json), WEFT_ERR_INVALID, NULL_MSG "|graph");
    CHECK_MSG(weft_graph_describe_json(g, NULL), WEFT_ERR_INVALID, NULL_MSG "|out");
    CHECK_MSG(weft_graph_describe_json((const weft_graph_t *)FOREIGN, &json), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_graph_describe_json((const weft_graph_t *)(void *)e, &json), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_TRUE(json == SENTINEL, "json out untouched on failure");
    if (g2) {
        CHECK(weft_graph_describe_json(g2, &json), WEFT_OK);
        if (json != SENTINEL) {
            CHECK_CONTAINS(json, "\"inputs\"");
            CHECK_CONTAINS(json, "\"sum\"");
            weft_free(json);
        }
    }

    /* engine-as-graph and graph-as-engine */
    if (g2) {
        weft_graph_t *gx = SENTINEL;
        CHECK_MSG(weft_graph_parse((weft_engine_t *)(void *)g2, valid, WEFT_NUL_TERMINATED, &gx, NULL),
                  WEFT_ERR_HANDLE, STALE_MSG);
        CHECK_TRUE(gx == SENTINEL, "graph out untouched on failure");
        CHECK_MSG(weft_engine_destroy((weft_engine_t *)(void *)g2), WEFT_ERR_HANDLE, STALE_MSG);
        CHECK_MSG(weft_graph_destroy((weft_graph_t *)(void *)e), WEFT_ERR_HANDLE, STALE_MSG);
    }

    /* destroy; stale graphs */
    CHECK(weft_graph_destroy(NULL), WEFT_OK); /* like free(NULL) */
    CHECK_MSG(weft_graph_destroy((weft_graph_t *)FOREIGN), WEFT_ERR_HANDLE, STALE_MSG);
    dead_graph = parse(e, SUM_GRAPH);
    if (dead_graph) {
        int i, reused = 0;
        weft_graph_t *gs[20];
        weft_run_t *r = SENTINEL;
        CHECK(weft_graph_destroy(dead_graph), WEFT_OK);
        CHECK_MSG(weft_graph_destroy(dead_graph), WEFT_ERR_HANDLE, STALE_MSG);
        CHECK_MSG(weft_graph_describe_json(dead_graph, &json), WEFT_ERR_HANDLE, STALE_MSG);
        CHECK_MSG(weft_run_create(dead_graph, NULL, &r), WEFT_ERR_HANDLE, STALE_MSG);
        CHECK_MSG(weft_run_graph(dead_graph, NULL, "{\"n\": 3}", &r), WEFT_ERR_HANDLE, STALE_MSG);
        for (i = 0; i < 20; i++) {
            gs[i] = parse(e, SUM_GRAPH);
            if (gs[i] == dead_graph)
                reused = 1;
        }
        for (i = 0; i < 20; i++)
            if (gs[i])
                weft_graph_destroy(gs[i]);
        CHECK_TRUE(!reused, "no graph handle value reused after destroy");
        CHECK_MSG(weft_graph_destroy(dead_graph), WEFT_ERR_HANDLE, STALE_MSG);
    }

    /* handles in any order: a graph outlives its engine */
    if (g2) {
        weft_run_t *r = NULL;
        int64_t v = -1;
        CHECK(weft_engine_destroy(e), WEFT_OK);
        e = NULL;
        CHECK(weft_run_graph(g2, NULL, "{\"n\": 10}", &r), WEFT_OK);
        if (r) {
            CHECK(weft_run_output_int(r, "sum", &v), WEFT_OK);
            CHECK_TRUE(v == 45, "sum 0..9 == 45 after the engine was destroyed");
            /* and a run outlives its graph */
            CHECK(weft_graph_destroy(g2), WEFT_OK);
            g2 = NULL;
            v = -1;
            CHECK(weft_run_output_int(r, "count", &v), WEFT_OK);
            CHECK_TRUE(v == 10, "outputs readable after the graph was destroyed");
            CHECK(weft_run_destroy(r), WEFT_OK);
        }
    }
    if (g2)
        weft_graph_destroy(g2);
    if (g && g != SENTINEL)
        weft_graph_destroy(g);
    if (e)
        weft_engine_destroy(e);
}

static void check_options_init_null(void)
{
    /* weft_run_options_init(NULL) returns nothing: it must simply not crash.
     * Done in a child process so a crash is reported, not fatal. */
    pid_t pid;
    int status = 0;
    if (!use_fork) { /* --no-fork: in this process */
        C->checks++;
        (weft_run_options_init)(NULL);
        weft_run_options_init_sized(NULL, sizeof(weft_run_options_t));
        return;
    }
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        (weft_run_options_init)(NULL);
        _exit(0);
    }
    C->checks++;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        fail_line(__LINE__, "fork failed");
        return;
    }
    if (WIFSIGNALED(status))
        fail_line(__LINE__, "weft_run_options_init(NULL) crashed with signal %d", WTERMSIG(status));
}

/* weft_run_options_init writes no byte past the size it is given (the
 * sized call), or past keep_going (the old symbol, for hosts built against
 * a header whose struct ended there). */
static void check_options_init_size(void)
{
    unsigned char buf[sizeof(weft_run_options_t) + 8];
    size_t legacy = offsetof(weft_run_options_t, store_path);
    weft_run_options_t *o = (weft_run_options_t *)(void *)buf;
    memset(buf, 0xAB, sizeof buf);
    (weft_run_options_init)(o);
    C->checks++;
    if (o->struct_size != legacy) fail_line(__LINE__, "old init: struct_size %u, not %zu", o->struct_size, legacy);
    for (size_t i = legacy; i < sizeof buf; i++)
        if (buf[i] != 0xAB) { fail_line(__LINE__, "old init wrote byte %zu (its struct ends at %zu)", i, legacy); break; }
    memset(buf, 0xAB, sizeof buf);
    weft_run_options_init_sized(o, 16);
    C->checks++;
    if (o->struct_size != 16) fail_line(__LINE__, "sized init: struct_size %u, not 16", o->struct_size);
    for (size_t i = 16; i < sizeof buf; i++)
        if (buf[i] != 0xAB) { fail_line(__LINE__, "sized init wrote byte %zu of 16", i); break; }
    memset(buf, 0xAB, sizeof buf);
    weft_run_options_init(o);
    C->checks++;
    if (o->struct_size != sizeof(weft_run_options_t) || o->store_path != NULL || o->resume_run_id != 0)
        fail_line(__LINE__, "init: struct_size %u, store_path %p", o->struct_size, (const void *)o->store_path);
    for (size_t i = sizeof(weft_run_options_t); i < sizeof buf; i++)
        if (buf[i] != 0xAB) { fail_line(__LINE__, "init wrote byte %zu past the struct", i); break; }
}

static void sec_run_args(void)
{
    weft_engine_t *e = new_engine();
    weft_graph_t *g;
    weft_run_t *r = SENTINEL, *dead_run = NULL;
    weft_run_options_t o;
    char *json = SENTINEL;
    int64_t iv = -7;
    double dv = -7.0;
    int32_t bv = -7;
    const char *sv = SENTINEL;
    size_t len = 12345;

    if (!e)
        return;
    g = parse(e, TYPES_GRAPH);
    if (!g)
        return;

    /* options */
    check_options_init_null();
    check_options_init_size();
    memset(&o, 0xab, sizeof o);
    weft_run_options_init(&o);
    CHECK_TRUE(o.struct_size == sizeof o, "options_init sets struct_size");
    CHECK_TRUE(o.mode == WEFT_MODE_SEQUENTIAL && o.workers == 0 && o.max_steps == 0 && o.duration_s == 0.0 &&
               o.on_event == NULL && o.user_data == NULL, "options_init sets the documented defaults");

    /* run_create: bad arguments */
    CHECK_MSG(weft_run_create(NULL, NULL, &r), WEFT_ERR_INVALID, NULL_MSG "|graph");
    CHECK_MSG(weft_run_create(g, NULL, NULL), WEFT_ERR_INVALID, NULL_MSG "|out");
    CHECK_MSG(weft_run_create((const weft_graph_t *)FOREIGN, NULL, &r), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_create((const weft_graph_t *)(void *)e, NULL, &r), WEFT_ERR_HANDLE, STALE_MSG);
    weft_run_options_init(&o);
    o.struct_size = 0;
    CHECK_MSG(weft_run_create(g, &o, &r), WEFT_ERR_INVALID, "struct_size|size");
    weft_run_options_init(&o);
    o.workers = -1;
    CHECK_MSG(weft_run_create(g, &o, &r), WEFT_ERR_INVALID, "workers");
    weft_run_options_init(&o);
    o.mode = 99;
    CHECK_MSG(weft_run_create(g, &o, &r), WEFT_ERR_INVALID, "mode");
    weft_run_options_init(&o);
    o.max_steps = -1;
    CHECK_MSG(weft_run_create(g, &o, &r), WEFT_ERR_INVALID, "max_steps|steps");
    weft_run_options_init(&o);
    o.duration_s = -1.0;
    CHECK_MSG(weft_run_create(g, &o, &r), WEFT_ERR_INVALID, "duration");
    weft_run_options_init(&o);
    o.duration_s = NAN;
    CHECK_MSG(weft_run_create(g, &o, &r), WEFT_ERR_INVALID, "duration");
    CHECK_TRUE(r == SENTINEL, "run out untouched on failure");

    /* run_graph: bad arguments; *out left NULL */
    CHECK_MSG(weft_run_graph(NULL, NULL, "{\"n\": 1}", &r), WEFT_ERR_INVALID, NULL_MSG "|graph");
    CHECK_MSG(weft_run_graph(g, NULL, "{\"n\": 1}", NULL), WEFT_ERR_INVALID, NULL_MSG "|out");
    CHECK_MSG(weft_run_graph((const weft_graph_t *)FOREIGN, NULL, "{\"n\": 1}", &r), WEFT_ERR_HANDLE, STALE_MSG);
    r = NULL;
    CHECK_MSG(weft_run_graph(g, NULL, "{\"n\": ", &r), WEFT_ERR_INVALID, "json");
    CHECK_TRUE(r == NULL, "run_graph: *out NULL (bad JSON)");
    CHECK_MSG(weft_run_graph(g, NULL, NULL, &r), WEFT_ERR_INVALID, "'n'");
    CHECK_TRUE(r == NULL, "run_graph: *out NULL (missing input)");
    CHECK_MSG(weft_run_graph(g, NULL, "{\"n\": 1, \"nope\": 2}", &r), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_TRUE(r == NULL, "run_graph: *out NULL (unknown input)");
    CHECK_MSG(weft_run_graph(g, NULL, "{\"n\": \"ten\"}", &r), WEFT_ERR_TYPE, "'n'|n ");
    CHECK_TRUE(r == NULL, "run_graph: *out NULL (wrong type)");
    weft_run_options_init(&o);
    o.struct_size = 0;
    CHECK_MSG(weft_run_graph(g, &o, "{\"n\": 1}", &r), WEFT_ERR_INVALID, "struct_size|size");
    CHECK_TRUE(r == NULL, "run_graph: *out NULL (bad options)");

    /* a run, not started */
    r = NULL;
    REQUIRE(weft_run_create(g, NULL, &r));
    CHECK_TRUE(weft_run_state(r) == WEFT_RUN_PENDING, "a new run is PENDING");
    CHECK_TRUE(weft_run_steps(r) == 0, "steps 0 before the run finishes");
    CHECK_TRUE(weft_run_duration_ns(r) == 0, "duration 0 before the run finishes");
    CHECK_TRUE(weft_run_error(r) == NULL, "no error before the run finishes");
    CHECK_TRUE(weft_run_failed_node(r) == NULL, "no failed node before the run finishes");

    /* set_inputs_json */
    CHECK_MSG(weft_run_set_inputs_json(NULL, "{}"), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK_MSG(weft_run_set_inputs_json(r, NULL), WEFT_ERR_INVALID, NULL_MSG "|json");
    CHECK_MSG(weft_run_set_inputs_json(r, "{\"n\": "), WEFT_ERR_INVALID, "json");
    CHECK_MSG(weft_run_set_inputs_json(r, "[1, 2]"), WEFT_ERR_INVALID, "object");
    CHECK_MSG(weft_run_set_inputs_json(r, "{\"nope\": 1}"), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_MSG(weft_run_set_inputs_json(r, "{\"n\": \"ten\"}"), WEFT_ERR_TYPE, "int");
    CHECK_MSG(weft_run_set_inputs_json(r, "{\"n\": 1.5}"), WEFT_ERR_TYPE, "int");
    CHECK_MSG(weft_run_set_inputs_json(r, "{\"n\": 5, \"nope\": 1}"), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_MSG(weft_run_set_inputs_json(r, "{\"n\": 5, \"s\": 3}"), WEFT_ERR_TYPE, "string");
    /* nothing was set by the failed calls: n is still missing */
    CHECK_MSG(weft_run_start(r), WEFT_ERR_INVALID, "'n'");
    CHECK_TRUE(weft_run_state(r) == WEFT_RUN_PENDING, "a run refused to start stays PENDING");

    /* set_input_json */
    CHECK_MSG(weft_run_set_input_json(NULL, "n", "1"), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK_MSG(weft_run_set_input_json(r, NULL, "1"), WEFT_ERR_INVALID, NULL_MSG "|name");
    CHECK_MSG(weft_run_set_input_json(r, "n", NULL), WEFT_ERR_INVALID, NULL_MSG "|json");
    CHECK_MSG(weft_run_set_input_json(r, "nope", "1"), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_MSG(weft_run_set_input_json(r, "n", "\"ten\""), WEFT_ERR_TYPE, "int");
    CHECK_MSG(weft_run_set_input_json(r, "n", "{"), WEFT_ERR_INVALID, "json");
    CHECK_MSG(weft_run_set_input_json(r, "n", "1 2"), WEFT_ERR_INVALID, "json");

    /* typed setters */
    CHECK_MSG(weft_run_set_input_int(NULL, "n", 1), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK_MSG(weft_run_set_input_int(r, NULL, 1), WEFT_ERR_INVALID, NULL_MSG "|name");
    CHECK_MSG(weft_run_set_input_int(r, "nope", 1), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_MSG(weft_run_set_input_int(r, "s", 1), WEFT_ERR_TYPE, "string");
    CHECK_MSG(weft_run_set_input_int(r, "flag", 1), WEFT_ERR_TYPE, "bool");
    CHECK(weft_run_set_input_int(r, "d", 3), WEFT_OK); /* an int widens to double */
    CHECK_MSG(weft_run_set_input_double(NULL, "d", 1.0), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK_MSG(weft_run_set_input_double(r, NULL, 1.0), WEFT_ERR_INVALID, NULL_MSG "|name");
    CHECK_MSG(weft_run_set_input_double(r, "nope", 1.0), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_MSG(weft_run_set_input_double(r, "n", 2.5), WEFT_ERR_TYPE, "int");
    CHECK_MSG(weft_run_set_input_bool(NULL, "flag", 1), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK_MSG(weft_run_set_input_bool(r, NULL, 1), WEFT_ERR_INVALID, NULL_MSG "|name");
    CHECK_MSG(weft_run_set_input_bool(r, "nope", 1), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_MSG(weft_run_set_input_bool(r, "n", 1), WEFT_ERR_TYPE, "int");
    CHECK_MSG(weft_run_set_input_string(NULL, "s", "x", WEFT_NUL_TERMINATED), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK_MSG(weft_run_set_input_string(r, NULL, "x", WEFT_NUL_TERMINATED), WEFT_ERR_INVALID, NULL_MSG "|name");
    CHECK_MSG(weft_run_set_input_string(r, "s", NULL, WEFT_NUL_TERMINATED), WEFT_ERR_INVALID, NULL_MSG "|value");
    CHECK_MSG(weft_run_set_input_string(r, "nope", "x", WEFT_NUL_TERMINATED), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_MSG(weft_run_set_input_string(r, "n", "x", WEFT_NUL_TERMINATED), WEFT_ERR_TYPE, "int");
    CHECK_MSG(weft_run_set_input_string(r, "s", "\xff\xfe", 2), WEFT_ERR_INVALID, "utf");
    CHECK(weft_run_set_input_string(r, "s", "hello", 2), WEFT_OK); /* "he" */

    /* not started: wait, outputs */
    CHECK_MSG(weft_run_wait(r, 0), WEFT_ERR_STATE, "start");
    CHECK_MSG(weft_run_wait(r, -1), WEFT_ERR_STATE, "start");
    CHECK_MSG(weft_run_outputs_json(r, &json), WEFT_ERR_STATE, "finish|start|run");
    CHECK_MSG(weft_run_output_json(r, "twice", &json), WEFT_ERR_STATE, "finish|start|run");
    CHECK_TRUE(json == SENTINEL, "json out untouched on failure");
    CHECK_MSG(weft_run_output_int(r, "twice", &iv), WEFT_ERR_STATE, "finish|start|run");
    CHECK_TRUE(iv == -7, "int out untouched on failure");

    /* start, twice */
    CHECK_MSG(weft_run_start(NULL), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK(weft_run_set_input_int(r, "n", 5), WEFT_OK);
    CHECK(weft_run_start(r), WEFT_OK);
    CHECK_MSG(weft_run_start(r), WEFT_ERR_STATE, "start|already");
    CHECK_MSG(weft_run_set_input_int(r, "n", 6), WEFT_ERR_STATE, "start|already");
    CHECK_MSG(weft_run_set_inputs_json(r, "{\"n\": 6}"), WEFT_ERR_STATE, "start|already");
    CHECK_MSG(weft_run_wait(NULL, -1), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK(weft_run_wait(r, -1), WEFT_OK);
    CHECK(weft_run_wait(r, 0), WEFT_OK); /* finished: any number of times */
    CHECK_TRUE(weft_run_state(r) == WEFT_RUN_SUCCEEDED, "the run SUCCEEDED");
    CHECK_TRUE(weft_run_steps(r) > 0, "steps > 0 once finished");
    CHECK_TRUE(weft_run_duration_ns(r) > 0, "duration > 0 once finished");
    CHECK_TRUE(weft_run_error(r) == NULL, "no error for a run that succeeded");
    CHECK_TRUE(weft_run_failed_node(r) == NULL, "no failed node for a run that succeeded");

    /* outputs of a finished run */
    CHECK_MSG(weft_run_outputs_json(NULL, &json), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK_MSG(weft_run_outputs_json(r, NULL), WEFT_ERR_INVALID, NULL_MSG "|out");
    json = NULL;
    CHECK(weft_run_outputs_json(r, &json), WEFT_OK);
    if (json) {
        CHECK_CONTAINS(json, "\"twice\"");
        CHECK_CONTAINS(json, "\"HE\"");
        CHECK_TRUE(strstr(json, "skipped") == NULL, "an output that did not fire is left out");
        weft_free(json);
    }
    json = SENTINEL;
    CHECK_MSG(weft_run_output_json(NULL, "twice", &json), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK_MSG(weft_run_output_json(r, NULL, &json), WEFT_ERR_INVALID, NULL_MSG "|name");
    CHECK_MSG(weft_run_output_json(r, "twice", NULL), WEFT_ERR_INVALID, NULL_MSG "|out");
    CHECK_MSG(weft_run_output_json(r, "nope", &json), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_MSG(weft_run_output_json(r, "skipped", &json), WEFT_ERR_NOT_FOUND, "skipped");
    CHECK_TRUE(json == SENTINEL, "json out untouched on failure");
    json = NULL;
    CHECK(weft_run_output_json(r, "twice", &json), WEFT_OK);
    CHECK_STR(json, "10");
    weft_free(json);

    CHECK_MSG(weft_run_output_int(NULL, "twice", &iv), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK_MSG(weft_run_output_int(r, NULL, &iv), WEFT_ERR_INVALID, NULL_MSG "|name");
    CHECK_MSG(weft_run_output_int(r, "twice", NULL), WEFT_ERR_INVALID, NULL_MSG "|out");
    CHECK_MSG(weft_run_output_int(r, "nope", &iv), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_MSG(weft_run_output_int(r, "skipped", &iv), WEFT_ERR_NOT_FOUND, "skipped");
    CHECK_MSG(weft_run_output_int(r, "text", &iv), WEFT_ERR_TYPE, "string");
    CHECK_MSG(weft_run_output_int(r, "half", &iv), WEFT_ERR_TYPE, "double");
    CHECK_MSG(weft_run_output_int(r, "notflag", &iv), WEFT_ERR_TYPE, "bool");
    CHECK_TRUE(iv == -7, "int out untouched on failure");
    CHECK(weft_run_output_int(r, "twice", &iv), WEFT_OK);
    CHECK_TRUE(iv == 10, "twice == 10");

    CHECK_MSG(weft_run_output_double(NULL, "half", &dv), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK_MSG(weft_run_output_double(r, NULL, &dv), WEFT_ERR_INVALID, NULL_MSG "|name");
    CHECK_MSG(weft_run_output_double(r, "half", NULL), WEFT_ERR_INVALID, NULL_MSG "|out");
    CHECK_MSG(weft_run_output_double(r, "nope", &dv), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_MSG(weft_run_output_double(r, "text", &dv), WEFT_ERR_TYPE, "string");
    CHECK_MSG(weft_run_output_double(r, "notflag", &dv), WEFT_ERR_TYPE, "bool");
    CHECK_TRUE(dv == -7.0, "double out untouched on failure");
    CHECK(weft_run_output_double(r, "half", &dv), WEFT_OK);
    CHECK_TRUE(dv == 1.5, "half == 3 / 2.0 == 1.5");
    CHECK(weft_run_output_double(r, "twice", &dv), WEFT_OK); /* an int reads as double */
    CHECK_TRUE(dv == 10.0, "twice as double == 10.0");

    CHECK_MSG(weft_run_output_bool(NULL, "notflag", &bv), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK_MSG(weft_run_output_bool(r, NULL, &bv), WEFT_ERR_INVALID, NULL_MSG "|name");
    CHECK_MSG(weft_run_output_bool(r, "notflag", NULL), WEFT_ERR_INVALID, NULL_MSG "|out");
    CHECK_MSG(weft_run_output_bool(r, "nope", &bv), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_MSG(weft_run_output_bool(r, "twice", &bv), WEFT_ERR_TYPE, "int");
    CHECK_MSG(weft_run_output_bool(r, "text", &bv), WEFT_ERR_TYPE, "string");
    CHECK_TRUE(bv == -7, "bool out untouched on failure");
    CHECK(weft_run_output_bool(r, "notflag", &bv), WEFT_OK);
    CHECK_TRUE(bv == 0, "notflag == false");

    CHECK_MSG(weft_run_output_string(NULL, "text", &sv, &len), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK_MSG(weft_run_output_string(r, NULL, &sv, &len), WEFT_ERR_INVALID, NULL_MSG "|name");
    CHECK_MSG(weft_run_output_string(r, "text", NULL, &len), WEFT_ERR_INVALID, NULL_MSG "|out");
    CHECK_MSG(weft_run_output_string(r, "nope", &sv, &len), WEFT_ERR_NOT_FOUND, "nope");
    CHECK_MSG(weft_run_output_string(r, "twice", &sv, &len), WEFT_ERR_TYPE, "int");
    CHECK_TRUE(sv == SENTINEL && len == 12345, "string outs untouched on failure");
    CHECK(weft_run_output_string(r, "text", &sv, &len), WEFT_OK);
    CHECK_TRUE(sv != SENTINEL && len == 2 && sv && strcmp(sv, "HE") == 0, "text == \"HE\", length 2");
    CHECK(weft_run_output_string(r, "text", &sv, NULL), WEFT_OK); /* length may be NULL */

    /* cancel a finished run: nothing changes */
    CHECK_MSG(weft_run_cancel(NULL), WEFT_ERR_INVALID, NULL_MSG "|run");
    CHECK(weft_run_cancel(r), WEFT_OK);
    CHECK_TRUE(weft_run_state(r) == WEFT_RUN_SUCCEEDED, "cancel does not change a finished run");

    /* destroy; everything on the destroyed run */
    CHECK(weft_run_destroy(r), WEFT_OK);
    dead_run = r;
    CHECK_MSG(weft_run_destroy(dead_run), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_set_inputs_json(dead_run, "{}"), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_set_input_json(dead_run, "n", "1"), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_set_input_int(dead_run, "n", 1), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_set_input_double(dead_run, "d", 1.0), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_set_input_bool(dead_run, "flag", 1), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_set_input_string(dead_run, "s", "x", WEFT_NUL_TERMINATED), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_start(dead_run), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_wait(dead_run, 0), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_cancel(dead_run), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_outputs_json(dead_run, &json), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_output_json(dead_run, "twice", &json), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_output_int(dead_run, "twice", &iv), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_output_double(dead_run, "half", &dv), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_output_bool(dead_run, "notflag", &bv), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_output_string(dead_run, "text", &sv, &len), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_TRUE(weft_run_state(dead_run) == -1, "state of a destroyed run == -1");
    CHECK_TRUE(weft_run_steps(dead_run) == -1, "steps of a destroyed run == -1");
    CHECK_TRUE(weft_run_duration_ns(dead_run) == 0, "duration of a destroyed run == 0");
    CHECK_TRUE(weft_run_error(dead_run) == NULL, "error of a destroyed run == NULL");
    CHECK_TRUE(weft_run_failed_node(dead_run) == NULL, "failed node of a destroyed run == NULL");

    /* NULL and foreign runs in the non-status functions */
    CHECK_TRUE(weft_run_state(NULL) == -1, "weft_run_state(NULL) == -1");
    CHECK_TRUE(weft_run_state((const weft_run_t *)FOREIGN) == -1, "state of a foreign pointer == -1");
    CHECK_TRUE(weft_run_state((const weft_run_t *)(void *)g) == -1, "state of a graph == -1");
    CHECK_TRUE(weft_run_steps(NULL) == -1, "weft_run_steps(NULL) == -1");
    CHECK_TRUE(weft_run_steps((const weft_run_t *)FOREIGN) == -1, "steps of a foreign pointer == -1");
    CHECK_TRUE(weft_run_duration_ns(NULL) == 0, "weft_run_duration_ns(NULL) == 0");
    CHECK_TRUE(weft_run_error(NULL) == NULL, "weft_run_error(NULL) == NULL");
    CHECK_TRUE(weft_run_failed_node(NULL) == NULL, "weft_run_failed_node(NULL) == NULL");
    CHECK(weft_run_destroy(NULL), WEFT_OK); /* like free(NULL) */
    CHECK_MSG(weft_run_destroy((weft_run_t *)FOREIGN), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_destroy((weft_run_t *)(void *)g), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_wait((weft_run_t *)(void *)e, 0), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_cancel((weft_run_t *)FOREIGN), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_start((weft_run_t *)FOREIGN), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_set_input_int((weft_run_t *)FOREIGN, "n", 1), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_outputs_json((const weft_run_t *)FOREIGN, &json), WEFT_ERR_HANDLE, STALE_MSG);
    CHECK_MSG(weft_run_output_int((const weft_run_t *)(void *)g, "twice", &iv), WEFT_ERR_HANDLE, STALE_MSG);

    /* a run handle value is never reused */
    {
        int i, reused = 0;
        for (i = 0; i < 20; i++) {
            weft_run_t *x = NULL;
            if (weft_run_create(g, NULL, &x) == WEFT_OK) {
                if (x == dead_run)
                    reused = 1;
                weft_run_destroy(x);
            }
        }
        CHECK_TRUE(!reused, "no run handle value reused after destroy");
    }

    /* a failed run: error, failed node; the outputs that fired */
    r = NULL;
    CHECK(weft_run_graph(g, NULL, "{\"n\": 0}", &r), WEFT_OK); /* a failed run is still WEFT_OK */
    if (r) {
        CHECK_TRUE(weft_run_state(r) == WEFT_RUN_FAILED, "100 / 0: the run FAILED");
        CHECK_CONTAINS(weft_run_error(r), "division by zero");
        CHECK_STR(weft_run_failed_node(r), "q");
        CHECK_MSG(weft_run_output_int(r, "quot", &iv), WEFT_ERR_NOT_FOUND, "quot");
        json = NULL;
        CHECK(weft_run_outputs_json(r, &json), WEFT_OK);
        weft_free(json);
        weft_run_destroy(r);
    }

    weft_graph_destroy(g);
    weft_engine_destroy(e);
}

/* --- event callbacks ---------------------------------------------------- */

struct cb_state {
    weft_run_t *run;
    pthread_mutex_t lock;       /* held during a callback: detects overlapping calls */
    int overlapping;
    int events, node_finished, first_kind, last_kind, last_outcome, bad_size;
    int64_t last_steps;
    int misuse_done;
    weft_status_t wait_status, destroy_status;
    char wait_error[256], destroy_error[256];
};

static void on_event(const weft_event_t *ev, void *user_data)
{
    struct cb_state *s = user_data;
    if (pthread_mutex_trylock(&s->lock) != 0) {
        s->overlapping = 1;
        return;
    }
    if (ev->struct_size < sizeof(weft_event_t))
        s->bad_size = 1;
    if (s->events == 0)
        s->first_kind = ev->kind;
    s->events++;
    s->last_kind = ev->kind;
    if (ev->kind == WEFT_EVENT_NODE_FINISHED) {
        s->node_finished++;
        if (!s->misuse_done && s->run) {
            /* waiting for or destroying its own run from its callback */
            s->misuse_done = 1;
            s->wait_status = weft_run_wait(s->run, 100); /* not -1: a library that does not
                                                            detect it would wait forever */
            snprintf(s->wait_error, sizeof s->wait_error, "%s", last_error_text());
            s->destroy_status = weft_run_destroy(s->run);
            snprintf(s->destroy_error, sizeof s->destroy_error, "%s", last_error_text());
        }
    }
    if (ev->kind == WEFT_EVENT_RUN_FINISHED) {
        s->last_outcome = ev->outcome;
        s->last_steps = ev->steps;
    }
    pthread_mutex_unlock(&s->lock);
}

static void sec_run_states(void)
{
    weft_engine_t *e = new_engine();
    weft_graph_t *slow, *sum;
    weft_run_t *r = NULL;
    weft_run_options_t o;
    char *json = SENTINEL;
    int64_t iv = -7;
    struct timespec t0, t1;
    double secs;

    if (!e)
        return;
    slow = parse(e, SLOW_GRAPH);
    sum = parse(e, SUM_GRAPH);
    if (!slow || !sum)
        return;

    /* a running run */
    REQUIRE(weft_run_create(slow, NULL, &r));
    CHECK(weft_run_set_input_int(r, "ms", 50), WEFT_OK);
    CHECK(weft_run_start(r), WEFT_OK);
    CHECK_TRUE(weft_run_state(r) == WEFT_RUN_RUNNING, "RUNNING right after start");
    CHECK_MSG(weft_run_wait(r, 20), WEFT_ERR_TIMEOUT, "running|time");
    CHECK_MSG(weft_run_wait(r, 0), WEFT_ERR_TIMEOUT, "running|time");
    CHECK_MSG(weft_run_start(r), WEFT_ERR_STATE, "start|already|running");
    CHECK_MSG(weft_run_set_input_int(r, "ms", 1), WEFT_ERR_STATE, "start|already|running");
    CHECK_MSG(weft_run_outputs_json(r, &json), WEFT_ERR_STATE, "finish|running");
    CHECK_MSG(weft_run_output_json(r, "count", &json), WEFT_ERR_STATE, "finish|running");
    CHECK_MSG(weft_run_output_int(r, "count", &iv), WEFT_ERR_STATE, "finish|running");
    CHECK_TRUE(json == SENTINEL && iv == -7, "outs untouched on failure");
    CHECK_TRUE(weft_run_steps(r) == 0, "steps 0 while running");
    CHECK_TRUE(weft_run_duration_ns(r) == 0, "duration 0 while running");
    CHECK(weft_run_cancel(r), WEFT_OK);
    CHECK(weft_run_cancel(r), WEFT_OK); /* any number of times */
    CHECK(weft_run_wait(r, 10000), WEFT_OK);
    CHECK_TRUE(weft_run_state(r) == WEFT_RUN_CANCELLED, "a cancelled run ends CANCELLED");
    CHECK_TRUE(weft_run_error(r) != NULL, "a cancelled run says why");
    json = NULL;
    CHECK(weft_run_outputs_json(r, &json), WEFT_OK);
    weft_free(json);
    CHECK(weft_run_destroy(r), WEFT_OK);

    /* cancelled before start: ends at once when started */
    r = NULL;
    REQUIRE(weft_run_create(slow, NULL, &r));
    CHECK(weft_run_cancel(r), WEFT_OK);
    CHECK_TRUE(weft_run_state(r) == WEFT_RUN_PENDING, "cancel before start leaves it PENDING");
    CHECK(weft_run_start(r), WEFT_OK);
    CHECK(weft_run_wait(r, 5000), WEFT_OK);
    CHECK_TRUE(weft_run_state(r) == WEFT_RUN_CANCELLED, "cancelled before start: CANCELLED");
    CHECK(weft_run_destroy(r), WEFT_OK);

    /* the duration limit cancels */
    weft_run_options_init(&o);
    o.duration_s = 0.2;
    r = NULL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(weft_run_graph(slow, &o, "{\"ms\": 10}", &r), WEFT_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (r) {
        CHECK_TRUE(weft_run_state(r) == WEFT_RUN_CANCELLED, "duration_s reached: CANCELLED");
        CHECK_TRUE(secs < 5.0, "duration_s = 0.2 stops the run within 5 s");
        weft_run_destroy(r);
    }

    /* max_steps fails the run */
    weft_run_options_init(&o);
    o.max_steps = 10;
    r = NULL;
    CHECK(weft_run_graph(sum, &o, "{\"n\": 1000}", &r), WEFT_OK);
    if (r) {
        CHECK_TRUE(weft_run_state(r) == WEFT_RUN_FAILED, "max_steps reached: FAILED");
        CHECK_CONTAINS(weft_run_error(r), "max_steps");
        weft_run_destroy(r);
    }

    /* events; wait/destroy from the run's own callback */
    {
        struct cb_state s;
        memset(&s, 0, sizeof s);
        pthread_mutex_init(&s.lock, NULL);
        s.first_kind = s.last_kind = s.last_outcome = -1;
        weft_run_options_init(&o);
        o.on_event = on_event;
        o.user_data = &s;
        r = NULL;
        REQUIRE(weft_run_create(sum, &o, &r));
        s.run = r;
        CHECK(weft_run_set_input_int(r, "n", 20), WEFT_OK);
        CHECK(weft_run_start(r), WEFT_OK);
        CHECK(weft_run_wait(r, 10000), WEFT_OK);
        CHECK_TRUE(weft_run_state(r) == WEFT_RUN_SUCCEEDED, "the run with a callback SUCCEEDED");
        C->checks += 2;
        if (s.wait_status != WEFT_ERR_STATE || !s.wait_error[0])
            fail_line(__LINE__, "expected WEFT_ERR_STATE got %s (last error: \"%s\") -- "
                      "weft_run_wait(own run) in its event callback", status_str(s.wait_status), s.wait_error);
        if (s.destroy_status != WEFT_ERR_STATE || !s.destroy_error[0])
            fail_line(__LINE__, "expected WEFT_ERR_STATE got %s (last error: \"%s\") -- "
                      "weft_run_destroy(own run) in its event callback", status_str(s.destroy_status),
                      s.destroy_error);
        CHECK_TRUE(!s.overlapping, "never two callbacks at once for one run");
        CHECK_TRUE(!s.bad_size, "event struct_size >= sizeof(weft_event_t)");
        CHECK_TRUE(s.first_kind == WEFT_EVENT_RUN_STARTED, "the first event is RUN_STARTED");
        CHECK_TRUE(s.last_kind == WEFT_EVENT_RUN_FINISHED, "the last event is RUN_FINISHED");
        CHECK_TRUE(s.last_outcome == WEFT_RUN_SUCCEEDED, "RUN_FINISHED outcome SUCCEEDED");
        CHECK_TRUE(s.last_steps == weft_run_steps(r), "RUN_FINISHED steps == weft_run_steps");
        CHECK_TRUE(s.node_finished > 0 && s.node_finished >= weft_run_steps(r),
                   "a NODE_FINISHED for each step");
        if (weft_run_state(r) >= 0) /* still a handle unless the callback destroyed it */
            CHECK(weft_run_destroy(r), WEFT_OK);
        pthread_mutex_destroy(&s.lock);
    }

    weft_graph_destroy(slow);
    weft_graph_destroy(sum);
    weft_engine_destroy(e);
}

/* --- last error is per thread ------------------------------------------- */

struct thread_result {
    char initial[64];
    char own[256];
};

static void *failing_thread(void *arg)
{
    struct thread_result *t = arg;
    snprintf(t->initial, sizeof t->initial, "%s", last_error_text());
    weft_graph_load(NULL, "/from/the/other/thread.json", NULL, NULL);
    weft_engine_load_plugin(NULL, NULL);
    (void)weft_engine_create(NULL);
    weft_run_start((weft_run_t *)FOREIGN);
    snprintf(t->own, sizeof t->own, "%s", last_error_text());
    return NULL;
}

static void sec_last_error(void)
{
    char mine[512];
    weft_engine_t *e = NULL;
    pthread_t th;
    struct thread_result t;

    CHECK_MSG(weft_graph_load(NULL, "/x.json", NULL, NULL), WEFT_ERR_INVALID, NULL);
    CHECK_MSG(weft_engine_load_plugin(NULL, "/nonexistent/unique-marker-7.so"), WEFT_ERR_INVALID, NULL);
    snprintf(mine, sizeof mine, "%s", last_error_text());
    /* calls that succeed leave it unchanged */
    REQUIRE(weft_engine_create(&e));
    (void)weft_version();
    (void)weft_status_name(3);
    CHECK_STR(weft_last_error(), mine);
    /* another thread's failures do not touch this thread's message */
    memset(&t, 0, sizeof t);
    if (pthread_create(&th, NULL, failing_thread, &t) == 0) {
        pthread_join(th, NULL);
        CHECK_STR(t.initial, "");
        CHECK_TRUE(t.own[0] != '\0' && strcmp(t.own, mine) != 0, "the other thread has its own last error");
        CHECK_STR(weft_last_error(), mine);
    }
    weft_engine_destroy(e);
}

/* ------------------------------------------------------------------------ */

struct section {
    const char *name;
    void (*fn)(void);
};

static const struct section sections[] = {
    {"globals", sec_globals},   {"engine", sec_engine},         {"graph", sec_graph},
    {"run_args", sec_run_args}, {"run_states", sec_run_states}, {"last_error", sec_last_error},
};

int main(int argc, char **argv)
{
    size_t i;
    int a;

    setvbuf(stdout, NULL, _IOLBF, 0);
    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--no-fork") == 0)
            use_fork = 0;
        else
            abi99_plugin = argv[a];
    }
    snprintf(tmpdir, sizeof tmpdir, "/tmp/weft-badargs-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    if (use_fork) {
        void *m = mmap(NULL, sizeof *C, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED) {
            perror("mmap");
            return 2;
        }
        C = m;
        C->checks = C->failures = 0;
    }

    for (i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        long before_c = C->checks, before_f = C->failures;
        section_name = sections[i].name;
        if (use_fork) {
            int status = 0;
            pid_t pid;
            fflush(stdout);
            pid = fork();
            if (pid < 0) {
                perror("fork");
                return 2;
            }
            if (pid == 0) {
                alarm(120); /* a hang (e.g. a run waiting for itself) ends as SIGALRM */
                sections[i].fn();
                fflush(stdout);
                _exit(0);
            }
            waitpid(pid, &status, 0);
            if (WIFSIGNALED(status)) {
                C->checks++;
                C->failures++;
                printf("FAIL section %s: crashed with signal %d (after %ld checks in it)\n", sections[i].name,
                       WTERMSIG(status), C->checks - 1 - before_c);
            } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
                C->checks++;
                C->failures++;
                printf("FAIL section %s: the child exited with code %d\n", sections[i].name,
                       WEXITSTATUS(status));
            }
        } else {
            alarm(600);
            sections[i].fn();
        }
        printf("  section %-10s %3ld checks, %ld failures\n", sections[i].name, C->checks - before_c,
               C->failures - before_f);
    }

    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "badargs: could not remove %s\n", tmpdir);
    }
    printf("badargs: %ld checks, %ld failures\n", C->checks, C->failures);
    return C->failures > 0 ? 1 : 0;
}
