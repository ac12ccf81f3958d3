/*
 * weft/plugin.h — the Weft plugin ABI, version 4 (version 1, 2 and 3 plugins still load).
 *
 * A Weft plugin is a shared library that exports ONE symbol,
 * `weft_plugin_entry` (see WEFT_PLUGIN below). It links against nothing from
 * Weft: the host hands it a table of host functions (`weft_host_t`) when it
 * calls the plugin's `init`, the way SQLite hands a loadable extension its
 * `sqlite3_api_routines`. So one .so loads the same into the `weft` CLI, into
 * libweft embedded in any C program, or into any other host implementing
 * this header.
 *
 * Rules that hold for the whole header
 * ------------------------------------
 * - Append-only. New host functions are added at the END of `weft_host_t`,
 *   new fields at the end of `weft_node_desc_t`; nothing is ever removed,
 *   reordered or retyped. Each struct carries its size so both sides can
 *   tell which fields the other knows.
 * - Enums are fixed-width integers (int32_t) with fixed values.
 * - Status codes: WEFT_OK (0) is success; any other value is an error.
 * - Values never cross as structs. A value is an opaque handle
 *   (`weft_value_t`) read and built through host functions (Lua's model), so
 *   a new value kind never changes a layout.
 * - Every declaration says its THREAD rule and who OWNS each pointer.
 *
 * Lifetimes in one paragraph
 * --------------------------
 * `weft_registry_t *` lives for the duration of the plugin's `init` call.
 * `weft_ctx_t *` lives for the duration of ONE `create` or `run` callback
 * and must be used only on the thread that received it. Every value handle
 * belongs to the ctx it was obtained from and dies with it: nothing to free,
 * nothing to leak. Values you want to keep across calls you copy into your
 * own state as plain C data. Strings and byte pointers returned by the host
 * are borrowed and valid until the callback returns. Strings and structs the
 * plugin passes to the host are copied by the host before the call returns.
 *
 * Host functions validate what they are given: a handle from another call, a
 * ctx used after its callback returned or from another thread, or a wrong
 * value kind gives an error status (and a message in `error_message`), never
 * a crash.
 */
#ifndef WEFT_PLUGIN_H
#define WEFT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                 */
/* ------------------------------------------------------------------------ */

/** The plugin ABI version this header describes. A host accepts plugins
 *  built for ABI versions 1 ... its own version; a plugin built for a newer
 *  ABI than the host's is refused with a message and never called.
 *  History (append-only): 1 — nodes and values; 2 — register_function
 *  (plain C functions called through libffi); 3 — event sources (`start` /
 *  `stop` in the node descriptor, `emit_begin` / `emit_end` / `source_done`
 *  in the host table); 4 — async nodes (`run` returns WEFT_PENDING after
 *  `defer_call`; `resume_call` / `complete_call` / `fail_call` from any
 *  thread; `cancel` in the node descriptor; WEFT_NODE_ASYNC) and
 *  `should_stop`. */
#define WEFT_PLUGIN_ABI_VERSION 4

/** The name of the one symbol a plugin exports. */
#define WEFT_PLUGIN_ENTRY_SYMBOL "weft_plugin_entry"

/* ------------------------------------------------------------------------ */
/* Status codes (int32_t)                                                   */
/* ------------------------------------------------------------------------ */

typedef int32_t weft_status_t;

#define WEFT_OK              0  /* success                                    */
#define WEFT_ERR_FAILED      1  /* a node or plugin reported failure          */
#define WEFT_ERR_INVALID     2  /* invalid argument (NULL, bad name, bad UTF-8) */
#define WEFT_ERR_TYPE        3  /* value is of another kind than asked for    */
#define WEFT_ERR_NOT_FOUND   4  /* no such port, param, key or index          */
#define WEFT_ERR_HANDLE      5  /* stale, foreign or wrong-thread ctx/handle  */
#define WEFT_ERR_STATE       6  /* not allowed now (e.g. output written twice) */
#define WEFT_ERR_VERSION     7  /* ABI version mismatch                       */
#define WEFT_ERR_DUPLICATE   8  /* name already registered                    */
#define WEFT_ERR_NOMEM       9  /* out of memory                              */

/** Returned by the `run` of a WEFT_NODE_ASYNC node (ABI v4) after it called
 *  `host->defer_call(ctx)`: the call goes on without the thread and ends
 *  later, with `complete_call` or `fail_call` on its token. Not an error. */
#define WEFT_PENDING       100

/* ------------------------------------------------------------------------ */
/* Value kinds and port types (int32_t)                                     */
/* ------------------------------------------------------------------------ */

typedef int32_t weft_type_t;

#define WEFT_TYPE_ANY     0  /* port accepts any value (never a value's kind) */
#define WEFT_TYPE_NULL    1
#define WEFT_TYPE_BOOL    2
#define WEFT_TYPE_INT     3  /* int64_t                                       */
#define WEFT_TYPE_DOUBLE  4
#define WEFT_TYPE_STRING  5  /* UTF-8                                         */
#define WEFT_TYPE_BYTES   6
#define WEFT_TYPE_LIST    7
#define WEFT_TYPE_MAP     8  /* string keys, insertion-ordered               */
#define WEFT_TYPE_NUMBER  9  /* port accepts INT or DOUBLE (never a value's kind) */

/* ------------------------------------------------------------------------ */
/* Opaque handles                                                           */
/* ------------------------------------------------------------------------ */

/** Registration context, valid during the plugin's `init` only. */
typedef struct weft_registry weft_registry_t;

/** Call context, valid during one `create` or `run` callback, on the thread
 *  that received it. */
typedef struct weft_ctx weft_ctx_t;

/** A value handle. 0 (WEFT_NO_VALUE) means "no value". Handles belong to the
 *  ctx they came from and are released, all at once, when it ends. Values
 *  are immutable once set as an output; lists and maps you created may be
 *  filled (list_push, map_set) until then. */
typedef uint64_t weft_value_t;
#define WEFT_NO_VALUE ((weft_value_t)0)

/** Pass as a length to mean "NUL-terminated". */
#define WEFT_NUL_TERMINATED ((size_t)-1)

/* ------------------------------------------------------------------------ */
/* Node descriptors                                                         */
/* ------------------------------------------------------------------------ */

/* Port and parameter flags (uint32_t bit set). */
#define WEFT_PORT_OPTIONAL 0x1u /* input: may stay unconnected (then it holds
                                   its default, or no value).
                                   output: may stay unwritten; unwritten
                                   optional outputs do not fire (branches).
                                   param: may be omitted (then its default). */

/** One input port, output port or parameter. Arrays of these end with an
 *  entry whose `name` is NULL (use WEFT_PORTS_END).
 *  FROZEN: because it is used in arrays, this struct never grows; per-port
 *  data added in later ABI versions comes through new fields appended to
 *  `weft_node_desc_t`.
 *  OWNER: the plugin; the host copies everything during register_node. */
typedef struct weft_port {
    const char *name;          /* [A-Za-z_][A-Za-z0-9_]*, unique per list   */
    weft_type_t type;          /* WEFT_TYPE_*                                */
    uint32_t flags;            /* WEFT_PORT_*                                */
    const char *default_json;  /* default as JSON text ("0", "\"x\"", "[]"),
                                  or NULL for none. A default makes an input
                                  or param optional. Must match `type`.     */
    const char *summary;       /* one line for `weft plugins`; may be NULL   */
} weft_port_t;

#define WEFT_PORTS_END { NULL, 0, 0, NULL, NULL }

/* Node flags (uint32_t bit set). */
#define WEFT_NODE_PURE        0x1u /* same inputs+params give same outputs, no
                                      side effects (may be cached/reordered);
                                      says nothing about cost (see CHEAP) */
#define WEFT_NODE_THREAD_SAFE 0x2u /* `run` of ONE instance may be called
                                      concurrently from several threads.
                                      Without it the host never runs an
                                      instance concurrently with itself.    */
#define WEFT_NODE_BLOCKING    0x4u /* `run` may block (sleep, I/O): the
                                      scheduler gives it its own thread
                                      rather than holding a compute worker. */
#define WEFT_NODE_CHEAP       0x8u /* `run` returns in well under a
                                      microsecond (arithmetic, comparisons):
                                      the host may call it on the scheduler
                                      thread or in batches without measuring
                                      first; a CHEAP node that turns out slow
                                      is demoted by measurement. Never with
                                      BLOCKING (the loader refuses both). */
#define WEFT_NODE_ASYNC      0x10u /* (ABI v4) `run` may end later: it calls
                                      `host->defer_call(ctx)` and returns
                                      WEFT_PENDING, and the call ends when
                                      the plugin completes its token from
                                      any thread. No host thread waits
                                      meanwhile. `run` itself must return
                                      promptly (it runs on the scheduler
                                      thread). Not with CHEAP or BLOCKING. */

/** Called once per node instance (one node of one graph) before its first
 *  run. Read params with `host->param(ctx, i)`. Store what you need in a
 *  state you allocate and return in `*state_out`; the host hands it back to
 *  `run` and `destroy`. On failure call `host->fail(ctx, msg)` and return its
 *  result (or any non-zero status).
 *  THREAD: any host thread; never concurrently for the same instance.
 *  OWNER: `*state_out` is the plugin's; the host only passes it back.
 *  May be NULL: the state is then `user_data`. */
typedef weft_status_t (*weft_create_fn)(weft_ctx_t *ctx, void *user_data,
                                        void **state_out);

/** Runs the node once: read inputs, write outputs, return WEFT_OK. To fail,
 *  return `host->fail(ctx, "message")`. Never abort() or exit() the host.
 *  THREAD: any host thread; concurrently for one instance only if the node
 *  is flagged WEFT_NODE_THREAD_SAFE. */
typedef weft_status_t (*weft_run_fn)(weft_ctx_t *ctx, void *state);

/** Releases the state returned by `create`. Called once per instance,
 *  after its last run, even if the run failed. May be NULL.
 *  THREAD: any host thread, never concurrently with run for that state. */
typedef void (*weft_destroy_fn)(void *state);

/* ------------------------------------------------------------------------ */
/* Run events (the C API's on_event; observer plugins, ABI v4)              */
/* ------------------------------------------------------------------------ */

/* Event kinds (int32_t). */
#define WEFT_EVENT_RUN_STARTED    0
#define WEFT_EVENT_NODE_STARTED   1
#define WEFT_EVENT_NODE_FINISHED  2 /* duration_ns is set                   */
#define WEFT_EVENT_NODE_FAILED    3 /* message is set                       */
#define WEFT_EVENT_NODE_SKIPPED   4 /* on an untaken branch                 */
#define WEFT_EVENT_LOOP_ITERATION 5 /* iteration is set                     */
#define WEFT_EVENT_RUN_FINISHED   6 /* outcome, steps (and message) are set */
/* Runs of graphs with event sources (Docs/events.md). Hosts should ignore
 * kinds they do not know: later versions may add more. */
#define WEFT_EVENT_WAVE_STARTED   7 /* node_id = the source, iteration = wave
                                       number (1…), steps = the source's event
                                       number (1…)                          */
#define WEFT_EVENT_WAVE_FINISHED  8 /* iteration = wave number, outcome, steps;
                                       message (and node_id) when it failed */
#define WEFT_EVENT_EVENT_DROPPED  9 /* node_id = the source, steps = events
                                       dropped so far (queue full)          */
#define WEFT_EVENT_SOURCE_FINISHED 10 /* node_id = the source; message when it
                                       ended with an error, else NULL       */
#define WEFT_EVENT_NODE_RECOVERED 11 /* the node failed (NODE_FAILED came just
                                        before) and its on_error handled it:
                                        message = "route" or "default"; the
                                        run goes on                       */
#define WEFT_EVENT_NODE_RETRY     12 /* attempt `iteration` (1-based) failed with
                                        `message`; the node is called again
                                        in duration_ns (its retry policy)  */
#define WEFT_EVENT_ITEM_FAILED    13 /* item `iteration` (0-based) of a mapped
                                        node failed with `message`; its
                                        on_item_error (skip, collect) let
                                        the node go on                     */
#define WEFT_EVENT_FLOW_STATE     14 /* node_id = the flow; a state ran:
                                        iteration = the cycle (0-based),
                                        message = the state's id, a space,
                                        then the action it chose (ids have
                                        no spaces: split at the first)     */
#define WEFT_EVENT_CACHE_HIT      15 /* node_id = a cached node whose outputs
                                        came from the run store's cache (no
                                        call was made)                     */
#define WEFT_EVENT_NODE_RESTORED  16 /* node_id = a node of a resumed or
                                        partial run whose outputs came from
                                        the run store (it completed before;
                                        no call was made)                  */

/* Run outcomes (int32_t): weft_run_state and the run-finished event. */
#define WEFT_RUN_PENDING   0 /* made, not started                                 */
#define WEFT_RUN_RUNNING   1
#define WEFT_RUN_SUCCEEDED 2
#define WEFT_RUN_FAILED    3 /* a node failed or a limit was hit                  */
#define WEFT_RUN_CANCELLED 4 /* weft_run_cancel, or the duration limit was reached */
#define WEFT_RUN_PAUSED    5 /* weft_run_pause (a recorded run; weft_run_state only) */

/** One run event. OWNER: the library; every pointer in it is valid only
 *  during the callback — copy what you keep. */
typedef struct weft_event {
    uint32_t struct_size;   /* sizeof(weft_event_t) as the library built it  */
    int32_t kind;           /* WEFT_EVENT_*                                    */
    uint64_t time_ns;       /* since the run started (monotonic clock)        */
    const char *node_id;    /* the node; NULL for run events                  */
    int32_t thread;         /* 0 = the run's scheduler thread, 1… = workers   */
    int32_t outcome;        /* RUN_FINISHED: WEFT_RUN_SUCCEEDED/FAILED/CANCELLED */
    uint64_t duration_ns;   /* NODE_FINISHED                                  */
    int64_t iteration;      /* LOOP_ITERATION (0-based)                       */
    int64_t steps;          /* RUN_FINISHED: node executions                  */
    const char *message;    /* NODE_FAILED; RUN_FINISHED when failed or
                               cancelled (as weft_run_error); else NULL     */
} weft_event_t;

/** An observer's callback (ABI v4): receives every event of each run of a
 *  graph that lists the observer (`"observers"`, or `weft run --observer`),
 *  from RUN_STARTED to RUN_FINISHED. `state` is what `create` returned (one
 *  instance per compiled graph: it sees each run of that graph).
 *  THREAD: a host thread (the run's event delivery thread) — never two
 *  calls at once for one instance, in the order the events happened.
 *  Keep it quick: events queue up behind it. It cannot change the run: it
 *  gets no ctx, and the event is read-only.
 *  OWNER: the host; every pointer in `event` is valid only during the call. */
typedef void (*weft_observe_fn)(void *state, const weft_event_t *event);

/** Where an event source sends its events (ABI v3). Opaque, owned by the
 *  host; valid from `start` until the run ends (also after `stop`, when the
 *  host refuses further events with WEFT_ERR_STATE). */
typedef struct weft_emitter weft_emitter_t;

/** Starts an event source (ABI v3): a node with `start` set lives for the
 *  whole run and fires *waves* — each event becomes the node's outputs and
 *  runs the nodes downstream of it. Typically starts a thread of the
 *  plugin's own that calls `host->emit_begin` / `emit_end` per event and
 *  `host->source_done` when it has no more. Return WEFT_OK, or fail with a
 *  status (the run then fails before any wave, naming the node).
 *  THREAD: the run's thread, once per instance, after `create`.
 *  OWNER: `emitter` is the host's; keep the pointer, never free it. */
typedef weft_status_t (*weft_source_start_fn)(void *state, weft_emitter_t *emitter);

/** Stops an event source: when it returns, no thread of the plugin may call
 *  `emit_begin` for it again (join your thread here). Called once, before
 *  `destroy`, when the run stops (duration, interrupt, cancel, every source
 *  done, max_events reached). THREAD: a host thread; may run while your
 *  thread is inside `emit_end` (which returns promptly once stopping). */
typedef void (*weft_source_stop_fn)(void *state);

/** A call of an async node that ends later (ABI v4): opaque, made by
 *  `host->defer_call` during `run`. OWNER: the host. The plugin keeps the
 *  pointer and ends the call exactly once, from any thread, with
 *  `complete_call` (after `resume_call`) or `fail_call`; the token is
 *  invalid after that. A token of a run that has ended (cancelled, failed)
 *  may still be ended: the host ignores the result. */
typedef struct weft_token weft_token_t;

/** Asks an async node to give up a pending call (ABI v4): the run is
 *  stopping (cancelled, failed, interrupted). End the call soon with
 *  `fail_call` (or `complete_call`), from any thread; the run does not wait
 *  for it. THREAD: the run's scheduler thread; may run while the plugin's
 *  own thread is ending the same token (the host takes whichever comes
 *  first). May be NULL: the run then just stops waiting. */
typedef void (*weft_cancel_fn)(void *state, weft_token_t *token);

/** Describes one node type.
 *  OWNER: the plugin; the host copies every string and array during
 *  register_node (the descriptor may live on the stack). The host keeps
 *  `user_data` and the function pointers; they must stay valid while the
 *  plugin is loaded. */
typedef struct weft_node_desc {
    uint32_t struct_size;          /* sizeof(weft_node_desc_t): set it!      */
    const char *name;              /* "add" → addressed as "<plugin>.add"    */
    const char *summary;           /* one line, required                      */
    const weft_port_t *inputs;     /* WEFT_PORTS_END-terminated; NULL = none */
    const weft_port_t *outputs;    /* WEFT_PORTS_END-terminated; NULL = none */
    const weft_port_t *params;     /* WEFT_PORTS_END-terminated; NULL = none */
    uint32_t flags;                /* WEFT_NODE_*                             */
    void *user_data;               /* passed to create; may be NULL          */
    weft_create_fn create;         /* may be NULL                             */
    weft_run_fn run;               /* required                                */
    weft_destroy_fn destroy;       /* may be NULL                             */
    /* ABI v1 ends here. Later versions append fields below. */

    /* --- ABI v3: event sources. With `start` set the node is a source:
     * `inputs` must be NULL, `run` must be NULL, `stop` is required, and
     * the outputs carry each event's payload. */
    weft_source_start_fn start;    /* NULL for ordinary nodes                 */
    weft_source_stop_fn stop;      /* required with `start`                   */

    /* --- ABI v4: async nodes (flag WEFT_NODE_ASYNC). */
    weft_cancel_fn cancel;         /* may be NULL                             */

    /* --- ABI v4: observers. With `observe` set the type is an observer,
     * not a node: `inputs`, `outputs` and `run` must be NULL, no flags;
     * `params`, `create` and `destroy` work as for nodes. */
    weft_observe_fn observe;       /* NULL for nodes                          */
} weft_node_desc_t;

/** A plain C function a plugin publishes as a node (ABI v2). Weft calls it
 *  through libffi, with ports taken from `signature` — so the author writes
 *  the C function and this one entry, no glue:
 *
 *      static double hypot3(double x, double y, double z) { ... }
 *      weft_function_desc_t d = {sizeof d, "hypot3",
 *          "double hypot3(double x, double y, double z)",
 *          "length of a 3-vector", (void (*)(void))hypot3, NULL};
 *      host->register_function(reg, &d);
 *
 *  Signature types: void, bool, int8_t…int64_t, uint8_t…uint64_t (and the C
 *  names int, long, …), float, double, size_t, `const char *` (string in or
 *  out), `const uint8_t *` + `size_t` (bytes in), `T *` (an out-parameter,
 *  an extra output port). See Docs/ffi.md.
 *  OWNER: the plugin; the host copies the strings. `function` and
 *  `free_string` must stay valid while the plugin is loaded. */
typedef struct weft_function_desc {
    uint32_t struct_size;          /* sizeof(weft_function_desc_t)            */
    const char *name;              /* node name, addressed "<plugin>.<name>"  */
    const char *signature;         /* C declaration of `function`             */
    const char *summary;           /* one line, required                      */
    void (*function)(void);        /* the function, cast to this type         */
    void (*free_string)(void *);   /* frees a returned `const char *`; NULL
                                      when the returned string is borrowed    */
} weft_function_desc_t;

/* Log levels (int32_t). */
#define WEFT_LOG_DEBUG 0
#define WEFT_LOG_INFO  1
#define WEFT_LOG_WARN  2
#define WEFT_LOG_ERROR 3

/* Port kinds for port_index (int32_t). */
#define WEFT_KIND_INPUT  0
#define WEFT_KIND_OUTPUT 1
#define WEFT_KIND_PARAM  2

/* ------------------------------------------------------------------------ */
/* The host table                                                           */
/* ------------------------------------------------------------------------ */

/** The functions a host offers a plugin. APPEND-ONLY: a plugin that needs a
 *  function added after v1 checks `struct_size` first, e.g.
 *  `if (host->struct_size < WEFT_HOST_HAS(fn)) return refuse...;`.
 *  OWNER: the host; valid from `init` until the plugin is unloaded (after
 *  `deinit`). The plugin may keep the pointer in a global: a Weft process
 *  hands every plugin the same table, so a second `init` of the same
 *  library (another engine in the process) gets the same pointer — store it
 *  only if it differs (`if (H != host) H = host;`) so that second `init`
 *  does not write a global that running nodes read. */
typedef struct weft_host {
    uint32_t abi_version;  /* WEFT_PLUGIN_ABI_VERSION of the host            */
    uint32_t struct_size;  /* sizeof(weft_host_t) as the host built it       */
    const char *host_name; /* e.g. "weft"; host-owned, static               */
    const char *host_version; /* e.g. "0.1.0"; host-owned, static           */

    /* --- Registration. THREAD: the thread running `init`, during init. --- */

    /** Registers one node type. Names are checked ([A-Za-z_][A-Za-z0-9_]*,
     *  unique in the plugin), types and defaults are checked; an invalid
     *  descriptor returns an error status and fails the whole plugin load
     *  (the host reports its own reason for it; `init` may simply return
     *  the status).
     *  Returns WEFT_OK, WEFT_ERR_INVALID, WEFT_ERR_DUPLICATE, WEFT_ERR_HANDLE. */
    weft_status_t (*register_node)(weft_registry_t *reg,
                                   const weft_node_desc_t *desc);

    /** Records why `init` fails; return its result from `init`. The message
     *  is copied. Returns WEFT_ERR_FAILED. */
    weft_status_t (*registry_fail)(weft_registry_t *reg, const char *message);

    /* --- Logging. THREAD: any thread; ctx may be NULL. ------------------ */

    /** Writes a log line attributed to the node (when ctx is the live ctx
     *  of the calling thread) or to no node (ctx NULL — the way to log from
     *  a thread of the plugin's own). `message` is copied. */
    void (*log)(weft_ctx_t *ctx, int32_t level, const char *message);

    /* --- The call. THREAD: the callback's thread, during the callback. -- */

    /** The value on input port `index` (the order of `desc->inputs`), or
     *  WEFT_NO_VALUE if an optional input is unconnected and has no default.
     *  Only in `run`. */
    weft_value_t (*input)(weft_ctx_t *ctx, int32_t index);

    /** The value of param `index` (the order of `desc->params`), or
     *  WEFT_NO_VALUE if an optional param is not set and has no default.
     *  In `create` and in `run`. */
    weft_value_t (*param)(weft_ctx_t *ctx, int32_t index);

    /** Sets output port `index` to `value` (the host copies it) and fires
     *  that port. Writing one port twice is WEFT_ERR_STATE. Any handle of
     *  this call may be passed, an input's or a param's included. The value
     *  must fit the port's type (WEFT_ERR_TYPE otherwise). Only in `run`. */
    weft_status_t (*output)(weft_ctx_t *ctx, int32_t index, weft_value_t value);

    /** Fires output `index` without data — it carries null, whatever the
     *  port's type — the way a branching node picks a path. Firing counts as
     *  writing the port (a required output may be fired); firing a port
     *  already written changes nothing. Outputs that stay unwritten do not
     *  fire; their downstream path is dead. Only in `run`. */
    weft_status_t (*fire)(weft_ctx_t *ctx, int32_t index);

    /** Records the failure message (copied) for this call. Returns
     *  WEFT_ERR_FAILED, so `return host->fail(ctx, "why");` reads well. */
    weft_status_t (*fail)(weft_ctx_t *ctx, const char *message);

    /** Index of the input, output or param (`kind` = WEFT_KIND_*) called
     *  `name`, or -1. */
    int32_t (*port_index)(weft_ctx_t *ctx, int32_t kind, const char *name);

    /** The graph node id this call runs for (e.g. "add1"). Borrowed; valid
     *  until the callback returns. */
    const char *(*node_id)(weft_ctx_t *ctx);

    /** The message of the last host function that failed on this ctx, or
     *  "" if none. Borrowed; valid until the callback returns. */
    const char *(*error_message)(weft_ctx_t *ctx);

    /* --- Values. THREAD: the callback's thread, during the callback. ----- */
    /* Constructors return WEFT_NO_VALUE on error (see error_message).       */

    weft_type_t (*type_of)(weft_ctx_t *ctx, weft_value_t v); /* -1 if invalid */

    weft_value_t (*null_new)(weft_ctx_t *ctx);
    weft_value_t (*bool_new)(weft_ctx_t *ctx, int32_t b);
    weft_value_t (*int_new)(weft_ctx_t *ctx, int64_t i);
    weft_value_t (*double_new)(weft_ctx_t *ctx, double d);
    /** Copies `len` bytes (or up to NUL with WEFT_NUL_TERMINATED). Invalid
     *  UTF-8 is refused (WEFT_ERR_INVALID): use bytes for binary data. */
    weft_value_t (*string_new)(weft_ctx_t *ctx, const char *s, size_t len);
    /** Copies `len` bytes. */
    weft_value_t (*bytes_new)(weft_ctx_t *ctx, const void *p, size_t len);
    weft_value_t (*list_new)(weft_ctx_t *ctx);
    weft_value_t (*map_new)(weft_ctx_t *ctx);

    /** Readers return WEFT_OK, WEFT_ERR_TYPE or WEFT_ERR_HANDLE.
     *  get_double also accepts an INT (converted). */
    weft_status_t (*get_bool)(weft_ctx_t *ctx, weft_value_t v, int32_t *out);
    weft_status_t (*get_int)(weft_ctx_t *ctx, weft_value_t v, int64_t *out);
    weft_status_t (*get_double)(weft_ctx_t *ctx, weft_value_t v, double *out);
    /** NUL-terminated UTF-8, borrowed until the callback returns; `len` (may
     *  be NULL) receives the length in bytes. NULL if not a string. */
    const char *(*get_string)(weft_ctx_t *ctx, weft_value_t v, size_t *len);
    /** Borrowed until the callback returns. NULL if not bytes (a zero-length
     *  bytes value gives a non-NULL pointer). */
    const void *(*get_bytes)(weft_ctx_t *ctx, weft_value_t v, size_t *len);

    /** Items of a list, entries of a map, bytes of a string or bytes value;
     *  -1 for other kinds or an invalid handle. */
    int64_t (*length)(weft_ctx_t *ctx, weft_value_t v);

    /** Item `index` of a list, or WEFT_NO_VALUE if out of range. */
    weft_value_t (*list_get)(weft_ctx_t *ctx, weft_value_t list, size_t index);
    /** Appends `item` (copied) to a list this call created. */
    weft_status_t (*list_push)(weft_ctx_t *ctx, weft_value_t list,
                               weft_value_t item);

    /** Entry `key` of a map, or WEFT_NO_VALUE if absent. */
    weft_value_t (*map_get)(weft_ctx_t *ctx, weft_value_t map, const char *key);
    /** Sets `key` (copied) to `value` (copied) in a map this call created;
     *  an existing key keeps its position. */
    weft_status_t (*map_set)(weft_ctx_t *ctx, weft_value_t map,
                             const char *key, weft_value_t value);
    /** Key of entry `index` (insertion order), borrowed, or NULL. */
    const char *(*map_key)(weft_ctx_t *ctx, weft_value_t map, size_t index);
    /** Value of entry `index` (insertion order), or WEFT_NO_VALUE. */
    weft_value_t (*map_value)(weft_ctx_t *ctx, weft_value_t map, size_t index);

    /* --- Shortcuts for the hot path (same rules as input/output). ------- */

    /** Reads input `index` as int64 / double (an INT input is converted). */
    weft_status_t (*input_int)(weft_ctx_t *ctx, int32_t index, int64_t *out);
    weft_status_t (*input_double)(weft_ctx_t *ctx, int32_t index, double *out);
    /** Writes output `index` as an INT / DOUBLE value. */
    weft_status_t (*output_int)(weft_ctx_t *ctx, int32_t index, int64_t v);
    weft_status_t (*output_double)(weft_ctx_t *ctx, int32_t index, double v);

    /* ABI v1 ends here. */

    /* --- ABI v2. Check `struct_size >= WEFT_HOST_HAS(register_function)`. */

    /** Registers a plain C function as node `<plugin>.<name>`, called
     *  through libffi (see weft_function_desc_t). The signature is parsed and
     *  the call interface prepared now; a bad signature fails the load like
     *  an invalid descriptor. The node is thread-safe: the function must be
     *  reentrant. THREAD: the thread running `init`, during init. */
    weft_status_t (*register_function)(weft_registry_t *reg,
                                       const weft_function_desc_t *desc);

    /* --- ABI v3: event sources. Check `struct_size >= WEFT_HOST_HAS(source_done)`. */

    /** Begins one event of a source: returns a ctx on which the value
     *  functions work and `output` / `output_int` / `output_double` / `fire`
     *  set the event's payload (the source node's outputs; an output not
     *  written does not fire), or NULL when the run takes no more events
     *  from this source (stopping, max_events reached) — then stop emitting.
     *  THREAD: any thread; the ctx belongs to the calling thread until
     *  `emit_end`. One event at a time per thread. */
    weft_ctx_t *(*emit_begin)(weft_emitter_t *emitter);
    /** Ends the event begun on `ctx`: `send` non-zero queues it (it may wait
     *  while the run's event queue is full and its policy is `block`), zero
     *  discards it. Handles made on `ctx` die here. Returns WEFT_OK when
     *  queued, WEFT_ERR_STATE when the run stopped taking events (the event
     *  is dropped), WEFT_ERR_HANDLE for a ctx that is not a live event on
     *  this thread. THREAD: the thread that called `emit_begin`. */
    weft_status_t (*emit_end)(weft_ctx_t *ctx, int32_t send);
    /** The source will emit no more (count reached, input ended). `error`
     *  NULL for a normal end, else a message the run reports. A run whose
     *  sources are all done ends after its last wave. THREAD: any thread;
     *  later calls are ignored. OWNER: `error` is copied. */
    void (*source_done)(weft_emitter_t *emitter, const char *error);

    /* --- Appended to ABI v3: bool shortcuts. Check
     *  `struct_size >= WEFT_HOST_HAS(output_bool)` (a v3 host built before
     *  them has a shorter table; use `input` + `get_bool` / `bool_new` +
     *  `output` there). Same rules as input_int / output_int. */

    /** Reads input `index` as a bool: `*out` = 0 or 1. WEFT_ERR_TYPE for
     *  any other kind (no conversion). */
    weft_status_t (*input_bool)(weft_ctx_t *ctx, int32_t index, int32_t *out);
    /** Writes output `index` as a BOOL value (`v` non-zero = true). */
    weft_status_t (*output_bool)(weft_ctx_t *ctx, int32_t index, int32_t v);

    /* --- ABI v4: async nodes and stopping. Check
     *  `struct_size >= WEFT_HOST_HAS(should_stop)`. */

    /** In the `run` of a WEFT_NODE_ASYNC node: this call will end later.
     *  Returns its token; `run` then copies what it needs of its inputs
     *  into its own memory and returns WEFT_PENDING. NULL (see
     *  `error_message`) when the call cannot end later: the node is not
     *  flagged WEFT_NODE_ASYNC, `defer_call` was already called, or the
     *  call runs where nothing waits for a token (an isolated node, a
     *  hook). THREAD: the callback's thread, during `run`. */
    weft_token_t *(*defer_call)(weft_ctx_t *ctx);
    /** Begins ending a deferred call: returns a ctx on which the value
     *  functions work and `output` / `output_int` / … / `fire` write the
     *  call's outputs (inputs are gone: `input` fails). End with
     *  `complete_call` (or `fail_call`) on the same thread. NULL for an
     *  unknown token, one already resumed or ended, or a thread already
     *  inside a callback. THREAD: any thread; the ctx belongs to it until
     *  the call ends. */
    weft_ctx_t *(*resume_call)(weft_token_t *token);
    /** Ends a resumed call: its outputs are checked (every required output
     *  written) and delivered, as if `run` had returned WEFT_OK. Handles
     *  made on the resumed ctx die here; the token is invalid after.
     *  WEFT_OK, WEFT_ERR_FAILED when a required output is missing (the node
     *  fails with that), WEFT_ERR_HANDLE for an unknown token or a call not
     *  resumed on this thread. THREAD: the thread that resumed it. */
    weft_status_t (*complete_call)(weft_token_t *token);
    /** Ends a deferred call as failed with `message` (copied), resumed or
     *  not (a resumed one on its thread). The token is invalid after.
     *  THREAD: any thread (the resuming thread for a resumed call). */
    weft_status_t (*fail_call)(weft_token_t *token, const char *message);
    /** Non-zero when the run is stopping (cancelled, interrupted, failed
     *  elsewhere): a long `run` should return soon (fail with a message).
     *  THREAD: the callback's thread, during the callback. */
    int32_t (*should_stop)(weft_ctx_t *ctx);

    /* Later versions append function pointers below. */
} weft_host_t;

/** Size a host table must have for `field` to be present. */
#define WEFT_HOST_HAS(field) \
    (offsetof(weft_host_t, field) + sizeof(((weft_host_t *)0)->field))

/* ------------------------------------------------------------------------ */
/* The entry point                                                          */
/* ------------------------------------------------------------------------ */

/** Called once after the plugin is loaded. Register nodes with
 *  `host->register_node`. To refuse (e.g. a host too old for a function
 *  you need), return `host->registry_fail(reg, "why")`. Any non-zero return
 *  unloads the plugin and nothing it registered is kept.
 *  THREAD: the loading thread. OWNER: `host` is valid until unload; `reg`
 *  only during this call. */
typedef weft_status_t (*weft_init_fn)(const weft_host_t *host,
                                      weft_registry_t *reg);

/** Called once before the plugin is unloaded, after every node instance is
 *  destroyed. May be NULL. THREAD: the unloading thread (an embedding
 *  host's: the one whose weft_*_destroy releases the engine's last handle).
 *  The weft CLI exits without unloading, so it never calls deinit. */
typedef void (*weft_deinit_fn)(void);

/** The one exported symbol. The host reads `abi_version` FIRST and refuses a
 *  plugin whose version it does not support before touching anything else,
 *  so this field stays first forever.
 *  OWNER: the plugin (static, const); the host copies the strings. */
typedef struct weft_plugin_entry {
    uint32_t abi_version;   /* WEFT_PLUGIN_ABI_VERSION the plugin was built for */
    uint32_t struct_size;   /* sizeof(weft_plugin_entry_t)                    */
    const char *name;       /* namespace: [A-Za-z_][A-Za-z0-9_]*, e.g. "std"  */
    const char *version;    /* the plugin's own version, e.g. "1.0.0"        */
    const char *summary;    /* one line                                       */
    weft_init_fn init;      /* required                                       */
    weft_deinit_fn deinit;  /* may be NULL                                    */
} weft_plugin_entry_t;

#if defined(_WIN32)
#define WEFT_PLUGIN_EXPORT __declspec(dllexport)
#else
#define WEFT_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/** Defines the entry symbol. Use once per plugin, at file scope:
 *
 *      static weft_status_t my_init(const weft_host_t *h, weft_registry_t *r);
 *      WEFT_PLUGIN("demo", "1.0.0", "A demo plugin", my_init, NULL);
 *
 *  The macro ends without a semicolon: write one after it, as after any
 *  declaration. */
#ifdef __cplusplus
#define WEFT_PLUGIN(NAME, VERSION, SUMMARY, INIT, DEINIT)                    \
    extern "C" WEFT_PLUGIN_EXPORT const weft_plugin_entry_t weft_plugin_entry; \
    extern "C" WEFT_PLUGIN_EXPORT const weft_plugin_entry_t weft_plugin_entry = { \
        WEFT_PLUGIN_ABI_VERSION, sizeof(weft_plugin_entry_t), NAME, VERSION,   \
        SUMMARY, INIT, DEINIT}
#else
#define WEFT_PLUGIN(NAME, VERSION, SUMMARY, INIT, DEINIT)                    \
    WEFT_PLUGIN_EXPORT extern const weft_plugin_entry_t weft_plugin_entry;   \
    WEFT_PLUGIN_EXPORT const weft_plugin_entry_t weft_plugin_entry = {       \
        WEFT_PLUGIN_ABI_VERSION, sizeof(weft_plugin_entry_t), NAME, VERSION,   \
        SUMMARY, INIT, DEINIT}
#endif

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* WEFT_PLUGIN_H */
