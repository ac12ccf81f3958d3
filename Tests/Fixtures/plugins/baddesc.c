/* A plugin registering one invalid descriptor, chosen by -DVARIANT=n:
 * 1 duplicate node name, 2 empty node name, 3 unknown port type,
 * 4 default that is not JSON, 5 default of the wrong type, 6 no summary,
 * 7 struct_size too small, 8 invalid port name, 9 flagged both CHEAP and
 * BLOCKING, 10 an observer with a run callback, 11 an observer with inputs,
 * 12 an observer with flags. */
#include <weft/plugin.h>
#include <string.h>
static weft_status_t run(weft_ctx_t *c, void *s) { (void)c; (void)s; return WEFT_OK; }
static void observe(void *s, const weft_event_t *e) { (void)s; (void)e; }
static weft_status_t bad_init(const weft_host_t *h, weft_registry_t *r) {
    weft_port_t in[2] = {{"x", WEFT_TYPE_INT, 0, NULL, NULL}, WEFT_PORTS_END};
    weft_node_desc_t d;
    memset(&d, 0, sizeof d);
    d.struct_size = sizeof d; d.name = "node"; d.summary = "A node."; d.inputs = in; d.run = run;
#if VARIANT == 1
    h->register_node(r, &d);
#elif VARIANT == 2
    d.name = "";
#elif VARIANT == 3
    in[0].type = 42;
#elif VARIANT == 4
    in[0].default_json = "{oops";
#elif VARIANT == 5
    in[0].default_json = "\"seven\"";
#elif VARIANT == 6
    d.summary = "";
#elif VARIANT == 7
    d.struct_size = 8;
#elif VARIANT == 8
    in[0].name = "9lives";
#elif VARIANT == 9
    d.flags = WEFT_NODE_CHEAP | WEFT_NODE_BLOCKING;
#elif VARIANT == 10
    d.observe = observe; d.inputs = NULL;
#elif VARIANT == 11
    d.observe = observe; d.run = NULL;
#elif VARIANT == 12
    d.observe = observe; d.run = NULL; d.inputs = NULL; d.flags = WEFT_NODE_PURE;
#endif
    return h->register_node(r, &d);
}
WEFT_PLUGIN("baddesc", "1.0", "Invalid descriptors", bad_init, NULL);
