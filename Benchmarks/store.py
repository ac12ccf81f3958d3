#!/usr/bin/env python3
"""What recording a run in the run store costs (release build): issue 19's target.

Usage: python3 Benchmarks/store.py [--quick] [--weft PATH] [--plugins DIR]

A chain of N `std.add` nodes (N = 100,000), run as a whole process without
the store and with `--store` (a fresh file each time), alternately, so
both see the same machine load. Reported: the medians of the whole
process's wall time and of `--timing`'s run; the ratio of the medians is
the figure (issue 19: at most 2x). Every run's outputs are checked, and the
recorded run's completions counted in the file. Writes
Benchmarks/results/store.json.
"""
import argparse, json, os, re, sqlite3, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN = re.compile(r"run ([\d.]+) ms for (\d+) steps")


def run(cmd):
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    wall = (time.monotonic() - t0) * 1000
    if p.returncode != 0:
        sys.exit(f"weft failed ({p.returncode}): {p.stderr[-2000:]}")
    return json.loads(p.stdout), float(RUN.search(p.stderr).group(1)), wall


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--weft")
    ap.add_argument("--plugins", help="the folder of the std plugin (default: next to weft)")
    a = ap.parse_args()
    weft = a.weft
    if not weft:
        subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        weft = os.path.join(subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                                           capture_output=True, text=True, check=True).stdout.strip(), "weft")
    n = 10_000 if a.quick else 100_000
    reps = 2 if a.quick else 7
    tmp = tempfile.mkdtemp(prefix="weft-bench-store-")
    graph = os.path.join(tmp, "chain.json")
    nodes = [{"id": "n0", "type": "std.add", "inputs": {"a": 0, "b": 1}}]
    nodes += [{"id": f"n{i}", "type": "std.add", "inputs": {"b": 1}} for i in range(1, n)]
    edges = [{"from": f"n{i - 1}.result", "to": f"n{i}.a"} for i in range(1, n)]
    with open(graph, "w") as f:
        json.dump({"weft": 1, "nodes": nodes, "edges": edges, "outputs": {"last": f"n{n - 1}.result"}}, f)
    expected = {"last": n}
    base = [weft, "run", graph, "--quiet", "--json", "--timing"] + (["--plugins", a.plugins] if a.plugins else [])
    rows = {"plain_wall_ms": [], "stored_wall_ms": [], "plain_run_ms": [], "stored_run_ms": []}
    for r in range(reps):
        for which in ("plain", "stored"):
            store = os.path.join(tmp, f"runs{r}.db")
            out, run_ms, wall = run(base + (["--store", store] if which == "stored" else ["--no-store"]))
            if out != expected:
                sys.exit(f"wrong outputs ({which}): {out}")
            if which == "stored":
                kept = sqlite3.connect(store).execute("SELECT COUNT(*) FROM completions WHERE outputs IS NOT NULL").fetchone()[0]
                if kept != n:
                    sys.exit(f"the store kept {kept} completions, not {n}")
            rows[f"{which}_run_ms"].append(run_ms)
            rows[f"{which}_wall_ms"].append(wall)
    med = {k: median(v) for k, v in rows.items()}
    ratio = med["stored_wall_ms"] / med["plain_wall_ms"]
    print(f"N = {n}-node chain of std.add, {reps} repeats each, alternating (median; min-max)")
    for k, v in rows.items():
        print(f"  {k:16} {med[k]:9.2f}   ({min(v):.2f}-{max(v):.2f})")
    print(f"  recorded / not recorded (whole process): {ratio:.2f}x" + ("" if a.quick else f" (target <= 2x: {'met' if ratio <= 2 else 'MISSED'})"))
    os.makedirs(os.path.join(ROOT, "Benchmarks", "results"), exist_ok=True)
    with open(os.path.join(ROOT, "Benchmarks", "results", "store.json"), "w") as f:
        json.dump({"n": n, "repeats": reps, "samples": rows, "median": med, "ratio": ratio,
                   "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load": os.getloadavg()[0]}, f, indent=1)


if __name__ == "__main__":
    main()
