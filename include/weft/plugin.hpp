/*
 * weft/plugin.hpp — a thin, header-only C++17 layer over weft/plugin.h.
 *
 * Nothing here changes the ABI: a plugin still exports `weft_plugin_entry`
 * (use WEFT_PLUGIN from plugin.h) and talks to the host only through the
 * `weft_host_t` table. This header adds:
 *
 *   weft::Call           a view of one callback, (host, ctx), with typed
 *                        readers/writers that THROW weft::Error on failure;
 *   weft::port, node     helpers to fill weft_port_t / weft_node_desc_t;
 *   weft::register_node  registers a node whose run (and optionally create)
 *                        is any C++ callable, e.g. a lambda.
 *
 * Exceptions never reach the host: callbacks registered through
 * weft::register_node catch everything at the C boundary and turn it into
 * `host->fail(ctx, e.what())`; register_node itself is noexcept.
 *
 * Build plugins with -fvisibility=hidden AND a linker version script that
 * exports only weft_plugin_entry (examples/plugins/exports.map): libstdc++
 * template instantiations (std::string, ...) are otherwise exported as weak
 * symbols, which -fvisibility=hidden alone does not hide.
 */
#ifndef WEFT_PLUGIN_HPP
#define WEFT_PLUGIN_HPP

#include <weft/plugin.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace weft {

/** Thrown by Call's helpers when a host call fails; its what() becomes the
 *  call's failure message. Throw it (or anything) from create/run to fail. */
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/** One create or run callback: the host table plus the call's ctx.
 *  THREAD: the callback's thread, during the callback only. Never keep a
 *  Call, or a string_view it returned, beyond the callback.
 *  OWNER: the host owns ctx and every value handle; nothing to free.
 *  Indices are positions in the node's inputs / outputs / params arrays. */
class Call {
public:
    Call(const weft_host_t *host, weft_ctx_t *ctx) noexcept : host_(host), ctx_(ctx) {}

    const weft_host_t *host() const noexcept { return host_; }
    weft_ctx_t *ctx() const noexcept { return ctx_; }

    /* --- Reading: params in create and run, inputs in run only. --------
     * A double reader also accepts an INT. Strings are borrowed from the
     * host until the callback returns. */
    weft_value_t input(int32_t i) const noexcept { return host_->input(ctx_, i); }
    weft_value_t param(int32_t i) const noexcept { return host_->param(ctx_, i); }

    int64_t input_int(int32_t i) const { return read<int64_t>(host_->input_int, i, "input", i); }
    double input_double(int32_t i) const { return read<double>(host_->input_double, i, "input", i); }
    std::string_view input_string(int32_t i) const { return string(input(i), "input", i); }
    bool input_bool(int32_t i) const { return read<int32_t>(host_->get_bool, input(i), "input", i); }

    int64_t param_int(int32_t i) const { return read<int64_t>(host_->get_int, param(i), "param", i); }
    double param_double(int32_t i) const { return read<double>(host_->get_double, param(i), "param", i); }
    std::string_view param_string(int32_t i) const { return string(param(i), "param", i); }
    bool param_bool(int32_t i) const { return read<int32_t>(host_->get_bool, param(i), "param", i); }

    /* --- Writing (run only). The host copies what it is given. Each output
     *     may be written once; required outputs must be written. --------- */
    void output(int32_t i, int64_t v) const { check(host_->output_int(ctx_, i, v), "output", i); }
    void output(int32_t i, double v) const { check(host_->output_double(ctx_, i, v), "output", i); }
    void output(int32_t i, bool v) const { output_value(i, made(host_->bool_new(ctx_, v), i)); }
    void output(int32_t i, std::string_view s) const {
        output_value(i, made(host_->string_new(ctx_, s.data(), s.size()), i));
    }
    /** Without this overload a string literal would pick output(bool). */
    void output(int32_t i, const char *s) const { output(i, std::string_view(s)); }
    /** Other integer types (int, unsigned, ...) are written as an INT.
     *  uint64_t is left out (a call is ambiguous, so a compile error): it is
     *  weft_value_t. Write a handle with output_value, a number with a cast. */
    template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> &&
                                            !std::is_same_v<T, weft_value_t>, int> = 0>
    void output(int32_t i, T v) const {
        if constexpr (std::is_unsigned_v<T>)
            if (static_cast<std::uintmax_t>(v) > static_cast<std::uintmax_t>(INT64_MAX))
                throw_error("output", i, "integer out of int64 range");
        output(i, static_cast<int64_t>(v));
    }
    /** Writes a value handle built with host()->..._new(ctx(), ...). */
    void output_value(int32_t i, weft_value_t v) const { check(host_->output(ctx_, i, v), "output", i); }
    /** Fires output i without data (how a branching node picks a path). */
    void fire(int32_t i) const { check(host_->fire(ctx_, i), "output", i); }

    /* --- Failing and logging. Messages are copied by the host. ---------- */
    /** Records the failure; returns WEFT_ERR_FAILED so that a run returning
     *  weft_status_t can `return call.fail("why");`. A void run throws. */
    weft_status_t fail(const char *message) const noexcept { return host_->fail(ctx_, message); }
    weft_status_t fail(const std::string &message) const noexcept { return fail(message.c_str()); }
    void log(int32_t level, const char *message) const noexcept { host_->log(ctx_, level, message); }
    /** The host's last error message on this ctx, "" if none. Borrowed. */
    const char *error_message() const noexcept {
        const char *m = host_->error_message(ctx_);
        return m != nullptr ? m : "";
    }

private:
    /* Throws "<what> <i>: <why or the host's error message>". Uses snprintf:
     * std::to_string would put a GNU_UNIQUE symbol into the library. */
    [[noreturn]] void throw_error(const char *what, int32_t i, const char *why = nullptr) const {
        if (why == nullptr && *(why = error_message()) == '\0')
            why = "no value";
        char index[16];
        std::snprintf(index, sizeof index, " %ld: ", static_cast<long>(i));
        std::string m(what);
        m += index;
        m += why;
        throw Error(m);
    }
    void check(weft_status_t status, const char *what, int32_t i) const {
        if (status != WEFT_OK) throw_error(what, i);
    }
    weft_value_t made(weft_value_t v, int32_t i) const {
        if (v == WEFT_NO_VALUE) throw_error("output", i);
        return v;
    }
    /* fn(ctx, arg, &out) for arg = a port index or a value handle. */
    template <class T, class Fn, class Arg>
    T read(Fn fn, Arg arg, const char *what, int32_t i) const {
        T v{};
        check(fn(ctx_, arg, &v), what, i);
        return v;
    }
    std::string_view string(weft_value_t v, const char *what, int32_t i) const {
        size_t len = 0;
        const char *s = host_->get_string(ctx_, v, &len);
        if (s == nullptr) throw_error(what, i);
        return std::string_view(s, len);
    }

    const weft_host_t *host_;
    weft_ctx_t *ctx_;
};

/** A port or param; end each array with WEFT_PORTS_END. The strings are
 *  borrowed until register_node returns (string literals are typical). */
constexpr weft_port_t port(const char *name, weft_type_t type, const char *summary,
                           const char *default_json = nullptr, uint32_t flags = 0) noexcept {
    return weft_port_t{name, type, flags, default_json, summary};
}

/** A descriptor with struct_size set and later fields zero; register_node
 *  fills user_data and the callbacks. Arrays may be nullptr (no ports). */
inline weft_node_desc_t node(const char *name, const char *summary, const weft_port_t *inputs,
                             const weft_port_t *outputs, const weft_port_t *params,
                             uint32_t flags) noexcept {
    weft_node_desc_t d{};
    d.struct_size = sizeof(weft_node_desc_t);
    d.name = name;
    d.summary = summary;
    d.inputs = inputs;
    d.outputs = outputs;
    d.params = params;
    d.flags = flags;
    return d;
}

namespace detail {

/* What `user_data` points to: the host table and the node's callables.
 * OWNER: kept in `bindings()` until the library is unloaded (static
 * destructor). A plugin loaded by two hosts gets a binding per registration. */
struct Binding {
    explicit Binding(const weft_host_t *h) : host(h) {}
    virtual ~Binding() = default;
    const weft_host_t *host;
};
struct Bindings {
    std::mutex mutex; /* init may run on several loading threads */
    std::vector<std::unique_ptr<Binding>> all;
};
inline Bindings &bindings() {
    static Bindings b;
    return b;
}

/* The C boundary: runs body(call), maps void to WEFT_OK, and turns any
 * exception into host->fail. */
template <class Body>
weft_status_t guarded(const weft_host_t *host, weft_ctx_t *ctx, Body &&body) noexcept {
    try {
        Call call(host, ctx);
        using R = decltype(body(call));
        static_assert(std::is_void_v<R> || std::is_same_v<R, weft_status_t>,
                      "a node's run must return void or weft_status_t");
        if constexpr (std::is_void_v<R>) {
            body(call);
            return WEFT_OK;
        } else {
            return body(call);
        }
    } catch (const std::exception &e) {
        return host->fail(ctx, e.what());
    } catch (...) {
        return host->fail(ctx, "unknown C++ exception");
    }
}

template <class Run>
struct StatelessBinding : Binding {
    StatelessBinding(const weft_host_t *h, Run r) : Binding(h), run(std::move(r)) {}
    Run run;
    static constexpr weft_create_fn create_c = nullptr; /* state = user_data */
    static constexpr weft_destroy_fn destroy_c = nullptr;
    static weft_status_t run_c(weft_ctx_t *ctx, void *state) noexcept {
        auto *self = static_cast<StatelessBinding *>(state);
        const Run &run = self->run; /* shared by all instances: const */
        return guarded(self->host, ctx, [&](Call &c) { return run(c); });
    }
};

template <class State, class Create, class Run>
struct StatefulBinding : Binding {
    StatefulBinding(const weft_host_t *h, Create c, Run r)
        : Binding(h), create(std::move(c)), run(std::move(r)) {}
    Create create;
    Run run;
    struct Instance {
        StatefulBinding *binding;
        State state;
    };
    static weft_status_t create_c(weft_ctx_t *ctx, void *user_data, void **state_out) noexcept {
        auto *self = static_cast<StatefulBinding *>(user_data);
        const Create &create = self->create;
        return guarded(self->host, ctx, [&](Call &c) { *state_out = new Instance{self, create(c)}; });
    }
    static weft_status_t run_c(weft_ctx_t *ctx, void *state) noexcept {
        auto *inst = static_cast<Instance *>(state);
        const Run &run = inst->binding->run;
        return guarded(inst->binding->host, ctx, [&](Call &c) { return run(c, inst->state); });
    }
    /* Destructors are noexcept: one that throws terminates, as anywhere. */
    static void destroy_c(void *state) noexcept { delete static_cast<Instance *>(state); }
};

/* Registers desc with user_data = a new B; keeps B if the host accepts. */
template <class B, class... Args>
weft_status_t register_binding(const weft_host_t *host, weft_registry_t *reg,
                               weft_node_desc_t desc, Args &&...args) noexcept {
    try {
        auto b = std::make_unique<B>(host, std::forward<Args>(args)...);
        desc.user_data = b.get();
        desc.create = B::create_c;
        desc.run = B::run_c;
        desc.destroy = B::destroy_c;
        Bindings &all = bindings();
        std::lock_guard<std::mutex> lock(all.mutex);
        all.all.reserve(all.all.size() + 1); /* may throw: do it before registering */
        weft_status_t status = host->register_node(reg, &desc);
        if (status == WEFT_OK)
            all.all.push_back(std::move(b)); /* cannot throw after reserve */
        return status;
    } catch (const std::exception &e) {
        return host->registry_fail(reg, e.what());
    } catch (...) {
        return host->registry_fail(reg, "unknown C++ exception");
    }
}

} // namespace detail

/** Registers a stateless node (`desc` from weft::node); call it from init.
 *  Returns the host's register_node status. `run(Call&)` returns void
 *  (throw to fail) or weft_status_t.
 *  THREAD: one `run` serves every instance of the node, possibly on several
 *  threads at once, so it is called as const (captures are read-only).
 *  OWNER: the callable is kept until the library is unloaded. */
template <class Run>
weft_status_t register_node(const weft_host_t *host, weft_registry_t *reg,
                            weft_node_desc_t desc, Run run) noexcept {
    return detail::register_binding<detail::StatelessBinding<Run>>(host, reg, desc, std::move(run));
}

/** Registers a node with per-instance state: `create(Call&)` returns a
 *  State (kept in a new'd instance that destroy deletes), then each run
 *  calls `run(Call&, State&)`, returning void or weft_status_t as above.
 *  THREAD: create and run are shared by all instances and called as const;
 *  with WEFT_NODE_THREAD_SAFE one instance's State is shared by concurrent
 *  runs, so treat it as read-only then. */
template <class State, class Create, class Run>
weft_status_t register_node(const weft_host_t *host, weft_registry_t *reg,
                            weft_node_desc_t desc, Create create, Run run) noexcept {
    return detail::register_binding<detail::StatefulBinding<State, Create, Run>>(
        host, reg, desc, std::move(create), std::move(run));
}

} // namespace weft

#endif /* WEFT_PLUGIN_HPP */
