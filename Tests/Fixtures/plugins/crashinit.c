/* A plugin whose init crashes (SIGSEGV, a write through NULL): weft's
 * crash reporter must name it. */
#include <weft/plugin.h>
static weft_status_t crash_init(const weft_host_t *h, weft_registry_t *r) {
    (void)h; (void)r;
    volatile int *p = 0;
    *p = 42;
    return WEFT_OK;
}
WEFT_PLUGIN("crashinit", "1.0", "Crashes in its init", crash_init, NULL);
