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
/* What a call is doing (the host's CallContext.Phase). */
enum {
    WEFT_SHIM_PHASE_IDLE = 0,
    WEFT_SHIM_PHASE_CREATE = 1,
    WEFT_SHIM_PHASE_RUN = 2,
    WEFT_SHIM_PHASE_EMIT = 3,
};
/* One per host call context, holding the state of its current (or last)
 * call that both the Swift host and the C code below read and write; the
 * thread's current call is the one frame its thread-local points at (one
 * load and one store to enter or leave a call, whatever its phase). */
/* Copies a slot as one 16-byte load and store. A slot read whole right
 * after it was written must have been written whole: a wide load that
 * spans several narrower stores is not forwarded from them and stalls
 * (Swift copies the struct field by field). */
static inline void weft_shim_copy_number(weft_shim_number_t *dst, const weft_shim_number_t *src) { *dst = *src; }

/* Stores a whole slot (bits, kind, taken) as one 16-byte store, so the
 * 16-byte load that copies it on (a compiled pass's write, the next
 * step's carry) is forwarded from the store instead of stalling — field
 * by field stores cannot be forwarded to a wider load. */
typedef long long weft_shim_slot_vector __attribute__((vector_size(16), aligned(1)));
static inline void weft_shim_store_number(weft_shim_number_t *dst, int64_t bits, int32_t kind, int32_t taken)
{
    /* (A vector of two 64-bit lanes: the compiler stores it in one go; no
     * intrinsics header, which would pull system types into this module.) */
    weft_shim_slot_vector v = {bits, (long long)(((uint64_t)(uint32_t)taken << 32) | (uint32_t)kind)};
    *(weft_shim_slot_vector *)(void *)dst = v;
}

typedef struct weft_shim_frame {
    void *run_ctx;                    /* the live ctx during a node's run, else NULL (the fast path's key) */
    void *ctx;                        /* the ctx of the current (or last) call in any phase */
    void *call;                       /* the host's call context behind it (unretained) */
    int32_t input_count, output_count;
    weft_shim_number_t *inputs;       /* input_count entries */
    weft_shim_number_t *outputs;      /* output_count entries */
    const uint8_t *accept;            /* output_count entries, WEFT_SHIM_ACCEPT_* */
    void *boxed_inputs;               /* the host's values of boxed inputs, beside `inputs` */
    void *instance;                   /* the node instance called (unretained), or NULL */
    char *tokens;                     /* WEFT_SHIM_TOKEN_SPAN reserved bytes: the ctx addresses */
    uint64_t calls;                   /* calls so far: call k's ctx is tokens + k % span */
    int32_t phase;                    /* WEFT_SHIM_PHASE_* */
    int32_t dirty;                    /* the call left handles, strings or messages to clear */
    const int32_t *stop;              /* nonzero: the run is stopping (cancelled), so compiled passes
                                       * call no more node (NULL: never); see weft_shim_raise */
} weft_shim_frame_t;
/* Raises a stop flag (frame->stop): any thread, at any time. */
static inline void weft_shim_raise(int32_t *flag) { __atomic_store_n(flag, 1, __ATOMIC_RELAXED); }
static inline int32_t weft_shim_raised(const int32_t *flag) { return flag && __atomic_load_n(flag, __ATOMIC_RELAXED); }
#define WEFT_SHIM_TOKEN_SPAN 4096
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

/* Enters a call on frame `f` (its phase and instance already set): a new
 * ctx address, cycling through the frame's tokens (a ctx kept from an
 * earlier call no longer equals the live one), and `f` becomes the
 * thread's current frame. Returns the frame it replaces, for
 * weft_shim_leave. The one way every call is entered: CallContext.begin
 * (create, run, destroy) and the compiled passes' steps (passes.c). */
static inline weft_shim_frame_t *weft_shim_enter(weft_shim_frame_t *f)
{
    f->calls++;
    void *ctx = f->tokens + (f->calls & (WEFT_SHIM_TOKEN_SPAN - 1));
    f->ctx = ctx;
    f->run_ctx = f->phase == WEFT_SHIM_PHASE_RUN ? ctx : 0;
    weft_shim_frame_t *previous = weft_shim_tls_frame;
    weft_shim_tls_frame = f;
    return previous;
}

/* Leaves the call entered on `f`: `previous` is the thread's current
 * frame again, and `f` names no instance. The frame keeps the call's ctx
 * and phase (no host function reaches it once it is not current). */
static inline void weft_shim_leave(weft_shim_frame_t *f, weft_shim_frame_t *previous)
{
    weft_shim_tls_frame = previous;
    f->instance = 0;
}

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

/* ---- Compiled programs: loop passes and a graph's top level ------------
 * A block of plain nodes (a loop body, or every node of a graph without
 * loops) runs as a fixed program of steps: each step
 * calls one node with its input slots lent as its frame's inputs, then
 * copies its outputs into the slots that read them. weft_shim_run_steps
 * runs the steps whose every part is plain numbers and a successful call;
 * at the first step that needs more it stops and says where, and the host
 * does that step its own way. */
/* What a step needs of its node's type (one per type: every node of a
 * type shares its run function and port facts). */
typedef struct weft_shim_call {
    int32_t (*run)(struct weft_ctx *, void *);
    const uint8_t *input_accept;      /* per input: slot kinds taken as they are (1 << WEFT_SHIM_*) */
    const uint8_t *output_accept;     /* per output: WEFT_SHIM_ACCEPT_* */
    const int32_t *required;          /* outputs a call must write */
    int32_t required_count;
    int32_t input_count, output_count;
} weft_shim_call_t;
/* One node of the program (32 bytes: a top level may have a million). */
typedef struct weft_shim_step {
    void *state;                      /* the instance's state, passed to run */
    void *instance;                   /* the node instance (unretained) */
    int32_t slot_base;                /* its first input slot */
    int32_t writes_end;               /* its writes end here (they start where the last step's end) */
    int32_t node;                     /* for the host: the node's index */
    int32_t type_index;               /* its type: calls[type_index], inline_types[type_index] */
} weft_shim_step_t;
typedef struct weft_shim_write {
    int32_t port;                     /* output port of the step */
    int32_t slot;                     /* the slot it goes to */
} weft_shim_write_t;
/* A compiled block: its steps in order, the writes of their outputs
 * (the first `carry_writes` take a loop's current values into its body),
 * and the calls of its types by type index. */
typedef struct weft_shim_program {
    const weft_shim_step_t *steps;
    const weft_shim_write_t *writes;
    const weft_shim_call_t *calls;
    int32_t step_count, carry_writes;
} weft_shim_program_t;
/* Where weft_shim_run_steps stopped. */
enum {
    WEFT_SHIM_STEPS_DONE = 0,         /* every step ran */
    WEFT_SHIM_STEPS_BEFORE_CALL = 1,  /* step `at` is not called yet: the host runs it */
    WEFT_SHIM_STEPS_AFTER_CALL = 2,   /* step `at` was called (status in *status): the host finishes it */
};
/* A compiled loop: its body's program, and where its `continue` and
 * `next_*` inputs are. */
typedef struct weft_shim_pass {
    const weft_shim_program_t *program;
    weft_shim_number_t *carry;        /* the loop's current values (carry_count) */
    int32_t carry_count;
    int32_t continue_slot;            /* the loop's continue input */
    int32_t next_slot;                /* its first next_* input (carry_count in a row) */
    const uint8_t *carry_accept;      /* per carried value: slot kinds it takes as they are (1 << WEFT_SHIM_*);
                                       * a next value of another kind ends the pass for the host, which
                                       * widens it (int into double) or refuses it */
} weft_shim_pass_t;
/* Where weft_shim_run_passes stopped (or a WEFT_SHIM_STEPS_* code, with
 * a pass in progress at step *at). */
enum {
    WEFT_SHIM_PASSES_AGAIN = 10,      /* max_rounds passes went round: the next pass is due */
    WEFT_SHIM_PASSES_END = 11,        /* a pass ran but its end is the host's: continue not a true bool, a next value not a plain number of its variable's type */
    WEFT_SHIM_PASSES_CARRY = 12,      /* a current value (or a slot it goes to) is boxed: the host runs the pass */
};
/* Runs passes of `pass` (carry in, steps, and — continue true, next
 * values plain numbers — next values into `carry`) until max_rounds of
 * them went round or something needs the host. *rounds: the passes that
 * went round. Other arguments as for weft_shim_run_steps. */
int32_t weft_shim_run_passes(weft_shim_frame_t *frame, const weft_shim_pass_t *pass, int32_t max_rounds,
                             weft_shim_number_t *slots, char *boxed, long boxed_stride, int64_t *budget,
                             int32_t *rounds, int32_t *at, int32_t *status);

/* Runs steps first..count-1 of `program` with `frame` (its outputs room for every
 * step's outputs), `slots` the run's slots and `boxed` the base of the
 * host's boxed values (`boxed_stride` bytes each). `*budget` node calls
 * may still be made; each call takes one. A step stops the run before its
 * call when the budget is spent, the frame's stop flag is raised, its
 * type is not one the host lets run here (`inline_types[type_index]`
 * false; NULL: every type may), an input slot is not taken as it is, the
 * frame still holds a boxed output or a call left something to clear;
 * after its call when the call failed, left something to clear, missed a
 * required output, wrote a boxed value, or would overwrite a boxed slot.
 * Sets *at to the step where it stopped. */
int32_t weft_shim_run_steps(weft_shim_frame_t *frame, const weft_shim_program_t *program, int32_t first,
                            int32_t count, weft_shim_number_t *slots, char *boxed, long boxed_stride,
                            const _Bool *inline_types, int64_t *budget, int32_t *at, int32_t *status);

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

/* ---- The crash reporter (crash.c) --------------------------------------
 * For the weft CLI only: libweft never installs it (the host program owns
 * its signals). */
/* Writes, into `buf` (`cap` bytes, no terminating NUL needed), what the
 * node `instance` (the frame's unretained node instance) is, for a crash in
 * `phase` (WEFT_SHIM_PHASE_*); returns the bytes written. Called inside a
 * signal handler: must not allocate, lock or retain anything that may be
 * gone. */
typedef long (*weft_shim_crash_describe_fn)(void *instance, int32_t phase, char *buf, long cap);
/* Installs the handler for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT
 * (and an alternate signal stack for the calling thread). On a crash it
 * writes one line to stderr — the node whose call was running on the
 * crashing thread (through `describe`), or the plugin whose init was, or
 * "outside any node's call" — then restores the previous handler
 * (`chain_previous` != 0) or the default action and lets the signal
 * happen again, so the process dies of it. Once per process; call from
 * the main thread before other threads start. Returns 0 or an errno. */
int weft_shim_crash_install(weft_shim_crash_describe_fn describe, int chain_previous);
/* Names the plugin whose init runs on this thread ("plugin 'x' from
 * /path/libx.so"; the caller keeps the string alive), or NULL after it;
 * returns the previous label. Two thread-local stores per plugin load. */
const char *weft_shim_crash_set_plugin_init(const char *label);
/* For threads Weft starts (POSIXThread): once the crash reporter is
 * installed, an alternate signal stack for the calling thread, so a stack
 * overflow there is reported too; returns the stack (NULL: none), which
 * weft_shim_thread_altstack_end disables and frees as the thread ends. */
void *weft_shim_thread_altstack_begin(void);
void weft_shim_thread_altstack_end(void *stack);
#endif
