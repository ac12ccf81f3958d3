#ifndef CWEFT_SHIMS_H
#define CWEFT_SHIMS_H
#include <stdint.h>
/* Tiny C helpers Swift cannot express: the thread-local "current call" and
 * "current registration" that host functions check every handle against,
 * so a plugin passing a stale, foreign or other-thread pointer gets an error
 * instead of a crash. */
/* ---- The scalar fast path of the host functions -------------------------
 * input_int, input_double, output_int, output_double, input_bool and
 * output_bool are the calls a numeric node makes on every run. The host serves them here, in C, from a
 * "frame" the Swift side fills before each run: the call's number inputs
 * and room for number outputs. Anything else — another kind, a port that
 * needs a conversion this does not do, a misuse — goes to the Swift
 * implementation (the `slow` pointers), which gives the full checks and
 * messages. Never used outside the run phase (the frame's run_ctx is NULL). */
enum {
    WEFT_SHIM_NONE = 0,    /* no number here: ask the slow path */
    WEFT_SHIM_INT = 1,
    WEFT_SHIM_DOUBLE = 2,
    /* Host-side kinds the fast path never answers (it asks the slow path):
     * a value of another kind, kept beside the number by the host, and an
     * input slot whose edge delivered "dead". */
    WEFT_SHIM_BOOL = 3,    /* bits 0 or 1 */
    WEFT_SHIM_BOXED = 4,
    WEFT_SHIM_DEAD = 5,
};
/* Per output port, what the fast path may write (bits). */
enum {
    WEFT_SHIM_ACCEPT_INT = 1,        /* an int is stored as an int */
    WEFT_SHIM_ACCEPT_DOUBLE = 2,     /* a double is stored as a double */
    WEFT_SHIM_WIDEN_INT = 4,         /* an int is stored as a double (double port) */
    WEFT_SHIM_ACCEPT_BOOL = 8,       /* a bool is stored as a bool */
};
typedef struct weft_shim_number {
    int64_t bits;      /* the int, or the double's bit pattern */
    int32_t kind;      /* WEFT_SHIM_* */
    int32_t taken;     /* outputs: written in this run (by either path) */
} weft_shim_number_t;
/* One per host call context; the thread's current call is the one frame
 * its thread-local points at (one load and one store to enter or leave a
 * call, whatever its phase). */
typedef struct weft_shim_frame {
    void *run_ctx;                    /* the live ctx during a node's run, else NULL (the fast path's key) */
    void *ctx;                        /* the live ctx of the call in any phase (create, run, emit), or NULL */
    void *call;                       /* the host's call context behind it (unretained) */
    int32_t input_count, output_count;
    weft_shim_number_t *inputs;       /* input_count entries */
    weft_shim_number_t *outputs;      /* output_count entries */
    const uint8_t *accept;            /* output_count entries, WEFT_SHIM_ACCEPT_* */
} weft_shim_frame_t;
/* The current call of this thread, or NULL. Inline, so a host function's
 * check costs a TLS load and no call (initial-exec: no __tls_get_addr,
 * even in libweft.so). Host functions check every ctx and handle against
 * it, so a plugin passing a stale, foreign or other-thread pointer gets an
 * error instead of a crash. */
extern __attribute__((visibility("hidden"), tls_model("initial-exec"))) _Thread_local weft_shim_frame_t *weft_shim_tls_frame;
static inline weft_shim_frame_t *weft_shim_current_frame(void) { return weft_shim_tls_frame; }
static inline void weft_shim_set_current_frame(weft_shim_frame_t *f) { weft_shim_tls_frame = f; }
static inline void *weft_shim_current_ctx(void) { weft_shim_frame_t *f = weft_shim_tls_frame; return f ? f->ctx : 0; }
static inline void *weft_shim_current_call(void) { weft_shim_frame_t *f = weft_shim_tls_frame; return f ? f->call : 0; }

struct weft_ctx;
typedef int32_t (*weft_shim_input_int_fn)(struct weft_ctx *, int32_t, int64_t *);
typedef int32_t (*weft_shim_input_double_fn)(struct weft_ctx *, int32_t, double *);
typedef int32_t (*weft_shim_output_int_fn)(struct weft_ctx *, int32_t, int64_t);
typedef int32_t (*weft_shim_output_double_fn)(struct weft_ctx *, int32_t, double);
typedef int32_t (*weft_shim_input_bool_fn)(struct weft_ctx *, int32_t, int32_t *);
typedef int32_t (*weft_shim_output_bool_fn)(struct weft_ctx *, int32_t, int32_t);
/* The Swift implementations, set once when the host table is built. */
void weft_shim_set_slow_paths(weft_shim_input_int_fn input_int, weft_shim_input_double_fn input_double,
                              weft_shim_output_int_fn output_int, weft_shim_output_double_fn output_double,
                              weft_shim_input_bool_fn input_bool, weft_shim_output_bool_fn output_bool);
int32_t weft_shim_input_int(struct weft_ctx *ctx, int32_t index, int64_t *out);
int32_t weft_shim_input_double(struct weft_ctx *ctx, int32_t index, double *out);
int32_t weft_shim_output_int(struct weft_ctx *ctx, int32_t index, int64_t v);
int32_t weft_shim_output_double(struct weft_ctx *ctx, int32_t index, double v);
int32_t weft_shim_input_bool(struct weft_ctx *ctx, int32_t index, int32_t *out);
int32_t weft_shim_output_bool(struct weft_ctx *ctx, int32_t index, int32_t v);

void *weft_shim_current_registry(void);
/* An address no plugin hands out: a node instance's state before create
 * and after close (a constant, not a lazily made Swift global: those are
 * initialised behind a once-guard the thread sanitizer cannot see). */
void *weft_shim_no_state(void);
void weft_shim_set_current_registry(void *reg);
/* The embedding API's per-thread last-error message (weft_last_error):
 * a malloc'd copy per thread, freed when the thread exits or is replaced. */
void weft_shim_set_last_error(const char *message);
const char *weft_shim_last_error(void);
/* For batch processes (the CLI): keep freed memory instead of returning it
 * to the kernel (mallopt M_TRIM_THRESHOLD) and serve blocks up to
 * mmap_max bytes from the heap (M_MMAP_THRESHOLD). */
void weft_shim_keep_freed_memory(long mmap_max, long trim);
/* The path of the file this code is linked into (dladdr), or NULL. */
const char *weft_shim_own_path(void);
#endif
