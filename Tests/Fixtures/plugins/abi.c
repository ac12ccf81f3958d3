/* A plugin whose entry claims ABI version FIXTURE_ABI (0 or 99 in tests).
 * Its init must never be called: it would abort the test process. */
#include <weft/plugin.h>
#include <stdlib.h>
static weft_status_t abi_init(const weft_host_t *h, weft_registry_t *r) {
    (void)h; (void)r;
    abort();
}
WEFT_PLUGIN_EXPORT const weft_plugin_entry_t weft_plugin_entry = {
    FIXTURE_ABI, sizeof(weft_plugin_entry_t), "abi", "1.0", "wrong ABI", abi_init, NULL};
