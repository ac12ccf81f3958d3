#include "CWeftShims.h"
static __attribute__((tls_model("initial-exec"))) _Thread_local void *weft_current_ctx;
static __attribute__((tls_model("initial-exec"))) _Thread_local void *weft_current_call;
static __attribute__((tls_model("initial-exec"))) _Thread_local void *weft_current_registry;
void *weft_shim_current_ctx(void) { return weft_current_ctx; }
void weft_shim_set_current_ctx(void *ctx) { weft_current_ctx = ctx; }
void *weft_shim_current_registry(void) { return weft_current_registry; }
void weft_shim_set_current_registry(void *reg) { weft_current_registry = reg; }
void *weft_shim_current_call(void) { return weft_current_call; }
void weft_shim_set_current_call(void *call) { weft_current_call = call; }
