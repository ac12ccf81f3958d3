#ifndef CWEFT_SHIMS_H
#define CWEFT_SHIMS_H
/* Tiny C helpers Swift cannot express: a thread-local "current call". */
void *weft_shim_current_ctx(void);
void weft_shim_set_current_ctx(void *ctx);
#endif
