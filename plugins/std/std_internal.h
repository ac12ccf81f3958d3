/*
 * std_internal.h — private helpers shared by the files of the `std` plugin.
 *
 * Not part of any API: the plugin exports only `weft_plugin_entry`; every
 * function declared here is hidden by -fvisibility=hidden. Each .c file keeps
 * its own `static const weft_host_t *H`, set by its registration function
 * from the plugin's `init` before any node can run.
 */
#ifndef WEFT_STD_INTERNAL_H
#define WEFT_STD_INTERNAL_H

#include <weft/plugin.h>

#include <stddef.h>
#include <stdint.h>

/* Largest string/list a std node builds (bytes or items). Keeps a runaway
 * template or range from exhausting memory. */
#define STD_MAX_STRING_BYTES ((size_t)256 * 1024 * 1024)
#define STD_MAX_LIST_ITEMS   ((int64_t)10000000)
/* Deepest list/map nesting that eq/to_string/format will walk. */
#define STD_MAX_DEPTH 256

/* --- Registration (one function per source file) ----------------------- */

/* Registers a table of descriptors ending with an entry whose name is NULL.
 * On failure records why with registry_fail and returns its status. */
weft_status_t std_register_table(const weft_host_t *host, weft_registry_t *reg,
                                 const weft_node_desc_t *table);

weft_status_t std_register_math(const weft_host_t *host, weft_registry_t *reg);
weft_status_t std_register_text(const weft_host_t *host, weft_registry_t *reg);
weft_status_t std_register_list(const weft_host_t *host, weft_registry_t *reg);
weft_status_t std_register_misc(const weft_host_t *host, weft_registry_t *reg);

/* --- Failing --------------------------------------------------------- */

/* printf-style host->fail. The message is truncated (at a UTF-8 boundary)
 * to a few KiB. Returns WEFT_ERR_FAILED (or what host->fail returns). */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
weft_status_t std_failf(weft_ctx_t *ctx, const char *fmt, ...);

/* The host's reason for the last failed host call on ctx, never NULL. */
const char *std_host_reason(weft_ctx_t *ctx);

/* Name of a value kind / port type ("int", "string", ...). */
const char *std_kind_name(weft_type_t t);

/* Copies at most `max` bytes of `s` (length `len`) into `out` (size
 * max + 4), cutting at a UTF-8 boundary and appending "..." when cut.
 * For quoting user text in error messages. Returns out. */
char *std_excerpt(char *out, size_t max, const char *s, size_t len);

/* --- Reading inputs -------------------------------------------------- */

/* Reads required input `index` (named `port` in messages) of node `node`.
 * On failure the call has already failed: return the returned status. */
weft_status_t std_in_value(weft_ctx_t *ctx, const char *node, int32_t index,
                           const char *port, weft_value_t *out);
weft_status_t std_in_string(weft_ctx_t *ctx, const char *node, int32_t index,
                            const char *port, const char **s, size_t *len);
weft_status_t std_in_int(weft_ctx_t *ctx, const char *node, int32_t index,
                         const char *port, int64_t *out);
weft_status_t std_in_bool(weft_ctx_t *ctx, const char *node, int32_t index,
                          const char *port, int32_t *out);

/* A number read from a NUMBER port. */
typedef struct std_num {
    int is_int;
    int64_t i;  /* valid when is_int */
    double d;   /* always valid (i converted when is_int) */
} std_num_t;

/* Input `index` as a number through the one-call shortcuts: 1 if it is an
 * int or a double, 0 otherwise (no value, another kind; nothing reported). */
int std_try_number_rest(weft_ctx_t *ctx, int32_t index, std_num_t *out);
/* Reads a required number input (named `port` in messages). */
weft_status_t std_in_number_rest(weft_ctx_t *ctx, const char *node, int32_t index,
                                 const char *port, std_num_t *out);

/* The common case of both, an int, inline: one host call and no call into
 * std.c (these run for every arithmetic or comparison node). `h` is the
 * calling file's host table; use the macros below. */
static inline int std_try_number_h(const weft_host_t *h, weft_ctx_t *ctx, int32_t index, std_num_t *out)
{
    if (h->input_int(ctx, index, &out->i) == WEFT_OK) {
        out->is_int = 1;
        out->d = (double)out->i;
        return 1;
    }
    return std_try_number_rest(ctx, index, out);
}
static inline weft_status_t std_in_number_h(const weft_host_t *h, weft_ctx_t *ctx, const char *node,
                                            int32_t index, const char *port, std_num_t *out)
{
    if (h->input_int(ctx, index, &out->i) == WEFT_OK) {
        out->is_int = 1;
        out->d = (double)out->i;
        return WEFT_OK;
    }
    return std_in_number_rest(ctx, node, index, port, out);
}
#define std_try_number(ctx, index, out) std_try_number_h(H, (ctx), (index), (out))
#define std_in_number(ctx, node, index, port, out) std_in_number_h(H, (ctx), (node), (index), (port), (out))

/* Writes output `index`; on error fails the call naming node and port. */
weft_status_t std_out(weft_ctx_t *ctx, const char *node, int32_t index,
                      const char *port, weft_value_t v);

/* Makes a string value of s[0..len) and writes it to output `index`. */
weft_status_t std_out_string(weft_ctx_t *ctx, const char *node, int32_t index,
                             const char *port, const char *s, size_t len);

/* --- Growable byte buffer ------------------------------------------- */

typedef struct std_buf {
    char *p;       /* malloc'd, NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    int error;     /* 0, STD_BUF_NOMEM or STD_BUF_TOO_BIG; sticky */
} std_buf_t;

#define STD_BUF_NOMEM   1
#define STD_BUF_TOO_BIG 2
#define STD_BUF_INIT { NULL, 0, 0, 0 }

void std_buf_put(std_buf_t *b, const char *s, size_t len);
void std_buf_puts(std_buf_t *b, const char *s);
void std_buf_putc(std_buf_t *b, char c);
void std_buf_free(std_buf_t *b);
/* Fails the call for a buffer in error ("std.x: result exceeds ...").
 * Returns WEFT_OK when the buffer is fine. */
weft_status_t std_buf_check(weft_ctx_t *ctx, const char *node,
                            const std_buf_t *b);

/* --- Numbers as text ------------------------------------------------- */

/* Shortest text that reads back as the same double, always with a '.',
 * an exponent, or "inf"/"-inf"/"nan"; '.' regardless of locale.
 * `out` must hold 40 bytes. */
void std_format_double(double d, char *out);

/* Parses a decimal integer (ASCII whitespace around it allowed). Returns
 * 0 on success, 1 for bad syntax, 2 for out of int64 range. */
int std_parse_int(const char *s, size_t len, int64_t *out);

/* Parses a decimal floating-point number ("1", "-2.5", "1e-3", ".5";
 * whitespace around it allowed; no hex, inf or nan). Returns 0 on success,
 * 1 for bad syntax, 2 for out of double range. */
int std_parse_double(const char *s, size_t len, double *out);

/* --- Values ---------------------------------------------------------- */

/* Appends the text of `v`: with `raw` a string is appended as is (top level
 * of to_string/format/print), otherwise every value is JSON-ish: strings
 * quoted and escaped, lists [..], maps {..}, bytes <bytes:hex>.
 * Returns WEFT_OK or fails the call (host error, nesting too deep). */
weft_status_t std_render(weft_ctx_t *ctx, const char *node, std_buf_t *b,
                         weft_value_t v, int raw);

/* Three-way compare of an int and a double, exact (no rounding of the int).
 * Returns -1, 0, 1, or 2 when d is NaN. */
int std_cmp_int_double(int64_t i, double d);

/* Deep equality: numbers compare by value across int/double, strings and
 * bytes byte-wise, lists item-wise, maps by key set (order ignored).
 * Returns 1 equal, 0 different, or fails the call and returns -1. */
int std_equal(weft_ctx_t *ctx, const char *node, weft_value_t a,
              weft_value_t b, int depth);

#endif /* WEFT_STD_INTERNAL_H */
