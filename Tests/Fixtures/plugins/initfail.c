/* A plugin whose init refuses to load. */
#include <weft/plugin.h>
static weft_status_t fail_init(const weft_host_t *h, weft_registry_t *r) {
    return h->registry_fail(r, "needs the frobnicator device, which is absent");
}
WEFT_PLUGIN("initfail", "1.0", "Refuses to load", fail_init, NULL);
