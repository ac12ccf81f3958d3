/* A plugin built for ABI v1 (its entry says 1; it uses only v1 host
 * functions, and its node descriptor is the v1 size, without the fields
 * later versions appended): it must keep loading into later hosts. The
 * descriptor sits in a heap block of exactly the v1 size, so a host that
 * read past struct_size would be caught by AddressSanitizer. */
#include <weft/plugin.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
static const weft_host_t *H;
static const weft_port_t out[] = {{"answer", WEFT_TYPE_INT, 0, NULL, NULL}, WEFT_PORTS_END};
static weft_status_t run(weft_ctx_t *c, void *s) { (void)s; return H->output_int(c, 0, 42); }
static weft_status_t v1_init(const weft_host_t *h, weft_registry_t *r) {
    if (H != h) H = h;
    size_t v1_size = offsetof(weft_node_desc_t, start);
    weft_node_desc_t *d = malloc(v1_size);
    if (!d) return h->registry_fail(r, "out of memory");
    memset(d, 0, v1_size);
    d->struct_size = (uint32_t)v1_size; d->name = "answer"; d->summary = "The answer."; d->outputs = out; d->run = run;
    weft_status_t st = h->register_node(r, d);
    free(d);
    return st;
}
WEFT_PLUGIN_EXPORT const weft_plugin_entry_t weft_plugin_entry = {
    1, sizeof(weft_plugin_entry_t), "v1", "1.0", "An ABI v1 plugin", v1_init, NULL};
