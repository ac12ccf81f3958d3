/*
 * std.c — the `std` plugin: entry point, registration and shared helpers
 * (failing with formatted messages, reading inputs, a growable buffer,
 * number <-> text, rendering values as text, deep equality).
 *
 * The nodes live in std_math.c (arithmetic, comparison, logic, branch),
 * std_text.c (strings, format, conversions), std_list.c (lists) and
 * std_misc.c (const, identity, counter). See Docs/plugins-reference.md.
 */
#include "std_internal.h"

#include <float.h>
#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const weft_host_t *H;

/* ------------------------------------------------------------------------ */
/* Entry point and registration                                             */
/* ------------------------------------------------------------------------ */

weft_status_t std_register_table(const weft_host_t *host, weft_registry_t *reg,
                                 const weft_node_desc_t *table)
{
    size_t i;
    for (i = 0; table[i].name != NULL; i++) {
        weft_status_t st = host->register_node(reg, &table[i]);
        if (st != WEFT_OK) {
            char msg[256];
            snprintf(msg, sizeof msg,
                     "std: the host refused node 'std.%s' (status %d)",
                     table[i].name, (int)st);
            return host->registry_fail(reg, msg);
        }
    }
    return WEFT_OK;
}

static weft_status_t std_init(const weft_host_t *host, weft_registry_t *reg)
{
    weft_status_t st;
    if (host == NULL)
        return WEFT_ERR_INVALID;
    /* Every function used is ABI v1; refuse a host table that is shorter. */
    if (host->struct_size < WEFT_HOST_HAS(registry_fail))
        return WEFT_ERR_VERSION;
    if (host->struct_size < WEFT_HOST_HAS(output_double))
        return host->registry_fail(reg, "std: host function table is too "
                                        "small for plugin ABI v1");
    if (H != host) H = host; /* a second init (another engine) writes nothing: no race with running nodes */
    if ((st = std_register_math(host, reg)) != WEFT_OK) return st;
    if ((st = std_register_text(host, reg)) != WEFT_OK) return st;
    if ((st = std_register_list(host, reg)) != WEFT_OK) return st;
    if ((st = std_register_misc(host, reg)) != WEFT_OK) return st;
    return WEFT_OK;
}

WEFT_PLUGIN("std", "1.0.0",
            "Standard nodes: arithmetic, comparison, logic, branching, "
            "strings, lists, constants, conversions",
            std_init, NULL);

/* ------------------------------------------------------------------------ */
/* Failing                                                                  */
/* ------------------------------------------------------------------------ */

/* Length of the longest prefix of s[0..len) that does not end inside a
 * UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t len)
{
    size_t i = len, back = 0;
    /* Walk back over continuation bytes (at most 3) to a lead byte. */
    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0)
        return back == 0 ? len : 0;
    {
        unsigned char lead = (unsigned char)s[i - 1];
        size_t need;
        if (lead < 0x80) return len;          /* ASCII: whole */
        if ((lead & 0xE0) == 0xC0) need = 2;
        else if ((lead & 0xF0) == 0xE0) need = 3;
        else if ((lead & 0xF8) == 0xF0) need = 4;
        else return i - 1;                    /* stray byte: drop it */
        return (back + 1 >= need) ? len : i - 1;
    }
}

weft_status_t std_failf(weft_ctx_t *ctx, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        strcpy(msg, "std: failed (could not format the error message)");
    } else if ((size_t)n >= sizeof msg) {
        size_t keep = utf8_cut(msg, sizeof msg - 4);
        memcpy(msg + keep, "...", 4);
    }
    {
        weft_status_t st = H->fail(ctx, msg);
        /* Never let a failure read as success, whatever the host returns. */
        return st != WEFT_OK ? st : WEFT_ERR_FAILED;
    }
}

const char *std_host_reason(weft_ctx_t *ctx)
{
    const char *m = H->error_message(ctx);
    return (m != NULL && m[0] != '\0') ? m : "no reason given by the host";
}

const char *std_kind_name(weft_type_t t)
{
    switch (t) {
    case WEFT_TYPE_ANY: return "any";
    case WEFT_TYPE_NULL: return "null";
    case WEFT_TYPE_BOOL: return "bool";
    case WEFT_TYPE_INT: return "int";
    case WEFT_TYPE_DOUBLE: return "double";
    case WEFT_TYPE_STRING: return "string";
    case WEFT_TYPE_BYTES: return "bytes";
    case WEFT_TYPE_LIST: return "list";
    case WEFT_TYPE_MAP: return "map";
    case WEFT_TYPE_NUMBER: return "number";
    default: return "invalid value";
    }
}

char *std_excerpt(char *out, size_t max, const char *s, size_t len)
{
    if (s == NULL) {
        out[0] = '\0';
        return out;
    }
    if (len <= max) {
        memcpy(out, s, len);
        out[len] = '\0';
    } else {
        size_t keep = utf8_cut(s, max);
        memcpy(out, s, keep);
        memcpy(out + keep, "...", 4);
    }
    /* An embedded NUL would silently shorten the message; that is fine. */
    return out;
}

/* ------------------------------------------------------------------------ */
/* Reading inputs, writing outputs                                          */
/* ------------------------------------------------------------------------ */

weft_status_t std_in_value(weft_ctx_t *ctx, const char *node, int32_t index,
                           const char *port, weft_value_t *out)
{
    weft_value_t v = H->input(ctx, index);
    if (v == WEFT_NO_VALUE)
        return std_failf(ctx, "std.%s: input '%s' has no value (%s)", node,
                         port, std_host_reason(ctx));
    *out = v;
    return WEFT_OK;
}

static weft_status_t wrong_kind(weft_ctx_t *ctx, const char *node,
                                const char *port, const char *want,
                                weft_value_t v)
{
    return std_failf(ctx, "std.%s: input '%s' must be %s, got %s", node, port,
                     want, std_kind_name(H->type_of(ctx, v)));
}

weft_status_t std_in_string(weft_ctx_t *ctx, const char *node, int32_t index,
                            const char *port, const char **s, size_t *len)
{
    weft_value_t v = WEFT_NO_VALUE;
    weft_status_t st = std_in_value(ctx, node, index, port, &v);
    if (st != WEFT_OK) return st;
    *s = H->get_string(ctx, v, len);
    if (*s == NULL) return wrong_kind(ctx, node, port, "a string", v);
    return WEFT_OK;
}

weft_status_t std_in_int(weft_ctx_t *ctx, const char *node, int32_t index,
                         const char *port, int64_t *out)
{
    weft_value_t v = WEFT_NO_VALUE;
    weft_status_t st = std_in_value(ctx, node, index, port, &v);
    if (st != WEFT_OK) return st;
    if (H->get_int(ctx, v, out) != WEFT_OK)
        return wrong_kind(ctx, node, port, "an int", v);
    return WEFT_OK;
}

weft_status_t std_in_bool(weft_ctx_t *ctx, const char *node, int32_t index,
                          const char *port, int32_t *out)
{
    weft_value_t v = WEFT_NO_VALUE;
    weft_status_t st;
    /* A bool in one host call where the host has the shortcut; anything
     * else goes the long way for its exact message. */
    if (H->struct_size >= WEFT_HOST_HAS(input_bool) && H->input_bool(ctx, index, out) == WEFT_OK)
        return WEFT_OK;
    st = std_in_value(ctx, node, index, port, &v);
    if (st != WEFT_OK) return st;
    if (H->get_bool(ctx, v, out) != WEFT_OK)
        return wrong_kind(ctx, node, port, "a bool", v);
    return WEFT_OK;
}

/* After input_int said no (the inline part in std_internal.h). */
int std_try_number_rest(weft_ctx_t *ctx, int32_t index, std_num_t *out)
{
    if (H->input_double(ctx, index, &out->d) == WEFT_OK) {
        out->is_int = 0;
        out->i = 0;
        return 1;
    }
    return 0;
}

weft_status_t std_in_number_rest(weft_ctx_t *ctx, const char *node, int32_t index,
                                 const char *port, std_num_t *out)
{
    /* The common cases in one host call each, without a value handle:
     * input_int (already tried inline) takes only ints, then input_double
     * (which would also take an int) can only be seeing a double. Anything
     * else — no value, a string — goes the long way below, for its exact
     * message. */
    if (H->input_double(ctx, index, &out->d) == WEFT_OK) {
        out->is_int = 0;
        out->i = 0;
        return WEFT_OK;
    }
    weft_value_t v = WEFT_NO_VALUE;
    weft_status_t st = std_in_value(ctx, node, index, port, &v);
    if (st != WEFT_OK) return st;
    switch (H->type_of(ctx, v)) {
    case WEFT_TYPE_INT:
        if (H->get_int(ctx, v, &out->i) != WEFT_OK) break;
        out->is_int = 1;
        out->d = (double)out->i;
        return WEFT_OK;
    case WEFT_TYPE_DOUBLE:
        if (H->get_double(ctx, v, &out->d) != WEFT_OK) break;
        out->is_int = 0;
        out->i = 0;
        return WEFT_OK;
    default:
        return wrong_kind(ctx, node, port, "a number (int or double)", v);
    }
    return std_failf(ctx, "std.%s: cannot read input '%s': %s", node, port,
                     std_host_reason(ctx));
}

weft_status_t std_out(weft_ctx_t *ctx, const char *node, int32_t index,
                      const char *port, weft_value_t v)
{
    if (v == WEFT_NO_VALUE)
        return std_failf(ctx, "std.%s: cannot make the value of output '%s': "
                              "%s", node, port, std_host_reason(ctx));
    if (H->output(ctx, index, v) != WEFT_OK)
        return std_failf(ctx, "std.%s: cannot write output '%s': %s", node,
                         port, std_host_reason(ctx));
    return WEFT_OK;
}

weft_status_t std_out_string(weft_ctx_t *ctx, const char *node, int32_t index,
                             const char *port, const char *s, size_t len)
{
    return std_out(ctx, node, index, port,
                   H->string_new(ctx, s != NULL ? s : "", len));
}

/* ------------------------------------------------------------------------ */
/* Growable buffer                                                          */
/* ------------------------------------------------------------------------ */

void std_buf_put(std_buf_t *b, const char *s, size_t len)
{
    if (b->error) return;
    if (len > STD_MAX_STRING_BYTES || b->len > STD_MAX_STRING_BYTES - len) {
        b->error = STD_BUF_TOO_BIG;
        return;
    }
    if (b->len + len + 1 > b->cap) {
        size_t want = b->len + len + 1;
        size_t cap = b->cap ? b->cap : 64;
        char *p;
        while (cap < want) cap *= 2;  /* want <= 256 MiB + 1: no overflow */
        p = (char *)realloc(b->p, cap);
        if (p == NULL) {
            b->error = STD_BUF_NOMEM;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (len > 0) memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = '\0';
}

void std_buf_puts(std_buf_t *b, const char *s) { std_buf_put(b, s, strlen(s)); }

void std_buf_putc(std_buf_t *b, char c) { std_buf_put(b, &c, 1); }

void std_buf_free(std_buf_t *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

weft_status_t std_buf_check(weft_ctx_t *ctx, const char *node,
                            const std_buf_t *b)
{
    if (b->error == STD_BUF_TOO_BIG)
        return std_failf(ctx, "std.%s: result would exceed %lu bytes", node,
                         (unsigned long)STD_MAX_STRING_BYTES);
    if (b->error == STD_BUF_NOMEM)
        return std_failf(ctx, "std.%s: out of memory", node);
    return WEFT_OK;
}

/* ------------------------------------------------------------------------ */
/* Numbers as text                                                          */
/* ------------------------------------------------------------------------ */

/* The locale's decimal point when it is one char other than '.', else 0.
 * printf/strtod follow LC_NUMERIC, which an embedding host may have set. */
static char locale_point(void)
{
    const struct lconv *lc = localeconv();
    if (lc != NULL && lc->decimal_point != NULL &&
        lc->decimal_point[0] != '\0' && lc->decimal_point[0] != '.' &&
        lc->decimal_point[1] == '\0')
        return lc->decimal_point[0];
    return 0;
}

void std_format_double(double d, char *out)
{
    char point = locale_point();
    int p;
    size_t i;
    if (d != d) { strcpy(out, "nan"); return; }
    if (d > DBL_MAX) { strcpy(out, "inf"); return; }
    if (d < -DBL_MAX) { strcpy(out, "-inf"); return; }
    /* Never use an exponent for magnitudes printf would show plainly:
     * start with at least as many digits as the integer part has. */
    {
        double a = d < 0 ? -d : d;
        int digits = 1;
        while (a >= 10 && a < 1e16) { a /= 10; digits++; }
        p = digits;
    }
    for (; p <= 17; p++) {
        snprintf(out, 40, "%.*g", p, d);
        if (strtod(out, NULL) == d) break;
    }
    if (point != 0)
        for (i = 0; out[i] != '\0'; i++)
            if (out[i] == point) out[i] = '.';
    if (strpbrk(out, ".e") == NULL)
        strcat(out, ".0");
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space(**s)) { (*s)++; (*len)--; }
    while (*len > 0 && is_space((*s)[*len - 1])) (*len)--;
}

int std_parse_int(const char *s, size_t len, int64_t *out)
{
    int neg = 0;
    uint64_t acc = 0, limit;
    size_t i = 0;
    trim(&s, &len);
    if (len > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == len) return 1;
    limit = neg ? (uint64_t)INT64_MAX + 1u : (uint64_t)INT64_MAX;
    for (; i < len; i++) {
        unsigned digit;
        if (s[i] < '0' || s[i] > '9') return 1;
        digit = (unsigned)(s[i] - '0');
        if (acc > (limit - digit) / 10u) {
            /* keep scanning so "12x" with many digits is still a syntax
             * error rather than a range error */
            for (i++; i < len; i++)
                if (s[i] < '0' || s[i] > '9') return 1;
            return 2;
        }
        acc = acc * 10u + digit;
    }
    if (neg)
        *out = acc == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)acc;
    else
        *out = (int64_t)acc;
    return 0;
}

int std_parse_double(const char *s, size_t len, double *out)
{
    char tmp[512];
    size_t i = 0, digits = 0;
    char point;
    char *end;
    double d;
    trim(&s, &len);
    if (len == 0 || len >= sizeof tmp) return 1;
    /* [+-] digits [. digits] [(e|E) [+-] digits], at least one digit before
     * the exponent. */
    if (s[i] == '+' || s[i] == '-') i++;
    while (i < len && s[i] >= '0' && s[i] <= '9') { i++; digits++; }
    if (i < len && s[i] == '.') {
        i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') { i++; digits++; }
    }
    if (digits == 0) return 1;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp_digits = 0;
        i++;
        if (i < len && (s[i] == '+' || s[i] == '-')) i++;
        while (i < len && s[i] >= '0' && s[i] <= '9') { i++; exp_digits++; }
        if (exp_digits == 0) return 1;
    }
    if (i != len) return 1;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    point = locale_point();
    if (point != 0)
        for (i = 0; i < len; i++)
            if (tmp[i] == '.') tmp[i] = point;
    d = strtod(tmp, &end);
    if (*end != '\0') return 1;
    if (d > DBL_MAX || d < -DBL_MAX)
        return 2;
    /* Underflow to 0 or a subnormal is accepted as the nearest double. */
    *out = d;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Rendering values as text                                                 */
/* ------------------------------------------------------------------------ */

static void put_json_string(std_buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;
    std_buf_putc(b, '"');
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        std_buf_put(b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0';
            u[4] = hex[c >> 4]; u[5] = hex[c & 15]; u[6] = '\0';
            esc = u;
            break;
        }
        std_buf_puts(b, esc);
    }
    std_buf_put(b, s + run, len - run);
    std_buf_putc(b, '"');
}

static weft_status_t render_at(weft_ctx_t *ctx, const char *node,
                               std_buf_t *b, weft_value_t v, int raw,
                               int depth)
{
    weft_type_t t = H->type_of(ctx, v);
    char num[48];
    if (depth > STD_MAX_DEPTH)
        return std_failf(ctx, "std.%s: value nested deeper than %d levels",
                         node, STD_MAX_DEPTH);
    switch (t) {
    case WEFT_TYPE_NULL:
        std_buf_puts(b, "null");
        return WEFT_OK;
    case WEFT_TYPE_BOOL: {
        int32_t x;
        if (H->get_bool(ctx, v, &x) != WEFT_OK) break;
        std_buf_puts(b, x ? "true" : "false");
        return WEFT_OK;
    }
    case WEFT_TYPE_INT: {
        int64_t x;
        if (H->get_int(ctx, v, &x) != WEFT_OK) break;
        snprintf(num, sizeof num, "%" PRId64, x);
        std_buf_puts(b, num);
        return WEFT_OK;
    }
    case WEFT_TYPE_DOUBLE: {
        double x;
        if (H->get_double(ctx, v, &x) != WEFT_OK) break;
        std_format_double(x, num);
        std_buf_puts(b, num);
        return WEFT_OK;
    }
    case WEFT_TYPE_STRING: {
        size_t len;
        const char *s = H->get_string(ctx, v, &len);
        if (s == NULL) break;
        if (raw) std_buf_put(b, s, len);
        else put_json_string(b, s, len);
        return WEFT_OK;
    }
    case WEFT_TYPE_BYTES: {
        static const char hex[] = "0123456789abcdef";
        size_t len, i;
        const unsigned char *p =
            (const unsigned char *)H->get_bytes(ctx, v, &len);
        if (p == NULL) break;
        std_buf_puts(b, "<bytes:");
        for (i = 0; i < len && !b->error; i++) {
            char pair[2];
            pair[0] = hex[p[i] >> 4];
            pair[1] = hex[p[i] & 15];
            std_buf_put(b, pair, 2);
        }
        std_buf_putc(b, '>');
        return WEFT_OK;
    }
    case WEFT_TYPE_LIST: {
        int64_t n = H->length(ctx, v), i;
        if (n < 0) break;
        std_buf_putc(b, '[');
        for (i = 0; i < n && !b->error; i++) {
            weft_value_t item = H->list_get(ctx, v, (size_t)i);
            weft_status_t st;
            if (item == WEFT_NO_VALUE) goto host_error;
            if (i > 0) std_buf_puts(b, ", ");
            st = render_at(ctx, node, b, item, 0, depth + 1);
            if (st != WEFT_OK) return st;
        }
        std_buf_putc(b, ']');
        return WEFT_OK;
    }
    case WEFT_TYPE_MAP: {
        int64_t n = H->length(ctx, v), i;
        if (n < 0) break;
        std_buf_putc(b, '{');
        for (i = 0; i < n && !b->error; i++) {
            const char *key = H->map_key(ctx, v, (size_t)i);
            weft_value_t val = H->map_value(ctx, v, (size_t)i);
            weft_status_t st;
            if (key == NULL || val == WEFT_NO_VALUE) goto host_error;
            if (i > 0) std_buf_puts(b, ", ");
            put_json_string(b, key, strlen(key));
            std_buf_puts(b, ": ");
            st = render_at(ctx, node, b, val, 0, depth + 1);
            if (st != WEFT_OK) return st;
        }
        std_buf_putc(b, '}');
        return WEFT_OK;
    }
    default:
        break;
    }
host_error:
    return std_failf(ctx, "std.%s: cannot read a %s value: %s", node,
                     std_kind_name(t), std_host_reason(ctx));
}

weft_status_t std_render(weft_ctx_t *ctx, const char *node, std_buf_t *b,
                         weft_value_t v, int raw)
{
    weft_status_t st = render_at(ctx, node, b, v, raw, 0);
    if (st != WEFT_OK) return st;
    return std_buf_check(ctx, node, b);
}

/* ------------------------------------------------------------------------ */
/* Comparing values                                                         */
/* ------------------------------------------------------------------------ */

int std_cmp_int_double(int64_t i, double d)
{
    int64_t t;
    double frac;
    if (d != d) return 2;
    /* 2^63 is exactly representable; every int64 is below it. */
    if (d >= 9223372036854775808.0) return -1;
    if (d < -9223372036854775808.0) return 1;
    t = (int64_t)d;              /* in range: truncates toward zero */
    if (i < t) return -1;
    if (i > t) return 1;
    frac = d - (double)t;        /* exact: |d| < 2^63 and t is d truncated */
    if (frac > 0) return -1;
    if (frac < 0) return 1;
    return 0;
}

static int bytes_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

int std_equal(weft_ctx_t *ctx, const char *node, weft_value_t a,
              weft_value_t b, int depth)
{
    weft_type_t ta = H->type_of(ctx, a), tb = H->type_of(ctx, b);
    if (depth > STD_MAX_DEPTH) {
        std_failf(ctx, "std.%s: value nested deeper than %d levels", node,
                  STD_MAX_DEPTH);
        return -1;
    }
    if (ta < 0 || tb < 0) goto host_error;
    if ((ta == WEFT_TYPE_INT || ta == WEFT_TYPE_DOUBLE) &&
        (tb == WEFT_TYPE_INT || tb == WEFT_TYPE_DOUBLE)) {
        int64_t ia, ib;
        double da, db;
        if (ta == WEFT_TYPE_INT && tb == WEFT_TYPE_INT) {
            if (H->get_int(ctx, a, &ia) || H->get_int(ctx, b, &ib))
                goto host_error;
            return ia == ib;
        }
        if (ta == WEFT_TYPE_INT) {
            if (H->get_int(ctx, a, &ia) || H->get_double(ctx, b, &db))
                goto host_error;
            return std_cmp_int_double(ia, db) == 0;
        }
        if (tb == WEFT_TYPE_INT) {
            if (H->get_double(ctx, a, &da) || H->get_int(ctx, b, &ib))
                goto host_error;
            return std_cmp_int_double(ib, da) == 0;
        }
        if (H->get_double(ctx, a, &da) || H->get_double(ctx, b, &db))
            goto host_error;
        return da == db;
    }
    if (ta != tb) return 0;
    switch (ta) {
    case WEFT_TYPE_NULL:
        return 1;
    case WEFT_TYPE_BOOL: {
        int32_t x, y;
        if (H->get_bool(ctx, a, &x) || H->get_bool(ctx, b, &y)) goto host_error;
        return (x != 0) == (y != 0);
    }
    case WEFT_TYPE_STRING: {
        size_t la, lb;
        const char *sa = H->get_string(ctx, a, &la);
        const char *sb = H->get_string(ctx, b, &lb);
        if (sa == NULL || sb == NULL) goto host_error;
        return bytes_equal(sa, la, sb, lb);
    }
    case WEFT_TYPE_BYTES: {
        size_t la, lb;
        const void *pa = H->get_bytes(ctx, a, &la);
        const void *pb = H->get_bytes(ctx, b, &lb);
        if (pa == NULL || pb == NULL) goto host_error;
        return bytes_equal(pa, la, pb, lb);
    }
    case WEFT_TYPE_LIST: {
        int64_t n = H->length(ctx, a), i;
        if (n < 0 || H->length(ctx, b) < 0) goto host_error;
        if (n != H->length(ctx, b)) return 0;
        for (i = 0; i < n; i++) {
            weft_value_t x = H->list_get(ctx, a, (size_t)i);
            weft_value_t y = H->list_get(ctx, b, (size_t)i);
            int r;
            if (x == WEFT_NO_VALUE || y == WEFT_NO_VALUE) goto host_error;
            r = std_equal(ctx, node, x, y, depth + 1);
            if (r != 1) return r;
        }
        return 1;
    }
    case WEFT_TYPE_MAP: {
        int64_t n = H->length(ctx, a), i;
        if (n < 0 || H->length(ctx, b) < 0) goto host_error;
        if (n != H->length(ctx, b)) return 0;
        for (i = 0; i < n; i++) {
            const char *key = H->map_key(ctx, a, (size_t)i);
            weft_value_t x = H->map_value(ctx, a, (size_t)i);
            weft_value_t y;
            int r;
            if (key == NULL || x == WEFT_NO_VALUE) goto host_error;
            y = H->map_get(ctx, b, key);
            if (y == WEFT_NO_VALUE) return 0; /* key absent from b */
            r = std_equal(ctx, node, x, y, depth + 1);
            if (r != 1) return r;
        }
        return 1;
    }
    default:
        break;
    }
host_error:
    std_failf(ctx, "std.%s: cannot read the values to compare: %s", node,
              std_host_reason(ctx));
    return -1;
}
