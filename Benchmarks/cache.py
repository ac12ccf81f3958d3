#!/usr/bin/env python3
"""What the node cache saves (release build): issue 19's target.

Usage: python3 Benchmarks/cache.py [--quick] [--weft PATH]

A graph of N independent `time.sleep` nodes of 1 ms, each `"cache": true`,
in a fresh run store: the first run calls every node (about N ms), the
second takes every output from the cache. Reported: both runs' times
(`weft run --timing`'s run, and the whole process), repeated with a fresh
store each time; the outputs of every run are checked. Target (issue 19):
the second run of N = 1,000 takes at most 50 ms. Writes
Benchmarks/results/cache.json.
"""
import argparse, json, os, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = re.compile(r"run ([\d.]+) ms for (\d+) steps")


def run(weft, graph, store):
    t0 = time.monotonic()
    p = subprocess.run([weft, "run", graph, "--quiet", "--json", "--timing", "--store", store, "--no-store"],
                       capture_output=True, text=True)
    wall = (time.monotonic() - t0) * 1000
    if p.returncode != 0:
        sys.exit(f"weft failed ({p.returncode}): {p.stderr}")
    return json.loads(p.stdout), float(RUN.search(p.stderr).group(1)), wall


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
    n = 100 if a.quick else 1000
    reps = 2 if a.quick else 5
    tmp = tempfile.mkdtemp(prefix="weft-bench-cache-")
    graph = os.path.join(tmp, "cached.json")
    with open(graph, "w") as f:
        json.dump({"weft": 1,
                   "nodes": [{"id": f"s{i}", "type": "time.sleep", "inputs": {"ms": 1, "value": i}, "cache": True} for i in range(n)],
                   "outputs": {"first": "s0.value", "last": f"s{n - 1}.value"}}, f)
    expected = {"first": 0, "last": n - 1}
    rows = {"first_run_ms": [], "second_run_ms": [], "first_wall_ms": [], "second_wall_ms": []}
    for r in range(reps):
        store = os.path.join(tmp, f"runs{r}.db")
        for which in ("first", "second"):
            out, run_ms, wall = run(weft, graph, store)
            if out != expected:
                sys.exit(f"wrong outputs on the {which} run: {out}")
            rows[f"{which}_run_ms"].append(run_ms)
            rows[f"{which}_wall_ms"].append(wall)
    med = {k: median(v) for k, v in rows.items()}
    met = med["second_run_ms"] <= 50 if not a.quick else None
    print(f"N = {n} cached 1 ms nodes, {reps} repeats (median; min-max)")
    for k, v in rows.items():
        print(f"  {k:16} {med[k]:9.2f}   ({min(v):.2f}-{max(v):.2f})")
    print(f"  second run / first run: {med['second_run_ms'] / med['first_run_ms']:.4f}")
    if met is not None:
        print(f"  target: second run <= 50 ms: {'met' if met else 'MISSED'}")
    os.makedirs(os.path.join(ROOT, "Benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "Benchmarks", "results", "cache.json"), "w") as f:
        json.dump({"n": n, "repeats": reps, "samples": rows, "median": med, "target_met": met,
                   "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load": os.getloadavg()[0]}, f, indent=1)


if __name__ == "__main__":
    main()
