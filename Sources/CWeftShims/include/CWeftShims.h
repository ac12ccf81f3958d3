#ifndef CWEFT_SHIMS_H
#define CWEFT_SHIMS_H
/* Tiny C helpers Swift cannot express: the thread-local "current call" and
 * "current registration" that host functions check every handle against,
 * so a plugin passing a stale, foreign or other-thread pointer gets an error
 * instead of a crash. */
/* Inline, so a host function's check costs two TLS loads and no call
 * (initial-exec: no __tls_get_addr, even in libweft.so). */
extern __attribute__((visibility("hidden"), tls_model("initial-exec"))) _Thread_local void *weft_shim_tls_ctx;
extern __attribute__((visibility("hidden"), tls_model("initial-exec"))) _Thread_local void *weft_shim_tls_call;
static inline void *weft_shim_current_ctx(void) { return weft_shim_tls_ctx; }
static inline void weft_shim_set_current_ctx(void *ctx) { weft_shim_tls_ctx = ctx; }
static inline void *weft_shim_current_call(void) { return weft_shim_tls_call; }
static inline void weft_shim_set_current_call(void *call) { weft_shim_tls_call = call; }
void *weft_shim_current_registry(void);
void weft_shim_set_current_registry(void *reg);
/* The embedding API's per-thread last-error message (weft_last_error):
 * a malloc'd copy per thread, freed when the thread exits or is replaced. */
void weft_shim_set_last_error(const char *message);
const char *weft_shim_last_error(void);
/* The path of the file this code is linked into (dladdr), or NULL. */
const char *weft_shim_own_path(void);
#endif
