/*
 * std_math.c — arithmetic (add sub mul div mod neg abs min max), comparison
 * (eq ne lt le gt ge), boolean logic (and or xor not) and std.branch.
 *
 * Arithmetic follows one rule: the result is an int when every operand is
 * an int, else a double. Integer overflow and division by zero are reported
 * with host->fail (never undefined behaviour); so is a double result that
 * is not finite (inf/nan) when the operands were finite.
 */
#include "std_internal.h"

#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const weft_host_t *H;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static int is_finite(double d) { return d == d && d <= DBL_MAX && d >= -DBL_MAX; }

/* The text of a number for messages; `out` holds 48 bytes. */
static const char *num_text(const std_num_t *n, char *out)
{
    if (n->is_int) snprintf(out, 48, "%" PRId64, n->i);
    else std_format_double(n->d, out);
    return out;
}

/* Exact floating-point remainder with the sign of x, like C's fmod, done on
 * the bits so the plugin needs no libm. x and y finite, y != 0. */
static double rem_double(double x, double y)
{
    uint64_t ux, uy, i, sx;
    int ex, ey;
    double r;
    memcpy(&ux, &x, sizeof ux);
    memcpy(&uy, &y, sizeof uy);
    ex = (int)(ux >> 52 & 0x7ff);
    ey = (int)(uy >> 52 & 0x7ff);
    sx = ux >> 63;
    if ((ux << 1) <= (uy << 1)) {
        if ((ux << 1) == (uy << 1)) return 0 * x;  /* |x| == |y|: signed 0 */
        return x;                                  /* |x| < |y| */
    }
    /* Mantissas with the implicit bit; normalise subnormals. */
    if (ex == 0) {
        for (i = ux << 12; (i >> 63) == 0; ex--, i <<= 1) {}
        ux <<= -ex + 1;
    } else {
        ux &= (~(uint64_t)0) >> 12;
        ux |= (uint64_t)1 << 52;
    }
    if (ey == 0) {
        for (i = uy << 12; (i >> 63) == 0; ey--, i <<= 1) {}
        uy <<= -ey + 1;
    } else {
        uy &= (~(uint64_t)0) >> 12;
        uy |= (uint64_t)1 << 52;
    }
    /* Long division, one bit at a time: x mod y. */
    for (; ex > ey; ex--) {
        i = ux - uy;
        if ((i >> 63) == 0) {
            if (i == 0) return 0 * x;
            ux = i;
        }
        ux <<= 1;
    }
    i = ux - uy;
    if ((i >> 63) == 0) {
        if (i == 0) return 0 * x;
        ux = i;
    }
    for (; (ux >> 52) == 0; ux <<= 1, ex--) {}
    /* Back to a double (the result can be subnormal). */
    if (ex > 0) {
        ux -= (uint64_t)1 << 52;
        ux |= (uint64_t)ex << 52;
    } else {
        ux >>= -ex + 1;
    }
    ux |= sx << 63;
    memcpy(&r, &ux, sizeof r);
    return r;
}

/* Overflow tests that never overflow themselves. */
static int add_overflows(int64_t a, int64_t b)
{
    return (b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b);
}

static int sub_overflows(int64_t a, int64_t b)
{
    return (b < 0 && a > INT64_MAX + b) || (b > 0 && a < INT64_MIN + b);
}

static int mul_overflows(int64_t a, int64_t b)
{
    if (a == 0 || b == 0) return 0;
    if (a > 0) {
        if (b > 0) return a > INT64_MAX / b;
        return b < INT64_MIN / a;
    }
    if (b > 0) return a < INT64_MIN / b;
    return a < INT64_MAX / b;
}

/* ------------------------------------------------------------------------ */
/* Arithmetic                                                               */
/* ------------------------------------------------------------------------ */

enum arith_op { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_MIN, OP_MAX };

static weft_status_t arith(weft_ctx_t *ctx, const char *node, enum arith_op op)
{
    std_num_t a, b;
    char ta[48], tb[48];
    weft_status_t st;
    if ((st = std_in_number(ctx, node, 0, "a", &a)) != WEFT_OK) return st;
    if ((st = std_in_number(ctx, node, 1, "b", &b)) != WEFT_OK) return st;

    if (a.is_int && b.is_int) {
        int64_t r = 0;
        switch (op) {
        case OP_ADD:
            if (add_overflows(a.i, b.i)) goto overflow;
            r = a.i + b.i;
            break;
        case OP_SUB:
            if (sub_overflows(a.i, b.i)) goto overflow;
            r = a.i - b.i;
            break;
        case OP_MUL:
            if (mul_overflows(a.i, b.i)) goto overflow;
            r = a.i * b.i;
            break;
        case OP_DIV:
            if (b.i == 0) goto div_zero;
            if (a.i == INT64_MIN && b.i == -1) goto overflow;
            r = a.i / b.i;
            break;
        case OP_MOD:
            if (b.i == 0) goto div_zero;
            r = (b.i == -1) ? 0 : a.i % b.i;  /* INT64_MIN % -1 is UB in C */
            break;
        case OP_MIN:
            r = a.i < b.i ? a.i : b.i;
            break;
        case OP_MAX:
            r = a.i > b.i ? a.i : b.i;
            break;
        }
        if (H->output_int(ctx, 0, r) != WEFT_OK)
            return std_failf(ctx, "std.%s: cannot write output 'result': %s",
                             node, std_host_reason(ctx));
        return WEFT_OK;
    } else {
        double r = 0;
        switch (op) {
        case OP_ADD: r = a.d + b.d; break;
        case OP_SUB: r = a.d - b.d; break;
        case OP_MUL: r = a.d * b.d; break;
        case OP_DIV:
            if (b.d == 0) goto div_zero;
            r = a.d / b.d;
            break;
        case OP_MOD:
            if (b.d == 0) goto div_zero;
            /* fmod semantics when a host passes non-finite doubles: a
             * inf/nan gives nan, b nan gives nan, b inf gives a. */
            if (!is_finite(a.d)) r = a.d - a.d;
            else if (b.d != b.d) r = b.d;
            else if (!is_finite(b.d)) r = a.d;
            else r = rem_double(a.d, b.d);
            break;
        case OP_MIN:
            if (a.is_int) r = std_cmp_int_double(a.i, b.d) == 1 ? b.d : a.d;
            else if (b.is_int) r = std_cmp_int_double(b.i, a.d) == -1 ? b.d : a.d;
            else r = b.d < a.d ? b.d : a.d;
            break;
        case OP_MAX:
            if (a.is_int) r = std_cmp_int_double(a.i, b.d) == -1 ? b.d : a.d;
            else if (b.is_int) r = std_cmp_int_double(b.i, a.d) == 1 ? b.d : a.d;
            else r = b.d > a.d ? b.d : a.d;
            break;
        }
        if (!is_finite(r) && is_finite(a.d) && is_finite(b.d))
            return std_failf(ctx, "std.%s: result is not a finite number "
                                  "(a=%s, b=%s)", node, num_text(&a, ta),
                             num_text(&b, tb));
        if (H->output_double(ctx, 0, r) != WEFT_OK)
            return std_failf(ctx, "std.%s: cannot write output 'result': %s",
                             node, std_host_reason(ctx));
        return WEFT_OK;
    }
overflow:
    return std_failf(ctx, "std.%s: integer overflow (a=%s, b=%s)", node,
                     num_text(&a, ta), num_text(&b, tb));
div_zero:
    return std_failf(ctx, "std.%s: division by zero (a=%s, b=%s)", node,
                     num_text(&a, ta), num_text(&b, tb));
}

static weft_status_t run_add(weft_ctx_t *c, void *s) { (void)s; return arith(c, "add", OP_ADD); }
static weft_status_t run_sub(weft_ctx_t *c, void *s) { (void)s; return arith(c, "sub", OP_SUB); }
static weft_status_t run_mul(weft_ctx_t *c, void *s) { (void)s; return arith(c, "mul", OP_MUL); }
static weft_status_t run_div(weft_ctx_t *c, void *s) { (void)s; return arith(c, "div", OP_DIV); }
static weft_status_t run_mod(weft_ctx_t *c, void *s) { (void)s; return arith(c, "mod", OP_MOD); }
static weft_status_t run_min(weft_ctx_t *c, void *s) { (void)s; return arith(c, "min", OP_MIN); }
static weft_status_t run_max(weft_ctx_t *c, void *s) { (void)s; return arith(c, "max", OP_MAX); }

static weft_status_t unary(weft_ctx_t *ctx, const char *node, int is_abs)
{
    std_num_t a;
    char ta[48];
    weft_status_t st;
    if ((st = std_in_number(ctx, node, 0, "a", &a)) != WEFT_OK) return st;
    if (a.is_int) {
        if (a.i == INT64_MIN)
            return std_failf(ctx, "std.%s: integer overflow (a=%s)", node,
                             num_text(&a, ta));
        st = H->output_int(ctx, 0, (is_abs && a.i >= 0) ? a.i : -a.i);
    } else {
        /* 0.0 - d turns -0.0 into +0.0 for abs. */
        double r = is_abs ? (a.d <= 0.0 ? 0.0 - a.d : a.d) : -a.d;
        st = H->output_double(ctx, 0, r);
    }
    if (st != WEFT_OK)
        return std_failf(ctx, "std.%s: cannot write output 'result': %s", node,
                         std_host_reason(ctx));
    return WEFT_OK;
}

static weft_status_t run_neg(weft_ctx_t *c, void *s) { (void)s; return unary(c, "neg", 0); }
static weft_status_t run_abs(weft_ctx_t *c, void *s) { (void)s; return unary(c, "abs", 1); }

/* ------------------------------------------------------------------------ */
/* Comparison                                                               */
/* ------------------------------------------------------------------------ */

static weft_status_t out_bool(weft_ctx_t *ctx, const char *node, int b)
{
    /* Without a value handle where the host has the shortcut. */
    if (H->struct_size >= WEFT_HOST_HAS(output_bool)) {
        if (H->output_bool(ctx, 0, b ? 1 : 0) != WEFT_OK)
            return std_failf(ctx, "std.%s: cannot write output 'result': %s",
                             node, std_host_reason(ctx));
        return WEFT_OK;
    }
    return std_out(ctx, node, 0, "result", H->bool_new(ctx, b ? 1 : 0));
}

static weft_status_t run_equality(weft_ctx_t *ctx, const char *node, int want)
{
    weft_value_t a, b;
    weft_status_t st;
    int eq;
    if ((st = std_in_value(ctx, node, 0, "a", &a)) != WEFT_OK) return st;
    if ((st = std_in_value(ctx, node, 1, "b", &b)) != WEFT_OK) return st;
    eq = std_equal(ctx, node, a, b, 0);
    if (eq < 0) return WEFT_ERR_FAILED;
    return out_bool(ctx, node, eq == want);
}

static weft_status_t run_eq(weft_ctx_t *c, void *s) { (void)s; return run_equality(c, "eq", 1); }
static weft_status_t run_ne(weft_ctx_t *c, void *s) { (void)s; return run_equality(c, "ne", 0); }

enum cmp_op { CMP_LT, CMP_LE, CMP_GT, CMP_GE };

static int is_number(weft_type_t t)
{
    return t == WEFT_TYPE_INT || t == WEFT_TYPE_DOUBLE;
}

static weft_status_t ordering(weft_ctx_t *ctx, const char *node, enum cmp_op op)
{
    weft_value_t a, b;
    weft_type_t ta, tb;
    weft_status_t st;
    int c; /* -1, 0, 1, or 2 = unordered (NaN) */
    int r = 0;
    std_num_t x, y;
    /* Two numbers (the common case) without value handles; anything else
     * goes the long way for its type checks and messages. */
    int numbers = std_try_number(ctx, 0, &x) && std_try_number(ctx, 1, &y);
    if (!numbers) {
        if ((st = std_in_value(ctx, node, 0, "a", &a)) != WEFT_OK) return st;
        if ((st = std_in_value(ctx, node, 1, "b", &b)) != WEFT_OK) return st;
        ta = H->type_of(ctx, a);
        tb = H->type_of(ctx, b);
    } else {
        ta = tb = WEFT_TYPE_NUMBER;
    }
    if (numbers || (is_number(ta) && is_number(tb))) {
        if (!numbers) {
            if ((st = std_in_number(ctx, node, 0, "a", &x)) != WEFT_OK) return st;
            if ((st = std_in_number(ctx, node, 1, "b", &y)) != WEFT_OK) return st;
        }
        if (x.is_int && y.is_int) c = x.i < y.i ? -1 : x.i > y.i;
        else if (x.is_int) c = std_cmp_int_double(x.i, y.d);
        else if (y.is_int) {
            c = std_cmp_int_double(y.i, x.d);
            if (c != 2) c = -c;
        } else if (x.d != x.d || y.d != y.d) c = 2;
        else c = x.d < y.d ? -1 : x.d > y.d;
    } else if (ta == WEFT_TYPE_STRING && tb == WEFT_TYPE_STRING) {
        size_t la, lb, n;
        const char *sa = H->get_string(ctx, a, &la);
        const char *sb = H->get_string(ctx, b, &lb);
        if (sa == NULL || sb == NULL)
            return std_failf(ctx, "std.%s: cannot read the strings: %s",
                             node, std_host_reason(ctx));
        n = la < lb ? la : lb;
        /* Byte order of UTF-8 is code point order. */
        c = n ? memcmp(sa, sb, n) : 0;
        c = c < 0 ? -1 : c > 0 ? 1 : (la < lb ? -1 : la > lb);
    } else {
        return std_failf(ctx, "std.%s: can only order two numbers or two "
                              "strings, got %s and %s", node,
                         std_kind_name(ta), std_kind_name(tb));
    }
    if (c != 2) {
        switch (op) {
        case CMP_LT: r = c < 0; break;
        case CMP_LE: r = c <= 0; break;
        case CMP_GT: r = c > 0; break;
        case CMP_GE: r = c >= 0; break;
        }
    }
    return out_bool(ctx, node, r);
}

static weft_status_t run_lt(weft_ctx_t *c, void *s) { (void)s; return ordering(c, "lt", CMP_LT); }
static weft_status_t run_le(weft_ctx_t *c, void *s) { (void)s; return ordering(c, "le", CMP_LE); }
static weft_status_t run_gt(weft_ctx_t *c, void *s) { (void)s; return ordering(c, "gt", CMP_GT); }
static weft_status_t run_ge(weft_ctx_t *c, void *s) { (void)s; return ordering(c, "ge", CMP_GE); }

/* ------------------------------------------------------------------------ */
/* Logic                                                                    */
/* ------------------------------------------------------------------------ */

enum logic_op { L_AND, L_OR, L_XOR };

static weft_status_t logic(weft_ctx_t *ctx, const char *node, enum logic_op op)
{
    int32_t a, b;
    weft_status_t st;
    int r = 0;
    if ((st = std_in_bool(ctx, node, 0, "a", &a)) != WEFT_OK) return st;
    if ((st = std_in_bool(ctx, node, 1, "b", &b)) != WEFT_OK) return st;
    switch (op) {
    case L_AND: r = a && b; break;
    case L_OR: r = a || b; break;
    case L_XOR: r = (a != 0) != (b != 0); break;
    }
    return out_bool(ctx, node, r);
}

static weft_status_t run_and(weft_ctx_t *c, void *s) { (void)s; return logic(c, "and", L_AND); }
static weft_status_t run_or(weft_ctx_t *c, void *s) { (void)s; return logic(c, "or", L_OR); }
static weft_status_t run_xor(weft_ctx_t *c, void *s) { (void)s; return logic(c, "xor", L_XOR); }

static weft_status_t run_not(weft_ctx_t *ctx, void *s)
{
    int32_t a;
    weft_status_t st;
    (void)s;
    if ((st = std_in_bool(ctx, "not", 0, "a", &a)) != WEFT_OK) return st;
    return out_bool(ctx, "not", !a);
}

/* ------------------------------------------------------------------------ */
/* Branch                                                                   */
/* ------------------------------------------------------------------------ */

static weft_status_t run_branch(weft_ctx_t *ctx, void *s)
{
    int32_t cond;
    weft_value_t v;
    weft_status_t st;
    int32_t port;
    (void)s;
    if ((st = std_in_bool(ctx, "branch", 0, "cond", &cond)) != WEFT_OK)
        return st;
    port = cond ? 0 : 1;
    v = H->input(ctx, 1);
    st = (v == WEFT_NO_VALUE) ? H->fire(ctx, port) : H->output(ctx, port, v);
    if (st != WEFT_OK)
        return std_failf(ctx, "std.branch: cannot write output '%s': %s",
                         cond ? "true" : "false", std_host_reason(ctx));
    return WEFT_OK;
}

/* ------------------------------------------------------------------------ */
/* Descriptors                                                              */
/* ------------------------------------------------------------------------ */

/* Every node here is a few arithmetic, comparison or logic instructions:
 * CHEAP (std.eq / std.ne compare lists deeply, but on the numbers and short
 * strings they nearly always see they are as quick; a slow type is moved to
 * the pool by measurement). */
#define PURE (WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE | WEFT_NODE_CHEAP)

static const weft_port_t num2_in[] = {
    {"a", WEFT_TYPE_NUMBER, 0, NULL, "left operand (int or double)"},
    {"b", WEFT_TYPE_NUMBER, 0, NULL, "right operand (int or double)"},
    WEFT_PORTS_END};
static const weft_port_t num1_in[] = {
    {"a", WEFT_TYPE_NUMBER, 0, NULL, "operand (int or double)"},
    WEFT_PORTS_END};
static const weft_port_t num_out[] = {
    {"result", WEFT_TYPE_NUMBER, 0, NULL,
     "int when every operand is an int, else double"},
    WEFT_PORTS_END};
static const weft_port_t any2_in[] = {
    {"a", WEFT_TYPE_ANY, 0, NULL, "left value"},
    {"b", WEFT_TYPE_ANY, 0, NULL, "right value"},
    WEFT_PORTS_END};
static const weft_port_t ord2_in[] = {
    {"a", WEFT_TYPE_ANY, 0, NULL, "left value: a number or a string"},
    {"b", WEFT_TYPE_ANY, 0, NULL, "right value: same family as a"},
    WEFT_PORTS_END};
static const weft_port_t bool2_in[] = {
    {"a", WEFT_TYPE_BOOL, 0, NULL, "left operand"},
    {"b", WEFT_TYPE_BOOL, 0, NULL, "right operand"},
    WEFT_PORTS_END};
static const weft_port_t bool1_in[] = {
    {"a", WEFT_TYPE_BOOL, 0, NULL, "operand"},
    WEFT_PORTS_END};
static const weft_port_t bool_out[] = {
    {"result", WEFT_TYPE_BOOL, 0, NULL, "the outcome"},
    WEFT_PORTS_END};
static const weft_port_t branch_in[] = {
    {"cond", WEFT_TYPE_BOOL, 0, NULL, "which way to go"},
    {"value", WEFT_TYPE_ANY, WEFT_PORT_OPTIONAL, NULL,
     "value to pass along the chosen path (null when unconnected)"},
    WEFT_PORTS_END};
static const weft_port_t branch_out[] = {
    {"true", WEFT_TYPE_ANY, WEFT_PORT_OPTIONAL, NULL,
     "fires with value when cond is true"},
    {"false", WEFT_TYPE_ANY, WEFT_PORT_OPTIONAL, NULL,
     "fires with value when cond is false"},
    WEFT_PORTS_END};

#define NODE(NAME, SUMMARY, IN, OUT, RUN) \
    {.struct_size = sizeof(weft_node_desc_t), .name = NAME, .summary = SUMMARY, .inputs = IN, .outputs = OUT, .flags = PURE, .run = RUN}

static const weft_node_desc_t nodes[] = {
    NODE("add", "a + b; int overflow fails", num2_in, num_out, run_add),
    NODE("sub", "a - b; int overflow fails", num2_in, num_out, run_sub),
    NODE("mul", "a * b; int overflow fails", num2_in, num_out, run_mul),
    NODE("div", "a / b; ints divide truncating toward zero; b = 0 fails",
         num2_in, num_out, run_div),
    NODE("mod", "remainder of a / b with the sign of a; b = 0 fails",
         num2_in, num_out, run_mod),
    NODE("neg", "-a; negating the smallest int fails", num1_in, num_out,
         run_neg),
    NODE("abs", "absolute value of a; abs of the smallest int fails",
         num1_in, num_out, run_abs),
    NODE("min", "the smaller of a and b", num2_in, num_out, run_min),
    NODE("max", "the larger of a and b", num2_in, num_out, run_max),
    NODE("eq", "a equals b (deep; 1 == 1.0; kinds otherwise must match)",
         any2_in, bool_out, run_eq),
    NODE("ne", "a does not equal b (the negation of std.eq)", any2_in,
         bool_out, run_ne),
    NODE("lt", "a < b for two numbers or two strings", ord2_in, bool_out,
         run_lt),
    NODE("le", "a <= b for two numbers or two strings", ord2_in, bool_out,
         run_le),
    NODE("gt", "a > b for two numbers or two strings", ord2_in, bool_out,
         run_gt),
    NODE("ge", "a >= b for two numbers or two strings", ord2_in, bool_out,
         run_ge),
    NODE("and", "logical a AND b", bool2_in, bool_out, run_and),
    NODE("or", "logical a OR b", bool2_in, bool_out, run_or),
    NODE("xor", "logical a XOR b", bool2_in, bool_out, run_xor),
    NODE("not", "logical NOT a", bool1_in, bool_out, run_not),
    NODE("branch", "if/else: sends value to output true or false by cond",
         branch_in, branch_out, run_branch),
    {.struct_size = 0}};

weft_status_t std_register_math(const weft_host_t *host, weft_registry_t *reg)
{
    if (H != host) H = host; /* a second init (another engine) writes nothing: no race with running nodes */
    return std_register_table(host, reg, nodes);
}
