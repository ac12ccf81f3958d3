// host.cpp — a C++17 program embedding Weft through <weft/weft.hpp>.
//
// Registers a node of its own (cpp.label, a lambda), loads graph.json
// (std.add, std.mul, cpp.label), runs it with the inputs given as argv[1]
// (default {"c": 10}), prints the outputs, then shows the errors the
// wrapper throws: a graph input of the wrong type, and an invalid graph
// whose message names the node and the JSON path of each problem.
//
// Usage: host [INPUTS_JSON]   (graph.json is read beside the executable)
#include <weft/weft.hpp>

#include <atomic>
#include <iostream>
#include <string>

namespace {

// cpp.label: text = prefix + value
const weft_port_t label_inputs[] = {weft::port("value", WEFT_TYPE_INT, "the number"), WEFT_PORTS_END};
const weft_port_t label_outputs[] = {weft::port("text", WEFT_TYPE_STRING, "prefix + value"), WEFT_PORTS_END};
const weft_port_t label_params[] = {weft::port("prefix", WEFT_TYPE_STRING, "put before the number", "\"\""),
                                    WEFT_PORTS_END};

// The folder of the executable, with its trailing '/', or "".
std::string folder_of(const std::string &argv0) {
    std::string::size_type slash = argv0.rfind('/');
    return slash == std::string::npos ? std::string() : argv0.substr(0, slash + 1);
}

} // namespace

int main(int argc, char **argv) {
    const std::string inputs = argc > 1 ? argv[1] : R"({"c": 10})";
    try {
        std::cout << "weft " << weft::version() << "\n";

        weft::Engine engine;
        engine.load_default_plugins();
        engine.register_node("cpp",
                             weft::node("label", "prefix + value as text", label_inputs, label_outputs,
                                        label_params, WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE),
                             [](weft::Call &c) {
                                 std::string text(c.param_string(0));
                                 text += std::to_string(c.input_int(0));
                                 c.output(0, text);
                             });
        std::cout << "registered cpp.label\n";

        // A good graph: run it, counting node_finished events.
        weft::Graph graph = weft::Graph::load(engine, folder_of(argv[0]) + "graph.json");
        for (const weft::Diagnostic &w : graph.warnings())
            std::cerr << "warning: " << w.path << ": " << w.message << "\n";
        std::atomic<int> finished{0};
        weft::RunOptions options;
        options.on_event = [&finished](const weft_event_t &e) {
            if (e.kind == WEFT_EVENT_NODE_FINISHED) finished++;
        };
        weft::Run run(graph, options);
        run.set_inputs(inputs);
        run.start();
        run.wait();
        if (!run.succeeded()) {
            std::cerr << "error: the run failed: " << run.error() << "\n";
            return 1;
        }
        std::cout << "outputs: " << run.outputs_json() << "\n";
        std::cout << "product = " << run.output_int("product") << "\n";
        std::cout << "text = " << run.output_string("text") << "\n";
        std::cout << "events: node_finished=" << finished.load() << "\n";

        // A graph input of the wrong type: refused before the run starts.
        try {
            weft::Run bad(graph);
            bad.set_input_string("a", "two");
            std::cerr << "error: a string for int input 'a' was accepted\n";
            return 1;
        } catch (const weft::ApiError &e) {
            std::cout << "bad input rejected (" << e.status_name() << ")\n";
        }

        // An invalid graph: the exception lists every problem.
        try {
            weft::Graph::parse(engine, R"({"weft": 1,
                "nodes": [{"id": "sum", "type": "std.ad"}],
                "outputs": {"result": "sum.result"}})", "inline graph");
            std::cerr << "error: an invalid graph was accepted\n";
            return 1;
        } catch (const weft::ApiError &e) {
            std::cout << "invalid graph rejected (" << e.status_name() << "):\n" << e.what() << "\n";
        }
        return 0;
    } catch (const weft::Error &e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
