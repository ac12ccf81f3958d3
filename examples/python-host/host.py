#!/usr/bin/env python3
"""A Weft host in Python (ctypes): runs examples/collatz.json and shows
events, errors, concurrent runs and cancelling.

    PKG_CONFIG_PATH=PREFIX/lib/pkgconfig python3 examples/python-host/host.py
    python3 examples/python-host/host.py /path/to/libweft.so
    WEFT_LIBRARY=/path/to/libweft.so python3 examples/python-host/host.py

Exit code 0 when everything behaved as expected, 1 otherwise.
"""

import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import weft  # noqa: E402

# A loop that sleeps 50 ms per pass, practically forever: to be cancelled.
SLOW_GRAPH = {
    "weft": 1,
    "inputs": {"ms": {"type": "int", "default": 50}},
    "nodes": [
        {"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0},
         "max_iterations": 2000000000},
        {"id": "more", "type": "std.lt", "inputs": {"b": 1000000000}},
        {"id": "nap", "type": "time.sleep"},
        {"id": "inc", "type": "std.add", "inputs": {"b": 1}},
    ],
    "edges": [
        {"from": "loop.i", "to": "more.a"},
        {"from": "more.result", "to": "loop.continue"},
        {"from": "$ms", "to": "nap.ms"},
        {"from": "loop.i", "to": "nap.value"},
        {"from": "nap.value", "to": "inc.a"},
        {"from": "inc.result", "to": "loop.next_i"},
    ],
    "outputs": {"count": "loop.done_i"},
}

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print(f"FAIL: {what}")


def compact(value):
    return json.dumps(value, separators=(", ", ": "))


def main():
    library = sys.argv[1] if len(sys.argv) > 1 else None

    # versions
    try:
        print(f"weft_version = {weft.version(library)}")
    except OSError as e:
        print(f"host.py: {e}", file=sys.stderr)
        return 2
    api = weft.api_version(library)
    print(f"weft_api_version = {api}")
    print(f"weft_plugin_abi_version = {weft.plugin_abi_version(library)}")
    check(api == weft.API_VERSION, f"the library's API version {api} is the binding's {weft.API_VERSION}")

    engine = weft.Engine(library)
    engine.load_default_plugins()
    nodes = engine.nodes()
    plugin_names = sorted(p["name"] for p in nodes["plugins"])
    print(f"plugins = {', '.join(plugin_names)}")
    check({"std", "io", "time"} <= set(plugin_names), "the std, io and time plugins are loaded")

    # collatz, n = 27
    graph = engine.load(os.path.join(REPO, "examples", "collatz.json"))
    run = graph.run({"n": 27})
    check(run.state == weft.RUN_SUCCEEDED, f"collatz run succeeded ({run.state_name}: {run.error})")
    outputs = run.outputs()
    print(f"outputs = {compact(outputs)}")
    steps = run.output_int("steps")
    print(f"steps = {steps}")
    check(steps == 111, "collatz(27) takes 111 steps")
    check(outputs.get("peak") == 9232, "collatz(27) peaks at 9232")
    run.close()

    # events: count node_finished
    counts = {"node_finished": 0, "run_finished": 0}
    lock = threading.Lock()

    def on_event(ev):
        with lock:
            if ev.kind == weft.EVENT_NODE_FINISHED:
                counts["node_finished"] += 1
            elif ev.kind == weft.EVENT_RUN_FINISHED:
                counts["run_finished"] += 1

    run = graph.create_run(on_event=on_event)  # the Run keeps the CFUNCTYPE alive
    run.set_input("n", 27)
    run.start()
    run.wait()
    print(f"node_finished events = {counts['node_finished']}")
    print(f"run steps = {run.steps}")
    check(counts["node_finished"] > 0, "node_finished events arrived")
    check(counts["node_finished"] >= run.steps, "a node_finished event for each step")
    check(counts["run_finished"] == 1, "one run_finished event")
    check(not run.callback_errors, f"the callback raised nothing ({run.callback_errors})")
    run.close()

    # an invalid graph
    bad = {"weft": 1, "nodes": [{"id": "x", "type": "std.frobnicate"}]}
    try:
        engine.parse(bad)
        check(False, "a graph with an unknown node type is refused")
    except weft.WeftError as e:
        line = next((l for l in e.message.splitlines() if "std.frobnicate" in l), e.message)
        print(f"invalid graph: WeftError {e.name} ({e.status}): {line.strip()}")
        check(e.status == weft.ERR_INVALID, "an invalid graph gives WEFT_ERR_INVALID")
        check("std.frobnicate" in e.message, "the message names the unknown node type")
        check(any(d["node"] == "x" and d["path"] == "$.nodes[0].type" for d in e.diagnostics),
              "a diagnostic for node x at $.nodes[0].type")

    # two runs at once, from two Python threads
    results = {}

    def run_in_thread(n):
        r = graph.run({"n": n})
        results[n] = (r.state_name, r.outputs())
        r.close()

    threads = [threading.Thread(target=run_in_thread, args=(n,)) for n in (27, 97)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n in (27, 97):
        state, out = results.get(n, ("missing", {}))
        print(f"thread run n={n}: {state}, steps = {out.get('steps')}, peak = {out.get('peak')}, "
              f"sequence length = {len(out.get('sequence', []))}")
    check(results.get(27, (None, {}))[1].get("steps") == 111, "thread run n=27: 111 steps")
    check(results.get(97, (None, {}))[1].get("steps") == 118, "thread run n=97: 118 steps")

    # two runs started, then waited
    runs = {}
    for n in (6, 7):
        r = graph.create_run()
        r.set_inputs({"n": n})
        r.start()
        runs[n] = r
    for n, r in runs.items():
        r.wait()
        print(f"started run n={n}: {r.state_name}, outputs = {compact(r.outputs())}")
        r.close()
    graph.close()

    # cancel a long run from a threading.Timer
    slow = engine.parse(SLOW_GRAPH)
    run = slow.create_run()
    run.start()
    timer = threading.Timer(0.3, run.cancel)
    t0 = time.monotonic()
    timer.start()
    finished = run.wait(10000)
    timer.join()
    check(finished, "the cancelled run finished within 10 s")
    check(run.state == weft.RUN_CANCELLED, f"the run was cancelled (state {run.state_name})")
    check(time.monotonic() - t0 < 5.0, "cancel stopped the run promptly")
    if run.state == weft.RUN_CANCELLED:
        print("cancelled")
    run.close()
    slow.close()
    engine.close()

    if failures:
        print(f"host.py: {len(failures)} failure(s)")
        return 1
    print("host.py: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
