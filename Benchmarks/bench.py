#!/usr/bin/env python3
"""Weft side by side with its peers, in one run (see Benchmarks/README.md).

Usage: Benchmarks/run.sh [--quick] [--no-peers] [--weft PATH] [--repeats N] [--only S1,S2]

Builds Weft in release (unless --weft), prepares the peers (a C ready-queue
floor and oneTBB's flow graph built with g++; fast-dag, PocketFlow and dask
in a virtualenv under .build-bench/), runs every scenario on every peer that
can express it, checks every result, and prints one table: median (min-max)
per scenario and peer, the ratio of each peer's median to Weft's, and
Weft's target. Writes Benchmarks/results/bench.json (bench-quick.json with
--quick), with the machine's facts.

--quick: tiny sizes, 2 repeats, no peers: a smoke test that CI runs so the
benchmarks never rot. Its numbers mean nothing, so it prints no verdicts
(no met/MISSED against the targets) and records none.
"""
import argparse, ctypes, datetime, json, os, platform, resource, shutil, statistics, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "Benchmarks")
sys.path.insert(0, BENCH)
from scheduler import chain, loop, TIMING  # noqa: E402

PEERS = ["weft", "floor", "tbb", "pocketflow", "fastdag", "dask"]
FASTDAG_MAX_N = 4000
QUICK_NOTE = "quick mode: numbers mean nothing, no verdicts"
PEER_NAMES = {"weft": "Weft", "floor": "C floor", "tbb": "oneTBB", "pocketflow": "PocketFlow",
              "fastdag": "fast-dag", "dask": "dask"}

# id, title, unit, target (Weft), how the target compares ("le": value <= target, "ge": value >= target)
SCENARIOS = [
    # Scenarios 1 and 3: issue 17's targets (issue 3's were 50 and 60).
    ("chain", "1. chain of N add-1 nodes, sequential", "ns/node", 40, "le"),
    ("independent-seq", "2. N independent nodes, sequential", "ns/node", 60, "le"),
    ("independent-par", "2. N independent nodes, 2 workers", "ns/node", None, "le"),
    ("loop", "3. loop node, N iterations", "ns/iter", 40, "le"),
    ("sleeps", "4. 8 x sleep 200 ms + join, parallel defaults", "s wall", 0.21, "le"),
    ("cpu-speedup", "5. 2 CPU-bound C nodes ~0.5 s: speedup", "x", 1.9, "ge"),
    ("cpu-cpu-time", "5. ... process CPU time, parallel", "s CPU", None, "le"),
    ("ffi-direct", "6. double f(double): direct call", "ns/call", None, "le"),
    ("ffi-native", "6. ... native node", "ns/node", None, "le"),
    ("ffi-ffi", "6. ... ffi node", "ns/node", None, "le"),
    ("startup", "7. 3-node graph, whole process", "ms wall", 25, "le"),
    ("big-time", "8. N-node graph: parse+validate+compile+run", "s", 2.0, "le"),
    ("big-memory", "8. ... peak memory", "bytes/node", 400, "le"),
    ("plugins", "9. load N small plugins (dlopen+register)", "ms", 6, "le"),
    # Issue 17's target: observing a run (--events) costs at most 15 % more
    # than not; run time observed / quiet, both runs in the same repeat.
    ("observed-chain", "10. chain observed (--events /dev/null) / quiet", "x", 1.15, "le"),
    ("observed-loop", "10. loop observed (--events /dev/null) / quiet", "x", 1.15, "le"),
    # ... and issue 17's absolute targets for the observed runs (as 1. and 3.).
    ("observed-chain-ns", "10. ... chain observed", "ns/node", 40, "le"),
    ("observed-loop-ns", "10. ... loop observed", "ns/iter", 40, "le"),
    # Issue 17: a loop whose body holds an if/else and an inner loop costs at
    # most 1.5x the simple loop (scenario 3) per body node executed. Both
    # loops run in the same repeat; the ratio is taken per repeat.
    ("nested-simple", "11. simple loop (as 3.), per body node", "ns/node", None, "le"),
    ("nested-body", "11. if/else + inner loop of 5, per body node", "ns/node", None, "le"),
    ("nested-ratio", "11. ... nested / simple, per body node", "x", 1.5, "le"),
    # Issue 18: a mapped node. The map's own cost per item: the run of
    # range -> map(std.add) -> list_length minus the run of range ->
    # list_length, both in the same repeat.
    ("map-add", "12. map of std.add over N ints, per item", "ns/item", 60, "le"),
    # ... and a parallel map: 64 items of ~1 ms CPU each (the spin C
    # function through an ffi node), concurrency 2 (2 workers) against 1.
    ("map-parallel", "12. map of 64 x 1 ms CPU items: concurrency 2 / 1 speedup", "x", 1.9, "ge"),
    # Issue 18: N = 10,000 independent async nodes (time.after 100 ms) with 2
    # workers: the whole weft process's wall time, and the most threads its
    # process had (/proc/PID/task, polled every 2 ms while it runs).
    ("async-sleeps", "13. N concurrent time.after 100 ms, 2 workers", "s wall", 0.25, "le"),
    ("async-threads", "13. ... peak threads in the process", "threads", 5, "le"),
    # Issue 18: a flow (state machine) of one C state, benchfsm.tick
    # (peers/fsm.c), going round N times (tick --again--> tick): run time
    # per state. No target: reported against the best peer.
    ("fsm", "14. flow of one state going round N times", "ns/state", None, "le"),
    # ... and retries: a chain of M benchfsm.flaky nodes, each failing its
    # first 2 attempts and succeeding on its 3rd ("retry": 3 attempts,
    # backoff 0): run time per attempt (3M attempts). No target either.
    ("retry", "15. M nodes failing twice, 3rd attempt ok", "ns/attempt", None, "le"),
    # ... the same M nodes without edges: all M wait for their retry at once
    # (a chain has one waiting at a time), which shows how the cost of a
    # retry grows with the retries pending.
    ("retry-independent", "15. ... M independent nodes, retried at once", "ns/attempt", None, "le"),
]

# Scenario 11: how often the inner loop goes round on each outer pass.
NESTED_INNER = 10

# Scenario 13: each sleep's length; and the N dask runs at, since its
# threads scheduler holds a worker thread per sleep: with 2 workers 10,000
# sleeps would take 10,000 / 2 x 100 ms = 500 s a repeat; 100 take 5 s.
ASYNC_MS = 100
DASK_ASYNC_N = 100
THREAD_POLL_S = 0.002

# Scenario 15: attempts per node (the first 2 fail), and the M fast-dag runs
# at: it validates the graph in O(M^2) inside every run (1,000 nodes: about
# half of its run; 4,000: most of it).
RETRY_ATTEMPTS = 3
FASTDAG_RETRY_N = 1000


def run_sampled(cmd, env=None, timeout=None):
    """Runs cmd, polling /proc/PID/task every THREAD_POLL_S while it runs.

    Returns (CompletedProcess, wall s, peak thread count, polls). The count is
    the number of threads at the moment of each poll, so a thread that lives
    less than a poll interval can be missed. The process's own wall time is
    measured from the start of Popen to the end of communicate() in this
    thread; the polling runs on another.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    task = f"/proc/{proc.pid}/task"
    done = threading.Event()
    seen = {"peak": 0, "polls": 0}

    def poll():
        while not done.is_set():
            try:
                count = len(os.listdir(task))
            except OSError:  # gone (reaped) between two polls
                break
            seen["peak"] = max(seen["peak"], count)
            seen["polls"] += 1
            done.wait(THREAD_POLL_S)

    sampler = threading.Thread(target=poll, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    wall = time.perf_counter() - t0
    done.set()
    sampler.join()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), wall, seen["peak"], seen["polls"]


def nested_loop(n, m):
    """An outer loop of n go-rounds whose body holds an if/else and an inner loop.

    Outer body (carry i, total): `more` (i < n, the continue), `inc` (i + 1),
    the if/else — `rem` (i mod 2), `is_even`, a conditional `split`, then
    `triple` (3i) or else `plus7` (i + 7), merged by `x` (join any) — and the
    inner loop (carry j from 0, sum from the outer total) whose body is 5 plain
    nodes: `more_j` (j < m), `inc_j` (j + 1), `cell` (j * x), `cell1`
    (cell + 1), `add` (sum + cell1). The inner done_sum is the next total.
    """
    return {"weft": 1, "inputs": {"n": "int", "m": "int"},
            "nodes": [
                {"id": "outer", "type": "loop", "carry": {"i": "int", "total": "int"}, "inputs": {"i": 0, "total": 0},
                 "max_iterations": n + 1},
                {"id": "more", "type": "std.lt"},
                {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
                {"id": "rem", "type": "std.mod", "inputs": {"b": 2}},
                {"id": "is_even", "type": "std.eq", "inputs": {"b": 0}},
                {"id": "split", "type": "std.branch", "strategy": "conditional"},
                {"id": "triple", "type": "std.mul", "inputs": {"b": 3}},
                {"id": "plus7", "type": "std.add", "inputs": {"b": 7}},
                {"id": "x", "type": "std.identity", "join": "any"},
                {"id": "inner", "type": "loop", "carry": {"j": "int", "sum": "int"}, "inputs": {"j": 0},
                 "max_iterations": m + 1},
                {"id": "more_j", "type": "std.lt"},
                {"id": "inc_j", "type": "std.add", "inputs": {"b": 1}},
                {"id": "cell", "type": "std.mul"},
                {"id": "cell1", "type": "std.add", "inputs": {"b": 1}},
                {"id": "add", "type": "std.add"}],
            "edges": [
                {"from": "outer.i", "to": "more.a"}, {"from": "$n", "to": "more.b"},
                {"from": "more.result", "to": "outer.continue"},
                {"from": "outer.i", "to": "inc.a"}, {"from": "inc.result", "to": "outer.next_i"},
                {"from": "outer.i", "to": "rem.a"}, {"from": "rem.result", "to": "is_even.a"},
                {"from": "is_even.result", "to": "split.cond"}, {"from": "outer.i", "to": "split.value"},
                {"from": "split.true", "to": "triple.a"}, {"from": "split.false", "to": "plus7.a"},
                {"from": "triple.result", "to": "x.value"}, {"from": "plus7.result", "to": "x.value"},
                {"from": "outer.total", "to": "inner.sum"},
                {"from": "inner.j", "to": "more_j.a"}, {"from": "$m", "to": "more_j.b"},
                {"from": "more_j.result", "to": "inner.continue"},
                {"from": "inner.j", "to": "inc_j.a"}, {"from": "inc_j.result", "to": "inner.next_j"},
                {"from": "inner.j", "to": "cell.a"}, {"from": "x.value", "to": "cell.b"},
                {"from": "cell.result", "to": "cell1.a"},
                {"from": "inner.sum", "to": "add.a"}, {"from": "cell1.result", "to": "add.b"},
                {"from": "add.result", "to": "inner.next_sum"},
                {"from": "inner.done_sum", "to": "outer.next_total"}],
            "outputs": {"total": "outer.done_total", "i": "outer.done_i"}}


def nested_loop_expected(n, m):
    """(total, body node executions) of `nested_loop(n, m)`, computed here.

    The outer loop makes passes i = 0..n; the last (i = n) stops it, and its
    total is the one carried into it. Every pass runs 7 outer body nodes (one
    arm of the if/else is skipped, and skipped nodes are not steps) and the
    inner loop's m + 1 passes of 5 nodes.
    """
    total = 0
    for i in range(n):
        x = 3 * i if i % 2 == 0 else i + 7
        total += sum(j * x + 1 for j in range(m))
    return total, (n + 1) * (7 + 5 * (m + 1))


def median(xs):
    return statistics.median(xs)


def stats(samples):
    return {"median": median(samples), "min": min(samples), "max": max(samples), "samples": samples}


class Bench:
    def __init__(self, a):
        self.a = a
        self.quick = a.quick
        self.reps = a.repeats or (2 if a.quick else 5)
        self.tmp = tempfile.mkdtemp(prefix="weft-bench-")
        self.results = {}   # scenario -> peer -> stats (+ n, note)
        self.notes = {}     # (scenario, peer) -> why skipped
        self.only = set(a.only.split(",")) if a.only else None
        q = self.quick
        self.n_chain = 2_000 if q else 100_000
        self.n_indep = 2_000 if q else 100_000
        self.n_loop = 5_000 if q else 1_000_000
        self.n_nested = 100 if q else 16_000   # outer go-rounds: ~6,300 and ~990,000 body nodes
        self.n_big = 20_000 if q else 1_000_000
        self.n_plugins = 5 if q else 100
        self.sleep_ms = 20 if q else 200
        self.spin = 2_000_000 if q else 180_000_000
        self.n_map = 20_000 if q else 1_000_000
        # spin iterations of about 1 ms on this machine (0.6 ms per 250,000 measured)
        self.spin_1ms = 40_000 if q else 400_000
        self.n_async = 200 if q else 10_000
        self.n_fsm = 2_000 if q else 100_000
        self.n_retry = 500 if q else 10_000

    def wanted(self, scenario):
        return self.only is None or any(scenario.startswith(o) for o in self.only)

    def record(self, scenario, peer, samples, n=None, **extra):
        entry = stats(samples)
        if n is not None:
            entry["n"] = n
        entry.update(extra)
        self.results.setdefault(scenario, {})[peer] = entry

    # ---------------------------------------------------------------- setup

    def build_weft(self):
        if self.a.weft:
            self.weft = os.path.abspath(self.a.weft)
            return
        print("== building Weft (swift build -c release)", flush=True)
        subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout.strip()
        self.weft = os.path.join(bin_dir, "weft")

    def build_spin(self):
        self.spin_lib = os.path.join(self.tmp, "libspin.so")
        subprocess.run(["cc", "-O2", "-shared", "-fPIC", os.path.join(BENCH, "peers", "spin.c"), "-o", self.spin_lib],
                       check=True)
        lib = ctypes.CDLL(self.spin_lib)
        lib.spin.restype = ctypes.c_double
        lib.spin.argtypes = [ctypes.c_int64]
        self.spin_value = lib.spin(self.spin)
        self.spin_1ms_value = lib.spin(self.spin_1ms)
        self.cpu_expected = round(1e6 * (self.spin_value + self.spin_value))

    def prepare_peers(self):
        self.peer_cmd = {}
        if self.a.no_peers or self.quick:
            return
        native = os.path.join(ROOT, ".build-bench", "peers")
        os.makedirs(native, exist_ok=True)
        print("== building the C floor and the oneTBB peer (Benchmarks/peers/build.sh)", flush=True)
        p = subprocess.run(["bash", os.path.join(BENCH, "peers", "build.sh"), native], capture_output=True, text=True)
        if p.returncode == 0:
            self.peer_cmd["floor"] = [os.path.join(native, "floor")]
            self.peer_cmd["tbb"] = [os.path.join(native, "tbb_flow")]
        else:
            for peer in ("floor", "tbb"):
                self.notes[("*", peer)] = "build failed: " + (p.stderr.strip().splitlines() or ["?"])[-1]
            print(p.stderr, file=sys.stderr)
        venv = os.path.join(ROOT, ".build-bench", "venv")
        print("== preparing the Python peers (virtualenv in .build-bench/venv)", flush=True)
        p = subprocess.run(["bash", os.path.join(BENCH, "peers", "python", "setup.sh"), venv], capture_output=True, text=True)
        if p.returncode == 0:
            py = os.path.join(venv, "bin", "python")
            script = os.path.join(BENCH, "peers", "python", "peer.py")
            for peer in ("pocketflow", "fastdag", "dask"):
                self.peer_cmd[peer] = [py, script, peer]
        else:
            for peer in ("pocketflow", "fastdag", "dask"):
                self.notes[("*", peer)] = "virtualenv setup failed: " + (p.stderr.strip().splitlines() or ["?"])[-1]
            print(p.stderr, file=sys.stderr)

    # ---------------------------------------------------------------- Weft

    def graph(self, name, doc):
        path = os.path.join(self.tmp, name + ".json")
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def weft_run(self, path, args=(), time_it=False):
        """Runs `weft run --timing`; returns (outputs, timing dict, wall s, child CPU s, peak KiB)."""
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(["/usr/bin/time", "-f", "%M", self.weft, "run", "--quiet", "--json", "--timing", path, *args],
                           capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            sys.exit(f"weft run {path} failed ({p.returncode}): {p.stderr}")
        m = TIMING.search(p.stderr)
        timing = dict(plugins_ms=float(m.group(1)), validate_ms=float(m.group(2)), compile_ms=float(m.group(3)),
                      run_ms=float(m.group(4)), steps=int(m.group(5)))
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        peak_kb = int(p.stderr.strip().splitlines()[-1])
        return json.loads(p.stdout), timing, wall, cpu, peak_kb

    def independent(self, n):
        nodes = [{"id": f"n{i}", "type": "std.add", "inputs": {"a": i, "b": 1}} for i in range(n)]
        return {"weft": 1, "nodes": nodes, "outputs": {"first": "n0.result", "last": f"n{n - 1}.result"}}

    def sleeps(self):
        nodes, edges = [], []
        for i in range(8):
            nodes.append({"id": f"s{i}", "type": "time.sleep", "inputs": {"ms": self.sleep_ms, "value": i}})
            nodes.append({"id": f"c{i}", "type": "std.list_append", **({"inputs": {"list": []}} if i == 0 else {})})
            edges.append({"from": f"s{i}.value", "to": f"c{i}.item"})
            if i > 0:
                edges.append({"from": f"c{i - 1}.result", "to": f"c{i}.list"})
        nodes.append({"id": "count", "type": "std.list_length"})
        edges.append({"from": "c7.result", "to": "count.list"})
        return {"weft": 1, "nodes": nodes, "edges": edges, "outputs": {"joined": "count.result"}}

    def cpu_graph(self):
        spin = {"library": self.spin_lib, "symbol": "spin", "signature": "double spin(int64_t n)"}
        return {"weft": 1, "nodes": [{"id": "a", "type": "ffi", "params": spin, "inputs": {"n": self.spin}},
                                     {"id": "b", "type": "ffi", "params": spin, "inputs": {"n": self.spin}},
                                     {"id": "join", "type": "std.add"}],
                "edges": [{"from": "a.result", "to": "join.a"}, {"from": "b.result", "to": "join.b"}],
                "outputs": {"sum": "join.result"}}

    def plugin_folder(self):
        folder = os.path.join(self.tmp, "plugins")
        os.makedirs(folder, exist_ok=True)
        src = os.path.join(self.tmp, "tiny.c")
        with open(src, "w") as f:
            f.write(r"""
#include <weft/plugin.h>
static const weft_host_t *H;
static const weft_port_t out[] = {{"n", WEFT_TYPE_INT, 0, NULL, NULL}, WEFT_PORTS_END};
static weft_status_t run(weft_ctx_t *c, void *s) { (void)s; return H->output_int(c, 0, PLUGIN_NO); }
static weft_status_t init(const weft_host_t *h, weft_registry_t *r) {
    if (H != h) H = h;
    weft_node_desc_t d = {0};
    d.struct_size = sizeof d; d.name = "node"; d.summary = "a tiny node"; d.outputs = out; d.run = run;
    return h->register_node(r, &d);
}
WEFT_PLUGIN(PLUGIN_NAME, "1.0", "a tiny plugin", init, NULL);
""")
        jobs = []
        for i in range(self.n_plugins):
            out = os.path.join(folder, f"libp{i:03d}.so")
            jobs.append(subprocess.Popen(["cc", "-O2", "-shared", "-fPIC", "-I", os.path.join(ROOT, "include"),
                                          f"-DPLUGIN_NO={i}", f'-DPLUGIN_NAME="p{i:03d}"', src, "-o", out]))
            if len(jobs) >= 4:
                for j in jobs:
                    if j.wait() != 0:
                        sys.exit("cc failed for a tiny plugin")
                jobs = []
        for j in jobs:
            if j.wait() != 0:
                sys.exit("cc failed for a tiny plugin")
        return folder

    def run_weft(self):
        reps = self.reps
        if self.wanted("chain"):
            path = self.graph("chain", chain(self.n_chain))
            s = []
            for _ in range(reps):
                out, t, *_ = self.weft_run(path)
                assert out["last"] == self.n_chain, out
                s.append(t["run_ms"] * 1e6 / self.n_chain)
            self.record("chain", "weft", s, self.n_chain)
        if self.wanted("independent"):
            path = self.graph("independent", self.independent(self.n_indep))
            for scenario, args in (("independent-seq", []), ("independent-par", ["--mode", "parallel", "--workers", "2"])):
                s = []
                for _ in range(reps):
                    out, t, *_ = self.weft_run(path, args)
                    assert out["last"] == self.n_indep and t["steps"] == self.n_indep, (out, t)
                    s.append(t["run_ms"] * 1e6 / self.n_indep)
                self.record(scenario, "weft", s, self.n_indep)
        if self.wanted("loop"):
            path = self.graph("loop", loop(self.n_loop))
            s = []
            for _ in range(reps):
                out, t, *_ = self.weft_run(path, ["--input", f"n={self.n_loop}", "--max-steps", str(3 * self.n_loop + 10)])
                assert out["i"] == self.n_loop, out
                s.append(t["run_ms"] * 1e6 / self.n_loop)
            self.record("loop", "weft", s, self.n_loop)
        if self.wanted("observed"):
            cases = (("observed-chain", self.graph("chain", chain(self.n_chain)), [], self.n_chain),
                     ("observed-loop", self.graph("loop", loop(self.n_loop)),
                      ["--input", f"n={self.n_loop}", "--max-steps", str(3 * self.n_loop + 10)], self.n_loop))
            for scenario, path, args, n in cases:
                ratios, per_node = [], []
                for _ in range(reps):
                    quiet_out, quiet, *_ = self.weft_run(path, args)
                    observed_out, observed, *_ = self.weft_run(path, [*args, "--events", "/dev/null"])
                    assert quiet_out == observed_out and quiet["steps"] == observed["steps"], (quiet_out, observed_out)
                    ratios.append(observed["run_ms"] / max(quiet["run_ms"], 1e-6))
                    per_node.append(observed["run_ms"] * 1e6 / n)
                self.record(scenario, "weft", ratios, n)
                self.record(scenario + "-ns", "weft", per_node, n)
        if self.wanted("nested"):
            self.nested_weft()
        if self.wanted("map"):
            self.map_weft()
        if self.wanted("async"):
            self.async_weft()
        if self.wanted("fsm"):
            self.fsm_weft()
        if self.wanted("retry"):
            self.retry_weft()
        if self.wanted("sleeps"):
            path = self.graph("sleeps", self.sleeps())
            s = []
            for _ in range(reps):
                out, t, *_ = self.weft_run(path, ["--mode", "parallel"])
                assert out["joined"] == 8, out
                s.append(t["run_ms"] / 1000)
            self.record("sleeps", "weft", s, 8)
        if self.wanted("cpu"):
            self.cpu_weft()
        if self.wanted("ffi"):
            self.ffi_weft()
        if self.wanted("startup"):
            path = self.graph("startup", chain(3))
            s = []
            for _ in range(max(reps, 5)):
                t0 = time.perf_counter()
                p = subprocess.run([self.weft, "run", "--quiet", "--json", path], capture_output=True, text=True)
                s.append((time.perf_counter() - t0) * 1000)
                assert p.returncode == 0 and json.loads(p.stdout)["last"] == 3, p.stderr
            self.record("startup", "weft", s, 3)
        if self.wanted("big"):
            path = self.graph("big", chain(self.n_big))
            times, mem = [], []
            for _ in range(max(1, min(reps, 3))):
                out, t, _, _, peak_kb = self.weft_run(path)
                assert out["last"] == self.n_big, out
                times.append((t["validate_ms"] + t["compile_ms"] + t["run_ms"]) / 1000)
                mem.append(peak_kb * 1024 / self.n_big)
            self.record("big-time", "weft", times, self.n_big)
            self.record("big-memory", "weft", mem, self.n_big)
        if self.wanted("plugins"):
            folder = self.plugin_folder()
            path = self.graph("plugins", {"weft": 1, "nodes": [{"id": "a", "type": "p000.node"}], "outputs": {"n": "a.n"}})
            s = []
            for _ in range(max(reps, 5)):
                out, t, *_ = self.weft_run(path, ["--no-default-plugins", "--plugins", folder])
                assert out["n"] == 0, out
                s.append(t["plugins_ms"])
            self.record("plugins", "weft", s, self.n_plugins)

    def nested_weft(self):
        """Scenario 11: ns per body node of the simple loop and of `nested_loop`, run in the same repeat."""
        simple = self.graph("loop", loop(self.n_loop))
        simple_args = ["--input", f"n={self.n_loop}", "--max-steps", str(3 * self.n_loop + 10)]
        n, m = self.n_nested, NESTED_INNER
        total, executions = nested_loop_expected(n, m)
        nested = self.graph("nested", nested_loop(n, m))
        nested_args = ["--input", f"n={n}", "--input", f"m={m}", "--max-steps", str(executions + 10)]
        simples, nesteds, ratios = [], [], []
        for _ in range(self.reps):
            out, t, *_ = self.weft_run(simple, simple_args)
            assert out["i"] == self.n_loop and t["steps"] == 2 * (self.n_loop + 1), (out, t)
            simples.append(t["run_ms"] * 1e6 / t["steps"])
            out, t, *_ = self.weft_run(nested, nested_args)
            assert out == {"total": total, "i": n} and t["steps"] == executions, (out, t, total, executions)
            nesteds.append(t["run_ms"] * 1e6 / t["steps"])
            ratios.append(nesteds[-1] / simples[-1])
        self.record("nested-simple", "weft", simples, 2 * (self.n_loop + 1))
        self.record("nested-body", "weft", nesteds, executions, outer=n, inner=m)
        self.record("nested-ratio", "weft", ratios, executions)

    def map_weft(self):
        """Scenario 12: the map's cost per item, and a parallel map's speedup."""
        n = self.n_map
        def ranged(mapped):
            nodes = [{"id": "nums", "type": "std.range", "inputs": {"start": 0}}, {"id": "len", "type": "std.list_length"}]
            edges = [{"from": "$n", "to": "nums.stop"}]
            if mapped:
                nodes.append({"id": "add", "type": "std.add", "inputs": {"b": 1}, "map": "a"})
                edges += [{"from": "nums.result", "to": "add.a"}, {"from": "add.result", "to": "len.list"}]
            else:
                edges.append({"from": "nums.result", "to": "len.list"})
            return {"weft": 1, "inputs": {"n": "int"}, "nodes": nodes, "edges": edges, "outputs": {"count": "len.result"}}
        with_map, without = self.graph("map", ranged(True)), self.graph("map-base", ranged(False))
        args = ["--input", f"n={n}", "--max-steps", str(n + 10)]
        per_item = []
        for _ in range(self.reps):
            out_map, t_map, *_ = self.weft_run(with_map, args)
            out_base, t_base, *_ = self.weft_run(without, args)
            assert out_map["count"] == n and out_base["count"] == n and t_map["steps"] == n + 2, (out_map, t_map)
            per_item.append((t_map["run_ms"] - t_base["run_ms"]) * 1e6 / n)
        self.record("map-add", "weft", per_item, n)
        spin = {"library": self.spin_lib, "symbol": "spin", "signature": "double spin(int64_t n)"}
        def spun(concurrency):
            return {"weft": 1, "inputs": {"ns": "list"},
                    "nodes": [{"id": "work", "type": "ffi", "params": spin, "map": "n", "concurrency": concurrency},
                              {"id": "len", "type": "std.list_length"}],
                    "edges": [{"from": "$ns", "to": "work.n"}, {"from": "work.result", "to": "len.list"}],
                    "outputs": {"count": "len.result"}}
        inputs = os.path.join(self.tmp, "map-inputs.json")
        with open(inputs, "w") as f:
            json.dump({"ns": [self.spin_1ms] * 64}, f)
        one, two = self.graph("map-1", spun(1)), self.graph("map-2", spun(2))
        args = ["--allow-library", self.spin_lib, "--inputs", inputs, "--workers", "2"]
        speedups = []
        for _ in range(self.reps):
            out1, t1, *_ = self.weft_run(one, args)
            out2, t2, *_ = self.weft_run(two, args)
            assert out1["count"] == 64 and out2["count"] == 64, (out1, out2)
            speedups.append(t1["run_ms"] / t2["run_ms"])
        self.record("map-parallel", "weft", speedups, 64, spin_iterations=self.spin_1ms)

    def async_weft(self):
        """Scenario 13: N independent time.after nodes of 100 ms, parallel, 2 workers.

        time.after is async: its call defers, and one plugin timer thread ends
        all the waits, so none of them holds a worker. Records the whole
        process's wall time (start to exit, as scenario 7) and the most threads
        the process had at one poll of /proc/PID/task; checks the first and the
        last node's waited_ms (>= 100) and that all N nodes ran (steps).
        """
        n = self.n_async
        nodes = [{"id": f"a{i}", "type": "time.after", "inputs": {"ms": ASYNC_MS}} for i in range(n)]
        path = self.graph("async", {"weft": 1, "nodes": nodes,
                                    "outputs": {"first": "a0.waited_ms", "last": f"a{n - 1}.waited_ms"}})
        cmd = [self.weft, "run", "--quiet", "--json", "--timing", path, "--mode", "parallel", "--workers", "2"]
        walls, threads, runs, polls = [], [], [], []
        for _ in range(self.reps):
            p, wall, peak, count = run_sampled(cmd, timeout=60)
            if p.returncode != 0:
                sys.exit(f"weft run {path} failed ({p.returncode}): {p.stderr}")
            out, m = json.loads(p.stdout), TIMING.search(p.stderr)
            assert out["first"] >= ASYNC_MS and out["last"] >= ASYNC_MS and int(m.group(5)) == n, (out, p.stderr)
            walls.append(wall)
            threads.append(peak)
            runs.append(float(m.group(4)) / 1000)
            polls.append(count)
        self.record("async-sleeps", "weft", walls, n, workers=2, sleep_ms=ASYNC_MS, run_s=runs,
                    note="whole process wall time (start to exit); run_s: weft run --timing's run alone")
        self.record("async-threads", "weft", threads, n, workers=2, polls=polls,
                    note=f"most entries in /proc/PID/task at one poll (every {THREAD_POLL_S * 1000:g} ms)")

    def benchfsm_plugins(self):
        """The folder holding the benchfsm plugin (peers/fsm.c), built once by `peers/build.sh --plugin`."""
        folder = os.path.join(self.tmp, "benchfsm")
        plugins = os.path.join(folder, "plugins")
        if not os.path.exists(os.path.join(plugins, "libbenchfsm.so")):
            p = subprocess.run(["bash", os.path.join(BENCH, "peers", "build.sh"), "--plugin", folder],
                               capture_output=True, text=True)
            if p.returncode != 0:
                sys.exit(f"Benchmarks/peers/build.sh --plugin failed ({p.returncode}): {p.stderr}")
        return plugins

    def fsm_weft(self):
        """Scenario 14: a flow whose one state, benchfsm.tick, goes round N times.

        The store starts as {"limit": N}; each state run writes n + 1 into it
        and picks "again" (the transition back to tick) while n + 1 < N, then
        "done" (no transition: the flow ends). Checks the final store's n, the
        last action, the step count (one per state) and the length of the
        flow's history that `--json` prints under "$state_history".
        """
        n = self.n_fsm
        path = self.graph("fsm", {
            "weft": 1,
            "nodes": [{"id": "machine", "type": "flow", "start": "tick", "max_cycles": n + 1,
                       "inputs": {"store": {"limit": n}}},
                      {"id": "tick", "type": "benchfsm.tick"}],
            "edges": [{"from": "tick", "to": "tick", "when": "again"}],
            "outputs": {"store": "machine.store", "action": "machine.action"}})
        args = ["--plugins", self.benchfsm_plugins(), "--max-steps", str(n + 10)]
        s = []
        for _ in range(self.reps):
            out, t, *_ = self.weft_run(path, args)
            history = out.pop("$state_history", None)
            assert out == {"store": {"limit": n, "n": n}, "action": "done"} and t["steps"] == n, (out, t)
            assert history and len(history[0]["states"]) == n, "the flow's history has N states"
            s.append(t["run_ms"] * 1e6 / n)
        self.record("fsm", "weft", s, n, max_cycles=n + 1)

    def retry_weft(self):
        """Scenario 15: a chain of M benchfsm.flaky nodes, retried.

        Each node fails its first 2 calls (a count per instance) and succeeds
        on its 3rd, under "retry": {"max_attempts": 3, "backoff_ms": 0}, then
        outputs total = the previous node's total + its 3 attempts. Checks the
        last total (3M), its attempts (3) and the step count (every attempt
        is a node execution: 3M). Per attempt: run time / 3M. The same chain
        with nodes that never fail and no retry (one call each) runs in each
        repeat too, kept as `plain_ns_per_node` in the JSON.
        """
        m = self.n_retry
        def chain_of(fail_first, retry, edges=True):
            nodes = [{"id": f"f{i}", "type": "benchfsm.flaky", "params": {"fail_first": fail_first},
                      **({"retry": {"max_attempts": RETRY_ATTEMPTS, "backoff_ms": 0}} if retry else {})}
                     for i in range(m)]
            links = [{"from": f"f{i - 1}.total", "to": f"f{i}.total"} for i in range(1, m)] if edges else []
            return {"weft": 1, "nodes": nodes, "edges": links,
                    "outputs": {"first": "f0.total", "total": f"f{m - 1}.total", "attempts": f"f{m - 1}.attempts"}}
        flaky = self.graph("retry", chain_of(RETRY_ATTEMPTS - 1, True))
        plain = self.graph("retry-plain", chain_of(0, False))
        apart = self.graph("retry-independent", chain_of(RETRY_ATTEMPTS - 1, True, edges=False))
        args = ["--plugins", self.benchfsm_plugins(), "--max-steps", str(RETRY_ATTEMPTS * m + 10)]
        attempts = RETRY_ATTEMPTS * m
        s, plains, apart_s = [], [], []
        for _ in range(self.reps):
            out, t, *_ = self.weft_run(flaky, args)
            assert out == {"first": RETRY_ATTEMPTS, "total": attempts, "attempts": RETRY_ATTEMPTS} and t["steps"] == attempts, (out, t)
            s.append(t["run_ms"] * 1e6 / attempts)
            out, t, *_ = self.weft_run(plain, args)
            assert out == {"first": 1, "total": m, "attempts": 1} and t["steps"] == m, (out, t)
            plains.append(t["run_ms"] * 1e6 / m)
            # Without edges each node's total is its own 3: the steps show every attempt ran.
            out, t, *_ = self.weft_run(apart, args)
            assert out == {"first": RETRY_ATTEMPTS, "total": RETRY_ATTEMPTS, "attempts": RETRY_ATTEMPTS} and t["steps"] == attempts, (out, t)
            apart_s.append(t["run_ms"] * 1e6 / attempts)
        self.record("retry", "weft", s, m, attempts=RETRY_ATTEMPTS, backoff_ms=0, plain_ns_per_node=plains,
                    note="a chain: run time / (3 M) attempts; plain_ns_per_node: the same chain, no failures, no retry")
        self.record("retry-independent", "weft", apart_s, m, attempts=RETRY_ATTEMPTS, backoff_ms=0,
                    note="M nodes without edges: all fail their first attempt before any retry; run time / (3 M) attempts")

    def cpu_weft(self):
        path = self.graph("cpu", self.cpu_graph())
        allow = ["--allow-library", self.spin_lib]
        speedups, cpus = [], []
        for _ in range(self.reps):
            out_seq, t_seq, _, _, _ = self.weft_run(path, allow + ["--mode", "sequential"])
            out_par, t_par, _, cpu_par, _ = self.weft_run(path, allow + ["--mode", "parallel", "--workers", "2"])
            for out in (out_seq, out_par):
                assert round(out["sum"] * 1e6) == self.cpu_expected, (out, self.cpu_expected)
            speedups.append(t_seq["run_ms"] / t_par["run_ms"])
            cpus.append(cpu_par)
        self.record("cpu-speedup", "weft", speedups, 2)
        self.record("cpu-cpu-time", "weft", cpus, 2)

    def ffi_weft(self):
        args = [sys.executable, os.path.join(BENCH, "ffi.py"), "--weft", self.weft]
        if self.quick:
            args.append("--quick")
        committed = os.path.join(BENCH, "results", "ffi.json")
        saved = open(committed).read() if os.path.exists(committed) else None
        p = subprocess.run(args, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"Benchmarks/ffi.py failed: {p.stderr}")
        with open(committed) as f:
            ffi = json.load(f)
        if self.quick and saved is not None:
            with open(committed, "w") as f:  # a smoke run does not replace the recorded figures
                f.write(saved)
        for variant, scenario in (("direct", "ffi-direct"), ("native", "ffi-native"), ("ffi", "ffi-ffi")):
            v = ffi["variants"][variant]
            self.results.setdefault(scenario, {})["weft"] = {"median": v["median"], "min": v["min"], "max": v["max"],
                                                              "n": v["size"]}

    # ---------------------------------------------------------------- peers

    def peer(self, peer, scenario, n, workers=1, expected=None, env=None, threads=False):
        """Runs one peer program; with threads, doc["threads"] is its process's peak thread count."""
        cmd = self.peer_cmd[peer] + [scenario, str(n)] + ([str(workers)] if scenario in ("independent", "cpu", "mapcpu", "async") else [])
        e = dict(os.environ, WEFT_SPIN_LIB=self.spin_lib, **(env or {}))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = None
        if threads:
            p, wall, peak, _ = run_sampled(cmd, env=e, timeout=1800)
        else:
            t0 = time.perf_counter()
            p = subprocess.run(cmd, capture_output=True, text=True, env=e, timeout=1800)
            wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            return None, f"exit {p.returncode}: {(p.stderr.strip().splitlines() or ['?'])[-1][:200]}", wall
        line = p.stdout.strip().splitlines()[-1]
        doc = json.loads(line)
        if "skipped" in doc:
            return None, doc["skipped"], wall
        if expected is not None and doc.get("result") != expected:
            return None, f"wrong result {doc.get('result')} (expected {expected})", wall
        doc["child_cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if peak is not None:
            doc["threads"] = peak
        return doc, None, wall

    def run_peers(self):
        if not self.peer_cmd:
            return
        plan = []
        if self.wanted("chain"):
            plan.append(("chain", "chain", self.n_chain, 1, self.n_chain, lambda d, n: d["seconds"] * 1e9 / n))
        if self.wanted("independent"):
            total = self.n_indep * (self.n_indep + 1) // 2
            plan.append(("independent-seq", "independent", self.n_indep, 1, total, lambda d, n: d["seconds"] * 1e9 / n))
            plan.append(("independent-par", "independent", self.n_indep, 2, total, lambda d, n: d["seconds"] * 1e9 / n))
        if self.wanted("loop"):
            plan.append(("loop", "loop", self.n_loop, 1, self.n_loop, lambda d, n: d["seconds"] * 1e9 / n))
        if self.wanted("sleeps"):
            plan.append(("sleeps", "sleeps", 8, 1, 8, lambda d, n: d["seconds"]))
        for peer in PEERS[1:]:
            if peer not in self.peer_cmd:
                continue
            for scenario, name, n, workers, expected, value in plan:
                if peer == "fastdag" and name in ("chain", "independent") and n > FASTDAG_MAX_N:
                    # fast-dag validates the whole graph inside every run in O(N^2):
                    # at 100,000 nodes one run takes hours. Measure it at a size it can do.
                    n = FASTDAG_MAX_N
                    expected = n if name == "chain" else n * (n + 1) // 2
                    self.notes[(scenario, peer)] = f"run at N={n}: fast-dag validates the graph in O(N^2) inside every run"
                samples, note = [], None
                for _ in range(self.reps):
                    doc, note, _ = self.peer(peer, name, n, workers, expected)
                    if doc is None:
                        break
                    samples.append(value(doc, n))
                if samples and note is None:
                    self.record(scenario, peer, samples, n)
                else:
                    self.notes[(scenario, peer)] = note
            if self.wanted("cpu"):
                speedups, cpus, note = [], [], None
                for _ in range(self.reps):
                    seq, note, _ = self.peer(peer, "cpu", self.spin, 1, self.cpu_expected)
                    if seq is None:
                        break
                    par, note, _ = self.peer(peer, "cpu", self.spin, 2, self.cpu_expected)
                    if par is None:
                        break
                    speedups.append(seq["seconds"] / par["seconds"])
                    cpus.append(par.get("cpu_seconds", par["child_cpu"]))
                if speedups and note is None:
                    self.record("cpu-speedup", peer, speedups, 2)
                    self.record("cpu-cpu-time", peer, cpus, 2)
                else:
                    self.notes[("cpu-speedup", peer)] = note
            if self.wanted("map") and peer in ("pocketflow", "fastdag", "dask"):
                # The whole map run per item (Weft's row is the map's own cost:
                # its run minus the same graph without the map).
                n = self.n_map
                s, note = [], None
                for _ in range(self.reps):
                    doc, note, _ = self.peer(peer, "map", n, 1, n * (n + 1) // 2)
                    if doc is None:
                        break
                    s.append(doc["seconds"] * 1e9 / n)
                if s and note is None:
                    self.record("map-add", peer, s, n)
                else:
                    self.notes[("map-add", peer)] = note
                expected = round(1e6 * self.spin_1ms_value * 64)
                speedups, note = [], None
                for _ in range(self.reps):
                    seq, note, _ = self.peer(peer, "mapcpu", self.spin_1ms, 1, expected)
                    if seq is None:
                        break
                    par, note, _ = self.peer(peer, "mapcpu", self.spin_1ms, 2, expected)
                    if par is None:
                        break
                    speedups.append(seq["seconds"] / par["seconds"])
                if speedups and note is None:
                    self.record("map-parallel", peer, speedups, 64)
                else:
                    self.notes[("map-parallel", peer)] = note
            if self.wanted("async") and peer in ("pocketflow", "fastdag", "dask"):
                # Each library's concurrent form of N 100 ms sleeps (peer.py async),
                # 2 workers where it has thread workers. The first row is the
                # peer's run alone ("seconds", as every peer row; Weft's is its
                # whole process), the second its whole process's peak threads.
                n = self.n_async
                if peer == "dask" and n > DASK_ASYNC_N:
                    n = DASK_ASYNC_N
                    self.notes[("async-sleeps", peer)] = (
                        f"run at N={n}: each time.sleep holds one of the 2 worker threads, so "
                        f"N={self.n_async} would take {self.n_async // 2 * ASYNC_MS / 1000:g} s a repeat")
                elif peer == "fastdag" and n > FASTDAG_MAX_N:
                    n = FASTDAG_MAX_N
                    self.notes[("async-sleeps", peer)] = f"run at N={n}: fast-dag validates the graph in O(N^2) inside every run"
                walls, threads, process, note = [], [], [], None
                for _ in range(self.reps):
                    doc, note, wall = self.peer(peer, "async", n, 2, n, threads=True)
                    if doc is None:
                        break
                    walls.append(doc["seconds"])
                    threads.append(doc["threads"])
                    process.append(wall)
                if walls and note is None:
                    why = self.notes.get(("async-sleeps", peer))
                    extra = {"workers": doc["workers"], "process_wall_s": process, "how": doc.get("note")}
                    if why:
                        extra["note"] = why
                    self.record("async-sleeps", peer, walls, n, **extra)
                    self.record("async-threads", peer, threads, n, workers=doc["workers"])
                else:
                    self.notes[("async-sleeps", peer)] = note
            if self.wanted("fsm") and peer in ("pocketflow", "fastdag", "dask"):
                n = self.n_fsm
                s, note, doc = [], None, None
                for _ in range(self.reps):
                    doc, note, _ = self.peer(peer, "fsm", n, 1, n)
                    if doc is None:
                        break
                    s.append(doc["seconds"] * 1e9 / n)
                if s and note is None:
                    self.record("fsm", peer, s, n, how=doc.get("note"))
                else:
                    self.notes[("fsm", peer)] = note
            if self.wanted("retry") and peer in ("pocketflow", "fastdag", "dask"):
                m = self.n_retry
                if peer == "fastdag" and m > FASTDAG_RETRY_N:
                    m = FASTDAG_RETRY_N
                    self.notes[("retry", peer)] = (
                        f"run at M={m}: fast-dag validates the graph in O(M^2) inside every run; and its "
                        f"retry_delay cannot be 0 (0 means 0.1 s), so it runs with 1e-9 s: each of a node's "
                        f"2 waits is a time.sleep, tens of microseconds")
                for scenario, name in (("retry", "retry"), ("retry-independent", "retryindependent")):
                    if scenario != "retry" and peer == "fastdag" and ("retry", peer) in self.notes:
                        self.notes[(scenario, peer)] = self.notes[("retry", peer)]
                    s, note, doc = [], None, None
                    for _ in range(self.reps):
                        doc, note, _ = self.peer(peer, name, m, 1, RETRY_ATTEMPTS * m)
                        if doc is None:
                            break
                        s.append(doc["seconds"] * 1e9 / (RETRY_ATTEMPTS * m))
                    if s and note is None:
                        why = self.notes.get((scenario, peer))
                        self.record(scenario, peer, s, m, how=doc.get("note"), **({"note": why} if why else {}))
                    else:
                        self.notes[(scenario, peer)] = note
            if self.wanted("startup") and peer in ("pocketflow", "fastdag", "dask"):
                s, note = [], None
                for _ in range(max(self.reps, 5)):
                    doc, note, wall = self.peer(peer, "startup", 3, 1, 3)
                    if doc is None:
                        break
                    s.append(wall * 1000)
                if s and note is None:
                    self.record("startup", peer, s, 3)
                else:
                    self.notes[("startup", peer)] = note

    # ---------------------------------------------------------------- report

    def machine(self):
        cpu = ""
        try:
            with open("/proc/cpuinfo") as f:
                cpu = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), "")
        except OSError:
            pass
        swift = subprocess.run(["swift", "--version"], capture_output=True, text=True).stdout.splitlines()
        return {"nproc": os.cpu_count(), "load_at_start": self.load_at_start, "cpu": cpu,
                "kernel": platform.release(), "python": platform.python_version(),
                "swift": swift[0] if swift else "", "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}

    def report(self):
        present = [p for p in PEERS if any(p in self.results.get(s[0], {}) for s in SCENARIOS)]
        def fmt(x):
            if x >= 1000:
                return f"{x:,.0f}"
            if x >= 10:
                return f"{x:.1f}"
            return f"{x:.3g}"
        header = f"{'scenario':<46} {'unit':<10} {'target':>7} " + " ".join(f"{PEER_NAMES[p]:>22}" for p in present)
        lines = [header, "-" * len(header)]
        if self.quick:
            lines.insert(0, QUICK_NOTE)
        out = {"machine": self.machine(), "quick": self.quick, "repeats": self.reps, "scenarios": {}}

        def verdict(met):
            """"  met" / "  MISSED" after a row; nothing in quick mode, whose numbers mean nothing."""
            return "" if met is None or self.quick else ("  met" if met else "  MISSED")
        for sid, title, unit, target, cmp in SCENARIOS:
            row = self.results.get(sid)
            if not row:
                continue
            weft = row.get("weft")
            cells = []
            for p in present:
                r = row.get(p)
                if r is None:
                    note = self.notes.get((sid, p)) or self.notes.get(("*", p))
                    cells.append(f"{'-' if not note else 'skipped':>22}")
                    continue
                cell = f"{fmt(r['median'])} ({fmt(r['min'])}-{fmt(r['max'])})"
                if p != "weft" and weft and weft["median"]:
                    r["ratio_to_weft"] = r["median"] / weft["median"]
                    ratio = r["ratio_to_weft"]
                    cell = f"{fmt(r['median'])} " + (f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.2g}x")
                    if weft.get("n") is not None and r.get("n") is not None and r["n"] != weft["n"]:
                        cell = f"N={r['n']}: " + cell
                cells.append(f"{cell:>22}")
            met = None
            if weft is not None and target is not None and not self.quick:
                met = weft["median"] <= target if cmp == "le" else weft["median"] >= target
            t = "" if target is None else (("<=" if cmp == "le" else ">=") + fmt(target))
            lines.append(f"{title:<46} {unit:<10} {t:>7} " + " ".join(cells) + verdict(met))
            out["scenarios"][sid] = {"title": title, "unit": unit, "target": target, "target_is": cmp,
                                     "weft_meets_target": met, "peers": row,
                                     "skipped": {p: self.notes.get((sid, p)) or self.notes.get(("*", p))
                                                 for p in PEERS if p not in row and (self.notes.get((sid, p)) or self.notes.get(("*", p)))}}
        # Targets between rows: 2, parallel not slower than sequential; 6, ffi node <= native node + 60 ns.
        seq, par = self.results.get("independent-seq", {}).get("weft"), self.results.get("independent-par", {}).get("weft")
        if seq and par:
            met = None if self.quick else par["median"] <= seq["median"]
            out["scenarios"]["independent-par"]["weft_meets_target"] = met
            lines.append(f"   target 2: parallel not slower than sequential: {fmt(par['median'])} vs {fmt(seq['median'])} ns/node"
                         + verdict(met))
        native, ffi = self.results.get("ffi-native", {}).get("weft"), self.results.get("ffi-ffi", {}).get("weft")
        if native and ffi:
            met = None if self.quick else ffi["median"] <= native["median"] + 60
            out["scenarios"]["ffi-ffi"]["weft_meets_target"] = met
            lines.append(f"   target 6: ffi node <= native node + 60 ns: ffi - native = {fmt(ffi['median'] - native['median'])} ns"
                         + verdict(met))
        # Rows 14 and 15 have no target: Weft against the best (lowest) peer.
        for sid, _title, unit, _target, _cmp in SCENARIOS:
            if sid not in ("fsm", "retry", "retry-independent"):
                continue
            row = self.results.get(sid, {})
            weft = row.get("weft")
            peers = [(r["median"], p) for p, r in row.items() if p != "weft"]
            if not weft or not peers:
                continue
            best, who = min(peers)
            ratio = weft["median"] / best
            n_note = "" if row[who].get("n") == weft.get("n") else f" (at N={row[who]['n']})"
            out["scenarios"][sid]["best_peer"] = {"peer": who, "median": best, "weft_over_best": ratio}
            lines.append(f"   {sid} (no target): Weft / best peer {PEER_NAMES[who]}{n_note} = {ratio:.3g}x "
                         f"({fmt(weft['median'])} vs {fmt(best)} {unit})")
        print("\n".join(lines))
        if self.quick:
            print("\n" + QUICK_NOTE)
        print("\nCells: median (min-max) for Weft; median and the ratio peer/Weft for the peers "
              "(>1x: the peer's number is larger). Skipped: see the JSON file.")
        if self.notes:
            print("Notes and skips:")
            for (sid, p), why in sorted(self.notes.items()):
                print(f"  {sid} / {PEER_NAMES[p]}: {why}")
        for s in out["scenarios"].values():
            for r in s["peers"].values():
                r.pop("samples", None) if self.quick else None
        name = "bench-quick.json" if self.quick else "bench.json"
        os.makedirs(os.path.join(BENCH, "results"), exist_ok=True)
        target = os.path.join(BENCH, "results", name)
        if self.only and os.path.exists(target):
            # A partial run (--only) updates its scenarios in the recorded file.
            with open(target) as f:
                previous = json.load(f)
            merged = previous.get("scenarios", {})
            merged.update(out["scenarios"])
            out["scenarios"] = {sid: merged[sid] for sid, *_ in SCENARIOS if sid in merged}
            out["partial_runs"] = previous.get("partial_runs", []) + [{"only": sorted(self.only), "machine": out["machine"]}]
            out["machine"] = previous.get("machine", out["machine"])
        with open(os.path.join(BENCH, "results", name), "w") as f:
            json.dump(out, f, indent=2)
        print(f"\nwrote Benchmarks/results/{name}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny sizes, 2 repeats, no peers (CI smoke test)")
    ap.add_argument("--no-peers", action="store_true", help="Weft only")
    ap.add_argument("--weft", help="a release weft binary (default: swift build -c release)")
    ap.add_argument("--repeats", type=int, help="runs per scenario and peer (default 5; 2 with --quick)")
    ap.add_argument("--only", help="comma-separated scenario prefixes: chain,independent,loop,observed,nested,map,async,fsm,retry,sleeps,cpu,ffi,startup,big,plugins")
    a = ap.parse_args()
    b = Bench(a)
    b.load_at_start = os.getloadavg()[0]
    b.build_weft()
    b.build_spin()
    b.prepare_peers()
    print(f"== running (repeats {b.reps}{', quick' if b.quick else ''})", flush=True)
    b.run_weft()
    b.run_peers()
    b.report()
    shutil.rmtree(b.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
