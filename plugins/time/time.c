/*
 * time.c — the `time` plugin: sleep, now, elapsed (and after, in after.c).
 *
 * Wall-clock time is CLOCK_REALTIME (can jump when the system clock is
 * set); durations use CLOCK_MONOTONIC (never jumps; its zero is arbitrary,
 * so mono_ns values only mean something relative to each other within one
 * boot of one machine).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clock_gettime, nanosleep under -std=c99 */
#endif

#include <weft/plugin.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "after.h"

static const weft_host_t *H;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static weft_status_t failf(weft_ctx_t *ctx, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    weft_status_t st;
    va_start(ap, fmt);
    if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
        strcpy(msg, "time: failed (could not format the error message)");
    va_end(ap);
    /* Messages here are ASCII (numbers, strerror in the C locale): cutting
     * at the buffer's end cannot split a UTF-8 sequence that matters. */
    st = H->fail(ctx, msg);
    return st != WEFT_OK ? st : WEFT_ERR_FAILED;
}

static const char *reason(weft_ctx_t *ctx)
{
    const char *m = H->error_message(ctx);
    return (m != NULL && m[0] != '\0') ? m : "no reason given by the host";
}

static const char *errtext(int err, char *buf, size_t size)
{
    if (strerror_r(err, buf, size) != 0)
        snprintf(buf, size, "error %d", err);
    return buf;
}

static weft_status_t in_int(weft_ctx_t *ctx, const char *node, int32_t index,
                            const char *port, int64_t *out)
{
    weft_value_t v = H->input(ctx, index);
    if (v == WEFT_NO_VALUE)
        return failf(ctx, "time.%s: input '%s' has no value (%s)", node, port,
                     reason(ctx));
    if (H->get_int(ctx, v, out) != WEFT_OK)
        return failf(ctx, "time.%s: input '%s' must be an int (%s)", node,
                     port, reason(ctx));
    return WEFT_OK;
}

/* Reads a clock as int64 nanoseconds. Returns 0 or an errno value. */
static int clock_ns(clockid_t id, int64_t *out)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0) return errno;
    /* int64 ns covers +-292 years around the clock's zero. */
    if ((int64_t)ts.tv_sec > INT64_MAX / 1000000000 - 1 ||
        (int64_t)ts.tv_sec < INT64_MIN / 1000000000 + 1)
        return ERANGE;
    *out = (int64_t)ts.tv_sec * 1000000000 + (int64_t)ts.tv_nsec;
    return 0;
}

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
 * civil_from_days). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    int64_t era, yy;
    unsigned doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    yy = (int64_t)yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

/* "YYYY-MM-DDTHH:MM:SS.mmmZ" for milliseconds since the Unix epoch. */
static void iso8601_utc(int64_t unix_ms, char *out, size_t size)
{
    const int64_t day_ms = 86400000;
    int64_t days = unix_ms / day_ms, rem = unix_ms % day_ms, y;
    unsigned mo, d;
    if (rem < 0) { rem += day_ms; days -= 1; }  /* floor for pre-1970 */
    civil_from_days(days, &y, &mo, &d);
    snprintf(out, size, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%03uZ", y, mo,
             d, (unsigned)(rem / 3600000), (unsigned)(rem / 60000 % 60),
             (unsigned)(rem / 1000 % 60), (unsigned)(rem % 1000));
}

/* ------------------------------------------------------------------------ */
/* sleep                                                                    */
/* ------------------------------------------------------------------------ */

static weft_status_t run_sleep(weft_ctx_t *ctx, void *state)
{
    int64_t ms = 0;
    struct timespec req, rem;
    weft_value_t v;
    char et[128];
    weft_status_t st;
    (void)state;
    if ((st = in_int(ctx, "sleep", 0, "ms", &ms)) != WEFT_OK) return st;
    if (ms < 0)
        return failf(ctx, "time.sleep: ms must not be negative (got %" PRId64
                          ")", ms);
    req.tv_sec = (time_t)(ms / 1000);
    req.tv_nsec = (long)(ms % 1000) * 1000000L;
    if ((int64_t)req.tv_sec != ms / 1000)
        return failf(ctx, "time.sleep: %" PRId64 " ms is too long for this "
                          "system", ms);
    while (nanosleep(&req, &rem) != 0) {
        int err = errno;
        if (err != EINTR)
            return failf(ctx, "time.sleep: cannot sleep %" PRId64 " ms: %s",
                         ms, errtext(err, et, sizeof et));
        req = rem;  /* interrupted by a signal: sleep the rest */
    }
    v = H->input(ctx, 1);
    if (v == WEFT_NO_VALUE) v = H->null_new(ctx);
    if (v == WEFT_NO_VALUE || H->output(ctx, 0, v) != WEFT_OK)
        return failf(ctx, "time.sleep: cannot write output 'value': %s",
                     reason(ctx));
    return WEFT_OK;
}

/* ------------------------------------------------------------------------ */
/* now, elapsed                                                             */
/* ------------------------------------------------------------------------ */

static weft_status_t run_now(weft_ctx_t *ctx, void *state)
{
    int64_t real_ns = 0, mono_ns = 0, unix_ms;
    char iso[48], et[128];
    weft_value_t s;
    int err;
    (void)state;
    if ((err = clock_ns(CLOCK_REALTIME, &real_ns)) != 0)
        return failf(ctx, "time.now: cannot read the wall clock: %s",
                     errtext(err, et, sizeof et));
    if ((err = clock_ns(CLOCK_MONOTONIC, &mono_ns)) != 0)
        return failf(ctx, "time.now: cannot read the monotonic clock: %s",
                     errtext(err, et, sizeof et));
    unix_ms = real_ns / 1000000;
    if (real_ns % 1000000 < 0) unix_ms -= 1;  /* floor */
    iso8601_utc(unix_ms, iso, sizeof iso);
    if (H->output_int(ctx, 0, unix_ms) != WEFT_OK)
        return failf(ctx, "time.now: cannot write output 'unix_ms': %s",
                     reason(ctx));
    if (H->output_int(ctx, 1, mono_ns) != WEFT_OK)
        return failf(ctx, "time.now: cannot write output 'mono_ns': %s",
                     reason(ctx));
    s = H->string_new(ctx, iso, WEFT_NUL_TERMINATED);
    if (s == WEFT_NO_VALUE || H->output(ctx, 2, s) != WEFT_OK)
        return failf(ctx, "time.now: cannot write output 'iso8601': %s",
                     reason(ctx));
    return WEFT_OK;
}

static weft_status_t run_elapsed(weft_ctx_t *ctx, void *state)
{
    int64_t since = 0, now = 0, d;
    char et[128];
    int err;
    weft_status_t st;
    (void)state;
    if ((st = in_int(ctx, "elapsed", 0, "since_ns", &since)) != WEFT_OK)
        return st;
    if ((err = clock_ns(CLOCK_MONOTONIC, &now)) != 0)
        return failf(ctx, "time.elapsed: cannot read the monotonic clock: %s",
                     errtext(err, et, sizeof et));
    if ((since < 0 && now > INT64_MAX + since) ||
        (since > 0 && now < INT64_MIN + since))
        return failf(ctx, "time.elapsed: since_ns=%" PRId64 " is not a "
                          "time.now mono_ns value", since);
    d = now - since;
    if (H->output_int(ctx, 0, d) != WEFT_OK)
        return failf(ctx, "time.elapsed: cannot write output 'elapsed_ns': "
                          "%s", reason(ctx));
    if (H->output_double(ctx, 1, (double)d / 1e6) != WEFT_OK)
        return failf(ctx, "time.elapsed: cannot write output 'elapsed_ms': "
                          "%s", reason(ctx));
    return WEFT_OK;
}

/* ------------------------------------------------------------------------ */
/* Descriptors and entry                                                    */
/* ------------------------------------------------------------------------ */

static const weft_port_t sleep_in[] = {
    {"ms", WEFT_TYPE_INT, 0, NULL, "milliseconds to sleep (>= 0)"},
    {"value", WEFT_TYPE_ANY, WEFT_PORT_OPTIONAL, NULL,
     "passed through to output value after the sleep"},
    WEFT_PORTS_END};
static const weft_port_t sleep_out[] = {
    {"value", WEFT_TYPE_ANY, 0, NULL,
     "input value after the sleep (null when unconnected)"},
    WEFT_PORTS_END};
static const weft_port_t trigger_in[] = {
    {"trigger", WEFT_TYPE_ANY, WEFT_PORT_OPTIONAL, NULL,
     "ignored; connect it to read the clock after something happened"},
    WEFT_PORTS_END};
static const weft_port_t now_out[] = {
    {"unix_ms", WEFT_TYPE_INT, 0, NULL,
     "wall clock: milliseconds since 1970-01-01T00:00:00Z"},
    {"mono_ns", WEFT_TYPE_INT, 0, NULL,
     "monotonic clock in nanoseconds (for durations only)"},
    {"iso8601", WEFT_TYPE_STRING, 0, NULL,
     "wall clock as UTC text, e.g. 2024-05-01T12:34:56.789Z"},
    WEFT_PORTS_END};
static const weft_port_t elapsed_in[] = {
    {"since_ns", WEFT_TYPE_INT, 0, NULL, "a mono_ns value from time.now"},
    {"trigger", WEFT_TYPE_ANY, WEFT_PORT_OPTIONAL, NULL,
     "ignored; connect the end of the work being timed"},
    WEFT_PORTS_END};
static const weft_port_t elapsed_out[] = {
    {"elapsed_ns", WEFT_TYPE_INT, 0, NULL, "nanoseconds since since_ns"},
    {"elapsed_ms", WEFT_TYPE_DOUBLE, 0, NULL, "the same in milliseconds"},
    WEFT_PORTS_END};

static const weft_node_desc_t nodes[] = {
    {.struct_size = sizeof(weft_node_desc_t),
     .name = "sleep",
     .summary = "waits ms milliseconds, then passes value through",
     .inputs = sleep_in,
     .outputs = sleep_out,
     .flags = WEFT_NODE_THREAD_SAFE | WEFT_NODE_BLOCKING,
     .run = run_sleep},
    {.struct_size = sizeof(weft_node_desc_t),
     .name = "now",
     .summary = "reads the wall clock (unix_ms, iso8601) and the monotonic clock",
     .inputs = trigger_in,
     .outputs = now_out,
     .flags = WEFT_NODE_THREAD_SAFE,
     .run = run_now},
    {.struct_size = sizeof(weft_node_desc_t),
     .name = "elapsed",
     .summary = "monotonic time since a time.now mono_ns value",
     .inputs = elapsed_in,
     .outputs = elapsed_out,
     .flags = WEFT_NODE_THREAD_SAFE | WEFT_NODE_CHEAP,
     .run = run_elapsed},
    {.struct_size = 0}};

static weft_status_t time_init(const weft_host_t *host, weft_registry_t *reg)
{
    size_t i;
    if (host == NULL) return WEFT_ERR_INVALID;
    if (host->struct_size < WEFT_HOST_HAS(registry_fail))
        return WEFT_ERR_VERSION;
    if (host->struct_size < WEFT_HOST_HAS(output_double))
        return host->registry_fail(reg, "time: host function table is too "
                                        "small for plugin ABI v1");
    if (H != host) H = host; /* a second init (another engine) writes nothing: no race with running nodes */
    for (i = 0; nodes[i].name != NULL; i++) {
        weft_status_t st = host->register_node(reg, &nodes[i]);
        if (st != WEFT_OK) {
            char msg[256];
            snprintf(msg, sizeof msg,
                     "time: the host refused node 'time.%s' (status %d)",
                     nodes[i].name, (int)st);
            return host->registry_fail(reg, msg);
        }
    }
    return time_after_register(host, reg);
}

WEFT_PLUGIN("time", "1.1.0", "Clocks and waiting: sleep, after (async), now, elapsed",
            time_init, time_after_deinit);
