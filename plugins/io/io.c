/*
 * io.c — the `io` plugin: read_file, write_file, append_line, print.
 *
 * Files are opened with POSIX open/read/write (O_CLOEXEC, so a host that
 * spawns processes does not leak descriptors into them). Relative paths are
 * relative to the host process's working directory. Every error names the
 * node, the path and strerror(errno).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* open, read, write, strerror_r under -std=c99 */
#endif

#include <weft/plugin.h>

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef O_CLOEXEC
#define O_CLOEXEC 0
#endif

static const weft_host_t *H;

/* Largest text io.print renders for one value. */
#define IO_MAX_TEXT ((size_t)256 * 1024 * 1024)
/* Deepest list/map nesting io.print renders. */
#define IO_MAX_DEPTH 256
/* Default of io.read_file's max_bytes (256 MiB). */
#define IO_DEFAULT_MAX_READ "268435456"

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

/* Length of the longest prefix of s[0..len) not ending inside a UTF-8
 * sequence. */
static size_t utf8_cut(const char *s, size_t len)
{
    size_t i = len, back = 0;
    while (i > 0 && back < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        back++;
    }
    if (i == 0) return back == 0 ? len : 0;
    {
        unsigned char lead = (unsigned char)s[i - 1];
        size_t need;
        if (lead < 0x80) return len;
        if ((lead & 0xE0) == 0xC0) need = 2;
        else if ((lead & 0xF0) == 0xE0) need = 3;
        else if ((lead & 0xF8) == 0xF0) need = 4;
        else return i - 1;
        return (back + 1 >= need) ? len : i - 1;
    }
}

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 2, 3)))
#endif
static weft_status_t failf(weft_ctx_t *ctx, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    int n;
    weft_status_t st;
    va_start(ap, fmt);
    n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        strcpy(msg, "io: failed (could not format the error message)");
    } else if ((size_t)n >= sizeof msg) {
        size_t keep = utf8_cut(msg, sizeof msg - 4);
        memcpy(msg + keep, "...", 4);
    }
    st = H->fail(ctx, msg);
    return st != WEFT_OK ? st : WEFT_ERR_FAILED;
}

static const char *reason(weft_ctx_t *ctx)
{
    const char *m = H->error_message(ctx);
    return (m != NULL && m[0] != '\0') ? m : "no reason given by the host";
}

/* strerror into a caller buffer (strerror itself need not be thread-safe). */
static const char *errtext(int err, char *buf, size_t size)
{
    if (strerror_r(err, buf, size) != 0)
        snprintf(buf, size, "error %d", err);
    return buf;
}

static const char *kind_name(weft_type_t t)
{
    switch (t) {
    case WEFT_TYPE_NULL: return "null";
    case WEFT_TYPE_BOOL: return "bool";
    case WEFT_TYPE_INT: return "int";
    case WEFT_TYPE_DOUBLE: return "double";
    case WEFT_TYPE_STRING: return "string";
    case WEFT_TYPE_BYTES: return "bytes";
    case WEFT_TYPE_LIST: return "list";
    case WEFT_TYPE_MAP: return "map";
    default: return "invalid value";
    }
}

/* Reads input `index` as a file path: a non-empty string without NUL. The
 * path is quoted in messages (shortened if very long). */
static weft_status_t in_path(weft_ctx_t *ctx, const char *node, int32_t index,
                             const char **path)
{
    size_t len = 0;
    weft_value_t v = H->input(ctx, index);
    if (v == WEFT_NO_VALUE)
        return failf(ctx, "io.%s: input 'path' has no value (%s)", node,
                     reason(ctx));
    *path = H->get_string(ctx, v, &len);
    if (*path == NULL)
        return failf(ctx, "io.%s: input 'path' must be a string, got %s",
                     node, kind_name(H->type_of(ctx, v)));
    if (len == 0)
        return failf(ctx, "io.%s: input 'path' is empty", node);
    if (strlen(*path) != len)
        return failf(ctx, "io.%s: path '%s' contains a NUL byte", node, *path);
    return WEFT_OK;
}

/* Writes all of p[0..len) to fd, retrying on EINTR and short writes.
 * Returns 0 or an errno value. */
static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        size_t chunk = len > ((size_t)1 << 30) ? ((size_t)1 << 30) : len;
        ssize_t n = write(fd, p, chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        if (n == 0) return EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Reads input `index` as file content: string or bytes. */
static weft_status_t in_content(weft_ctx_t *ctx, const char *node,
                                int32_t index, const char *port,
                                const char **p, size_t *len)
{
    weft_value_t v = H->input(ctx, index);
    weft_type_t t;
    if (v == WEFT_NO_VALUE)
        return failf(ctx, "io.%s: input '%s' has no value (%s)", node, port,
                     reason(ctx));
    t = H->type_of(ctx, v);
    if (t == WEFT_TYPE_STRING) *p = H->get_string(ctx, v, len);
    else if (t == WEFT_TYPE_BYTES) *p = (const char *)H->get_bytes(ctx, v, len);
    else
        return failf(ctx, "io.%s: input '%s' must be a string or bytes, got %s",
                     node, port, kind_name(t));
    if (*p == NULL)
        return failf(ctx, "io.%s: cannot read input '%s': %s", node, port,
                     reason(ctx));
    return WEFT_OK;
}

static weft_status_t out_int(weft_ctx_t *ctx, const char *node,
                             const char *port, int64_t v)
{
    if (H->output_int(ctx, 0, v) != WEFT_OK)
        return failf(ctx, "io.%s: cannot write output '%s': %s", node, port,
                     reason(ctx));
    return WEFT_OK;
}

/* ------------------------------------------------------------------------ */
/* read_file                                                                */
/* ------------------------------------------------------------------------ */

static weft_status_t run_read_file(weft_ctx_t *ctx, void *state)
{
    const char *path = NULL;
    int32_t binary = 0;
    int64_t max = 0;
    weft_value_t pv;
    struct stat sb;
    char *buf = NULL;
    size_t len = 0, cap;
    char et[128];
    int fd, err = 0;
    weft_value_t out;
    weft_status_t st;
    (void)state;

    if ((st = in_path(ctx, "read_file", 0, &path)) != WEFT_OK) return st;
    pv = H->param(ctx, 0);
    if (pv == WEFT_NO_VALUE || H->get_bool(ctx, pv, &binary) != WEFT_OK)
        return failf(ctx, "io.read_file: param 'binary' must be a bool (%s)",
                     reason(ctx));
    pv = H->param(ctx, 1);
    if (pv == WEFT_NO_VALUE || H->get_int(ctx, pv, &max) != WEFT_OK)
        return failf(ctx, "io.read_file: param 'max_bytes' must be an int "
                          "(%s)", reason(ctx));
    if (max < 0)
        return failf(ctx, "io.read_file: param 'max_bytes' must not be "
                          "negative (got %" PRId64 ")", max);
    if ((uint64_t)max >= (uint64_t)SIZE_MAX / 2) max = (int64_t)(SIZE_MAX / 2 - 1);

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return failf(ctx, "io.read_file: cannot open '%s': %s", path,
                     errtext(errno, et, sizeof et));
    if (fstat(fd, &sb) != 0) {
        err = errno;
        close(fd);
        return failf(ctx, "io.read_file: cannot stat '%s': %s", path,
                     errtext(err, et, sizeof et));
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        return failf(ctx, "io.read_file: cannot read '%s': %s", path,
                     errtext(EISDIR, et, sizeof et));
    }
    if (S_ISREG(sb.st_mode) && sb.st_size > (off_t)max) {
        close(fd);
        return failf(ctx, "io.read_file: '%s' is %lld bytes, more than "
                          "max_bytes (%" PRId64 ")", path,
                     (long long)sb.st_size, max);
    }
    /* Regular files: their size plus one byte to see EOF at once. Others
     * (pipes, /proc files) report 0: start small and grow. */
    cap = (S_ISREG(sb.st_mode) && sb.st_size > 0) ? (size_t)sb.st_size + 1
                                                  : (size_t)65536;
    if (cap > (size_t)max + 1) cap = (size_t)max + 1;
    buf = (char *)malloc(cap);
    if (buf == NULL) {
        close(fd);
        return failf(ctx, "io.read_file: out of memory reading '%s'", path);
    }
    for (;;) {
        ssize_t n;
        if (len == cap) {
            size_t ncap;
            char *nbuf;
            if (cap > (size_t)max) {
                /* holds max + 1 bytes: the file is over the limit */
                close(fd);
                free(buf);
                return failf(ctx, "io.read_file: '%s' is larger than "
                                  "max_bytes (%" PRId64 ")", path, max);
            }
            ncap = cap * 2 > (size_t)max + 1 ? (size_t)max + 1 : cap * 2;
            nbuf = (char *)realloc(buf, ncap);
            if (nbuf == NULL) {
                close(fd);
                free(buf);
                return failf(ctx, "io.read_file: out of memory reading '%s'",
                             path);
            }
            buf = nbuf;
            cap = ncap;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0) {
            if (errno == EINTR) continue;
            err = errno;
            break;
        }
        if (n == 0) break;
        len += (size_t)n;
    }
    close(fd);
    if (err != 0) {
        free(buf);
        return failf(ctx, "io.read_file: cannot read '%s': %s", path,
                     errtext(err, et, sizeof et));
    }
    if (len > (size_t)max) {
        free(buf);
        return failf(ctx, "io.read_file: '%s' is larger than max_bytes "
                          "(%" PRId64 ")", path, max);
    }
    out = binary ? H->bytes_new(ctx, buf, len) : H->string_new(ctx, buf, len);
    free(buf);
    if (out == WEFT_NO_VALUE) {
        if (!binary)
            return failf(ctx, "io.read_file: '%s' is not valid UTF-8 text "
                              "(set param binary=true to read bytes): %s",
                         path, reason(ctx));
        return failf(ctx, "io.read_file: cannot make the value of '%s': %s",
                     path, reason(ctx));
    }
    if (H->output(ctx, 0, out) != WEFT_OK)
        return failf(ctx, "io.read_file: cannot write output 'content': %s",
                     reason(ctx));
    return WEFT_OK;
}

/* ------------------------------------------------------------------------ */
/* write_file, append_line                                                  */
/* ------------------------------------------------------------------------ */

static weft_status_t write_file(weft_ctx_t *ctx, const char *node,
                                const char *path, int flags, const char *p,
                                size_t len)
{
    char et[128];
    int err;
    int fd = open(path, flags | O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0)
        return failf(ctx, "io.%s: cannot open '%s' for writing: %s", node,
                     path, errtext(errno, et, sizeof et));
    err = write_all(fd, p, len);
    if (err != 0) {
        close(fd);
        return failf(ctx, "io.%s: cannot write '%s': %s", node, path,
                     errtext(err, et, sizeof et));
    }
    /* close reports delayed errors (e.g. NFS, quota) */
    if (close(fd) != 0 && errno != EINTR)
        return failf(ctx, "io.%s: cannot write '%s': %s", node, path,
                     errtext(errno, et, sizeof et));
    return WEFT_OK;
}

static weft_status_t run_write_file(weft_ctx_t *ctx, void *state)
{
    const char *path = NULL, *p = NULL;
    size_t len = 0;
    weft_status_t st;
    (void)state;
    if ((st = in_path(ctx, "write_file", 0, &path)) != WEFT_OK) return st;
    if ((st = in_content(ctx, "write_file", 1, "content", &p, &len)) != WEFT_OK)
        return st;
    if ((uint64_t)len > (uint64_t)INT64_MAX)
        return failf(ctx, "io.write_file: content is too large");
    st = write_file(ctx, "write_file", path, O_TRUNC, p, len);
    if (st != WEFT_OK) return st;
    return out_int(ctx, "write_file", "bytes_written", (int64_t)len);
}

static weft_status_t run_append_line(weft_ctx_t *ctx, void *state)
{
    const char *path = NULL, *line = NULL;
    size_t len = 0;
    char *buf;
    weft_value_t v;
    weft_status_t st;
    (void)state;
    if ((st = in_path(ctx, "append_line", 0, &path)) != WEFT_OK) return st;
    v = H->input(ctx, 1);
    if (v == WEFT_NO_VALUE)
        return failf(ctx, "io.append_line: input 'line' has no value (%s)",
                     reason(ctx));
    line = H->get_string(ctx, v, &len);
    if (line == NULL)
        return failf(ctx, "io.append_line: input 'line' must be a string, "
                          "got %s", kind_name(H->type_of(ctx, v)));
    if (len >= (size_t)INT64_MAX)
        return failf(ctx, "io.append_line: line is too large");
    /* One write() of line + "\n": with O_APPEND, lines appended by
     * concurrent nodes (or processes) do not interleave. */
    buf = (char *)malloc(len + 1);
    if (buf == NULL)
        return failf(ctx, "io.append_line: out of memory");
    if (len > 0) memcpy(buf, line, len);
    buf[len] = '\n';
    st = write_file(ctx, "append_line", path, O_APPEND, buf, len + 1);
    free(buf);
    if (st != WEFT_OK) return st;
    return out_int(ctx, "append_line", "bytes_written", (int64_t)len + 1);
}

/* ------------------------------------------------------------------------ */
/* print: rendering values as text                                          */
/* ------------------------------------------------------------------------ */

typedef struct buf {
    char *p;
    size_t len, cap;
    int error; /* 1 out of memory, 2 too big */
} buf_t;

static void put(buf_t *b, const char *s, size_t len)
{
    if (b->error) return;
    if (len > IO_MAX_TEXT || b->len > IO_MAX_TEXT - len) {
        b->error = 2;
        return;
    }
    if (b->len + len + 1 > b->cap) {
        size_t want = b->len + len + 1, cap = b->cap ? b->cap : 256;
        char *p;
        while (cap < want) cap *= 2;
        p = (char *)realloc(b->p, cap);
        if (p == NULL) {
            b->error = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    if (len > 0) memcpy(b->p + b->len, s, len);
    b->len += len;
    b->p[b->len] = '\0';
}

static void puts_(buf_t *b, const char *s) { put(b, s, strlen(s)); }

/* Shortest text that reads back as d, with '.' whatever the locale. */
static void format_double(double d, char *out)
{
    const struct lconv *lc = localeconv();
    char point = 0;
    int p;
    size_t i;
    if (lc != NULL && lc->decimal_point != NULL &&
        lc->decimal_point[0] != '\0' && lc->decimal_point[0] != '.' &&
        lc->decimal_point[1] == '\0')
        point = lc->decimal_point[0];
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
    if (strpbrk(out, ".e") == NULL) strcat(out, ".0");
}

static void put_json_string(buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i, run = 0;
    put(b, "\"", 1);
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char u[7];
        const char *esc;
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(b, s + run, i - run);
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
        puts_(b, esc);
    }
    put(b, s + run, len - run);
    put(b, "\"", 1);
}

/* Same text as std.to_string: strings raw at the top level, otherwise
 * JSON-ish (strings quoted, [a, b], {"k": v}, bytes as <bytes:hex>).
 * Returns 0, or -1 on a host error, -2 when nested too deep. */
static int render(weft_ctx_t *ctx, buf_t *b, weft_value_t v, int raw, int depth)
{
    char num[48];
    if (depth > IO_MAX_DEPTH) return -2;
    switch (H->type_of(ctx, v)) {
    case WEFT_TYPE_NULL:
        puts_(b, "null");
        return 0;
    case WEFT_TYPE_BOOL: {
        int32_t x;
        if (H->get_bool(ctx, v, &x) != WEFT_OK) return -1;
        puts_(b, x ? "true" : "false");
        return 0;
    }
    case WEFT_TYPE_INT: {
        int64_t x;
        if (H->get_int(ctx, v, &x) != WEFT_OK) return -1;
        snprintf(num, sizeof num, "%" PRId64, x);
        puts_(b, num);
        return 0;
    }
    case WEFT_TYPE_DOUBLE: {
        double x;
        if (H->get_double(ctx, v, &x) != WEFT_OK) return -1;
        format_double(x, num);
        puts_(b, num);
        return 0;
    }
    case WEFT_TYPE_STRING: {
        size_t len;
        const char *s = H->get_string(ctx, v, &len);
        if (s == NULL) return -1;
        if (raw) put(b, s, len);
        else put_json_string(b, s, len);
        return 0;
    }
    case WEFT_TYPE_BYTES: {
        static const char hex[] = "0123456789abcdef";
        size_t len, i;
        const unsigned char *p =
            (const unsigned char *)H->get_bytes(ctx, v, &len);
        if (p == NULL) return -1;
        puts_(b, "<bytes:");
        for (i = 0; i < len && !b->error; i++) {
            char pair[2];
            pair[0] = hex[p[i] >> 4];
            pair[1] = hex[p[i] & 15];
            put(b, pair, 2);
        }
        puts_(b, ">");
        return 0;
    }
    case WEFT_TYPE_LIST: {
        int64_t n = H->length(ctx, v), i;
        if (n < 0) return -1;
        puts_(b, "[");
        for (i = 0; i < n && !b->error; i++) {
            weft_value_t item = H->list_get(ctx, v, (size_t)i);
            int r;
            if (item == WEFT_NO_VALUE) return -1;
            if (i > 0) puts_(b, ", ");
            if ((r = render(ctx, b, item, 0, depth + 1)) != 0) return r;
        }
        puts_(b, "]");
        return 0;
    }
    case WEFT_TYPE_MAP: {
        int64_t n = H->length(ctx, v), i;
        if (n < 0) return -1;
        puts_(b, "{");
        for (i = 0; i < n && !b->error; i++) {
            const char *key = H->map_key(ctx, v, (size_t)i);
            weft_value_t val = H->map_value(ctx, v, (size_t)i);
            int r;
            if (key == NULL || val == WEFT_NO_VALUE) return -1;
            if (i > 0) puts_(b, ", ");
            put_json_string(b, key, strlen(key));
            puts_(b, ": ");
            if ((r = render(ctx, b, val, 0, depth + 1)) != 0) return r;
        }
        puts_(b, "}");
        return 0;
    }
    default:
        return -1;
    }
}

/* ------------------------------------------------------------------------ */
/* print                                                                    */
/* ------------------------------------------------------------------------ */

/* The per-instance state is a small tag, not an allocation:
 * bit 0 set = stderr (else stdout), bit 1 set = append a newline; bit 2 is
 * always set so the state is never NULL. */
#define PRINT_STDERR  0x1u
#define PRINT_NEWLINE 0x2u
#define PRINT_VALID   0x4u

static weft_status_t print_create(weft_ctx_t *ctx, void *user_data,
                                  void **state_out)
{
    weft_value_t v;
    const char *stream;
    size_t len = 0;
    int32_t newline = 1;
    uintptr_t tag = PRINT_VALID;
    (void)user_data;
    v = H->param(ctx, 0);
    stream = v == WEFT_NO_VALUE ? NULL : H->get_string(ctx, v, &len);
    if (stream == NULL)
        return failf(ctx, "io.print: param 'stream' must be a string (%s)",
                     reason(ctx));
    if (len == 6 && memcmp(stream, "stdout", 6) == 0) {
        /* default */
    } else if (len == 6 && memcmp(stream, "stderr", 6) == 0) {
        tag |= PRINT_STDERR;
    } else {
        char ex[104];
        size_t keep = len > 100 ? utf8_cut(stream, 100) : len;
        memcpy(ex, stream, keep);
        ex[keep] = '\0';
        return failf(ctx, "io.print: param 'stream' must be \"stdout\" or "
                          "\"stderr\", got \"%s%s\"", ex,
                     keep < len ? "..." : "");
    }
    v = H->param(ctx, 1);
    if (v == WEFT_NO_VALUE || H->get_bool(ctx, v, &newline) != WEFT_OK)
        return failf(ctx, "io.print: param 'newline' must be a bool (%s)",
                     reason(ctx));
    if (newline) tag |= PRINT_NEWLINE;
    *state_out = (void *)tag;
    return WEFT_OK;
}

static weft_status_t run_print(weft_ctx_t *ctx, void *state)
{
    uintptr_t tag = (uintptr_t)state;
    FILE *f;
    const char *name;
    buf_t b = {NULL, 0, 0, 0};
    weft_value_t v;
    char et[128];
    int r, err = 0;
    if (!(tag & PRINT_VALID))
        return failf(ctx, "io.print: no state (create was not run)");
    f = (tag & PRINT_STDERR) ? stderr : stdout;
    name = (tag & PRINT_STDERR) ? "stderr" : "stdout";
    v = H->input(ctx, 0);
    if (v == WEFT_NO_VALUE)
        return failf(ctx, "io.print: input 'value' has no value (%s)",
                     reason(ctx));
    r = render(ctx, &b, v, 1, 0);
    if (r == 0 && (tag & PRINT_NEWLINE)) put(&b, "\n", 1);
    if (r != 0 || b.error) {
        free(b.p);
        if (r == -2)
            return failf(ctx, "io.print: value nested deeper than %d levels",
                         IO_MAX_DEPTH);
        if (r == -1)
            return failf(ctx, "io.print: cannot read the value: %s",
                         reason(ctx));
        if (b.error == 2)
            return failf(ctx, "io.print: text would exceed %lu bytes",
                         (unsigned long)IO_MAX_TEXT);
        return failf(ctx, "io.print: out of memory");
    }
    /* One fwrite: stdio locks the stream per call, so lines printed by
     * concurrent nodes do not interleave. */
    errno = 0;
    if (b.len > 0 && fwrite(b.p, 1, b.len, f) != b.len) err = errno ? errno : EIO;
    if (fflush(f) != 0 && err == 0) err = errno ? errno : EIO;
    free(b.p);
    if (err != 0) {
        clearerr(f);
        return failf(ctx, "io.print: cannot write to %s: %s", name,
                     errtext(err, et, sizeof et));
    }
    if (H->output(ctx, 0, v) != WEFT_OK)
        return failf(ctx, "io.print: cannot write output 'done': %s",
                     reason(ctx));
    return WEFT_OK;
}

/* ------------------------------------------------------------------------ */
/* Descriptors and entry                                                    */
/* ------------------------------------------------------------------------ */

#define IO_FLAGS (WEFT_NODE_THREAD_SAFE | WEFT_NODE_BLOCKING)

static const weft_port_t read_in[] = {
    {"path", WEFT_TYPE_STRING, 0, NULL, "file to read"},
    WEFT_PORTS_END};
static const weft_port_t read_out[] = {
    {"content", WEFT_TYPE_ANY, 0, NULL,
     "the whole file: a string, or bytes when binary is true"},
    WEFT_PORTS_END};
static const weft_port_t read_params[] = {
    {"binary", WEFT_TYPE_BOOL, WEFT_PORT_OPTIONAL, "false",
     "output bytes instead of a UTF-8 string"},
    {"max_bytes", WEFT_TYPE_INT, WEFT_PORT_OPTIONAL, IO_DEFAULT_MAX_READ,
     "refuse files larger than this many bytes"},
    WEFT_PORTS_END};
static const weft_port_t write_in[] = {
    {"path", WEFT_TYPE_STRING, 0, NULL, "file to create or replace"},
    {"content", WEFT_TYPE_ANY, 0, NULL, "a string or bytes"},
    WEFT_PORTS_END};
static const weft_port_t written_out[] = {
    {"bytes_written", WEFT_TYPE_INT, 0, NULL, "number of bytes written"},
    WEFT_PORTS_END};
static const weft_port_t append_in[] = {
    {"path", WEFT_TYPE_STRING, 0, NULL, "file to append to (created if absent)"},
    {"line", WEFT_TYPE_STRING, 0, NULL, "text to append; a newline is added"},
    WEFT_PORTS_END};
static const weft_port_t print_in[] = {
    {"value", WEFT_TYPE_ANY, 0, NULL,
     "what to print: strings raw, other values as JSON-ish text"},
    WEFT_PORTS_END};
static const weft_port_t print_out[] = {
    {"done", WEFT_TYPE_ANY, WEFT_PORT_OPTIONAL, NULL,
     "the printed value, passed through once it is written"},
    WEFT_PORTS_END};
static const weft_port_t print_params[] = {
    {"stream", WEFT_TYPE_STRING, WEFT_PORT_OPTIONAL, "\"stdout\"",
     "\"stdout\" or \"stderr\""},
    {"newline", WEFT_TYPE_BOOL, WEFT_PORT_OPTIONAL, "true",
     "write a newline after the value"},
    WEFT_PORTS_END};

static const weft_node_desc_t nodes[] = {
    {.struct_size = sizeof(weft_node_desc_t),
     .name = "read_file",
     .summary = "reads a whole file as a UTF-8 string (or bytes)",
     .inputs = read_in,
     .outputs = read_out,
     .params = read_params,
     .flags = IO_FLAGS,
     .run = run_read_file},
    {.struct_size = sizeof(weft_node_desc_t),
     .name = "write_file",
     .summary = "creates or replaces a file with a string or bytes",
     .inputs = write_in,
     .outputs = written_out,
     .flags = IO_FLAGS,
     .run = run_write_file},
    {.struct_size = sizeof(weft_node_desc_t),
     .name = "append_line",
     .summary = "appends line + \"\\n\" to a file, creating it if needed",
     .inputs = append_in,
     .outputs = written_out,
     .flags = IO_FLAGS,
     .run = run_append_line},
    {.struct_size = sizeof(weft_node_desc_t),
     .name = "print",
     .summary = "writes a value to stdout or stderr and flushes",
     .inputs = print_in,
     .outputs = print_out,
     .params = print_params,
     .flags = IO_FLAGS,
     .create = print_create,
     .run = run_print},
    {.struct_size = 0}};

static weft_status_t io_init(const weft_host_t *host, weft_registry_t *reg)
{
    size_t i;
    if (host == NULL) return WEFT_ERR_INVALID;
    if (host->struct_size < WEFT_HOST_HAS(registry_fail))
        return WEFT_ERR_VERSION;
    if (host->struct_size < WEFT_HOST_HAS(output_double))
        return host->registry_fail(reg, "io: host function table is too "
                                        "small for plugin ABI v1");
    if (H != host) H = host; /* a second init (another engine) writes nothing: no race with running nodes */
    for (i = 0; nodes[i].name != NULL; i++) {
        weft_status_t st = host->register_node(reg, &nodes[i]);
        if (st != WEFT_OK) {
            char msg[256];
            snprintf(msg, sizeof msg,
                     "io: the host refused node 'io.%s' (status %d)",
                     nodes[i].name, (int)st);
            return host->registry_fail(reg, msg);
        }
    }
    return WEFT_OK;
}

WEFT_PLUGIN("io", "1.0.0", "File and console I/O: read_file, write_file, "
                           "append_line, print",
            io_init, NULL);
