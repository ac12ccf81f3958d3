/* A plugin publishing plain C functions (ABI v2 register_function): Weft
 * calls them through libffi; no node glue. */
#include <weft/plugin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double hypot3(double x, double y, double z) { return sqrt(x * x + y * y + z * z); }
static void minmax(int64_t a, int64_t b, int64_t *lo, int64_t *hi) { *lo = a < b ? a : b; *hi = a < b ? b : a; }
static int frees;
static const char *shout(const char *s) {
    size_t n = strlen(s);
    char *out = malloc(n + 2);
    if (!out) return NULL;
    for (size_t i = 0; i < n; i++) out[i] = (s[i] >= 'a' && s[i] <= 'z') ? (char)(s[i] - 32) : s[i];
    out[n] = '!';
    out[n + 1] = '\0';
    return out;
}
static void shout_free(void *p) { frees++; free(p); }
static int64_t freed(void) { return frees; }

static weft_status_t fn_init(const weft_host_t *h, weft_registry_t *r) {
    if (h->struct_size < WEFT_HOST_HAS(register_function)) return h->registry_fail(r, "needs ABI v2 (register_function)");
    weft_function_desc_t d[] = {
        {sizeof(weft_function_desc_t), "hypot3", "double hypot3(double x, double y, double z)", "Length of a 3-vector.",
         (void (*)(void))hypot3, NULL},
        {sizeof(weft_function_desc_t), "minmax", "void minmax(int64_t a, int64_t b, int64_t *lo, int64_t *hi)",
         "Smaller and larger of two ints.", (void (*)(void))minmax, NULL},
        {sizeof(weft_function_desc_t), "shout", "const char *shout(const char *text)", "Upper case plus '!'.",
         (void (*)(void))shout, shout_free},
        {sizeof(weft_function_desc_t), "freed", "int64_t freed(void)", "How many strings shout_free freed.",
         (void (*)(void))freed, NULL},
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        weft_status_t st = h->register_function(r, &d[i]);
        if (st != WEFT_OK) return st;
    }
    return WEFT_OK;
}
WEFT_PLUGIN("functions", "1.0", "Plain C functions as nodes", fn_init, NULL);
