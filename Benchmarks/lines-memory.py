#!/usr/bin/env python3
"""Memory of a long event run: event.lines over 1,000,000 lines (release build).

Usage: python3 Benchmarks/lines-memory.py [--quick] [--weft PATH] [--lines N] [--mode stdin|follow|both]

Runs examples/lines-filter.json with divisor 10000 (it prints every
10000th number) and --max-steps 10 N, and feeds it the numbers 1..N:
  stdin   through a pipe, as `seq 1 N | weft run examples/lines-filter.json`
  follow  appended to a file that the graph's event.lines follows (tail -f);
          the run is ended with SIGINT once the last line has run
The feeder stops after 10000 lines until weft printed 10000, and the
child's VmRSS and VmHWM (/proc/PID/status) are read; then it feeds the
rest and reads them again once weft printed N. Target: RSS after N lines
within 5 MB of RSS after 10000. Prints a table and writes
Benchmarks/results/lines-memory.json.
"""
import argparse, json, os, signal, subprocess, sys, tempfile, threading, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHECKPOINT = 10_000
TARGET_KB = 5 * 1024


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def numbers(first, last):
    return "".join(f"{i}\n" for i in range(first, last + 1)).encode()


class Printed:
    """Reads weft's stdout on a thread; wait_for(n) blocks until it printed n."""

    def __init__(self, stream):
        self.cond = threading.Condition()
        self.last = 0
        self.closed = False
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream):
        for line in stream:
            with self.cond:
                self.last = int(line)
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait_for(self, n, timeout=600):
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.last < n:
                left = deadline - time.monotonic()
                if self.closed or left <= 0:
                    sys.exit(f"weft printed {self.last}, not {n} (exited or timed out)")
                self.cond.wait(left)


def measure(weft, mode, n, tmp):
    with open(os.path.join(ROOT, "examples", "lines-filter.json")) as f:
        graph = json.load(f)
    data = os.path.join(tmp, "lines.txt")
    if mode == "follow":
        open(data, "w").close()
        graph["nodes"][0]["params"] = {"path": data, "follow": True}
    path = os.path.join(tmp, f"{mode}.json")
    with open(path, "w") as f:
        json.dump(graph, f)
    # About 5 node executions a line: --max-steps well above them (by default a run stops at 1,000,000).
    p = subprocess.Popen([weft, "run", path, "--input", f"divisor={CHECKPOINT}", "--max-steps", str(10 * n)],
                         stdin=subprocess.PIPE if mode == "stdin" else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=False)
    printed = Printed(p.stdout)

    def feed(first, last):
        chunk = 100_000
        for start in range(first, last + 1, chunk):
            block = numbers(start, min(last, start + chunk - 1))
            if mode == "stdin":
                p.stdin.write(block)
                p.stdin.flush()
            else:
                with open(data, "ab") as f:
                    f.write(block)

    t0 = time.monotonic()
    try:
        feed(1, CHECKPOINT)
        printed.wait_for(CHECKPOINT)
        early = (status_kb(p.pid, "VmRSS"), status_kb(p.pid, "VmHWM"))
        feed(CHECKPOINT + 1, n)
        printed.wait_for(n)
        late = (status_kb(p.pid, "VmRSS"), status_kb(p.pid, "VmHWM"))
    except (BrokenPipeError, FileNotFoundError) as e:
        p.kill()
        sys.exit(f"weft ({mode}) ended early, exit {p.wait()}: {e}: {p.stderr.read().decode()}")
    seconds = time.monotonic() - t0
    if mode == "stdin":
        p.stdin.close()
    else:
        p.send_signal(signal.SIGINT)
    err = p.stderr.read().decode()
    code = p.wait()
    if code != (0 if mode == "stdin" else 130):
        sys.exit(f"weft exited {code}: {err}")
    return {"mode": mode, "lines": n, "rss_kb": [early[0], late[0]], "hwm_kb": [early[1], late[1]],
            "seconds": round(seconds, 2), "summary": err.strip().splitlines()[0] if err.strip() else ""}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100000 lines (numbers mean little)")
    ap.add_argument("--weft")
    ap.add_argument("--lines", type=int)
    ap.add_argument("--mode", choices=["stdin", "follow", "both"], default="both")
    a = ap.parse_args()
    weft = a.weft
    if not weft:
        subprocess.run(["swift", "build", "-c", "release"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        weft = os.path.join(subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT,
                                           capture_output=True, text=True, check=True).stdout.strip(), "weft")
    n = a.lines or (100_000 if a.quick else 1_000_000)
    if n <= CHECKPOINT or n % CHECKPOINT:
        sys.exit(f"--lines must be a multiple of {CHECKPOINT} above it")
    tmp = tempfile.mkdtemp(prefix="weft-bench-lines-")
    rows = [measure(weft, m, n, tmp) for m in (["stdin", "follow"] if a.mode == "both" else [a.mode])]

    print(f"{'mode':<7} {'RSS @10k':>10} {'RSS @' + str(n // 1000) + 'k':>11} {'diff':>9} "
          f"{'peak @10k':>10} {'peak @end':>10} {'seconds':>8}  target (RSS diff <= 5 MB)")
    for r in rows:
        diff = r["rss_kb"][1] - r["rss_kb"][0]
        r["met"] = diff <= TARGET_KB
        print(f"{r['mode']:<7} {r['rss_kb'][0] / 1024:>7.1f} MB {r['rss_kb'][1] / 1024:>8.1f} MB {diff / 1024:>+6.1f} MB "
              f"{r['hwm_kb'][0] / 1024:>7.1f} MB {r['hwm_kb'][1] / 1024:>7.1f} MB {r['seconds']:>8}  "
              f"{'met' if r['met'] else 'MISSED'}")
    out = os.path.join(ROOT, "Benchmarks", "results", "lines-memory.json")
    with open(out, "w") as f:
        json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "nproc": os.cpu_count(),
                   "load": os.getloadavg()[0], "weft": os.path.relpath(weft, ROOT), "rows": rows}, f, indent=1)
    print(f"wrote {os.path.relpath(out, ROOT)}")
    return 0 if all(r["met"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
