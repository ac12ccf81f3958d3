#ifndef CWEFT_SHIMS_H
#define CWEFT_SHIMS_H
/* Tiny C helpers Swift cannot express: the thread-local "current call" and
 * "current registration" that host functions check every handle against,
 * so a plugin passing a stale, foreign or other-thread pointer gets an error
 * instead of a crash. */
void *weft_shim_current_ctx(void);
void weft_shim_set_current_ctx(void *ctx);
void *weft_shim_current_call(void);
void weft_shim_set_current_call(void *call);
void *weft_shim_current_registry(void);
void weft_shim_set_current_registry(void *reg);
#endif
