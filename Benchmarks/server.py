#!/usr/bin/env python3
"""Load and faults for `weft serve` / `weft worker` (issue 20), loopback only.

1. immediate: wrk against immediate runs of a stored 3-node graph
   (POST /v1/runs {"graph_id": ..., "mode": "immediate"}): runs/s and the
   latency percentiles wrk reports. wrk and the server share the machine.
2. queue: N queued runs on PostgreSQL (a throwaway cluster,
   scripts/pg-cluster.sh) drained by 4 `weft worker` processes, 2 of them
   killed with SIGKILL part way; then every run must have succeeded, each
   node completion be in the journal exactly once, and the node executions
   (lines the fixture's tally node wrote) exceed N by at most the calls in
   flight in the killed workers.

Usage: python3 Benchmarks/server.py [--runs N] [--seconds S] [--bin DIR]
Builds release binaries into .build-release unless --bin names a folder that
holds weft and the plugins.
"""
import argparse, json, os, re, shutil, signal, subprocess, sys, tempfile, threading, time, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sh(*args, **kw):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kw).stdout


def build(bin_dir):
    if bin_dir:
        return bin_dir
    scratch = os.path.join(ROOT, ".build-release")
    for product in ["weft", "weft_std"]:
        subprocess.run(["swift", "build", "-c", "release", "--scratch-path", scratch, "--product", product],
                       cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return os.path.join(scratch, "release")


def fixture(dir):
    out = os.path.join(dir, "libfixture.so")
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-I", os.path.join(ROOT, "include"),
                    os.path.join(ROOT, "Tests/Fixtures/plugins/fixture.c"), "-o", out, "-lpthread", "-lm"], check=True)
    return dir


class Server:
    def __init__(self, weft, args, log):
        self.log = open(log, "w+")
        self.proc = subprocess.Popen([weft, "serve", "--port", "0"] + args, stdout=subprocess.DEVNULL, stderr=self.log)
        for _ in range(600):
            self.log.seek(0)
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", self.log.read())
            if m:
                self.port = int(m.group(1))
                return
            time.sleep(0.05)
        raise SystemExit("the server did not start:\n" + open(log).read())

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url(path), data=data, method=method, headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


CHAIN3 = {"weft": 1, "inputs": {"x": {"type": "int", "default": 1}},
          "nodes": [{"id": "a", "type": "std.add", "inputs": {"b": 1}},
                    {"id": "b", "type": "std.mul", "inputs": {"b": 3}},
                    {"id": "c", "type": "std.sub", "inputs": {"b": 2}}],
          "edges": [{"from": "$x", "to": "a.a"}, {"from": "a.result", "to": "b.a"}, {"from": "b.result", "to": "c.a"}],
          "outputs": {"y": "c.result"}}


def immediate(weft, plugins, tmp, seconds):
    server = Server(weft, ["--workers", "0", "--store", os.path.join(tmp, "imm.db"), "--plugins", plugins], os.path.join(tmp, "imm.log"))
    try:
        gid = server.call("POST", "/v1/graphs", CHAIN3)["id"]
        check = server.call("POST", "/v1/runs", {"graph_id": gid, "mode": "immediate", "inputs": {"x": 4}})
        assert check["state"] == "succeeded" and check["outputs"]["y"] == 13, check
        lua = os.path.join(tmp, "post.lua")
        with open(lua, "w") as f:
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                    f'wrk.body = \'{json.dumps({"graph_id": gid, "mode": "immediate"})}\'\n')
        out = sh("wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-s", lua, server.url("/v1/runs"))
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        lat = dict(re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+\w+)", out, re.M))
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return {"runs_per_s": rps, "latency": lat, "non_2xx": int(errors.group(1)) if errors else 0, "wrk": out}
    finally:
        server.stop()


def queue(weft, plugins, tmp, runs):
    cluster = os.path.join(tmp, "pg")
    url = sh("bash", os.path.join(ROOT, "scripts/pg-cluster.sh"), "start", cluster).strip()
    tally = os.path.join(tmp, "tally.txt")
    graph = {"weft": 1, "inputs": {"x": {"type": "int", "default": 1}},
             "nodes": [{"id": "t", "type": "fixture.tally", "params": {"path": tally, "label": "t", "ms": 0}},
                       {"id": "a", "type": "std.add", "inputs": {"b": 1}}],
             "edges": [{"from": "$x", "to": "t.x"}, {"from": "t.y", "to": "a.a"}], "outputs": {"y": "a.result"}}
    server = Server(weft, ["--workers", "0", "--store", url, "--plugins", plugins], os.path.join(tmp, "q.log"))
    workers = []
    try:
        gid = server.call("POST", "/v1/graphs", graph)["id"]
        t0 = time.time()
        ids, lock = [], threading.Lock()

        def post(count):
            for _ in range(count):
                r = server.call("POST", "/v1/runs", {"graph_id": gid, "mode": "queued"})
                with lock:
                    ids.append(r["id"])
        threads = [threading.Thread(target=post, args=(runs // 8 + (1 if i < runs % 8 else 0),)) for i in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        queued_s = time.time() - t0
        t1 = time.time()
        for i in range(4):
            log = open(os.path.join(tmp, f"w{i}.log"), "w")
            workers.append(subprocess.Popen([weft, "worker", "--store", url, "--plugins", plugins, "--workers", "2", "--lease", "2"],
                                            stdout=subprocess.DEVNULL, stderr=log))

        def succeeded():
            return int(sh("psql", url, "-At", "-c", "SELECT COUNT(*) FROM weft_runs WHERE state = 'succeeded'").strip())
        while succeeded() < runs // 3:
            time.sleep(0.05)
        for w in workers[:2]:
            w.kill()
            w.wait()
        killed_at = succeeded()
        deadline = time.time() + 600
        while succeeded() < runs and time.time() < deadline:
            time.sleep(0.2)
        drain_s = time.time() - t1
        q = lambda sql: sh("psql", url, "-At", "-c", sql).strip()
        states = q("SELECT state || ':' || COUNT(*) FROM weft_runs GROUP BY state ORDER BY state").split("\n")
        completions = q("SELECT COUNT(*) || ' ' || COUNT(DISTINCT (run_id, node, occurrence)) FROM weft_completions").split()
        reclaimed = int(q("SELECT COUNT(*) FROM weft_runs WHERE attempts > 1"))
        executions = sum(1 for _ in open(tally))
        return {"runs": runs, "queued_s": round(queued_s, 2), "drain_s": round(drain_s, 2),
                "runs_per_s": round(runs / drain_s, 1), "killed_after": killed_at, "states": states,
                "completions": int(completions[0]), "distinct_completions": int(completions[1]),
                "tally_executions": executions, "reclaimed_runs": reclaimed}
    finally:
        for w in workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
                w.wait(timeout=60)
        server.stop()
        subprocess.run(["bash", os.path.join(ROOT, "scripts/pg-cluster.sh"), "stop", cluster])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=10000)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--bin")
    p.add_argument("--skip-immediate", action="store_true")
    p.add_argument("--skip-queue", action="store_true")
    a = p.parse_args()
    bin_dir = build(a.bin)
    weft = os.path.join(bin_dir, "weft")
    tmp = tempfile.mkdtemp(prefix="weft-server-bench-")
    os.chmod(tmp, 0o755)
    os.makedirs(os.path.join(tmp, "plugins"))
    plugins = fixture(os.path.join(tmp, "plugins"))
    result = {}
    if not a.skip_immediate:
        result["immediate"] = immediate(weft, plugins, tmp, a.seconds)
        r = result["immediate"]
        print(f"immediate: {r['runs_per_s']:.0f} runs/s, latency {r['latency']}, non-2xx {r['non_2xx']}")
    if not a.skip_queue:
        result["queue"] = queue(weft, plugins, tmp, a.runs)
        r = result["queue"]
        print(f"queue: {r['runs']} runs queued in {r['queued_s']} s, drained in {r['drain_s']} s ({r['runs_per_s']} runs/s) "
              f"by 4 workers, 2 killed after {r['killed_after']}; states {r['states']}; completions {r['completions']} "
              f"({r['distinct_completions']} distinct); tally executions {r['tally_executions']}; runs reclaimed {r['reclaimed_runs']}")
        ok = (r["states"] == [f"succeeded:{a.runs}"] and r["completions"] == r["distinct_completions"] == 2 * a.runs
              and a.runs <= r["tally_executions"] <= a.runs + 4)
        print("queue check:", "ok" if ok else "FAILED")
        if not ok:
            sys.exit(1)
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
