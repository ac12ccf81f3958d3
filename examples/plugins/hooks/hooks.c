/*
 * hooks — hook node types for examples/hooks.json (see Docs/graph-format.md,
 * "Hooks"), in C99 against include/weft/plugin.h.
 *
 *   hooks.clamp   before hook, params min, max (double): number inputs
 *                 outside [min, max] are replaced by the bound; a
 *                 non-number input vetoes the call (the node is skipped)
 *   hooks.round   after hook, param digits (int, 2): double outputs rounded
 *
 * A hook takes one input, `call`: a map {node, type, inputs[, outputs]}. A
 * before hook may write `inputs` (a map of the inputs to replace) or `veto`
 * (a string: the node does not run); an after hook may write `outputs`.
 *
 * Build: bash examples/plugins/build.sh OUTDIR (makes libexample_hooks.so).
 */
#include <math.h>
#include <string.h>

#include <weft/plugin.h>

static const weft_host_t *host;

static const weft_port_t call_in[] = {{"call", WEFT_TYPE_MAP, 0, NULL, "the call: node, type, inputs (and outputs)"}, WEFT_PORTS_END};
static const weft_port_t before_out[] = {
    {"inputs", WEFT_TYPE_MAP, WEFT_PORT_OPTIONAL, NULL, "inputs to replace"},
    {"veto", WEFT_TYPE_STRING, WEFT_PORT_OPTIONAL, NULL, "why the node must not run"},
    WEFT_PORTS_END};
static const weft_port_t after_out[] = {{"outputs", WEFT_TYPE_MAP, WEFT_PORT_OPTIONAL, NULL, "outputs to replace"}, WEFT_PORTS_END};
static const weft_port_t clamp_params[] = {
    {"min", WEFT_TYPE_DOUBLE, 0, NULL, "lowest value let through"},
    {"max", WEFT_TYPE_DOUBLE, 0, NULL, "highest value let through"},
    WEFT_PORTS_END};
static const weft_port_t round_params[] = {{"digits", WEFT_TYPE_INT, 0, "2", "digits after the point"}, WEFT_PORTS_END};

static weft_status_t clamp_run(weft_ctx_t *ctx, void *state)
{
    (void)state;
    double lo = 0, hi = 0;
    host->get_double(ctx, host->param(ctx, 0), &lo);
    host->get_double(ctx, host->param(ctx, 1), &hi);
    weft_value_t inputs = host->map_get(ctx, host->input(ctx, 0), "inputs");
    weft_value_t out = host->map_new(ctx);
    int64_t n = host->length(ctx, inputs);
    for (int64_t i = 0; i < n; i++) {
        weft_value_t v = host->map_value(ctx, inputs, (size_t)i);
        weft_type_t t = host->type_of(ctx, v);
        double d = 0;
        if (t != WEFT_TYPE_INT && t != WEFT_TYPE_DOUBLE)
            return host->output(ctx, 1, host->string_new(ctx, "an input is not a number", WEFT_NUL_TERMINATED));
        host->get_double(ctx, v, &d);
        if (d < lo || d > hi)
            host->map_set(ctx, out, host->map_key(ctx, inputs, (size_t)i), host->double_new(ctx, d < lo ? lo : hi));
    }
    return host->output(ctx, 0, out);
}

static weft_status_t round_run(weft_ctx_t *ctx, void *state)
{
    (void)state;
    int64_t digits = 2;
    host->get_int(ctx, host->param(ctx, 0), &digits);
    double scale = pow(10.0, (double)digits);
    weft_value_t outputs = host->map_get(ctx, host->input(ctx, 0), "outputs");
    weft_value_t out = host->map_new(ctx);
    int64_t n = host->length(ctx, outputs);
    for (int64_t i = 0; i < n; i++) {
        weft_value_t v = host->map_value(ctx, outputs, (size_t)i);
        double d;
        if (host->type_of(ctx, v) != WEFT_TYPE_DOUBLE || host->get_double(ctx, v, &d) != WEFT_OK) continue;
        host->map_set(ctx, out, host->map_key(ctx, outputs, (size_t)i), host->double_new(ctx, round(d * scale) / scale));
    }
    return host->output(ctx, 0, out);
}

static weft_status_t hooks_init(const weft_host_t *h, weft_registry_t *reg)
{
    const weft_node_desc_t nodes[] = {
        {.struct_size = sizeof(weft_node_desc_t), .name = "clamp", .summary = "Before hook: number inputs clamped into [min, max]",
         .inputs = call_in, .outputs = before_out, .params = clamp_params, .flags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE,
         .run = clamp_run},
        {.struct_size = sizeof(weft_node_desc_t), .name = "round", .summary = "After hook: double outputs rounded",
         .inputs = call_in, .outputs = after_out, .params = round_params, .flags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE,
         .run = round_run},
    };
    if (h->struct_size < WEFT_HOST_HAS(output_double)) return h->registry_fail(reg, "hooks needs a Weft ABI v1 host");
    if (host != h) host = h;
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
        weft_status_t st = h->register_node(reg, &nodes[i]);
        if (st != WEFT_OK) return st;
    }
    return WEFT_OK;
}

WEFT_PLUGIN("hooks", "1.0.0", "Hook node types (examples/hooks.json)", hooks_init, NULL);
