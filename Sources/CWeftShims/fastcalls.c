/* The scalar fast path of four host functions (see CWeftShims.h). Each
 * either answers from the current thread's frame or hands the call, with
 * the same arguments, to the Swift implementation: the answers are the
 * ones the Swift code would give, only without its bookkeeping. */
#include "CWeftShims.h"
#include <string.h>

_Thread_local weft_shim_frame_t *weft_shim_tls_frame;

static weft_shim_input_int_fn slow_input_int;
static weft_shim_input_double_fn slow_input_double;
static weft_shim_output_int_fn slow_output_int;
static weft_shim_output_double_fn slow_output_double;
static weft_shim_input_bool_fn slow_input_bool;
static weft_shim_output_bool_fn slow_output_bool;

void weft_shim_set_slow_paths(weft_shim_input_int_fn input_int, weft_shim_input_double_fn input_double,
                              weft_shim_output_int_fn output_int, weft_shim_output_double_fn output_double,
                              weft_shim_input_bool_fn input_bool, weft_shim_output_bool_fn output_bool)
{
    slow_input_int = input_int;
    slow_input_double = input_double;
    slow_output_int = output_int;
    slow_output_double = output_double;
    slow_input_bool = input_bool;
    slow_output_bool = output_bool;
}

/* The frame of the live run `ctx` belongs to, or NULL (not a run, another
 * thread, a stale ctx: the slow path says which). */
static inline weft_shim_frame_t *frame_of(struct weft_ctx *ctx)
{
    weft_shim_frame_t *f = weft_shim_tls_frame;
    return (f != NULL && ctx != NULL && f->run_ctx == (void *)ctx) ? f : NULL;
}

int32_t weft_shim_input_int(struct weft_ctx *ctx, int32_t index, int64_t *out)
{
    weft_shim_frame_t *f = frame_of(ctx);
    if (f != NULL && out != NULL && index >= 0 && index < f->input_count
        && f->inputs[index].kind == WEFT_SHIM_INT) {
        *out = f->inputs[index].bits;
        return 0;
    }
    return slow_input_int(ctx, index, out);
}

int32_t weft_shim_input_double(struct weft_ctx *ctx, int32_t index, double *out)
{
    weft_shim_frame_t *f = frame_of(ctx);
    if (f != NULL && out != NULL && index >= 0 && index < f->input_count) {
        const weft_shim_number_t *n = &f->inputs[index];
        if (n->kind == WEFT_SHIM_DOUBLE) {
            memcpy(out, &n->bits, sizeof *out);
            return 0;
        }
        if (n->kind == WEFT_SHIM_INT) {
            *out = (double)n->bits;
            return 0;
        }
    }
    return slow_input_double(ctx, index, out);
}

int32_t weft_shim_output_int(struct weft_ctx *ctx, int32_t index, int64_t v)
{
    weft_shim_frame_t *f = frame_of(ctx);
    if (f != NULL && index >= 0 && index < f->output_count && !f->outputs[index].taken) {
        uint8_t accept = f->accept[index];
        weft_shim_number_t *n = &f->outputs[index];
        if (accept & WEFT_SHIM_ACCEPT_INT) {
            weft_shim_store_number(n, v, WEFT_SHIM_INT, 1);
            return 0;
        }
        if (accept & WEFT_SHIM_WIDEN_INT) {
            double d = (double)v;
            int64_t bits;
            memcpy(&bits, &d, sizeof d);
            weft_shim_store_number(n, bits, WEFT_SHIM_DOUBLE, 1);
            return 0;
        }
    }
    return slow_output_int(ctx, index, v);
}

int32_t weft_shim_output_double(struct weft_ctx *ctx, int32_t index, double v)
{
    weft_shim_frame_t *f = frame_of(ctx);
    if (f != NULL && index >= 0 && index < f->output_count && !f->outputs[index].taken
        && (f->accept[index] & WEFT_SHIM_ACCEPT_DOUBLE)) {
        weft_shim_number_t *n = &f->outputs[index];
        int64_t bits;
        memcpy(&bits, &v, sizeof v);
        weft_shim_store_number(n, bits, WEFT_SHIM_DOUBLE, 1);
        return 0;
    }
    return slow_output_double(ctx, index, v);
}

int32_t weft_shim_input_bool(struct weft_ctx *ctx, int32_t index, int32_t *out)
{
    weft_shim_frame_t *f = frame_of(ctx);
    if (f != NULL && out != NULL && index >= 0 && index < f->input_count
        && f->inputs[index].kind == WEFT_SHIM_BOOL) {
        *out = f->inputs[index].bits != 0;
        return 0;
    }
    return slow_input_bool(ctx, index, out);
}

int32_t weft_shim_output_bool(struct weft_ctx *ctx, int32_t index, int32_t v)
{
    weft_shim_frame_t *f = frame_of(ctx);
    if (f != NULL && index >= 0 && index < f->output_count && !f->outputs[index].taken
        && (f->accept[index] & WEFT_SHIM_ACCEPT_BOOL)) {
        weft_shim_number_t *n = &f->outputs[index];
        weft_shim_store_number(n, v != 0, WEFT_SHIM_BOOL, 1);
        return 0;
    }
    return slow_output_bool(ctx, index, v);
}
