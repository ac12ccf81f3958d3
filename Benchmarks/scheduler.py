#!/usr/bin/env python3
"""Scheduler throughput of the `weft` CLI on generated graphs (release build).

Usage: python3 Benchmarks/scheduler.py [--quick] [--weft PATH]

Scenarios (each run checks its result):
  chain      a chain of N std.add nodes (add 1): ns per node, sequential
  loop       a loop node going round N times (2 body nodes per pass): ns per iteration
  big        a chain of 1,000,000 nodes: parse+validate+compile+run and peak memory per node

Times come from `weft run --timing` (the run alone, without process start);
peak memory from /usr/bin/time. Prints a table and writes Benchmarks/results/scheduler.json.
"""
import argparse, json, os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def chain(n):
    nodes = [{"id": "n0", "type": "std.add", "inputs": {"a": 0, "b": 1}}]
    edges = []
    for i in range(1, n):
        nodes.append({"id": f"n{i}", "type": "std.add", "inputs": {"b": 1}})
        edges.append({"from": f"n{i-1}.result", "to": f"n{i}.a"})
    return {"weft": 1, "nodes": nodes, "edges": edges, "outputs": {"last": f"n{n-1}.result"}}


def loop(n):
    return {"weft": 1, "inputs": {"n": "int"},
            "nodes": [{"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}, "max_iterations": n + 1},
                      {"id": "more", "type": "std.lt"}, {"id": "inc", "type": "std.add", "inputs": {"b": 1}}],
            "edges": [{"from": "loop.i", "to": "more.a"}, {"from": "$n", "to": "more.b"},
                      {"from": "more.result", "to": "loop.continue"},
                      {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"}],
            "outputs": {"i": "loop.done_i"}}


TIMING = re.compile(r"timing: plugins ([\d.]+) ms, read\+validate ([\d.]+) ms, compile ([\d.]+) ms, run ([\d.]+) ms for (\d+) steps")


def run(weft, graph_path, args=()):
    cmd = ["/usr/bin/time", "-f", "%M", weft, "run", "--quiet", "--json", "--timing", graph_path, *args]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"weft failed ({p.returncode}): {p.stderr}")
    m = TIMING.search(p.stderr)
    peak_kb = int(p.stderr.strip().splitlines()[-1])
    plugins, validate, compile_, run_ms, steps = (float(m.group(i)) for i in range(1, 6))
    return json.loads(p.stdout), dict(plugins_ms=plugins, validate_ms=validate, compile_ms=compile_,
                                      run_ms=run_ms, steps=int(steps), peak_kb=peak_kb)


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--weft")
    a = ap.parse_args()
    weft = a.weft
    if not weft:
        subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout.strip()
        weft = os.path.join(bin_dir, "weft")
    reps = 3 if a.quick else 7
    n_chain = 20_000 if a.quick else 100_000
    n_loop = 100_000 if a.quick else 1_000_000
    n_big = 200_000 if a.quick else 1_000_000
    tmp = tempfile.mkdtemp(prefix="weft-bench-")
    results = {"machine": {"nproc": os.cpu_count(), "load": os.getloadavg()[0]}, "scenarios": {}}

    def write(name, g):
        path = os.path.join(tmp, name + ".json")
        with open(path, "w") as f:
            json.dump(g, f)
        return path

    rows = []
    path = write("chain", chain(n_chain))
    samples = []
    for _ in range(reps):
        out, t = run(weft, path)
        assert out["last"] == n_chain, out
        samples.append(t["run_ms"] * 1e6 / n_chain)
    rows.append(("chain", f"{n_chain} nodes", "ns/node", median(samples), min(samples), max(samples)))

    path = write("loop", loop(n_loop))
    samples = []
    for _ in range(reps):
        out, t = run(weft, path, ["--input", f"n={n_loop}", "--max-steps", str(3 * n_loop + 10)])
        assert out["i"] == n_loop, out
        samples.append(t["run_ms"] * 1e6 / (n_loop + 1))
    rows.append(("loop", f"{n_loop} iterations", "ns/iteration", median(samples), min(samples), max(samples)))

    path = write("big", chain(n_big))
    totals, per_node_bytes = [], []
    for _ in range(max(1, reps // 2)):
        out, t = run(weft, path)
        assert out["last"] == n_big, out
        totals.append((t["validate_ms"] + t["compile_ms"] + t["run_ms"]) / 1000)
        per_node_bytes.append(t["peak_kb"] * 1024 / n_big)
    rows.append(("big", f"{n_big} nodes", "s parse..run", median(totals), min(totals), max(totals)))
    rows.append(("big", f"{n_big} nodes", "peak bytes/node", median(per_node_bytes), min(per_node_bytes), max(per_node_bytes)))

    print(f"{'scenario':<8} {'size':<20} {'unit':<16} {'median':>10} {'min':>10} {'max':>10}")
    for r in rows:
        print(f"{r[0]:<8} {r[1]:<20} {r[2]:<16} {r[3]:>10.1f} {r[4]:>10.1f} {r[5]:>10.1f}")
        results["scenarios"][f"{r[0]} {r[2]}"] = {"size": r[1], "median": r[3], "min": r[4], "max": r[5]}
    os.makedirs(os.path.join(ROOT, "Benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "Benchmarks", "results", "scheduler.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
