/* A plugin built for ABI v3 (its entry says 3; its node descriptor is the
 * v3 size, ending at `stop`, without ABI 4's `cancel`; it uses host
 * functions up to output_bool): it must keep loading into later hosts. The
 * descriptor sits in a heap block of exactly the v3 size, so a host that
 * read past struct_size would be caught by AddressSanitizer. */
#include <weft/plugin.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
static const weft_host_t *H;
static const weft_port_t in[] = {{"x", WEFT_TYPE_BOOL, 0, NULL, NULL}, WEFT_PORTS_END};
static const weft_port_t out[] = {{"not_x", WEFT_TYPE_BOOL, 0, NULL, NULL}, WEFT_PORTS_END};
static weft_status_t run(weft_ctx_t *c, void *s) {
    (void)s;
    int32_t x = 0;
    weft_status_t st = H->input_bool(c, 0, &x);
    if (st != WEFT_OK) return st;
    return H->output_bool(c, 0, !x);
}
static weft_status_t v3_init(const weft_host_t *h, weft_registry_t *r) {
    if (H != h) H = h;
    if (h->struct_size < WEFT_HOST_HAS(output_bool)) return h->registry_fail(r, "needs a v3 host with the bool shortcuts");
    size_t v3_size = offsetof(weft_node_desc_t, stop) + sizeof(weft_source_stop_fn);
    weft_node_desc_t *d = malloc(v3_size);
    if (!d) return h->registry_fail(r, "out of memory");
    memset(d, 0, v3_size);
    d->struct_size = (uint32_t)v3_size; d->name = "not"; d->summary = "Negates a bool."; d->inputs = in; d->outputs = out;
    d->run = run;
    weft_status_t st = h->register_node(r, d);
    free(d);
    return st;
}
WEFT_PLUGIN_EXPORT const weft_plugin_entry_t weft_plugin_entry = {
    3, sizeof(weft_plugin_entry_t), "v3", "1.0", "An ABI v3 plugin", v3_init, NULL};
