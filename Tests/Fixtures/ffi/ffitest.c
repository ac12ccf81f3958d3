/* A small C library for the libffi binder's tests (FFIFunctionTests).
 * Built by the tests with: cc -std=c99 -shared -fPIC -o libffitest.so ffitest.c
 * Every function is thread-safe except where a comment says otherwise. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Identity functions: every scalar type at its limits round-trips. */
bool fx_id_bool(bool x) { return x; }
int8_t fx_id_int8(int8_t x) { return x; }
int16_t fx_id_int16(int16_t x) { return x; }
int32_t fx_id_int32(int32_t x) { return x; }
int64_t fx_id_int64(int64_t x) { return x; }
uint8_t fx_id_uint8(uint8_t x) { return x; }
uint16_t fx_id_uint16(uint16_t x) { return x; }
uint32_t fx_id_uint32(uint32_t x) { return x; }
uint64_t fx_id_uint64(uint64_t x) { return x; }
float fx_id_float(float x) { return x; }
double fx_id_double(double x) { return x; }
size_t fx_id_size(size_t x) { return x; }

/* Values the Swift side cannot pass in: returned from C. */
uint64_t fx_uint64_max(void) { return UINT64_MAX; }
uint64_t fx_uint64_above_int64(void) { return (uint64_t)INT64_MAX + 1u; }
size_t fx_size_max(void) { return SIZE_MAX; }

/* Narrow types: checks the caller extended them correctly. A bool argument
 * that is not exactly 0 or 1 in its register would break `!x`. */
int32_t fx_not_bool(bool x) { return !x ? 1 : 0; }
int64_t fx_widen_int8(int8_t x) { return (int64_t)x; }
uint64_t fx_widen_uint16(uint16_t x) { return (uint64_t)x; }
/* Returns -1 in an int8_t: the result must come back sign-extended. */
int8_t fx_minus_one_int8(void) { return -1; }
uint8_t fx_ff_uint8(void) { return 0xFF; }

/* Out parameters. */
void fx_divmod(int64_t a, int64_t b, int64_t *q, int64_t *r) {
    *q = a / b;
    *r = a % b;
}
/* Writes nothing: the out values must come back zeroed. */
void fx_leave_outs(int32_t *a, double *b, bool *c) { (void)a; (void)b; (void)c; }
/* Several out types at once. */
int32_t fx_outs_mixed(int8_t seed, int8_t *i8, uint16_t *u16, float *f, bool *b, uint64_t *u64) {
    *i8 = seed;
    *u16 = 65535;
    *f = 0.5f;
    *b = seed < 0;
    *u64 = 12345678901234567ull;
    return 7;
}

/* Strings in. */
size_t fx_count_a(const char *s) {
    size_t n = 0;
    for (; *s; s++) if (*s == 'a') n++;
    return n;
}
/* Length of a string in bytes, or SIZE_MAX for NULL. */
size_t fx_strlen_or_max(const char *s) { return s ? strlen(s) : SIZE_MAX; }

/* Strings out. */
static const char borrowed[] = "borrowed h\xC3\xA9llo";
const char *fx_static_string(void) { return borrowed; }
const char *fx_null_string(void) { return NULL; }
static const char bad_utf8[] = "bad \xFF\xFE utf8";
const char *fx_invalid_utf8(void) { return bad_utf8; }

static atomic_long frees;
/* Owned string: a malloc'd copy of `s` with a suffix; free with fx_free. */
char *fx_owned_concat(const char *s, int32_t n) {
    size_t len = strlen(s);
    char *out = malloc(len + 16);
    if (!out) return NULL;
    memcpy(out, s, len);
    out[len] = '#';
    size_t i = len + 1;
    if (n < 0) { out[i++] = '-'; n = -n; }
    char digits[12];
    int d = 0;
    do { digits[d++] = (char)('0' + n % 10); n /= 10; } while (n > 0);
    while (d > 0) out[i++] = digits[--d];
    out[i] = '\0';
    return out;
}
/* Owned but invalid UTF-8: still must be freed exactly once. */
char *fx_owned_invalid(void) {
    char *out = malloc(4);
    if (!out) return NULL;
    out[0] = 'x'; out[1] = (char)0xC3; out[2] = '('; out[3] = '\0';
    return out;
}
/* Owned-string function that returns NULL: fx_free must not be needed. */
char *fx_owned_null(void) { return NULL; }
/* Counts its calls; tolerates NULL like free(). */
void fx_free(void *p) {
    if (p) atomic_fetch_add(&frees, 1);
    free(p);
}
int64_t fx_free_count(void) { return (int64_t)atomic_load(&frees); }

/* Bytes in. */
uint32_t fx_sum_bytes(const uint8_t *p, size_t n) {
    uint32_t s = 0;
    for (size_t i = 0; i < n; i++) s += p[i];
    return s;
}
/* 1 when the buffer pointer is not NULL. */
bool fx_bytes_nonnull(const void *p, size_t n) { (void)n; return p != NULL; }
/* Bytes between other arguments: a*1000 + sum(p) + b. */
int64_t fx_bytes_between(int32_t a, const uint8_t *p, size_t n, int32_t b) {
    int64_t s = (int64_t)a * 1000 + b;
    for (size_t i = 0; i < n; i++) s += p[i];
    return s;
}

/* Many arguments: 8 doubles and 8 integers fill the x86-64 SSE registers and
 * overflow the 6 integer registers; the rest go on the stack. Each value is
 * weighted by its position so a swapped argument is caught. */
double fx_mix16(double d1, int64_t i1, double d2, int32_t i2, double d3, int16_t i3, double d4, int8_t i4,
                double d5, uint64_t i5, double d6, uint32_t i6, double d7, uint16_t i7, double d8, uint8_t i8) {
    return d1 * 1 + d2 * 2 + d3 * 3 + d4 * 4 + d5 * 5 + d6 * 6 + d7 * 7 + d8 * 8
         + (double)i1 * 10 + (double)i2 * 20 + (double)i3 * 30 + (double)i4 * 40
         + (double)i5 * 50 + (double)i6 * 60 + (double)i7 * 70 + (double)i8 * 80;
}
/* Ten doubles, ten int64s and a float past the registers. */
double fx_many(double a0, double a1, double a2, double a3, double a4, double a5, double a6, double a7,
               double a8, double a9, int64_t b0, int64_t b1, int64_t b2, int64_t b3, int64_t b4,
               int64_t b5, int64_t b6, int64_t b7, int64_t b8, int64_t b9, float f) {
    double a[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9};
    int64_t b[] = {b0, b1, b2, b3, b4, b5, b6, b7, b8, b9};
    double s = 0;
    for (int i = 0; i < 10; i++) s += a[i] * (i + 1) + (double)b[i] * (i + 101);
    return s + (double)f * 1000;
}
/* Mixed strings, bytes, out params and scalars in one call. */
int64_t fx_kitchen(const char *s, double scale, const uint8_t *p, size_t n, bool neg, int64_t *len, double *scaled) {
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) sum += p[i];
    *len = (int64_t)strlen(s);
    *scaled = (double)*len * scale;
    return neg ? -sum : sum;
}
/* Used by the threads test: a cheap, pure function of its arguments. */
int64_t fx_mul_add(int64_t a, int64_t b, int64_t c) { return a * b + c; }
