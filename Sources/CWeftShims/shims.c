#include "CWeftShims.h"
static _Thread_local void *weft_current_ctx;
void *weft_shim_current_ctx(void) { return weft_current_ctx; }
void weft_shim_set_current_ctx(void *ctx) { weft_current_ctx = ctx; }
