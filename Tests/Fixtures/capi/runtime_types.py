#!/usr/bin/env python3
"""A value of the wrong type through the C API, with and without on_event:
both runs fail with the node's message and deliver no output of the node
(an observed run used to take the call as a success and deliver the
previous call's outputs). Prints one line per check; exit 0 when all hold.

    PKG_CONFIG_PATH=PREFIX/lib/pkgconfig python3 Tests/Fixtures/capi/runtime_types.py
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(REPO, "examples", "python-host"))

import weft  # noqa: E402

GRAPH = {
    "weft": 1,
    "nodes": [
        {"id": "c", "type": "std.const", "params": {"value": "hello"}},
        {"id": "n", "type": "std.neg"},
        {"id": "k", "type": "std.const", "params": {"value": 42}},
    ],
    "edges": [{"from": "c.value", "to": "n.a"}],
    "outputs": {"neg": "n.result", "k": "k.value"},
}
MESSAGE = "node 'n' (std.neg): input 'a' must be number, got string"

failures = 0
engine = weft.Engine(default_plugins=True)
graph = engine.parse(GRAPH)
for mode in (weft.MODE_SEQUENTIAL, weft.MODE_PARALLEL):
    for observed in (False, True):
        failed_events = []
        on_event = (lambda ev: failed_events.append(ev.message) if ev.kind == weft.EVENT_NODE_FAILED else None) \
            if observed else None
        run = graph.run(on_event=on_event, mode=mode, workers=2)
        outputs = run.outputs()
        ok = (run.state == weft.RUN_FAILED and run.error == MESSAGE and run.failed_node == "n"
              and "neg" not in outputs and outputs.get("k") == 42
              and (not observed or failed_events == ["input 'a' must be number, got string"]))
        print(f"mode={mode} observed={observed}: {run.state_name}, {run.error!r}, outputs={outputs}, "
              f"failed events={failed_events}: {'ok' if ok else 'WRONG'}")
        failures += not ok
        run.close()
# The graph size limit through the Python wrapper: a graph past it is refused.
engine.set_max_graph_bytes(64)
try:
    engine.parse(GRAPH)
    print("a graph past the size limit was parsed: WRONG")
    failures += 1
except weft.WeftError as e:
    ok = e.status == weft.ERR_INVALID and "64 bytes" in e.message
    print(f"size limit: {e.name}: {'ok' if ok else 'WRONG ' + e.message}")
    failures += not ok
engine.set_max_graph_bytes(0)
engine.parse(GRAPH)
print("runtime_types.py: " + ("ok" if failures == 0 else f"{failures} wrong"))
sys.exit(1 if failures else 0)
