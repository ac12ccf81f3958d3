#!/usr/bin/env python3
"""The bad-input corpus: every case, its files, and (when recording) the
exact stderr and exit code weft gives today.

    python3 Tests/Fixtures/bad-input/record.py [--weft .build/debug/weft]

writes graphs/*.json and cases.json. Read the diff of cases.json before
committing it: it is the spec `swift test` holds weft to (BadInputCorpusTests).

Placeholders in args: {graphs} the graphs folder; {plugin:NAME} the built
plugin file NAME (see PLUGINS); {dir:NAME} a folder holding only that plugin;
{tmp} a scratch folder. In the recorded stderr the same paths are written
back as placeholders, pids as {pid} and log timestamps are dropped.
"""
import argparse, json, os, re, shutil, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
GRAPHS = os.path.join(HERE, "graphs")

# name -> (source in Tests/Fixtures/plugins, cc flags)
PLUGINS = {
    "fixture": ("fixture.c", []),
    "crashy": ("crashy.c", []),
    "abi0": ("abi.c", ["-DFIXTURE_ABI=0"]),
    "abi99": ("abi.c", ["-DFIXTURE_ABI=99"]),
    "noentry": ("noentry.c", []),
    "initfail": ("initfail.c", []),
    "baddesc1": ("baddesc.c", ["-DVARIANT=1"]),
    "baddesc3": ("baddesc.c", ["-DVARIANT=3"]),
    "baddesc5": ("baddesc.c", ["-DVARIANT=5"]),
    "baddesc8": ("baddesc.c", ["-DVARIANT=8"]),
}


def g(name, text):
    """A graph file (str or bytes)."""
    return (name, text)


def add(a=1, b=2):
    return {"weft": 1, "nodes": [{"id": "s", "type": "std.add", "inputs": {"a": a, "b": b}}], "outputs": {"sum": "s.result"}}


def node_graph(t, extra=None, inputs=None, outputs=None):
    n = {"id": "n", "type": t}
    n.update(extra or {})
    doc = {"weft": 1, "nodes": [n]}
    if inputs: doc["inputs"] = inputs
    if outputs: doc["outputs"] = outputs
    return doc


J = json.dumps
SUM_N = {"weft": 1, "inputs": {"n": "int"}, "nodes": [{"id": "s", "type": "std.add", "inputs": {"b": 1}}],
         "edges": [{"from": "$n", "to": "s.a"}], "outputs": {"sum": "s.result"}}
COUNT_LOOP = {"weft": 1, "inputs": {"n": "int"},
              "nodes": [{"id": "loop", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}, "max_iterations": 5},
                        {"id": "more", "type": "std.lt"}, {"id": "inc", "type": "std.add", "inputs": {"b": 1}}],
              "edges": [{"from": "loop.i", "to": "more.a"}, {"from": "$n", "to": "more.b"},
                        {"from": "more.result", "to": "loop.continue"},
                        {"from": "loop.i", "to": "inc.a"}, {"from": "inc.result", "to": "loop.next_i"}],
              "outputs": {"i": "loop.done_i"}}

CASES = [
    # --- malformed JSON --------------------------------------------------
    ("json-truncated", ["run", "{graphs}/truncated.json"], [g("truncated", '{"weft": 1, "nodes": [')]),
    ("json-trailing-garbage", ["run", "{graphs}/trailing.json"], [g("trailing", J(add()) + " }")]),
    ("json-top-level-list", ["check", "{graphs}/list.json"], [g("list", "[1, 2]")]),
    ("json-empty-file", ["run", "{graphs}/empty.json"], [g("empty", "")]),
    ("json-invalid-utf8", ["run", "{graphs}/utf8.json"], [g("utf8", b'{"weft": 1, "nodes": [{"id": "\xff\xfe", "type": "std.add"}]}')]),
    ("json-comment", ["run", "{graphs}/comment.json"], [g("comment", '{"weft": 1, // a comment\n "nodes": []}')]),
    ("json-duplicate-key", ["run", "{graphs}/dupkey.json"], [g("dupkey", '{"weft": 1, "nodes": [], "nodes": []}')]),
    ("json-deep-nesting", ["run", "{graphs}/deep.json"], [g("deep", '{"weft": 1, "nodes": [], "x": ' + "[" * 10000 + "]" * 10000 + "}")]),
    ("json-huge-float", ["run", "{graphs}/hugefloat.json"], [g("hugefloat", '{"weft": 1, "nodes": [{"id": "s", "type": "std.add", "inputs": {"a": 1e400, "b": 1}}]}')]),
    ("json-huge-int-weft", ["run", "{graphs}/hugeint.json"], [g("hugeint", '{"weft": 99999999999999999999, "nodes": []}')]),
    ("json-bad-escape", ["run", "{graphs}/escape.json"], [g("escape", '{"weft": 1, "nodes": [{"id": "a\\q", "type": "std.add"}]}')]),
    ("json-lone-surrogate", ["run", "{graphs}/surrogate.json"], [g("surrogate", '{"weft": 1, "description": "\\ud800", "nodes": []}')]),
    # --- graph structure -------------------------------------------------
    ("graph-missing-version", ["run", "{graphs}/noversion.json"], [g("noversion", J({"nodes": []}))]),
    ("graph-version-2", ["run", "{graphs}/v2.json"], [g("v2", J({"weft": 2, "nodes": []}))]),
    ("graph-missing-nodes", ["run", "{graphs}/nonodes.json"], [g("nonodes", J({"weft": 1}))]),
    ("graph-nodes-not-list", ["run", "{graphs}/nodesobj.json"], [g("nodesobj", J({"weft": 1, "nodes": {}}))]),
    ("graph-unknown-field", ["run", "{graphs}/edgs.json"], [g("edgs", J({"weft": 1, "nodes": [], "edgs": []}))]),
    ("graph-node-without-id", ["run", "{graphs}/noid.json"], [g("noid", J({"weft": 1, "nodes": [{"type": "std.add"}]}))]),
    ("graph-bad-node-id", ["run", "{graphs}/badid.json"], [g("badid", J({"weft": 1, "nodes": [{"id": "a.b", "type": "std.add"}]}))]),
    ("graph-duplicate-id", ["run", "{graphs}/dupid.json"], [g("dupid", J({"weft": 1, "nodes": [{"id": "a", "type": "std.const", "params": {"value": 1}}, {"id": "a", "type": "std.const", "params": {"value": 2}}]}))]),
    ("graph-node-without-type", ["run", "{graphs}/notype.json"], [g("notype", J({"weft": 1, "nodes": [{"id": "a"}]}))]),
    ("graph-unknown-type", ["run", "{graphs}/unknowntype.json"], [g("unknowntype", J(node_graph("std.ad")))]),
    ("graph-unknown-plugin", ["run", "{graphs}/unknownplugin.json"], [g("unknownplugin", J(node_graph("nosuch.node")))]),
    ("graph-unknown-param", ["run", "{graphs}/unknownparam.json"], [g("unknownparam", J(node_graph("std.const", {"params": {"valu": 1}})))]),
    ("graph-missing-param", ["run", "{graphs}/missingparam.json"], [g("missingparam", J(node_graph("std.const")))]),
    ("graph-param-wrong-type", ["run", "{graphs}/paramtype.json"], [g("paramtype", J(node_graph("io.print", {"params": {"stream": 3}, "inputs": {"value": 1}})))]),
    ("graph-unknown-input-port", ["run", "{graphs}/unknownport.json"], [g("unknownport", J(node_graph("std.add", {"inputs": {"a": 1, "c": 2}})))]),
    ("graph-constant-wrong-type", ["run", "{graphs}/consttype.json"], [g("consttype", J(node_graph("std.concat", {"inputs": {"a": 1, "b": "x"}})))]),
    ("graph-edge-unknown-node", ["run", "{graphs}/edgenode.json"], [g("edgenode", J({"weft": 1, "nodes": [{"id": "a", "type": "std.neg", "inputs": {"a": 1}}], "edges": [{"from": "a.result", "to": "b.a"}]}))]),
    ("graph-edge-unknown-port", ["run", "{graphs}/edgeport.json"], [g("edgeport", J({"weft": 1, "nodes": [{"id": "a", "type": "std.neg", "inputs": {"a": 1}}, {"id": "b", "type": "std.neg"}], "edges": [{"from": "a.reslt", "to": "b.a"}]}))]),
    ("graph-edge-not-a-port", ["run", "{graphs}/edgeref.json"], [g("edgeref", J({"weft": 1, "nodes": [], "edges": [{"from": "a", "to": "b.x"}]}))]),
    ("graph-two-edges-one-input", ["run", "{graphs}/twoedges.json"], [g("twoedges", J({"weft": 1, "nodes": [{"id": "a", "type": "std.neg", "inputs": {"a": 1}}, {"id": "b", "type": "std.neg", "inputs": {"a": 2}}, {"id": "c", "type": "std.neg"}], "edges": [{"from": "a.result", "to": "c.a"}, {"from": "b.result", "to": "c.a"}]}))]),
    ("graph-cycle-without-loop", ["run", "{graphs}/cycle.json"], [g("cycle", J({"weft": 1, "nodes": [{"id": "a", "type": "std.neg"}, {"id": "b", "type": "std.neg"}], "edges": [{"from": "a.result", "to": "b.a"}, {"from": "b.result", "to": "a.a"}]}))]),
    ("graph-unknown-output-source", ["run", "{graphs}/outsource.json"], [g("outsource", J({"weft": 1, "nodes": [{"id": "a", "type": "std.neg", "inputs": {"a": 1}}], "outputs": {"x": "z.result"}}))]),
    ("graph-unknown-graph-input", ["run", "{graphs}/graphinput.json"], [g("graphinput", J({"weft": 1, "nodes": [{"id": "a", "type": "std.neg"}], "edges": [{"from": "$nope", "to": "a.a"}]}))]),
    ("graph-bad-input-type", ["run", "{graphs}/inputtype.json"], [g("inputtype", J({"weft": 1, "inputs": {"x": "integer"}, "nodes": []}))]),
    ("graph-bad-default", ["run", "{graphs}/default.json"], [g("default", J({"weft": 1, "inputs": {"x": {"type": "int", "default": "3"}}, "nodes": []}))]),
    ("graph-bad-strategy", ["run", "{graphs}/strategy.json"], [g("strategy", J(node_graph("std.neg", {"strategy": "fast", "inputs": {"a": 1}})))]),
    ("graph-bad-join", ["run", "{graphs}/join.json"], [g("join", J(node_graph("std.neg", {"join": "some", "inputs": {"a": 1}})))]),
    ("graph-loop-without-carry", ["run", "{graphs}/nocarry.json"], [g("nocarry", J({"weft": 1, "nodes": [{"id": "l", "type": "loop"}]}))]),
    ("graph-max-iterations-zero", ["run", "{graphs}/maxit.json"], [g("maxit", J({"weft": 1, "nodes": [{"id": "l", "type": "loop", "carry": {"i": "int"}, "inputs": {"i": 0}, "max_iterations": 0}]}))]),
    ("graph-max-iterations-on-plain-node", ["run", "{graphs}/maxitplain.json"], [g("maxitplain", J(node_graph("std.neg", {"max_iterations": 3, "inputs": {"a": 1}})))]),
    ("graph-isolate-not-bool", ["run", "{graphs}/isolatebool.json"], [g("isolatebool", J(node_graph("std.neg", {"isolate": "yes", "inputs": {"a": 1}})))]),
    ("graph-timeout-zero", ["run", "{graphs}/timeout0.json"], [g("timeout0", J(node_graph("std.neg", {"timeout_ms": 0, "inputs": {"a": 1}})))]),
    ("graph-isolate-ffi-node", ["run", "{graphs}/isolateffi.json"], [g("isolateffi", J(node_graph("ffi", {"isolate": True, "params": {"library": "libm.so.6", "symbol": "cos", "signature": "double(double)"}})))]),
    ("graph-ffi-bad-signature", ["run", "{graphs}/ffisig.json"], [g("ffisig", J(node_graph("ffi", {"params": {"library": "libm.so.6", "symbol": "cos", "signature": "double(double"}})))]),
    ("graph-ffi-library-refused", ["run", "{graphs}/ffilib.json"], [g("ffilib", J(node_graph("ffi", {"params": {"library": "/tmp/libevil.so", "symbol": "f", "signature": "int(void)"}})))]),
    ("graph-conditional-without-optional-outputs", ["run", "{graphs}/cond.json"], [g("cond", J(node_graph("std.neg", {"strategy": "conditional", "inputs": {"a": 1}})))]),
    ("event-bad-cron", ["check", "{graphs}/cron.json"], [g("cron", J(node_graph("event.cron", {"params": {"schedule": "0 25 * * *"}})))]),
    ("event-bad-time-zone", ["check", "{graphs}/crontz.json"], [g("crontz", J(node_graph("event.cron", {"params": {"schedule": "@daily", "tz": "Europe/Paris"}})))]),
    ("event-max-events-on-plain-node", ["check", "{graphs}/maxev.json"], [g("maxev", J(node_graph("std.neg", {"max_events": 3, "inputs": {"a": 1}})))]),
    ("event-watch-missing-folder", ["run", "{graphs}/watch.json"], [g("watch", J({"weft": 1, "nodes": [{"id": "w", "type": "event.files", "params": {"path": "/nonexistent/inbox"}}, {"id": "p", "type": "io.print"}], "edges": [{"from": "w.path", "to": "p.value"}]}))]),
    ("event-failing-wave-goes-on", ["run", "{graphs}/evdiv.json"], [g("evdiv", J({"weft": 1, "nodes": [{"id": "t", "type": "event.timer", "params": {"interval_ms": 1, "count": 2}}, {"id": "d", "type": "std.div", "inputs": {"a": 1}}, {"id": "z", "type": "std.sub"}], "edges": [{"from": "t.tick", "to": "z.a"}, {"from": "t.tick", "to": "z.b"}, {"from": "z.result", "to": "d.b"}]}))]),
    ("event-cli-queue-policy", ["run", "{graphs}/evdiv.json", "--queue-policy", "sometimes"], []),
    # --- limits and run-time failures --------------------------------------
    ("run-max-steps", ["run", "{graphs}/countloop.json", "--input", "n=1000", "--max-steps", "7"], [g("countloop", J(COUNT_LOOP))]),
    ("run-max-iterations", ["run", "{graphs}/countloop.json", "--input", "n=100"], []),
    ("run-division-by-zero", ["run", "{graphs}/div0.json"], [g("div0", J(node_graph("std.div", {"inputs": {"a": 1, "b": 0}})))]),
    ("run-keep-going-counts", ["run", "{graphs}/twofail.json", "--keep-going"], [g("twofail", J({"weft": 1, "nodes": [{"id": "d1", "type": "std.div", "inputs": {"a": 1, "b": 0}}, {"id": "d2", "type": "std.div", "inputs": {"a": 2, "b": 0}}, {"id": "ok", "type": "std.add", "inputs": {"a": 1, "b": 1}}], "outputs": {"ok": "ok.result"}}))]),
    # --- command line ------------------------------------------------------
    ("cli-missing-graph-file", ["run", "{graphs}/does-not-exist.json"], []),
    ("cli-folder-as-graph", ["run", "{graphs}"], []),
    ("cli-missing-required-input", ["run", "{graphs}/sumn.json"], [g("sumn", J(SUM_N))]),
    ("cli-undeclared-input", ["run", "{graphs}/sumn.json", "--input", "n=1", "--input", "m=2"], []),
    ("cli-input-wrong-type", ["run", "{graphs}/sumn.json", "--input", "n=[1]"], []),
    ("cli-input-without-equals", ["run", "{graphs}/sumn.json", "--input", "n"], []),
    ("cli-input-huge-int", ["run", "{graphs}/sumn.json", "--input", "n=99999999999999999999"], []),
    ("cli-inputs-file-not-object", ["run", "{graphs}/sumn.json", "--inputs", "{graphs}/list.json"], []),
    ("cli-inputs-file-invalid-json", ["run", "{graphs}/sumn.json", "--inputs", "{graphs}/truncated.json"], []),
    ("cli-unknown-flag", ["run", "{graphs}/sumn.json", "--inptu", "n=1"], []),
    ("cli-workers-zero", ["run", "{graphs}/sumn.json", "--input", "n=1", "--workers", "0"], []),
    ("cli-mode-bogus", ["run", "{graphs}/sumn.json", "--input", "n=1", "--mode", "fast"], []),
    ("cli-max-steps-zero", ["run", "{graphs}/sumn.json", "--input", "n=1", "--max-steps", "0"], []),
    ("cli-plugins-folder-missing", ["run", "{graphs}/sumn.json", "--input", "n=1", "--plugins", "/nonexistent/plugins"], []),
    ("cli-isolate-unknown-plugin", ["run", "{graphs}/sumn.json", "--input", "n=1", "--isolate", "stdd"], []),
    ("cli-unknown-command", ["rnu", "{graphs}/sumn.json"], []),
    # --- plugin loading ----------------------------------------------------
    ("plugin-abi-0", ["inspect", "{plugin:abi0}"], []),
    ("plugin-abi-99", ["inspect", "{plugin:abi99}"], []),
    ("plugin-no-entry", ["inspect", "{plugin:noentry}"], []),
    ("plugin-init-fails", ["inspect", "{plugin:initfail}"], []),
    ("plugin-duplicate-node-name", ["inspect", "{plugin:baddesc1}"], []),
    ("plugin-unknown-port-type", ["inspect", "{plugin:baddesc3}"], []),
    ("plugin-default-wrong-type", ["inspect", "{plugin:baddesc5}"], []),
    ("plugin-invalid-port-name", ["inspect", "{plugin:baddesc8}"], []),
    ("plugin-not-elf", ["inspect", "{graphs}/notelf.so"], [("notelf.so", "this is not a shared library\n")]),
    ("plugin-missing-file", ["inspect", "{graphs}/nosuch.so"], []),
    ("plugin-bad-one-in-folder-warns", ["run", "{graphs}/sum.json", "--plugins", "{dir:initfail}"], [g("sum", J(add()))]),
    # --- misbehaving nodes (fixture.c) ---------------------------------------
    ("node-fails-with-message", ["run", "{graphs}/fx-fails.json", "--plugins", "{dir:fixture}"], [g("fx-fails", J(node_graph("fixture.fails")))]),
    ("node-fails-without-message", ["run", "{graphs}/fx-silent.json", "--plugins", "{dir:fixture}"], [g("fx-silent", J(node_graph("fixture.silent_fail")))]),
    ("node-writes-output-twice", ["run", "{graphs}/fx-twice.json", "--plugins", "{dir:fixture}", "--json"], [g("fx-twice", J(node_graph("fixture.twice", outputs={"n": "n.n"})))]),
    ("node-skips-required-output", ["run", "{graphs}/fx-missing.json", "--plugins", "{dir:fixture}"], [g("fx-missing", J(node_graph("fixture.missing_output")))]),
    ("node-writes-wrong-type", ["run", "{graphs}/fx-wrongtype.json", "--plugins", "{dir:fixture}"], [g("fx-wrongtype", J(node_graph("fixture.wrong_type")))]),
    ("node-uses-stale-handle", ["run", "{graphs}/fx-stale.json", "--plugins", "{dir:fixture}", "--json"], [g("fx-stale", J(node_graph("fixture.stale", outputs={"n": "n.n"})))]),
    ("node-uses-stale-ctx", ["run", "{graphs}/fx-stalectx.json", "--plugins", "{dir:fixture}", "--json"], [g("fx-stalectx", J(node_graph("fixture.stale_ctx", outputs={"n": "n.n"})))]),
    ("node-calls-host-from-own-thread", ["run", "{graphs}/fx-thread.json", "--plugins", "{dir:fixture}", "--json"], [g("fx-thread", J(node_graph("fixture.thread", outputs={"n": "n.n"})))]),
    ("node-reads-missing-input", ["run", "{graphs}/fx-noinput.json", "--plugins", "{dir:fixture}"], [g("fx-noinput", J(node_graph("fixture.missing_input")))]),
    ("node-passes-foreign-handle", ["run", "{graphs}/fx-foreign.json", "--plugins", "{dir:fixture}"], [g("fx-foreign", J(node_graph("fixture.foreign_handle")))]),
    ("node-leaks-values", ["run", "{graphs}/fx-leak.json", "--plugins", "{dir:fixture}", "--json"], [g("fx-leak", J(node_graph("fixture.leak", outputs={"made": "n.n"})))]),
    ("node-frees-its-string", ["run", "{graphs}/fx-freed.json", "--plugins", "{dir:fixture}", "--json"], [g("fx-freed", J(node_graph("fixture.freed_string", outputs={"text": "n.text"})))]),
    ("node-create-fails", ["run", "{graphs}/fx-counter.json", "--plugins", "{dir:fixture}"], [g("fx-counter", J(node_graph("fixture.counter", {"params": {"start": -1}})))]),
    # --- crashes and hangs, isolated (crashy.c) ------------------------------
    ("isolated-segv", ["run", "{graphs}/crashy.json", "--plugins", "{dir:crashy}", "--isolate", "crashy", "--input", "x=-11"], [g("crashy", J({"weft": 1, "inputs": {"x": "int"}, "nodes": [{"id": "a", "type": "crashy.echo"}], "edges": [{"from": "$x", "to": "a.x"}], "outputs": {"y": "a.y"}}))]),
    ("isolated-abort", ["run", "{graphs}/crashy.json", "--plugins", "{dir:crashy}", "--isolate", "all", "--input", "x=-6"], []),
    ("isolated-exit", ["run", "{graphs}/crashy.json", "--plugins", "{dir:crashy}", "--isolate", "crashy", "--input", "x=-2"], []),
    ("isolated-hang-timeout", ["run", "{graphs}/crashy-timeout.json", "--plugins", "{dir:crashy}", "--input", "x=-1"], [g("crashy-timeout", J({"weft": 1, "inputs": {"x": "int"}, "nodes": [{"id": "a", "type": "crashy.echo", "timeout_ms": 200}], "edges": [{"from": "$x", "to": "a.x"}], "outputs": {"y": "a.y"}}))]),
    ("isolated-segv-keep-going", ["run", "{graphs}/crashy-more.json", "--plugins", "{dir:crashy}", "--keep-going", "--json"], [g("crashy-more", J({"weft": 1, "nodes": [{"id": "boom", "type": "crashy.segv", "isolate": True}, {"id": "ok", "type": "std.add", "inputs": {"a": 40, "b": 2}}], "outputs": {"ok": "ok.result"}}))]),
]

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} ", re.M)
PID = re.compile(r"\(pid \d+\)")


def normalize(text, paths):
    for real, placeholder in sorted(paths.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(real, placeholder)
    text = TIMESTAMP.sub("", text)
    return PID.sub("(pid {pid})", text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weft", default=os.path.join(ROOT, ".build/debug/weft"))
    a = ap.parse_args()
    if os.path.isdir(GRAPHS):
        shutil.rmtree(GRAPHS)
    os.makedirs(GRAPHS)
    for _, _, files in CASES:
        for name, text in files:
            path = os.path.join(GRAPHS, name if "." in name else name + ".json")
            with open(path, "wb") as f:
                f.write(text if isinstance(text, bytes) else text.encode())
    tmp = tempfile.mkdtemp(prefix="weft-corpus-")
    paths = {GRAPHS: "{graphs}", tmp: "{tmp}"}
    built = {}
    for name, (source, flags) in PLUGINS.items():
        d = os.path.join(tmp, "dir-" + name)
        os.makedirs(d)
        out = os.path.join(d, f"lib{name}.so")
        subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-shared", "-fPIC", "-fvisibility=hidden",
                        "-I", os.path.join(ROOT, "include"), *flags, os.path.join(ROOT, "Tests/Fixtures/plugins", source),
                        "-o", out, "-lpthread", "-lm"], check=True)
        built[name] = (out, d)
        paths[out] = "{plugin:%s}" % name
        paths[d] = "{dir:%s}" % name
    manifest = []
    for name, args, _ in CASES:
        real = []
        for arg in args:
            arg = arg.replace("{graphs}", GRAPHS).replace("{tmp}", tmp)
            for p, (out, d) in built.items():
                arg = arg.replace("{plugin:%s}" % p, out).replace("{dir:%s}" % p, d)
            real.append(arg)
        r = subprocess.run([a.weft, *real], capture_output=True, timeout=60, cwd=tmp)
        stderr = normalize(r.stderr.decode("utf-8", "replace"), paths)
        stdout = normalize(r.stdout.decode("utf-8", "replace"), paths)
        manifest.append({"name": name, "args": args, "exit": r.returncode, "stderr": stderr, "stdout": stdout})
        print(f"{name}: exit {r.returncode}: {stderr.strip().splitlines()[0] if stderr.strip() else '(no stderr)'}")
    with open(os.path.join(HERE, "cases.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    shutil.rmtree(tmp)
    print(f"{len(manifest)} cases")


if __name__ == "__main__":
    main()
