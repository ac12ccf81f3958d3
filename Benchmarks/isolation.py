#!/usr/bin/env python3
"""What crash isolation costs (release build).

Usage: python3 Benchmarks/isolation.py [--quick] [--weft PATH]

Scenarios (each run checks its result):
  call    a loop of N passes whose two body nodes (std.lt, std.add) run
          plain, then isolated (--isolate std): the extra time per call is
          the round trip to the worker process (copy in, run, copy out)
  start   a graph of K independent std.add nodes, isolated: compile time per
          node is the cost of starting one worker process (spawn + exec of
          weft + loading the plugin + create)

Times come from `weft run --timing`; plain and isolated runs alternate, so
load changes hit both. Prints a table and writes Benchmarks/results/isolation.json.
"""
import argparse, json, os, re, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Benchmarks"))
from scheduler import loop  # noqa: E402

TIMING = re.compile(r"read\+validate ([\d.]+) ms, compile ([\d.]+) ms, run ([\d.]+) ms for (\d+) steps")


def run(weft, graph, args=()):
    p = subprocess.run([weft, "run", "--quiet", "--json", "--timing", graph, *args], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"weft failed ({p.returncode}): {p.stderr}")
    m = TIMING.search(p.stderr)
    return json.loads(p.stdout), float(m.group(2)), float(m.group(3)), int(m.group(4))


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
        weft = os.path.join(subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                                           capture_output=True, text=True, check=True).stdout.strip(), "weft")
    reps = 3 if a.quick else 7
    n = 2_000 if a.quick else 20_000
    k = 8 if a.quick else 32
    tmp = tempfile.mkdtemp(prefix="weft-bench-iso-")

    path = os.path.join(tmp, "loop.json")
    with open(path, "w") as f:
        json.dump(loop(n), f)
    plain, isolated = [], []
    for _ in range(reps):
        for target, extra in ((plain, []), (isolated, ["--isolate", "std"])):
            out, _, run_ms, steps = run(weft, path, ["--input", f"n={n}", "--max-steps", str(3 * n + 10), *extra])
            assert out["i"] == n, out
            target.append(run_ms * 1e6 / steps)
    per_call = [i - p for i, p in zip(isolated, plain)]

    nodes = [{"id": f"a{i}", "type": "std.add", "inputs": {"a": i, "b": 1}} for i in range(k)]
    path = os.path.join(tmp, "wide.json")
    with open(path, "w") as f:
        json.dump({"weft": 1, "nodes": nodes, "outputs": {"last": f"a{k - 1}.result"}}, f)
    starts = []
    for _ in range(reps):
        out, compile_ms, _, _ = run(weft, path, ["--isolate", "std"])
        assert out["last"] == k, out
        starts.append(compile_ms / k)

    rows = [
        ("call", f"{n} passes, plain", "ns/call", plain),
        ("call", f"{n} passes, isolated", "ns/call", isolated),
        ("call", "isolated - plain", "ns/call", per_call),
        ("start", f"{k} isolated nodes", "ms/worker", starts),
    ]
    results = {"machine": {"nproc": os.cpu_count(), "load": os.getloadavg()[0]}, "scenarios": {}}
    print(f"{'scenario':<8} {'what':<24} {'unit':<10} {'median':>10} {'min':>10} {'max':>10}")
    for name, what, unit, xs in rows:
        print(f"{name:<8} {what:<24} {unit:<10} {median(xs):>10.1f} {min(xs):>10.1f} {max(xs):>10.1f}")
        results["scenarios"][f"{name} {what}"] = {"unit": unit, "median": median(xs), "min": min(xs), "max": max(xs)}
    os.makedirs(os.path.join(ROOT, "Benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "Benchmarks", "results", "isolation.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
