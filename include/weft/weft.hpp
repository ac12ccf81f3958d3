/*
 * weft/weft.hpp — a small header-only C++17 RAII layer over weft/weft.h.
 *
 *     weft::Engine engine;
 *     engine.load_default_plugins();
 *     weft::Graph graph = weft::Graph::load(engine, "graph.json");
 *     weft::Run run = weft::Run::run_graph(graph, R"({"n": 27})");  // waits
 *     std::cout << run.outputs_json() << "\n";
 *
 * ERRORS. Every failing call throws weft::ApiError: a weft::Error (the
 *   exception of <weft/plugin.hpp>, so one catch serves both headers) with
 *   the status (status(), status_name()) and, in what(), the name of the C
 *   function and the library's weft_last_error() message. An invalid graph
 *   throws one whose what() lists every diagnostic, one per line, with its
 *   JSON path and node id. A failed or cancelled *run* is not an exception:
 *   check Run::state() (or succeeded()) and Run::error().
 * OWNERSHIP. Engine, Graph and Run own their handle, are move-only and
 *   destroy it in their destructor; they may be destroyed in any order (a
 *   graph keeps what it needs of its engine, a run of its graph). Strings
 *   returned are copies.
 * THREADS. As weft.h: any thread; one Run may be waited for, polled and
 *   cancelled from several threads at once.
 *
 * Build: c++ -std=c++17 host.cpp $(pkg-config --cflags --libs weft)
 */
#ifndef WEFT_WEFT_HPP
#define WEFT_WEFT_HPP

#include <weft/plugin.hpp> /* weft::Error, weft::Call, weft::port, weft::node */
#include <weft/weft.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

/* Calls a weft.h function; throws ApiError naming it unless it returns WEFT_OK.
 * _GET: its last parameter is an out-pointer to a T; returns the T.
 * _JSON: its last parameter is a "caller frees" char **; returns a copy.
 * (#undef'd at the end of this header.) */
#define WEFT_HPP_CALL(fn, ...) ::weft::detail::check(fn(__VA_ARGS__), #fn)
#define WEFT_HPP_GET(T, fn, ...) [&] { T v_{}; WEFT_HPP_CALL(fn, __VA_ARGS__, &v_); return v_; }()
#define WEFT_HPP_JSON(fn, ...) \
    ::weft::detail::take(WEFT_HPP_GET(char *, fn, __VA_ARGS__))

namespace weft {

/** A failed weft.h call. */
class ApiError : public Error {
public:
    ApiError(weft_status_t status, const std::string &message) : Error(message), status_(status) {}
    weft_status_t status() const noexcept { return status_; }             /* WEFT_ERR_* */
    const char *status_name() const noexcept { return weft_status_name(status_); } /* "WEFT_ERR_TYPE" */

private:
    weft_status_t status_;
};

namespace detail {
/* Throws ApiError "<fn>: <STATUS_NAME>: <last error>" unless status is WEFT_OK
 * (the last error's own "<fn>: " prefix, if any, is not repeated). */
inline void check(weft_status_t status, const char *fn) {
    if (status == WEFT_OK) return;
    std::string prefix = std::string(fn) + ": ", last = weft_last_error();
    if (last.compare(0, prefix.size(), prefix) == 0) last.erase(0, prefix.size());
    throw ApiError(status, prefix + weft_status_name(status) + ": " + last);
}
/* A "caller frees" string as a std::string. */
inline std::string take(char *s) {
    std::unique_ptr<char, void (*)(void *)> owned(s, weft_free);
    return s != nullptr ? std::string(s) : std::string();
}
inline std::string str(const char *s) { return s != nullptr ? s : ""; }
/* Move-only owner of one handle, released with Destroy (its status ignored). */
template <auto Destroy>
struct Deleter {
    template <class T> void operator()(T *h) const noexcept { (void)Destroy(h); }
};
template <class T, auto Destroy>
using Handle = std::unique_ptr<T, Deleter<Destroy>>;
} // namespace detail

/** The library version, e.g. "0.1.0". */
inline std::string version() { return weft_version(); }

/** The node types a host knows (plugins and its own) and the ffi library policy. */
class Engine {
public:
    Engine() {
        weft_engine_t *e = nullptr;
        WEFT_HPP_CALL(weft_engine_create, &e);
        h_ = Handle(e);
    }
    void load_default_plugins() { WEFT_HPP_CALL(weft_engine_load_default_plugins, get()); }
    void add_plugin_folder(const std::string &d) { WEFT_HPP_CALL(weft_engine_add_plugin_folder, get(), d.c_str()); }
    void load_plugin(const std::string &path) { WEFT_HPP_CALL(weft_engine_load_plugin, get(), path.c_str()); }
    void allow_library(const std::string &g) { WEFT_HPP_CALL(weft_engine_allow_library, get(), g.c_str()); }
    /** The most bytes a graph may hold (0: the default, 1 GiB). */
    void set_max_graph_bytes(uint64_t bytes) { WEFT_HPP_CALL(weft_engine_set_max_graph_bytes, get(), bytes); }
    /** Registers a C descriptor as `<ns>.<desc.name>`; its user_data and
     *  callbacks must stay valid while any graph of this engine lives. */
    void register_node(const std::string &ns, const weft_node_desc_t &desc) {
        WEFT_HPP_CALL(weft_engine_register_node, get(), ns.c_str(), &desc);
    }
    /** Registers `desc` (from weft::node) with `run` a callable taking
     *  weft::Call& (plugin.hpp) and returning void (throw to fail) or
     *  weft_status_t. It is kept until the process exits and may run on
     *  several threads at once (it is called as const). */
    template <class RunFn>
    void register_node(const std::string &ns, weft_node_desc_t desc, RunFn run) {
        using B = detail::StatelessBinding<RunFn>;
        auto binding = std::make_unique<B>(weft_host_table(), std::move(run));
        desc.user_data = binding.get();
        desc.create = B::create_c;
        desc.run = B::run_c;
        desc.destroy = B::destroy_c;
        detail::Bindings &all = detail::bindings();
        std::lock_guard<std::mutex> lock(all.mutex);
        all.all.reserve(all.all.size() + 1);
        register_node(ns, desc);
        all.all.push_back(std::move(binding)); /* cannot throw after reserve */
    }
    /** {"plugins": [...], "nodes": [...]}: every node type of the engine. */
    std::string nodes_json() const { return WEFT_HPP_JSON(weft_engine_nodes_json, get()); }
    weft_engine_t *get() const noexcept { return h_.get(); }

private:
    using Handle = detail::Handle<weft_engine_t, weft_engine_destroy>;
    Handle h_;
};

/** One problem found in a graph (weft_diagnostics_get). */
struct Diagnostic {
    int32_t severity;    /* WEFT_SEVERITY_ERROR or WEFT_SEVERITY_WARNING */
    std::string message;
    std::string node;    /* "" if it concerns no one node */
    std::string path;    /* "$.nodes[2].params.x" */
};

/** A parsed, validated graph: immutable, shareable between threads. */
class Graph {
public:
    /** Parses a graph document; `name` starts the message of the exception. */
    static Graph parse(const Engine &engine, std::string_view json, const std::string &name = "graph") {
        return make(name, [&](weft_graph_t **g, weft_diagnostics_t **d) {
            return weft_graph_parse(engine.get(), json.data(), json.size(), g, d);
        });
    }
    /** Reads and parses the file at `path` (WEFT_ERR_NOT_FOUND if unreadable). */
    static Graph load(const Engine &engine, const std::string &path) {
        return make(path, [&](weft_graph_t **g, weft_diagnostics_t **d) {
            return weft_graph_load(engine.get(), path.c_str(), g, d);
        });
    }
    /** {"inputs": [{name, type, default?}], "outputs": [{name, type}], "nodes": N}. */
    std::string describe_json() const { return WEFT_HPP_JSON(weft_graph_describe_json, get()); }
    /** The warnings found when it was parsed. */
    const std::vector<Diagnostic> &warnings() const noexcept { return warnings_; }
    weft_graph_t *get() const noexcept { return h_.get(); }

private:
    using Handle = detail::Handle<weft_graph_t, weft_graph_destroy>;

    template <class Fn>
    static Graph make(const std::string &name, Fn fn) {
        weft_graph_t *g = nullptr;
        weft_diagnostics_t *d = nullptr;
        weft_status_t status = fn(&g, &d);
        std::string last = weft_last_error(); /* before any other call */
        detail::Handle<weft_diagnostics_t, weft_diagnostics_destroy> diags(d);
        Graph graph;
        graph.h_ = Handle(g);
        for (size_t i = 0, n = d != nullptr ? weft_diagnostics_count(d) : 0; i < n; i++) {
            int32_t severity = WEFT_SEVERITY_ERROR;
            const char *message = nullptr, *node = nullptr, *path = nullptr;
            if (weft_diagnostics_get(d, i, &severity, &message, &node, &path) == WEFT_OK)
                graph.warnings_.push_back(
                    {severity, detail::str(message), detail::str(node), detail::str(path)});
        }
        if (status == WEFT_OK) return graph;
        std::string m = name + ": " + weft_status_name(status) + ": ";
        if (graph.warnings_.empty()) m += last; /* e.g. an unreadable file */
        else m += "invalid graph";
        for (const Diagnostic &x : graph.warnings_) {
            m += "\n" + x.path + ": " + (x.severity == WEFT_SEVERITY_ERROR ? "error" : "warning");
            if (!x.node.empty()) m += " (node '" + x.node + "')";
            m += ": " + x.message;
        }
        throw ApiError(status, m);
    }
    Handle h_;
    std::vector<Diagnostic> warnings_;
};

/** How a run runs (weft_run_options_t). on_event runs on a run thread, one
 *  call at a time, in order; keep it quick; it must not wait for or destroy
 *  its own run. Exceptions it throws are dropped. */
struct RunOptions {
    int32_t mode = WEFT_MODE_SEQUENTIAL; /* or WEFT_MODE_PARALLEL */
    int32_t workers = 0;                 /* parallel mode threads; 0 = CPUs */
    int64_t max_steps = 0;               /* 0 = 1,000,000 */
    double duration_s = 0;               /* cancel after this long; 0 = no limit */
    std::function<void(const weft_event_t &)> on_event;
};

/** One execution of a graph: set inputs, start, wait, read outputs. The
 *  destructor cancels a run still running and waits for it. */
class Run {
public:
    /** Makes a run, not started; the nodes' create callbacks run now. */
    explicit Run(const Graph &graph, RunOptions options = {})
        : events_(events(std::move(options.on_event))) {
        weft_run_options_t o = c_options(options);
        h_ = Handle(WEFT_HPP_GET(weft_run_t *, weft_run_create, graph.get(), &o));
    }
    /** Creates, sets `inputs_json` (if not empty), starts and waits. */
    static Run run_graph(const Graph &graph, const std::string &inputs_json = "",
                         RunOptions options = {}) {
        Run run;
        run.events_ = events(std::move(options.on_event));
        weft_run_options_t o = run.c_options(options);
        const char *inputs = inputs_json.empty() ? nullptr : inputs_json.c_str();
        run.h_ = Handle(WEFT_HPP_GET(weft_run_t *, weft_run_graph, graph.get(), &o, inputs));
        return run;
    }
    Run(Run &&) noexcept = default;
    Run &operator=(Run &&o) noexcept { /* the old run goes before its callback */
        if (this != &o) { h_.reset(); events_ = std::move(o.events_); h_ = std::move(o.h_); }
        return *this;
    }

    /* Inputs, before start: unknown name WEFT_ERR_NOT_FOUND, wrong type WEFT_ERR_TYPE. */
    void set_inputs(const std::string &json) { WEFT_HPP_CALL(weft_run_set_inputs_json, get(), json.c_str()); }
    void set_input_json(const std::string &name, const std::string &json) {
        WEFT_HPP_CALL(weft_run_set_input_json, get(), name.c_str(), json.c_str());
    }
    void set_input_int(const std::string &name, int64_t v) {
        WEFT_HPP_CALL(weft_run_set_input_int, get(), name.c_str(), v);
    }
    void set_input_double(const std::string &name, double v) {
        WEFT_HPP_CALL(weft_run_set_input_double, get(), name.c_str(), v);
    }
    void set_input_bool(const std::string &name, bool v) {
        WEFT_HPP_CALL(weft_run_set_input_bool, get(), name.c_str(), v ? 1 : 0);
    }
    void set_input_string(const std::string &name, std::string_view v) {
        WEFT_HPP_CALL(weft_run_set_input_string, get(), name.c_str(), v.data(), v.size());
    }

    void start() { WEFT_HPP_CALL(weft_run_start, get()); }
    /** Waits at most timeout_ms (negative: no limit); false if still running. */
    bool wait(int64_t timeout_ms = -1) {
        weft_status_t status = weft_run_wait(get(), timeout_ms);
        if (status == WEFT_ERR_TIMEOUT) return false;
        detail::check(status, "weft_run_wait");
        return true;
    }
    void cancel() { WEFT_HPP_CALL(weft_run_cancel, get()); }
    int32_t state() const noexcept { return weft_run_state(get()); } /* WEFT_RUN_* */
    bool succeeded() const noexcept { return state() == WEFT_RUN_SUCCEEDED; }
    std::string error() const { return detail::str(weft_run_error(get())); } /* "" if none */
    std::string failed_node() const { return detail::str(weft_run_failed_node(get())); }
    int64_t steps() const noexcept { return weft_run_steps(get()); }
    uint64_t duration_ns() const noexcept { return weft_run_duration_ns(get()); }

    /* Outputs, once finished: one that did not fire gives WEFT_ERR_NOT_FOUND. */
    std::string outputs_json() const { return WEFT_HPP_JSON(weft_run_outputs_json, get()); }
    std::string output_json(const std::string &name) const {
        return WEFT_HPP_JSON(weft_run_output_json, get(), name.c_str());
    }
    int64_t output_int(const std::string &name) const {
        return WEFT_HPP_GET(int64_t, weft_run_output_int, get(), name.c_str());
    }
    double output_double(const std::string &name) const {
        return WEFT_HPP_GET(double, weft_run_output_double, get(), name.c_str());
    }
    bool output_bool(const std::string &name) const {
        return WEFT_HPP_GET(int32_t, weft_run_output_bool, get(), name.c_str()) != 0;
    }
    std::string output_string(const std::string &name) const {
        const char *s = nullptr;
        size_t length = 0;
        WEFT_HPP_CALL(weft_run_output_string, get(), name.c_str(), &s, &length);
        return std::string(s, length);
    }
    weft_run_t *get() const noexcept { return h_.get(); }

private:
    using Callback = std::function<void(const weft_event_t &)>;
    using Handle = detail::Handle<weft_run_t, weft_run_destroy>;
    Run() = default;
    /* The callback lives on the heap, so its address survives moves; h_ is
     * declared after it, so the run is destroyed (and waited for) first. */
    static std::unique_ptr<Callback> events(Callback fn) {
        return fn ? std::make_unique<Callback>(std::move(fn)) : nullptr;
    }
    weft_run_options_t c_options(const RunOptions &options) const {
        weft_run_options_t o;
        weft_run_options_init(&o);
        o.mode = options.mode;
        o.workers = options.workers;
        o.max_steps = options.max_steps;
        o.duration_s = options.duration_s;
        if (events_) { o.on_event = trampoline; o.user_data = events_.get(); }
        return o;
    }
    static void trampoline(const weft_event_t *event, void *user_data) noexcept {
        try { (*static_cast<Callback *>(user_data))(*event); } catch (...) {}
    }
    std::unique_ptr<Callback> events_;
    Handle h_;
};

} // namespace weft

#undef WEFT_HPP_CALL
#undef WEFT_HPP_GET
#undef WEFT_HPP_JSON

#endif /* WEFT_WEFT_HPP */
