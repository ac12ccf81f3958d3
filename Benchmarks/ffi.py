#!/usr/bin/env python3
"""Cost of one call of `double twice(double x)` (x * 2) four ways (release build).

Usage: python3 Benchmarks/ffi.py [--quick] [--weft PATH | --scratch-path DIR]

  direct   a C program (cc -O2) calling the library's `twice` through a
           function pointer in a loop: the floor, ns per call
  native   a chain of N nodes of a C plugin node `bench.twice` (input_double /
           output_double): `weft run --timing`, run ns per node
  ffi      a chain of N `ffi` nodes calling the library's `twice` through
           libffi (--allow-library): `weft run --timing`, run ns per node
  ctypes   Python ctypes calling the library's `twice` in a Python loop:
           ns per call, loop included (for reference)

Every variant checks its result. Reports median/min/max over the repeats,
ffi/native and ffi - native (medians), prints a table and writes
Benchmarks/results/ffi.json. About 1.5 min in full, under 30 s with --quick.
"""
import argparse, ctypes, json, os, platform, re, shutil, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

LIBRARY_C = r"""
double twice(double x) { return x * 2; }
"""

DIRECT_C = r"""
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
    if (argc != 4) return 2;
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    /* volatile: the compiler may not inline or hoist the call. */
    double (*volatile twice)(double) = (double (*)(double))dlsym(lib, "twice");
    if (!twice) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    long n = atol(argv[2]);
    double x = atof(argv[3]);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < n; i++) x = twice(x);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    printf("%.6f %.17g\n", ns / n, x);
    return 0;
}
"""

PLUGIN_C = r"""
#include <weft/plugin.h>
static const weft_host_t *host;
static weft_status_t run(weft_ctx_t *ctx, void *state) {
    (void)state;
    double x;
    weft_status_t st = host->input_double(ctx, 0, &x);
    if (st != WEFT_OK) return st;
    return host->output_double(ctx, 0, x * 2);
}
static const weft_port_t inputs[] = {{"x", WEFT_TYPE_DOUBLE, 0, NULL, "operand"}, WEFT_PORTS_END};
static const weft_port_t outputs[] = {{"result", WEFT_TYPE_DOUBLE, 0, NULL, "x * 2"}, WEFT_PORTS_END};
static weft_status_t init(const weft_host_t *h, weft_registry_t *r) {
    host = h;
    weft_node_desc_t d = {sizeof d, "twice", "x * 2", inputs, outputs, NULL,
                          WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE, NULL, NULL, run, NULL};
    return h->register_node(r, &d);
}
WEFT_PLUGIN("bench", "1.0", "FFI benchmark baseline", init, NULL);
"""

SIGNATURE = "double twice(double x)"
TIMING = re.compile(r"run ([\d.]+) ms for (\d+) steps")


def sh(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p


def chain(n, node):
    """n nodes of `node` (a dict without id) in a chain from graph input x."""
    nodes = [dict(node, id=f"n{i}") for i in range(n)]
    edges = [{"from": "$x", "to": "n0.x"}] + [{"from": f"n{i-1}.result", "to": f"n{i}.x"} for i in range(1, n)]
    return {"weft": 1, "inputs": {"x": "double"}, "nodes": nodes, "edges": edges,
            "outputs": {"last": f"n{n-1}.result"}}


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    ap.add_argument("--weft", help="a release weft binary (default: swift build -c release)")
    ap.add_argument("--scratch-path", help="scratch path for swift build (default: .build)")
    a = ap.parse_args()
    weft = a.weft
    if not weft:
        build = ["swift", "build", "-c", "release"] + (["--scratch-path", a.scratch_path] if a.scratch_path else [])
        sh(build, cwd=ROOT)
        bin_dir = sh(build + ["--show-bin-path"], cwd=ROOT).stdout.strip()
        weft = os.path.join(bin_dir, "weft")
    weft = os.path.abspath(weft)
    cc = os.environ.get("CC", "cc")
    reps = 3 if a.quick else 7
    n_nodes = 20_000 if a.quick else 100_000
    n_direct = 20_000_000 if a.quick else 100_000_000
    n_ctypes = 300_000 if a.quick else 1_000_000

    tmp = tempfile.mkdtemp(prefix="weft-ffi-bench-")
    try:
        def write(name, text):
            path = os.path.join(tmp, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
            return path

        # The user library (outside any plugin folder: allowed with --allow-library).
        lib = os.path.join(tmp, "lib", "libtwice.so")
        sh([cc, "-O2", "-shared", "-fPIC", write("lib/twice.c", LIBRARY_C), "-o", lib])
        direct = os.path.join(tmp, "direct")
        sh([cc, "-O2", write("direct.c", DIRECT_C), "-o", direct, "-ldl"])
        plugins = os.path.join(tmp, "plugins")
        os.makedirs(plugins)
        sh([cc, "-O2", "-std=c99", "-Wall", "-Werror", "-shared", "-fPIC", "-fvisibility=hidden",
            "-I", os.path.join(ROOT, "include"), write("plugin/bench.c", PLUGIN_C),
            "-o", os.path.join(plugins, "libbench.so")])

        variants = {
            "native": {"type": "bench.twice"},
            "ffi": {"type": "ffi", "params": {"library": lib, "symbol": "twice", "signature": SIGNATURE}},
        }
        common = ["--plugins", plugins, "--allow-library", lib]

        def weft_run(graph_path, x):
            p = sh([weft, "run", graph_path, "--quiet", "--json", "--timing", "--input", f"x={x}", *common])
            m = TIMING.search(p.stderr)
            if not m:
                sys.exit(f"no timing line in: {p.stderr}")
            return json.loads(p.stdout)["last"], float(m.group(1)), int(m.group(2))

        # Correctness first: 50 nodes double 1.0 fifty times.
        for name, node in variants.items():
            path = write(f"check-{name}.json", json.dumps(chain(50, node)))
            last, _, _ = weft_run(path, "1.0")
            assert last == 2.0 ** 50, (name, last)
        out = sh([direct, lib, "50", "1.0"]).stdout.split()
        assert float(out[1]) == 2.0 ** 50, out
        f = ctypes.CDLL(lib).twice
        f.argtypes, f.restype = [ctypes.c_double], ctypes.c_double
        x = 1.0
        for _ in range(50):
            x = f(x)
        assert x == 2.0 ** 50, x

        # Timed runs start at 0.0 so the chains never overflow (0 * 2 = 0).
        samples = {"direct": [], "native": [], "ffi": [], "ctypes": []}
        paths = {name: write(f"{name}.json", json.dumps(chain(n_nodes, node))) for name, node in variants.items()}
        for _ in range(reps):
            ns, x = sh([direct, lib, str(n_direct), "0.0"]).stdout.split()
            assert float(x) == 0.0
            samples["direct"].append(float(ns))
            for name in variants:  # interleaved, so load changes hit both
                last, run_ms, steps = weft_run(paths[name], "0.0")
                assert last == 0.0 and steps == n_nodes, (name, last, steps)
                samples[name].append(run_ms * 1e6 / n_nodes)
            x, t0 = 0.0, time.perf_counter_ns()
            for _ in range(n_ctypes):
                x = f(x)
            samples["ctypes"].append((time.perf_counter_ns() - t0) / n_ctypes)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    sizes = {"direct": f"{n_direct:,} calls", "native": f"{n_nodes:,} nodes", "ffi": f"{n_nodes:,} nodes",
             "ctypes": f"{n_ctypes:,} calls"}
    units = {"direct": "ns/call", "native": "ns/node", "ffi": "ns/node", "ctypes": "ns/call"}
    results = {"machine": {"nproc": os.cpu_count(), "load": os.getloadavg()[0], "python": platform.python_version()},
               "repeats": reps, "function": SIGNATURE, "variants": {}}
    print(f"{'variant':<8} {'size':<20} {'unit':<8} {'median':>9} {'min':>9} {'max':>9}")
    for name, xs in samples.items():
        row = {"size": sizes[name], "unit": units[name], "median": median(xs), "min": min(xs), "max": max(xs)}
        results["variants"][name] = row
        print(f"{name:<8} {row['size']:<20} {row['unit']:<8} {row['median']:>9.1f} {row['min']:>9.1f} {row['max']:>9.1f}")
    ffi, native = median(samples["ffi"]), median(samples["native"])
    results["ffi_over_native"] = ffi / native
    results["ffi_minus_native_ns"] = ffi - native
    print(f"ffi / native = {ffi / native:.2f}; ffi - native = {ffi - native:.1f} ns per node (medians)")
    os.makedirs(os.path.join(ROOT, "Benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "Benchmarks", "results", "ffi.json"), "w") as out_file:
        json.dump(results, out_file, indent=2)


if __name__ == "__main__":
    main()
