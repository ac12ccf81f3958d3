/*
 * weft/weft.h — the Weft embedding API (libweft.so), version 1.
 *
 * Load plugins, parse and validate a graph, run it with inputs, read its
 * outputs, watch its events, cancel it — from C, C++, or anything with a C
 * FFI (Python ctypes, Rust, Go's cgo). Build a host with
 *
 *     cc host.c $(pkg-config --cflags --libs weft)
 *
 * The minimal host:
 *
 *     weft_engine_t *engine;
 *     weft_graph_t *graph;
 *     weft_run_t *run;
 *     weft_engine_create(&engine);
 *     weft_engine_load_default_plugins(engine);
 *     if (weft_graph_load(engine, "graph.json", &graph, NULL) != WEFT_OK) {
 *         fprintf(stderr, "%s\n", weft_last_error());  // every problem, one per line
 *         return 1;
 *     }
 *     weft_run_graph(graph, NULL, "{\"n\": 27}", &run);  // waits
 *     char *outputs;
 *     weft_run_outputs_json(run, &outputs);
 *     puts(outputs);
 *     weft_free(outputs);
 *     weft_run_destroy(run);
 *     weft_graph_destroy(graph);
 *     weft_engine_destroy(engine);
 *
 * Rules that hold for the whole header (Docs/c-api.md says more)
 * ---------------------------------------------------------------
 * STATUS. Every function that can fail returns a weft_status_t: WEFT_OK (0)
 *   or a WEFT_ERR_* code from <weft/plugin.h>. On failure the calling
 *   thread's last-error message says what went wrong and how to mend it:
 *   read it with weft_last_error(). Results come back through out-
 *   parameters, which are left untouched on failure.
 *
 * HANDLES. Engines, graphs, runs and diagnostics are opaque handles. Every
 *   function checks the handles it is given: NULL, a handle already
 *   destroyed (a double destroy included) or a pointer that is not a handle
 *   of that kind give WEFT_ERR_INVALID / WEFT_ERR_HANDLE, never a crash; a
 *   handle value is never reused. The *_destroy functions accept NULL and
 *   do nothing (like free), so cleanup code need not test; a handle already
 *   destroyed gives WEFT_ERR_HANDLE. Handles may be destroyed in any order: a
 *   graph keeps what it needs of its engine, a run what it needs of its
 *   graph.
 *
 * OWNERSHIP. `char *` results ("caller frees") are the caller's and are
 *   released with weft_free(). `const char *` results are borrowed: they
 *   stay valid until the handle they came from is destroyed (or for static
 *   strings, forever), unless the function says otherwise. Strings and
 *   structs the caller passes in are copied before the call returns.
 *
 * THREADS. Every function may be called from any thread. One engine may be
 *   used from several threads at once and may run several graphs at once
 *   (each run is independent). A run executes on threads of its own; the
 *   functions that take a run (wait, poll, cancel, outputs) may be called
 *   from any thread, concurrently.
 *
 * VERSIONING. Append-only, like <weft/plugin.h>: functions are added, never
 *   removed or changed; structs carry their size as the first field and only
 *   grow at the end.
 */
#ifndef WEFT_WEFT_H
#define WEFT_WEFT_H

#include <stddef.h>
#include <stdint.h>

#include "plugin.h" /* status codes, value types, node descriptors, weft_host_t */

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define WEFT_API __declspec(dllimport)
#else
#define WEFT_API __attribute__((visibility("default")))
#endif

/** The version of this embedding API. History: 1 — first release. */
#define WEFT_API_VERSION 1

/* Status codes of the embedding API, beyond those of <weft/plugin.h>. */
#define WEFT_ERR_TIMEOUT 10 /* weft_run_wait: the time ran out; the run goes on */

/* ------------------------------------------------------------------------ */
/* Versions, errors, memory                                                 */
/* ------------------------------------------------------------------------ */

/** The library version, e.g. "0.1.0". OWNER: static. */
WEFT_API const char *weft_version(void);

/** WEFT_API_VERSION of the library. Compare it with the header's macro to
 *  detect a library older than the header. */
WEFT_API uint32_t weft_api_version(void);

/** WEFT_PLUGIN_ABI_VERSION of the library: the newest plugin ABI it loads
 *  (it loads every version from 1 up to this one). */
WEFT_API uint32_t weft_plugin_abi_version(void);

/** The name of a status code ("WEFT_ERR_INVALID"); "WEFT_ERR_UNKNOWN" for a
 *  code it does not know. OWNER: static. */
WEFT_API const char *weft_status_name(weft_status_t status);

/** The message of the last call that failed ON THIS THREAD, or "" if none
 *  has. Calls that succeed leave it unchanged.
 *  OWNER: the library; valid until the next failing call on this thread —
 *  copy it if you keep it. */
WEFT_API const char *weft_last_error(void);

/** Frees a `char *` this library returned ("caller frees"). NULL is fine. */
WEFT_API void weft_free(void *p);

/** The host table handed to plugins. Nodes a host registers with
 *  weft_engine_register_node use it in their callbacks exactly as plugins
 *  do (host->input, host->output, host->fail, ...).
 *  OWNER: the library; valid while the library is loaded. */
WEFT_API const weft_host_t *weft_host_table(void);

/* ------------------------------------------------------------------------ */
/* Engines: the node types a host knows                                     */
/* ------------------------------------------------------------------------ */

/** An engine holds node types (from plugins and from the host) and the
 *  library policy of `ffi` nodes. Graphs are parsed against one engine. */
typedef struct weft_engine weft_engine_t;

/** Makes an engine with no plugins loaded (see weft_engine_load_default_plugins).
 *  OWNER: `*out` is the caller's; release it with weft_engine_destroy. */
WEFT_API weft_status_t weft_engine_create(weft_engine_t **out);

/** Releases the engine. Graphs and runs made from it stay usable. The
 *  plugins are unloaded (their deinit, then dlclose) by the destroy call
 *  that releases the last of the engine, its graphs and its runs, on that
 *  caller's thread before it returns. NULL is fine. A handle already
 *  destroyed gives WEFT_ERR_HANDLE. */
WEFT_API weft_status_t weft_engine_destroy(weft_engine_t *engine);

/** Loads the plugins shipped with Weft (from `<libdir>/weft/plugins`
 *  beside libweft.so) and each folder of WEFT_PLUGIN_PATH. Plugins that load
 *  stay loaded; if any file fails, returns WEFT_ERR_FAILED and the last
 *  error lists each failure, one per line. */
WEFT_API weft_status_t weft_engine_load_default_plugins(weft_engine_t *engine);

/** Loads every `*.so` in `folder`, in file-name order; failures as above. */
WEFT_API weft_status_t weft_engine_add_plugin_folder(weft_engine_t *engine, const char *folder);

/** Loads one plugin file. A file already loaded into this engine (the
 *  same real path, symlinks resolved) is not loaded twice: WEFT_OK, nothing
 *  changes. Errors: WEFT_ERR_NOT_FOUND (no such file), WEFT_ERR_VERSION
 *  (built for another plugin ABI), WEFT_ERR_DUPLICATE (another file with a
 *  plugin of that name is loaded), WEFT_ERR_FAILED (anything else: not a
 *  library, not a plugin, its init failed, an invalid descriptor). */
WEFT_API weft_status_t weft_engine_load_plugin(weft_engine_t *engine, const char *path);

/** Runs every node of the plugin called `plugin` ("*": of every plugin) in
 *  a child process of its own, so that a crash (SIGSEGV, abort) or a call
 *  longer than the node's "timeout_ms" fails that node with a message
 *  instead of bringing the host down; the child restarts for the next call.
 *  Inputs and outputs are copied across. Applies to runs created after the
 *  call. A graph node can also ask for it with "isolate": true or
 *  "timeout_ms" (Docs/graph-format.md). The child process runs the `weft`
 *  executable installed beside the library (PREFIX/bin/weft), or the one
 *  named by the environment variable WEFT_WORKER; WEFT_ERR_NOT_FOUND if
 *  there is none, WEFT_ERR_NOT_FOUND too for a plugin name not loaded. */
WEFT_API weft_status_t weft_engine_isolate_plugin(weft_engine_t *engine, const char *plugin);

/** Lets `ffi` nodes of this engine's graphs load `path_or_glob` (a path, or
 *  a glob such as "./build/lib*.so" — any `*` pattern). Without it they may load system
 *  libraries by soname and libraries in plugin folders only. Applies to
 *  graphs parsed after the call. */
WEFT_API weft_status_t weft_engine_allow_library(weft_engine_t *engine, const char *path_or_glob);

/** Registers a node written by the host, as `<namespace>.<desc->name>`,
 *  with the same descriptor plugins use (<weft/plugin.h>): ports, params,
 *  flags and create/run/destroy callbacks. In the callbacks, use the table
 *  from weft_host_table(). A namespace is the host's or one plugin's, never both:
 *  registering into a loaded plugin's namespace, or loading a plugin named
 *  like a host namespace later, fails with WEFT_ERR_DUPLICATE.
 *  OWNER: the descriptor, its strings and ports are copied; `user_data` and
 *  the function pointers are kept and must stay valid while any graph of
 *  this engine lives. THREAD: callbacks run on run threads (see the run
 *  section), concurrently only as the node's flags allow. */
WEFT_API weft_status_t weft_engine_register_node(weft_engine_t *engine, const char *namespace_,
                                                 const weft_node_desc_t *desc);

/** Every node type of the engine as JSON:
 *  {"plugins": [{name, version, summary, abi_version, path}],
 *   "nodes": [{name, summary, inputs, outputs, params, flags}]}.
 *  OWNER: `*json_out` is the caller's (weft_free). */
WEFT_API weft_status_t weft_engine_nodes_json(weft_engine_t *engine, char **json_out);

/* ------------------------------------------------------------------------ */
/* Diagnostics: what is wrong with a graph                                  */
/* ------------------------------------------------------------------------ */

typedef struct weft_diagnostics weft_diagnostics_t;

#define WEFT_SEVERITY_ERROR   0
#define WEFT_SEVERITY_WARNING 1

/** The number of diagnostics (errors and warnings). 0 for an invalid handle. */
WEFT_API size_t weft_diagnostics_count(const weft_diagnostics_t *diags);

/** Diagnostic `index`: its severity (WEFT_SEVERITY_*), message, node id (NULL
 *  if it concerns no one node) and JSON path in the graph document ("$.nodes[2].params.x").
 *  Any out-pointer may be NULL. OWNER: the strings are borrowed from `diags`. */
WEFT_API weft_status_t weft_diagnostics_get(const weft_diagnostics_t *diags, size_t index,
                                            int32_t *severity, const char **message,
                                            const char **node_id, const char **path);

/** All diagnostics as a JSON array of {severity, path, node, message};
 *  severity is "error" or "warning", and `node` is absent when the
 *  diagnostic concerns no one node. OWNER: borrowed from `diags`. NULL for
 *  an invalid handle. */
WEFT_API const char *weft_diagnostics_json(const weft_diagnostics_t *diags);

/** Releases the diagnostics and their strings. NULL is fine. */
WEFT_API weft_status_t weft_diagnostics_destroy(weft_diagnostics_t *diags);

/* ------------------------------------------------------------------------ */
/* Graphs                                                                   */
/* ------------------------------------------------------------------------ */

/** A parsed, validated graph: immutable, shareable between threads, and
 *  the template of any number of runs (concurrent ones included). */
typedef struct weft_graph weft_graph_t;

/** Parses and validates a graph document (Docs/graph-format.md) of `length`
 *  bytes (WEFT_NUL_TERMINATED for a C string) against the engine's nodes.
 *  On success `*out` is the graph. An invalid graph gives WEFT_ERR_INVALID,
 *  and the last error holds every problem, one per line
 *  ("$.nodes[1].type: error: unknown node type 'std.ad'; did you mean 'std.add'?");
 *  control characters from names are escaped there as in JSON ("\u0000").
 *  If `diags_out` is not NULL it receives the diagnostics — on failure the
 *  errors and any warnings, on success the warnings (possibly none) — to
 *  read one by one or as JSON; the caller destroys them
 *  (weft_diagnostics_destroy). On failure `*out` is untouched.
 *  OWNER: `*out` and `*diags_out` are the caller's. */
WEFT_API weft_status_t weft_graph_parse(weft_engine_t *engine, const char *json, size_t length,
                                        weft_graph_t **out, weft_diagnostics_t **diags_out);

/** Like weft_graph_parse, reading the file at `path`. A file that cannot be
 *  read gives WEFT_ERR_NOT_FOUND. A file bigger than the engine's limit
 *  (1 GiB unless changed with weft_engine_set_max_graph_bytes) gives
 *  WEFT_ERR_INVALID and a last error naming the file and the limit; a pipe
 *  or device (/dev/stdin, /dev/zero) is read only up to the limit, never
 *  whole. weft_graph_parse refuses a `length` past the limit the same way. */
WEFT_API weft_status_t weft_graph_load(weft_engine_t *engine, const char *path,
                                       weft_graph_t **out, weft_diagnostics_t **diags_out);

/** The graph's interface as JSON: {"inputs": [{name, type, default?}],
 *  "outputs": [{name, type}], "nodes": count}. OWNER: caller frees. */
WEFT_API weft_status_t weft_graph_describe_json(const weft_graph_t *graph, char **json_out);

/** Releases the graph. Runs made from it are unaffected. NULL is fine. */
WEFT_API weft_status_t weft_graph_destroy(weft_graph_t *graph);

/* ------------------------------------------------------------------------ */
/* Run events                                                               */
/* ------------------------------------------------------------------------ */

/* The event kinds (WEFT_EVENT_*), the run outcomes (WEFT_RUN_*) and
 * weft_event_t are in plugin.h (included above): observer plugins receive
 * the same events (ABI v4). */

/** Receives a run's events. THREAD: the run's scheduler thread or one of
 *  its workers — never two calls at once for one run, in the order the
 *  events happened. Keep it quick: the run waits for it. It may call
 *  weft_run_cancel (or weft_run_pause) on its run; it must not wait for or
 *  destroy its own run
 *  (that would wait for itself: WEFT_ERR_STATE). */
typedef void (*weft_event_fn)(const weft_event_t *event, void *user_data);

/* ------------------------------------------------------------------------ */
/* Runs                                                                     */
/* ------------------------------------------------------------------------ */

#define WEFT_MODE_SEQUENTIAL 0 /* one thread, deterministic order */
#define WEFT_MODE_PARALLEL   1 /* ready nodes on a pool of threads */

/** How a run runs. Fill it with weft_run_options_init, then change fields.
 *  OWNER: the caller's; copied by weft_run_create. `user_data` is kept and
 *  passed to `on_event`; it must stay valid until the run has finished. */
typedef struct weft_run_options {
    uint32_t struct_size;   /* sizeof(weft_run_options_t): set by _init       */
    int32_t mode;           /* WEFT_MODE_*; default sequential                */
    int32_t workers;        /* compute threads in parallel mode; 0 = CPUs     */
    int64_t max_steps;      /* node executions before the run fails; 0 = 1,000,000 */
    double duration_s;      /* cancel the run after this many seconds; 0 = no limit */
    weft_event_fn on_event; /* may be NULL                                    */
    void *user_data;        /* passed to on_event; must stay valid until the
                               run has finished                           */
    int32_t keep_going;     /* nonzero: after a node fails, the nodes that do
                               not depend on it still run; the run still
                               ends FAILED, naming the first failure      */
    /* Added later: the run store (Docs/c-api.md "Recording, pausing and
       resuming runs"). A host whose struct_size ends before them gets the
       defaults: not recorded.                                            */
    const char *store_path; /* record the run in this run store (an SQLite
                               file, made with its folder if missing;
                               Docs/store.md), so that it can be paused
                               and resumed; NULL = not recorded (default).
                               weft_run_create opens it: WEFT_ERR_FAILED
                               if it cannot (not a store, not writable).
                               OWNER: the caller's; copied by
                               weft_run_create. THREAD: the run writes the
                               store from its own threads; other
                               processes (`weft runs`) may use it at once */
    int64_t resume_run_id;  /* 0 = a new run (default); else continue that
                               run of store_path (needs store_path): the
                               same graph text and inputs, its completed
                               nodes restored (WEFT_EVENT_NODE_RESTORED),
                               not called; weft_run_start refuses it if it
                               cannot be (see weft_run_id).
                               OWNER: a value. THREAD: read by
                               weft_run_create only                       */
} weft_run_options_t;

/** Fills `options` with the defaults (and its struct_size): the first
 *  `size` bytes of it, at most the whole struct — pass sizeof *options, so
 *  a host built against an older, smaller struct is never written past.
 *  Call it through the weft_run_options_init macro below. */
WEFT_API void weft_run_options_init_sized(weft_run_options_t *options, size_t size);

/** The symbol of hosts built before weft_run_options_init_sized: fills the
 *  options up to keep_going (store_path and resume_run_id are then left
 *  out: not recorded). Hosts built with this header call the sized one. */
WEFT_API void weft_run_options_init(weft_run_options_t *options);

/** Fills `options` with the defaults, its size taken from its type. */
#define weft_run_options_init(options) weft_run_options_init_sized((options), sizeof *(options))

/** One execution of a graph. */
typedef struct weft_run weft_run_t;

/** Makes a run of `graph` (not started yet: set inputs, then weft_run_start).
 *  `options` may be NULL for the defaults. The graph's nodes are created
 *  now (their `create` callbacks run): a failing create gives WEFT_ERR_FAILED.
 *  Their `destroy` callbacks run on the run's thread as it finishes, before
 *  weft_run_wait returns (for a run never started: in weft_run_destroy).
 *  OWNER: `*out` is the caller's (weft_run_destroy). */
WEFT_API weft_status_t weft_run_create(const weft_graph_t *graph, const weft_run_options_t *options,
                                       weft_run_t **out);

/** Sets graph inputs from a JSON object {"name": value, ...}. Each value is
 *  checked against the input's declared type now: unknown names give
 *  WEFT_ERR_NOT_FOUND, wrong types WEFT_ERR_TYPE, bad JSON WEFT_ERR_INVALID;
 *  nothing is set then. Only before start (else WEFT_ERR_STATE). */
WEFT_API weft_status_t weft_run_set_inputs_json(weft_run_t *run, const char *json_object);

/** Sets one graph input; the same checks. `json` is any JSON value. */
WEFT_API weft_status_t weft_run_set_input_json(weft_run_t *run, const char *name, const char *json);
WEFT_API weft_status_t weft_run_set_input_int(weft_run_t *run, const char *name, int64_t value);
WEFT_API weft_status_t weft_run_set_input_double(weft_run_t *run, const char *name, double value);
WEFT_API weft_status_t weft_run_set_input_bool(weft_run_t *run, const char *name, int32_t value);
/** `value` is UTF-8 of `length` bytes, or WEFT_NUL_TERMINATED. */
WEFT_API weft_status_t weft_run_set_input_string(weft_run_t *run, const char *name, const char *value,
                                                 size_t length);

/** Starts the run on threads of its own and returns at once. A required
 *  input not set (and without default) gives WEFT_ERR_INVALID and the run
 *  does not start. A run starts once (else WEFT_ERR_STATE). */
WEFT_API weft_status_t weft_run_start(weft_run_t *run);

/** Waits until the run has finished, at most `timeout_ms` milliseconds
 *  (negative: no limit). WEFT_OK when it has finished (whatever its
 *  outcome — see weft_run_state), WEFT_ERR_TIMEOUT if it is still running,
 *  WEFT_ERR_STATE if it was never started or if called from the run's own
 *  event callback. */
WEFT_API weft_status_t weft_run_wait(weft_run_t *run, int64_t timeout_ms);

/** The run's state (WEFT_RUN_*); never blocks, so it is the way to poll.
 *  -1 for an invalid handle. */
WEFT_API int32_t weft_run_state(const weft_run_t *run);

/** Asks the run to stop: no node starts after this, nodes already running
 *  finish (native code is never interrupted), and the run ends CANCELLED.
 *  From any thread, any number of times; a run that has finished is not
 *  changed. A run cancelled before it starts ends at once when started. */
WEFT_API weft_status_t weft_run_cancel(weft_run_t *run);

/** weft_run_create + weft_run_set_inputs_json (if `inputs_json` is not NULL)
 *  + weft_run_start + weft_run_wait. On WEFT_OK the run has finished; check
 *  its state: a failed run is still WEFT_OK here. If the run could not
 *  be made or started (bad inputs, say), the error is returned, the run is
 *  released and `*out` is untouched. */
WEFT_API weft_status_t weft_run_graph(const weft_graph_t *graph, const weft_run_options_t *options,
                                      const char *inputs_json, weft_run_t **out);

/** Why the run failed or was cancelled ("the run was cancelled", or "the
 *  run reached its duration limit of 2.0 s and was stopped") or paused
 *  (weft_run_pause), or NULL if it succeeded or has not finished.
 *  OWNER: borrowed from the run. */
WEFT_API const char *weft_run_error(const weft_run_t *run);

/** The id of the node whose failure ended the run, or NULL.
 *  OWNER: borrowed from the run. */
WEFT_API const char *weft_run_failed_node(const weft_run_t *run);

/** Node executions of the finished run (0 before it finishes); -1 for an
 *  invalid handle. */
WEFT_API int64_t weft_run_steps(const weft_run_t *run);

/** Wall time of the finished run in nanoseconds (0 before it finishes). */
WEFT_API uint64_t weft_run_duration_ns(const weft_run_t *run);

/** The outputs that fired, as one JSON object {"name": value, ...} in the
 *  graph's order. Only once finished (else WEFT_ERR_STATE).
 *  OWNER: caller frees. */
WEFT_API weft_status_t weft_run_outputs_json(const weft_run_t *run, char **json_out);

/** One output as JSON text. WEFT_ERR_NOT_FOUND if the graph has no such
 *  output or it did not fire (the last error says which). OWNER: caller frees. */
WEFT_API weft_status_t weft_run_output_json(const weft_run_t *run, const char *name, char **json_out);

/** One output as a C value. WEFT_ERR_TYPE if it is of another kind (an int
 *  output is also readable as double). */
WEFT_API weft_status_t weft_run_output_int(const weft_run_t *run, const char *name, int64_t *out);
WEFT_API weft_status_t weft_run_output_double(const weft_run_t *run, const char *name, double *out);
WEFT_API weft_status_t weft_run_output_bool(const weft_run_t *run, const char *name, int32_t *out);
/** A string output: UTF-8, NUL-terminated, `*length` bytes (length may be
 *  NULL). OWNER: borrowed from the run. */
WEFT_API weft_status_t weft_run_output_string(const weft_run_t *run, const char *name, const char **out,
                                              size_t *length);

/** Releases the run (NULL is fine). A run still running is cancelled and waited for first
 *  (so no callback comes after this returns). Must not be called from the
 *  run's own event callback (WEFT_ERR_STATE). */
WEFT_API weft_status_t weft_run_destroy(weft_run_t *run);

/* ------------------------------------------------------------------------ */
/* Added later (the declarations above are unchanged)                       */
/* ------------------------------------------------------------------------ */

/** Sets the most bytes a graph may hold for this engine: weft_graph_load
 *  stops reading a file, pipe or device past it and refuses the graph, and
 *  weft_graph_parse refuses a longer `length`, both with WEFT_ERR_INVALID
 *  ("...: the graph file is too big: it is 2000000 bytes, more than the
 *  limit of 1048576 bytes (1 MiB); raise the limit with
 *  weft_engine_set_max_graph_bytes"). 0 restores the default, 1 GiB
 *  (1073741824 bytes). Applies to graphs loaded after the call.
 *  THREAD: any thread. */
WEFT_API weft_status_t weft_engine_set_max_graph_bytes(weft_engine_t *engine, uint64_t max_bytes);

/** The run's id in its run store (options.store_path): > 0 once
 *  weft_run_start has returned WEFT_OK — the row is made (or, with
 *  resume_run_id, taken again: the same id) by weft_run_start, not by
 *  weft_run_create. 0 for a run not recorded or not started; -1 for an
 *  invalid handle. `weft runs show ID --store PATH` shows the run.
 *  weft_run_start (and weft_run_graph) refuse a resume_run_id that cannot
 *  be resumed, and the run does not start: WEFT_ERR_NOT_FOUND (no such run
 *  in the store), WEFT_ERR_INVALID (the graph text or the inputs are not
 *  the ones the run started with), WEFT_ERR_STATE (it is running, or it
 *  succeeded: nothing to resume); a paused, cancelled, failed or
 *  interrupted run can be resumed.
 *  THREAD: any thread; never blocks. */
WEFT_API int64_t weft_run_id(const weft_run_t *run);

/** Asks a recorded run (options.store_path) to pause: like weft_run_cancel
 *  (no node starts after it, nodes running finish), but the run ends
 *  WEFT_RUN_PAUSED, its completed nodes kept in the store, and a run made
 *  with resume_run_id = weft_run_id(run) continues it. The pause goes
 *  through the store, like `weft runs pause ID`: the run sees it within
 *  0.1 s. Its RUN_FINISHED event says WEFT_RUN_CANCELLED with the message
 *  "the run was paused; ..."; weft_run_state and weft_run_error say paused.
 *  A run that has finished is not changed (WEFT_OK). Errors:
 *  WEFT_ERR_STATE for a run not recorded (set store_path) or not started;
 *  WEFT_ERR_FAILED if the store cannot be written.
 *  THREAD: any thread, the run's event callback included. */
WEFT_API weft_status_t weft_run_pause(weft_run_t *run);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* WEFT_WEFT_H */
