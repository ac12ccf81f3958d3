/*
 * example_cpp — the Weft example plugin, written in C++17 with the thin
 * header-only layer include/weft/plugin.hpp. The same plugin exists in C
 * (../c) and Rust (../rust); all three register the same two nodes:
 *
 *   example_cpp.greet   input name (string), param punctuation (string, "!")
 *                       -> output text = "Hello, " + name + punctuation
 *   example_cpp.scale   input x (double), param factor (double, 2)
 *                       -> output y = x * factor
 *
 * `greet` is a stateless lambda that reads its param in run; `scale` reads
 * its param once in create into a per-instance State (new'd by plugin.hpp,
 * deleted in destroy). Helpers throw weft::Error on a failed host call;
 * plugin.hpp catches every exception at the C boundary and reports it with
 * host->fail, so nothing is thrown into the host.
 *
 * Build: see ../build.sh (c++ -std=c++17 -shared -fPIC -fvisibility=hidden).
 * The library exports exactly one symbol, `weft_plugin_entry`.
 */
#include <string>

#include <weft/plugin.hpp>

namespace {

constexpr uint32_t kFlags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE;

/* Port arrays: the host copies them during register_node. */
const weft_port_t greet_inputs[] = {
    weft::port("name", WEFT_TYPE_STRING, "Who to greet"),
    WEFT_PORTS_END,
};
const weft_port_t greet_outputs[] = {
    weft::port("text", WEFT_TYPE_STRING, "The greeting"),
    WEFT_PORTS_END,
};
const weft_port_t greet_params[] = {
    weft::port("punctuation", WEFT_TYPE_STRING, "Appended after the name", "\"!\""),
    WEFT_PORTS_END,
};

const weft_port_t scale_inputs[] = {
    weft::port("x", WEFT_TYPE_DOUBLE, "The number to scale"),
    WEFT_PORTS_END,
};
const weft_port_t scale_outputs[] = {
    weft::port("y", WEFT_TYPE_DOUBLE, "x times factor"),
    WEFT_PORTS_END,
};
const weft_port_t scale_params[] = {
    weft::port("factor", WEFT_TYPE_DOUBLE, "What x is multiplied by", "2"),
    WEFT_PORTS_END,
};

/* Per-instance state of `scale`; read-only after create, so concurrent
 * runs (THREAD_SAFE) may share it. */
struct ScaleState {
    double factor;
};

weft_status_t example_init(const weft_host_t *host, weft_registry_t *reg) {
    /* output_double is the last host function this plugin uses. */
    if (host->struct_size < WEFT_HOST_HAS(output_double))
        return host->registry_fail(reg, "example_cpp needs a Weft ABI v1 host");

    weft_status_t status = weft::register_node(
        host, reg,
        weft::node("greet", "Says hello: \"Hello, \" + name + punctuation", greet_inputs,
                   greet_outputs, greet_params, kFlags),
        [](weft::Call &call) {
            /* Both string_views are borrowed until this callback returns. */
            std::string text = "Hello, ";
            text += call.input_string(0);
            text += call.param_string(0);
            call.output(0, text); /* the host copies the string */
        });
    if (status != WEFT_OK)
        return status;

    return weft::register_node<ScaleState>(
        host, reg,
        weft::node("scale", "Multiplies x by the factor param", scale_inputs, scale_outputs,
                   scale_params, kFlags),
        [](weft::Call &call) { return ScaleState{call.param_double(0)}; },
        [](weft::Call &call, ScaleState &state) {
            call.output(0, call.input_double(0) * state.factor);
        });
}

} // namespace

WEFT_PLUGIN("example_cpp", "1.0.0", "Example plugin in C++: greet and scale", example_init,
            nullptr);
