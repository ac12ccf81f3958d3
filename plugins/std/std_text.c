/*
 * std_text.c — string nodes (concat str_length word_count upper lower split join
 * format) and conversions (to_string to_int to_double).
 *
 * Strings are UTF-8 (the host guarantees valid UTF-8 for string values).
 * Lengths are in code points; upper/lower change ASCII letters only.
 */
#include "std_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const weft_host_t *H;

/* Length in bytes of the UTF-8 sequence starting with byte c (1 for a
 * stray byte, which valid UTF-8 never has). */
static size_t utf8_seq_len(unsigned char c)
{
    if (c < 0xC0) return 1;
    if (c < 0xE0) return 2;
    if (c < 0xF0) return 3;
    return 4;
}

/* ------------------------------------------------------------------------ */
/* concat, str_length, upper, lower                                          */
/* ------------------------------------------------------------------------ */

static weft_status_t run_concat(weft_ctx_t *ctx, void *s)
{
    const char *a = NULL, *b = NULL;
    size_t la = 0, lb = 0;
    std_buf_t buf = STD_BUF_INIT;
    weft_status_t st;
    (void)s;
    if ((st = std_in_string(ctx, "concat", 0, "a", &a, &la)) != WEFT_OK) return st;
    if ((st = std_in_string(ctx, "concat", 1, "b", &b, &lb)) != WEFT_OK) return st;
    std_buf_put(&buf, a, la);
    std_buf_put(&buf, b, lb);
    st = std_buf_check(ctx, "concat", &buf);
    if (st == WEFT_OK)
        st = std_out_string(ctx, "concat", 0, "result", buf.p, buf.len);
    std_buf_free(&buf);
    return st;
}

static weft_status_t run_str_length(weft_ctx_t *ctx, void *s)
{
    const char *t = NULL;
    size_t len = 0, i;
    int64_t n = 0;
    weft_status_t st;
    (void)s;
    if ((st = std_in_string(ctx, "str_length", 0, "text", &t, &len)) != WEFT_OK)
        return st;
    for (i = 0; i < len; i++)
        if (((unsigned char)t[i] & 0xC0) != 0x80) n++;
    return std_out(ctx, "str_length", 0, "result", H->int_new(ctx, n));
}

static weft_status_t run_word_count(weft_ctx_t *ctx, void *s)
{
    const char *t = NULL;
    size_t len = 0, i;
    int64_t n = 0;
    int in_word = 0;
    weft_status_t st;
    (void)s;
    if ((st = std_in_string(ctx, "word_count", 0, "text", &t, &len)) != WEFT_OK)
        return st;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)t[i];
        int space = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
        if (!space && !in_word) n++;
        in_word = !space;
    }
    return std_out(ctx, "word_count", 0, "result", H->int_new(ctx, n));
}

static weft_status_t change_case(weft_ctx_t *ctx, const char *node, int upper)
{
    const char *t = NULL;
    size_t len = 0, i;
    char *p;
    weft_status_t st;
    if ((st = std_in_string(ctx, node, 0, "text", &t, &len)) != WEFT_OK)
        return st;
    p = (char *)malloc(len + 1);
    if (p == NULL) return std_failf(ctx, "std.%s: out of memory", node);
    for (i = 0; i < len; i++) {
        char c = t[i];
        if (upper && c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        else if (!upper && c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        p[i] = c;
    }
    p[len] = '\0';
    st = std_out_string(ctx, node, 0, "result", p, len);
    free(p);
    return st;
}

static weft_status_t run_upper(weft_ctx_t *c, void *s) { (void)s; return change_case(c, "upper", 1); }
static weft_status_t run_lower(weft_ctx_t *c, void *s) { (void)s; return change_case(c, "lower", 0); }

/* ------------------------------------------------------------------------ */
/* split, join                                                               */
/* ------------------------------------------------------------------------ */

/* Appends string s[0..len) to list; fails the call on error. */
static weft_status_t push_string(weft_ctx_t *ctx, const char *node,
                                 weft_value_t list, int64_t *count,
                                 const char *s, size_t len)
{
    weft_value_t item;
    if (*count >= STD_MAX_LIST_ITEMS)
        return std_failf(ctx, "std.%s: result would have more than %" PRId64
                              " items", node, STD_MAX_LIST_ITEMS);
    item = H->string_new(ctx, s, len);
    if (item == WEFT_NO_VALUE || H->list_push(ctx, list, item) != WEFT_OK)
        return std_failf(ctx, "std.%s: cannot build the list: %s", node,
                         std_host_reason(ctx));
    (*count)++;
    return WEFT_OK;
}

static weft_status_t run_split(weft_ctx_t *ctx, void *state)
{
    const char *t = NULL, *sep = NULL;
    size_t tl = 0, sl = 0, i, start = 0;
    int64_t count = 0;
    weft_value_t list;
    weft_status_t st = WEFT_OK;
    (void)state;
    if ((st = std_in_string(ctx, "split", 0, "text", &t, &tl)) != WEFT_OK) return st;
    if ((st = std_in_string(ctx, "split", 1, "sep", &sep, &sl)) != WEFT_OK) return st;
    list = H->list_new(ctx);
    if (list == WEFT_NO_VALUE)
        return std_failf(ctx, "std.split: cannot make a list: %s",
                         std_host_reason(ctx));
    if (sl == 0) {
        /* Empty separator: one item per code point. */
        for (i = 0; i < tl && st == WEFT_OK;) {
            size_t n = utf8_seq_len((unsigned char)t[i]);
            if (n > tl - i) n = tl - i;
            st = push_string(ctx, "split", list, &count, t + i, n);
            i += n;
        }
    } else {
        /* Knuth-Morris-Pratt: linear in text + sep, whatever they hold. */
        size_t *fail = (size_t *)malloc(sl * sizeof *fail);
        size_t k = 0;
        if (fail == NULL) return std_failf(ctx, "std.split: out of memory");
        fail[0] = 0;
        for (i = 1; i < sl; i++) {
            while (k > 0 && sep[i] != sep[k]) k = fail[k - 1];
            if (sep[i] == sep[k]) k++;
            fail[i] = k;
        }
        k = 0;
        for (i = 0; i < tl && st == WEFT_OK; i++) {
            while (k > 0 && t[i] != sep[k]) k = fail[k - 1];
            if (t[i] == sep[k]) k++;
            if (k == sl) {
                /* match at t[i+1-sl .. i]; matches never overlap */
                st = push_string(ctx, "split", list, &count, t + start,
                                 i + 1 - sl - start);
                start = i + 1;
                k = 0;
            }
        }
        free(fail);
        if (st == WEFT_OK)
            st = push_string(ctx, "split", list, &count, t + start, tl - start);
    }
    if (st != WEFT_OK) return st;
    return std_out(ctx, "split", 0, "result", list);
}

static weft_status_t run_join(weft_ctx_t *ctx, void *state)
{
    weft_value_t list = WEFT_NO_VALUE;
    const char *sep = NULL;
    size_t sl = 0;
    int64_t n, i;
    std_buf_t buf = STD_BUF_INIT;
    weft_status_t st;
    (void)state;
    if ((st = std_in_value(ctx, "join", 0, "list", &list)) != WEFT_OK) return st;
    if ((st = std_in_string(ctx, "join", 1, "sep", &sep, &sl)) != WEFT_OK) return st;
    if (H->type_of(ctx, list) != WEFT_TYPE_LIST)
        return std_failf(ctx, "std.join: input 'list' must be a list, got %s",
                         std_kind_name(H->type_of(ctx, list)));
    n = H->length(ctx, list);
    for (i = 0; i < n && !buf.error; i++) {
        weft_value_t item = H->list_get(ctx, list, (size_t)i);
        size_t len = 0;
        const char *s = H->get_string(ctx, item, &len);
        if (s == NULL) {
            std_buf_free(&buf);
            if (item == WEFT_NO_VALUE)
                return std_failf(ctx, "std.join: cannot read item %" PRId64
                                      ": %s", i, std_host_reason(ctx));
            return std_failf(ctx, "std.join: item %" PRId64 " is %s, not a "
                                  "string (convert it with std.to_string)",
                             i, std_kind_name(H->type_of(ctx, item)));
        }
        if (i > 0) std_buf_put(&buf, sep, sl);
        std_buf_put(&buf, s, len);
    }
    st = std_buf_check(ctx, "join", &buf);
    if (st == WEFT_OK)
        st = std_out_string(ctx, "join", 0, "result", buf.p, buf.len);
    std_buf_free(&buf);
    return st;
}

/* ------------------------------------------------------------------------ */
/* format                                                                    */
/* ------------------------------------------------------------------------ */

/* Fails std.format naming the placeholder: "<what> '{field}' at byte N of
 * the template<why>". */
static weft_status_t format_fail(weft_ctx_t *ctx, const char *what,
                                 const char *field, size_t field_len,
                                 size_t at, const char *why)
{
    char ex[132];
    return std_failf(ctx, "std.format: %s '{%s}' at byte %lu of the "
                          "template%s", what,
                     std_excerpt(ex, 128, field, field_len),
                     (unsigned long)at, why);
}

static int all_digits(const char *s, size_t len)
{
    size_t i;
    if (len == 0) return 0;
    for (i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static weft_status_t run_format(weft_ctx_t *ctx, void *state)
{
    const char *t = NULL;
    size_t tl = 0, i = 0, run = 0;
    weft_value_t args;
    weft_type_t kind;
    int64_t nargs = 0, next_auto = 0;
    std_buf_t buf = STD_BUF_INIT;
    weft_status_t st;
    (void)state;
    if ((st = std_in_string(ctx, "format", 0, "template", &t, &tl)) != WEFT_OK)
        return st;
    args = H->input(ctx, 1);
    kind = args == WEFT_NO_VALUE ? WEFT_TYPE_ANY : H->type_of(ctx, args);
    if (kind < 0)
        return std_failf(ctx, "std.format: cannot read input 'args': %s",
                         std_host_reason(ctx));
    if (kind == WEFT_TYPE_LIST || kind == WEFT_TYPE_MAP) {
        nargs = H->length(ctx, args);
        if (nargs < 0)
            return std_failf(ctx, "std.format: cannot read input 'args': %s",
                             std_host_reason(ctx));
    } else if (kind != WEFT_TYPE_ANY)
        nargs = 1;  /* a single non-list, non-map value: one argument */

    while (i < tl && !buf.error) {
        char c = t[i];
        if (c == '}') {
            if (i + 1 < tl && t[i + 1] == '}') {
                std_buf_put(&buf, t + run, i + 1 - run);  /* keep one '}' */
                i += 2;
                run = i;
                continue;
            }
            std_buf_free(&buf);
            return std_failf(ctx, "std.format: single '}' at byte %lu of the "
                                  "template (write '}}' for a literal brace)",
                             (unsigned long)i);
        }
        if (c != '{') {
            i++;
            continue;
        }
        if (i + 1 < tl && t[i + 1] == '{') {
            std_buf_put(&buf, t + run, i + 1 - run);  /* keep one '{' */
            i += 2;
            run = i;
            continue;
        }
        {
            size_t open = i, f0 = i + 1, j = i + 1, flen;
            const char *field;
            weft_value_t v = WEFT_NO_VALUE;
            while (j < tl && t[j] != '}' && t[j] != '{') j++;
            if (j >= tl || t[j] == '{') {
                std_buf_free(&buf);
                return std_failf(ctx, "std.format: '{' at byte %lu of the "
                                      "template is not closed by '}' (write "
                                      "'{{' for a literal brace)",
                                 (unsigned long)open);
            }
            std_buf_put(&buf, t + run, open - run);
            field = t + f0;
            flen = j - f0;
            i = j + 1;
            run = i;
            if (kind == WEFT_TYPE_MAP) {
                char small[256];
                char *key = small;
                if (flen == 0) {
                    std_buf_free(&buf);
                    return format_fail(ctx, "placeholder", field, 0, open,
                                       " needs a list of args, got a map");
                }
                /* map keys are C strings: a field with a NUL matches none */
                if (memchr(field, '\0', flen) == NULL) {
                    if (flen >= sizeof small) key = (char *)malloc(flen + 1);
                    if (key == NULL) {
                        std_buf_free(&buf);
                        return std_failf(ctx, "std.format: out of memory");
                    }
                    memcpy(key, field, flen);
                    key[flen] = '\0';
                    v = H->map_get(ctx, args, key);
                    if (key != small) free(key);
                }
                if (v == WEFT_NO_VALUE) {
                    std_buf_free(&buf);
                    return format_fail(ctx, "no key in args for placeholder",
                                       field, flen, open, "");
                }
            } else {
                int64_t index;
                if (flen == 0) {
                    index = next_auto++;
                } else if (!all_digits(field, flen)) {
                    char why[64];
                    std_buf_free(&buf);
                    if (kind == WEFT_TYPE_ANY)
                        snprintf(why, sizeof why, " needs a map of args, but "
                                 "args is not connected");
                    else
                        snprintf(why, sizeof why, " needs a map of args, got "
                                 "%s", std_kind_name(kind));
                    return format_fail(ctx, "named placeholder", field, flen,
                                       open, why);
                } else if (std_parse_int(field, flen, &index) != 0) {
                    index = INT64_MAX;  /* beyond int64: surely out of range */
                }
                if (index >= nargs) {
                    char why[96];
                    std_buf_free(&buf);
                    if (kind == WEFT_TYPE_ANY)
                        snprintf(why, sizeof why, " wants argument %" PRId64
                                 ", but args is not connected", index);
                    else
                        snprintf(why, sizeof why, " wants argument %" PRId64
                                 ", but args has %" PRId64 " item%s", index,
                                 nargs, nargs == 1 ? "" : "s");
                    return format_fail(ctx, "placeholder", field, flen, open,
                                       why);
                }
                if (kind == WEFT_TYPE_LIST) {
                    v = H->list_get(ctx, args, (size_t)index);
                    if (v == WEFT_NO_VALUE) {
                        std_buf_free(&buf);
                        return std_failf(ctx, "std.format: cannot read "
                                              "argument %" PRId64 ": %s",
                                         index, std_host_reason(ctx));
                    }
                } else {
                    v = args;
                }
            }
            st = std_render(ctx, "format", &buf, v, 1);
            if (st != WEFT_OK) {
                std_buf_free(&buf);
                return st;
            }
        }
    }
    std_buf_put(&buf, t + run, tl - run);
    st = std_buf_check(ctx, "format", &buf);
    if (st == WEFT_OK)
        st = std_out_string(ctx, "format", 0, "result", buf.p, buf.len);
    std_buf_free(&buf);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Conversions                                                               */
/* ------------------------------------------------------------------------ */

static weft_status_t run_to_string(weft_ctx_t *ctx, void *state)
{
    weft_value_t v = WEFT_NO_VALUE;
    std_buf_t buf = STD_BUF_INIT;
    weft_status_t st;
    (void)state;
    if ((st = std_in_value(ctx, "to_string", 0, "value", &v)) != WEFT_OK)
        return st;
    if (H->type_of(ctx, v) == WEFT_TYPE_STRING)
        return std_out(ctx, "to_string", 0, "result", v);
    st = std_render(ctx, "to_string", &buf, v, 1);
    if (st == WEFT_OK)
        st = std_out_string(ctx, "to_string", 0, "result", buf.p, buf.len);
    std_buf_free(&buf);
    return st;
}

static weft_status_t run_to_int(weft_ctx_t *ctx, void *state)
{
    weft_value_t v = WEFT_NO_VALUE;
    weft_type_t kind;
    int64_t r = 0;
    weft_status_t st;
    (void)state;
    if ((st = std_in_value(ctx, "to_int", 0, "value", &v)) != WEFT_OK)
        return st;
    kind = H->type_of(ctx, v);
    switch (kind) {
    case WEFT_TYPE_INT:
        return std_out(ctx, "to_int", 0, "result", v);
    case WEFT_TYPE_BOOL: {
        int32_t b = 0;
        if (H->get_bool(ctx, v, &b) != WEFT_OK) goto host_error;
        r = b ? 1 : 0;
        break;
    }
    case WEFT_TYPE_DOUBLE: {
        double d = 0;
        char num[48];
        if (H->get_double(ctx, v, &d) != WEFT_OK) goto host_error;
        if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
            std_format_double(d, num);
            return std_failf(ctx, "std.to_int: %s is outside the int range",
                             num);
        }
        r = (int64_t)d;  /* truncates toward zero */
        break;
    }
    case WEFT_TYPE_STRING: {
        size_t len = 0;
        const char *s = H->get_string(ctx, v, &len);
        char ex[132];
        int e;
        if (s == NULL) goto host_error;
        e = std_parse_int(s, len, &r);
        if (e == 1)
            return std_failf(ctx, "std.to_int: \"%s\" is not an integer",
                             std_excerpt(ex, 128, s, len));
        if (e == 2)
            return std_failf(ctx, "std.to_int: \"%s\" is outside the int "
                                  "range", std_excerpt(ex, 128, s, len));
        break;
    }
    default:
        return std_failf(ctx, "std.to_int: cannot convert %s to int",
                         std_kind_name(kind));
    }
    return std_out(ctx, "to_int", 0, "result", H->int_new(ctx, r));
host_error:
    return std_failf(ctx, "std.to_int: cannot read input 'value': %s",
                     std_host_reason(ctx));
}

static weft_status_t run_to_double(weft_ctx_t *ctx, void *state)
{
    weft_value_t v = WEFT_NO_VALUE;
    weft_type_t kind;
    double r = 0;
    weft_status_t st;
    (void)state;
    if ((st = std_in_value(ctx, "to_double", 0, "value", &v)) != WEFT_OK)
        return st;
    kind = H->type_of(ctx, v);
    switch (kind) {
    case WEFT_TYPE_DOUBLE:
        return std_out(ctx, "to_double", 0, "result", v);
    case WEFT_TYPE_INT:
        if (H->get_double(ctx, v, &r) != WEFT_OK) goto host_error;
        break;
    case WEFT_TYPE_BOOL: {
        int32_t b = 0;
        if (H->get_bool(ctx, v, &b) != WEFT_OK) goto host_error;
        r = b ? 1.0 : 0.0;
        break;
    }
    case WEFT_TYPE_STRING: {
        size_t len = 0;
        const char *s = H->get_string(ctx, v, &len);
        char ex[132];
        int e;
        if (s == NULL) goto host_error;
        e = std_parse_double(s, len, &r);
        if (e == 1)
            return std_failf(ctx, "std.to_double: \"%s\" is not a number",
                             std_excerpt(ex, 128, s, len));
        if (e == 2)
            return std_failf(ctx, "std.to_double: \"%s\" is outside the "
                                  "double range", std_excerpt(ex, 128, s, len));
        break;
    }
    default:
        return std_failf(ctx, "std.to_double: cannot convert %s to double",
                         std_kind_name(kind));
    }
    return std_out(ctx, "to_double", 0, "result", H->double_new(ctx, r));
host_error:
    return std_failf(ctx, "std.to_double: cannot read input 'value': %s",
                     std_host_reason(ctx));
}

/* ------------------------------------------------------------------------ */
/* Descriptors                                                               */
/* ------------------------------------------------------------------------ */

#define PURE (WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE)

static const weft_port_t concat_in[] = {
    {"a", WEFT_TYPE_STRING, 0, NULL, "first string"},
    {"b", WEFT_TYPE_STRING, 0, NULL, "second string, appended to a"},
    WEFT_PORTS_END};
static const weft_port_t text_in[] = {
    {"text", WEFT_TYPE_STRING, 0, NULL, "the string"},
    WEFT_PORTS_END};
static const weft_port_t string_out[] = {
    {"result", WEFT_TYPE_STRING, 0, NULL, "the resulting string"},
    WEFT_PORTS_END};
static const weft_port_t int_out[] = {
    {"result", WEFT_TYPE_INT, 0, NULL, "number of code points"},
    WEFT_PORTS_END};
static const weft_port_t split_in[] = {
    {"text", WEFT_TYPE_STRING, 0, NULL, "the string to split"},
    {"sep", WEFT_TYPE_STRING, WEFT_PORT_OPTIONAL, "\",\"",
     "separator; empty splits into code points"},
    WEFT_PORTS_END};
static const weft_port_t split_out[] = {
    {"result", WEFT_TYPE_LIST, 0, NULL, "list of the pieces (strings)"},
    WEFT_PORTS_END};
static const weft_port_t join_in[] = {
    {"list", WEFT_TYPE_LIST, 0, NULL, "list of strings"},
    {"sep", WEFT_TYPE_STRING, WEFT_PORT_OPTIONAL, "\",\"",
     "put between items"},
    WEFT_PORTS_END};
static const weft_port_t format_in[] = {
    {"template", WEFT_TYPE_STRING, 0, NULL,
     "text with {} / {0} / {name} placeholders; {{ and }} for braces"},
    {"args", WEFT_TYPE_ANY, WEFT_PORT_OPTIONAL, NULL,
     "list (positional), map (named) or one value (as {} / {0})"},
    WEFT_PORTS_END};
static const weft_port_t value_in[] = {
    {"value", WEFT_TYPE_ANY, 0, NULL, "the value to convert"},
    WEFT_PORTS_END};
static const weft_port_t to_string_out[] = {
    {"result", WEFT_TYPE_STRING, 0, NULL,
     "the string itself, or the value as JSON-ish text"},
    WEFT_PORTS_END};
static const weft_port_t to_int_out[] = {
    {"result", WEFT_TYPE_INT, 0, NULL, "the value as an int"},
    WEFT_PORTS_END};
static const weft_port_t to_double_out[] = {
    {"result", WEFT_TYPE_DOUBLE, 0, NULL, "the value as a double"},
    WEFT_PORTS_END};

/* to_int and to_double convert one scalar (or parse a short decimal
 * string): CHEAP. The others walk or build whole strings. */
#define CHEAP (PURE | WEFT_NODE_CHEAP)
#define NODE(NAME, SUMMARY, IN, OUT, RUN) NODE_FLAGS(NAME, SUMMARY, IN, OUT, RUN, PURE)
#define NODE_FLAGS(NAME, SUMMARY, IN, OUT, RUN, FLAGS) \
    {.struct_size = sizeof(weft_node_desc_t), .name = NAME, .summary = SUMMARY, .inputs = IN, .outputs = OUT, .flags = FLAGS, .run = RUN}

static const weft_node_desc_t nodes[] = {
    NODE("concat", "a followed by b", concat_in, string_out, run_concat),
    NODE("str_length", "length of a string in Unicode code points", text_in,
         int_out, run_str_length),
    NODE("word_count", "number of words (runs of non-whitespace) in a string",
         text_in, int_out, run_word_count),
    NODE("upper", "ASCII letters to upper case (others unchanged)", text_in,
         string_out, run_upper),
    NODE("lower", "ASCII letters to lower case (others unchanged)", text_in,
         string_out, run_lower),
    NODE("split", "split a string at every sep into a list of strings",
         split_in, split_out, run_split),
    NODE("join", "join a list of strings with sep between them", join_in,
         string_out, run_join),
    NODE("format", "fill {} / {0} / {name} placeholders from a list or map",
         format_in, string_out, run_format),
    NODE("to_string", "any value as text (strings unchanged)", value_in,
         to_string_out, run_to_string),
    NODE_FLAGS("to_int", "int from an int, double (truncated), bool or "
                         "decimal string", value_in, to_int_out, run_to_int,
               CHEAP),
    NODE_FLAGS("to_double", "double from a double, int, bool or decimal "
                            "string", value_in, to_double_out, run_to_double,
               CHEAP),
    {.struct_size = 0}};

weft_status_t std_register_text(const weft_host_t *host, weft_registry_t *reg)
{
    if (H != host) H = host; /* a second init (another engine) writes nothing: no race with running nodes */
    return std_register_table(host, reg, nodes);
}
