/* A plugin built for ABI v1 (its entry says 1; it uses only v1 host
 * functions): it must keep loading into hosts of later ABI versions. */
#include <weft/plugin.h>
#include <string.h>
static const weft_host_t *H;
static const weft_port_t out[] = {{"answer", WEFT_TYPE_INT, 0, NULL, NULL}, WEFT_PORTS_END};
static weft_status_t run(weft_ctx_t *c, void *s) { (void)s; return H->output_int(c, 0, 42); }
static weft_status_t v1_init(const weft_host_t *h, weft_registry_t *r) {
    if (H != h) H = h;
    weft_node_desc_t d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d; d.name = "answer"; d.summary = "The answer."; d.outputs = out; d.run = run;
    return h->register_node(r, &d);
}
WEFT_PLUGIN_EXPORT const weft_plugin_entry_t weft_plugin_entry = {
    1, sizeof(weft_plugin_entry_t), "v1", "1.0", "An ABI v1 plugin", v1_init, NULL};
