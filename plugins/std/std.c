#include <weft/plugin.h>
static const weft_host_t *H;
static const weft_port_t ins[] = {{"x", WEFT_TYPE_INT, 0, NULL, "x"}, WEFT_PORTS_END};
static const weft_port_t outs[] = {{"y", WEFT_TYPE_INT, 0, NULL, "y"}, WEFT_PORTS_END};
static weft_status_t run(weft_ctx_t *c, void *s){ int64_t x; if (H->input_int(c,0,&x)) return H->fail(c,"x"); return H->output_int(c,0,x+1);}
static weft_status_t init(const weft_host_t *h, weft_registry_t *r){ H=h;
 weft_node_desc_t d = {sizeof d, "inc", "add one", ins, outs, NULL, WEFT_NODE_PURE, NULL, NULL, run, NULL};
 return h->register_node(r,&d);}
WEFT_PLUGIN("std","1.0","d",init,NULL)
