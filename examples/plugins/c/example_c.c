/*
 * example_c — the Weft example plugin, written in C99 against
 * include/weft/plugin.h. The same plugin exists in C++ (../cpp) and Rust
 * (../rust); all three register the same two nodes with the same ports:
 *
 *   example_c.greet   input name (string), param punctuation (string, "!")
 *                     -> output text = "Hello, " + name + punctuation
 *   example_c.scale   input x (double), param factor (double, 2)
 *                     -> output y = x * factor
 *
 * `greet` has no state and reads its param in `run`; `scale` reads its param
 * once in `create` into a malloc'd state that `destroy` frees.
 *
 * Build: see ../build.sh (cc -std=c99 -shared -fPIC -fvisibility=hidden ...).
 * The library exports exactly one symbol, `weft_plugin_entry`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/plugin.h>

/* The host table handed to `init`. The header allows keeping it in a global:
 * it stays valid until the plugin is unloaded. Written once in `init` (the
 * loading thread, before any node runs), only read afterwards. */
static const weft_host_t *host;

/* Fails the current call with "<what>: <the host's last error message>".
 * The host copies the message, so a stack buffer is fine. */
static weft_status_t fail_with_host_error(weft_ctx_t *ctx, const char *what)
{
    char message[256];
    const char *why = host->error_message(ctx);
    snprintf(message, sizeof message, "%s: %s", what,
             (why != NULL && why[0] != '\0') ? why : "no value");
    return host->fail(ctx, message);
}

/* ------------------------------------------------------------------------ */
/* greet: text = "Hello, " + name + punctuation                            */
/* ------------------------------------------------------------------------ */

static const weft_port_t greet_inputs[] = {
    {"name", WEFT_TYPE_STRING, 0, NULL, "Who to greet"},
    WEFT_PORTS_END
};
static const weft_port_t greet_outputs[] = {
    {"text", WEFT_TYPE_STRING, 0, NULL, "The greeting"},
    WEFT_PORTS_END
};
static const weft_port_t greet_params[] = {
    {"punctuation", WEFT_TYPE_STRING, 0, "\"!\"", "Appended after the name"},
    WEFT_PORTS_END
};

/* THREAD: may run concurrently (THREAD_SAFE): it touches no shared state. */
static weft_status_t greet_run(weft_ctx_t *ctx, void *state)
{
    static const char prefix[] = "Hello, ";
    const size_t prefix_len = sizeof prefix - 1;
    size_t name_len = 0, punct_len = 0;
    const char *name, *punct;
    char *text;
    weft_value_t value;
    weft_status_t status;

    (void)state; /* no create: the state is the (NULL) user_data */

    /* Both strings are borrowed from the host until this function returns. */
    name = host->get_string(ctx, host->input(ctx, 0), &name_len);
    if (name == NULL)
        return fail_with_host_error(ctx, "greet: input 'name'");
    punct = host->get_string(ctx, host->param(ctx, 0), &punct_len);
    if (punct == NULL)
        return fail_with_host_error(ctx, "greet: param 'punctuation'");

    text = malloc(prefix_len + name_len + punct_len);
    if (text == NULL)
        return host->fail(ctx, "greet: out of memory");
    memcpy(text, prefix, prefix_len);
    memcpy(text + prefix_len, name, name_len);
    memcpy(text + prefix_len + name_len, punct, punct_len);

    /* string_new copies the bytes, so the buffer can be freed right away. */
    value = host->string_new(ctx, text, prefix_len + name_len + punct_len);
    free(text);
    if (value == WEFT_NO_VALUE)
        return fail_with_host_error(ctx, "greet: cannot build 'text'");

    status = host->output(ctx, 0, value);
    if (status != WEFT_OK)
        return fail_with_host_error(ctx, "greet: cannot write 'text'");
    return WEFT_OK;
}

/* ------------------------------------------------------------------------ */
/* scale: y = x * factor                                                   */
/* ------------------------------------------------------------------------ */

static const weft_port_t scale_inputs[] = {
    {"x", WEFT_TYPE_DOUBLE, 0, NULL, "The number to scale"},
    WEFT_PORTS_END
};
static const weft_port_t scale_outputs[] = {
    {"y", WEFT_TYPE_DOUBLE, 0, NULL, "x times factor"},
    WEFT_PORTS_END
};
static const weft_port_t scale_params[] = {
    {"factor", WEFT_TYPE_DOUBLE, 0, "2", "What x is multiplied by"},
    WEFT_PORTS_END
};

/* One per node instance. OWNER: this plugin (malloc in create, free in
 * destroy). Read-only after create, so concurrent runs may share it. */
typedef struct scale_state {
    double factor;
} scale_state;

static weft_status_t scale_create(weft_ctx_t *ctx, void *user_data,
                                  void **state_out)
{
    scale_state *s;
    double factor;

    (void)user_data;
    if (host->get_double(ctx, host->param(ctx, 0), &factor) != WEFT_OK)
        return fail_with_host_error(ctx, "scale: param 'factor'");

    s = malloc(sizeof *s);
    if (s == NULL)
        return host->fail(ctx, "scale: out of memory");
    s->factor = factor;
    *state_out = s;
    return WEFT_OK;
}

static weft_status_t scale_run(weft_ctx_t *ctx, void *state)
{
    const scale_state *s = state;
    double x;

    if (host->input_double(ctx, 0, &x) != WEFT_OK)
        return fail_with_host_error(ctx, "scale: input 'x'");
    if (host->output_double(ctx, 0, x * s->factor) != WEFT_OK)
        return fail_with_host_error(ctx, "scale: cannot write 'y'");
    return WEFT_OK;
}

static void scale_destroy(void *state)
{
    free(state);
}

/* ------------------------------------------------------------------------ */
/* Registration                                                            */
/* ------------------------------------------------------------------------ */

static weft_status_t example_init(const weft_host_t *h, weft_registry_t *reg)
{
    /* Designated initializers: fields not named are zero/NULL, so the
     * example keeps compiling when later ABI versions append fields. The
     * host copies the descriptors and the port arrays during register_node;
     * only the function pointers must stay valid while the plugin is loaded. */
    const weft_node_desc_t greet = {
        .struct_size = sizeof(weft_node_desc_t),
        .name = "greet",
        .summary = "Says hello: \"Hello, \" + name + punctuation",
        .inputs = greet_inputs,
        .outputs = greet_outputs,
        .params = greet_params,
        .flags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE,
        .run = greet_run,
    };
    const weft_node_desc_t scale = {
        .struct_size = sizeof(weft_node_desc_t),
        .name = "scale",
        .summary = "Multiplies x by the factor param",
        .inputs = scale_inputs,
        .outputs = scale_outputs,
        .params = scale_params,
        .flags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE,
        .create = scale_create,
        .run = scale_run,
        .destroy = scale_destroy,
    };
    weft_status_t status;

    /* output_double is the last host function this plugin uses. */
    if (h->struct_size < WEFT_HOST_HAS(output_double))
        return h->registry_fail(reg, "example_c needs a Weft ABI v1 host");
    if (host != h) /* a second init (another engine) writes nothing: no race with running nodes */
        host = h;

    status = h->register_node(reg, &greet);
    if (status != WEFT_OK)
        return status;
    return h->register_node(reg, &scale);
}

WEFT_PLUGIN("example_c", "1.0.0",
            "Example plugin in C: greet and scale", example_init, NULL);
