#!/usr/bin/env python3
"""Python peers for the Weft benchmarks: PocketFlow, fast-dag and dask.

    python peer.py PEER SCENARIO N [WORKERS]

PEER      pocketflow | fastdag | dask
SCENARIO  chain N            N nodes in a chain, each adds 1; the first gets 0; result N
          independent N W    N nodes without edges, node i returns i+1; result N(N+1)/2
          loop N             a loop going round N times; result N
          sleeps N           N nodes sleeping 200 ms, then a join counting them; result N
          cpu ITERATIONS W   2 nodes calling spin(ITERATIONS) from $WEFT_SPIN_LIB, then a
                             join; result round(1e6 * (a + b))
          startup N          an N-node chain (the harness times the whole process)
          map N              add 1 to each of 0 .. N-1 with the library's map/batch
                             construct; result the sum of the N results, N(N+1)/2
          mapcpu ITERATIONS W  64 items each calling spin(ITERATIONS) through the
                             map/batch construct; result round(1e6 * sum)
          async N W          N independent sleeps of 100 ms, all at once, in the
                             library's concurrent form (asyncio.sleep where its
                             model is asyncio, time.sleep on W threads where it
                             is threads); result how many waited >= 100 ms, N
          fsm N              a state machine of one state `tick` going round N
                             times: the state adds 1 to n in the store and
                             picks "again" (back to itself) while n < N, else
                             "done" (ends); result the final n, N
          retry M            a chain of M nodes each failing its first 2
                             attempts and succeeding on its 3rd (the library's
                             retry, 3 attempts, no wait); each adds its attempt
                             count to a total; result 3M
          retryindependent M the same M nodes without edges (each returns its
                             attempt count); result the sum, 3M
WORKERS   1 = sequential (default), >1 = the library's thread-parallel mode with
          that many workers (independent, cpu, mapcpu, async); ignored elsewhere.

Prints exactly one line of JSON on stdout:
    {"peer", "scenario", "n", "workers", "seconds", "result", ...}
where "seconds" is the wall time (time.perf_counter) of executing the graph
only: building it is not timed, but whatever the library does inside its own
run call (validation, graph optimisation, ordering) is. A scenario a peer
cannot express prints {"peer", "scenario", "n", "workers", "skipped": why}
and exits 0. Bad arguments: message on stderr, exit 2. A wrong result: the
line is printed, a message goes to stderr, exit 1.

Each library is imported only by its own peer, so `startup` pays only for it.
"""

import json
import os
import sys
import time

PEERS = ("pocketflow", "fastdag", "dask")
SCENARIOS = ("chain", "independent", "loop", "sleeps", "cpu", "startup", "map", "mapcpu", "async",
             "fsm", "retry", "retryindependent")
WORKER_SCENARIOS = ("independent", "cpu", "mapcpu", "async")  # take WORKERS
MAP_CPU_ITEMS = 64
SLEEP_SECONDS = 0.2
ASYNC_SECONDS = 0.1  # scenario async: each of the N sleeps
RETRY_FAILS = 2  # scenario retry: each node fails this many attempts, then succeeds
RETRY_ATTEMPTS = RETRY_FAILS + 1
# fast-dag's Node.retry_delay: 0 (or None) means 0.1 s there (`self.retry_delay
# or 0.1`, fast_dag/core/node/execution.py), so "no wait" is the smallest
# positive delay; time.sleep of it still takes the kernel's timer slack
# (~50 us on Linux) per wait.
FASTDAG_RETRY_DELAY = 1e-9

# fast-dag validates the whole graph inside every run() call, and that
# validation is O(N²) (for each node it scans every node's output
# connections: fast_dag/dag/core.py, DAG.validate). Measured here (2 cores):
# chain 2,000 nodes 1.0 s, 4,000 2.8 s, 8,000 40-50 s; independent 4,000
# 1.7 s, 8,000 7 s. Beyond this many nodes a chain or independent run takes
# minutes to hours, so the peer reports `skipped` instead of hanging the
# harness. Override with WEFT_FASTDAG_MAX_N.
FASTDAG_MAX_N = int(os.environ.get("WEFT_FASTDAG_MAX_N", "8000"))


class Skip(Exception):
    """The peer cannot express this scenario (or this size) naturally."""


class Usage(Exception):
    """Bad arguments or environment."""


# --------------------------------------------------------------------------
# shared helpers


def expected(scenario, n, spin_value=None):
    if scenario in ("chain", "loop", "sleeps", "startup"):
        return n
    if scenario == "independent":
        return n * (n + 1) // 2
    if scenario == "cpu":
        return round(1e6 * (spin_value + spin_value))
    if scenario == "map":
        return n * (n + 1) // 2
    if scenario == "mapcpu":
        return round(1e6 * spin_value * MAP_CPU_ITEMS)
    if scenario in ("async", "fsm"):
        return n
    if scenario in ("retry", "retryindependent"):
        return RETRY_ATTEMPTS * n
    raise AssertionError(scenario)


def waited_enough(waits):
    """How many of the measured waits (seconds) lasted at least ASYNC_SECONDS.

    Allows 1 µs: asyncio may fire a timer up to one clock tick before its
    deadline (BaseEventLoop._run_once), and the wait is measured around it.
    """
    return sum(1 for w in waits if w >= ASYNC_SECONDS - 1e-6)


def load_spin():
    """spin() from $WEFT_SPIN_LIB through ctypes (releases the GIL)."""
    import ctypes

    path = os.environ.get("WEFT_SPIN_LIB")
    if not path:
        raise Usage("scenario cpu needs WEFT_SPIN_LIB=/path/to/libspin.so "
                    "(cc -O2 -shared -fPIC Benchmarks/peers/spin.c -o libspin.so)")
    try:
        lib = ctypes.CDLL(path)
    except OSError as e:
        raise Usage(f"cannot load WEFT_SPIN_LIB={path}: {e}") from e
    spin = lib.spin
    spin.argtypes = [ctypes.c_int64]
    spin.restype = ctypes.c_double
    return spin


def timed(run):
    """Run `run()` and return (value, wall seconds, process CPU seconds)."""
    c0 = time.process_time()
    t0 = time.perf_counter()
    value = run()
    t1 = time.perf_counter()
    c1 = time.process_time()
    return value, t1 - t0, c1 - c0


# --------------------------------------------------------------------------
# PocketFlow: Node (prep/exec/post) + Flow; data goes through the shared
# store; `>>` links the default action, `node - "action" >> other` others.
# Its only parallel model is asyncio (AsyncParallelBatchFlow/Node on one
# thread); it has no thread workers.


def pocketflow_peer(scenario, n, workers):
    import pocketflow as pf

    out = {}

    if scenario in ("chain", "startup"):
        class AddOne(pf.Node):
            def prep(self, shared):
                return shared["value"]

            def exec(self, x):
                return x + 1

            def post(self, shared, prep_res, exec_res):
                shared["value"] = exec_res  # -> "default" action

        first = prev = AddOne()
        for _ in range(n - 1):
            prev = prev >> AddOne()
        flow = pf.Flow(start=first)
        shared = {"value": 0}
        _, secs, cpu = timed(lambda: flow.run(shared))
        return shared["value"], secs, cpu, out

    if scenario == "independent":
        if workers > 1:
            raise Skip("PocketFlow has no thread-parallel mode (its parallel "
                       "classes run coroutines with asyncio.gather on one thread)")

        class Emit(pf.Node):
            def __init__(self, i):
                super().__init__()
                self.i = i

            def exec(self, _):
                return self.i + 1

            def post(self, shared, prep_res, exec_res):
                shared["outputs"].append(exec_res)

        # A Flow has one current node and follows one action at a time: it
        # has no fan-out, so nodes with no data edges can only be put in one
        # Flow by visiting them in order through default actions.
        first = prev = Emit(0)
        for i in range(1, n):
            prev = prev >> Emit(i)
        flow = pf.Flow(start=first)
        shared = {"outputs": []}
        _, secs, cpu = timed(lambda: flow.run(shared))
        out["note"] = ("no fan-out in a PocketFlow Flow: the N nodes are "
                       "linked by default actions (order only, no data edges)")
        return sum(shared["outputs"]), secs, cpu, out

    if scenario == "loop":
        class Step(pf.Node):
            def prep(self, shared):
                return shared["i"]

            def exec(self, i):
                return i + 1

            def post(self, shared, prep_res, exec_res):
                shared["i"] = exec_res
                return "again" if exec_res < shared["n"] else "done"

        class Done(pf.Node):
            def post(self, shared, prep_res, exec_res):
                shared["result"] = shared["i"]

        step = Step()
        step - "again" >> step
        step - "done" >> Done()
        flow = pf.Flow(start=step)
        shared = {"i": 0, "n": n}
        _, secs, cpu = timed(lambda: flow.run(shared))
        return shared["result"], secs, cpu, out

    if scenario == "sleeps":
        import asyncio

        class Nap(pf.AsyncNode):
            async def exec_async(self, _):
                await asyncio.sleep(SLEEP_SECONDS)
                return 1

            async def post_async(self, shared, prep_res, exec_res):
                shared["done"].append(exec_res)

        class Naps(pf.AsyncParallelBatchFlow):
            async def prep_async(self, shared):
                return [{"k": k} for k in range(n)]

        class Count(pf.AsyncNode):
            async def prep_async(self, shared):
                return shared["done"]

            async def exec_async(self, done):
                return len(done)

            async def post_async(self, shared, prep_res, exec_res):
                shared["result"] = exec_res

        naps = Naps(start=Nap())
        naps >> Count()
        flow = pf.AsyncFlow(start=naps)
        shared = {"done": []}
        loop = asyncio.new_event_loop()
        try:
            _, secs, cpu = timed(lambda: loop.run_until_complete(flow.run_async(shared)))
        finally:
            loop.close()
        out["workers"] = 1
        out["note"] = ("PocketFlow's parallel model is asyncio: AsyncParallelBatchFlow "
                       "runs the N nap sub-flows with asyncio.gather on one thread, so "
                       "the nodes use asyncio.sleep, not time.sleep")
        return shared["result"], secs, cpu, out

    if scenario == "cpu":
        if workers > 1:
            raise Skip("PocketFlow has no thread-parallel mode: its parallel classes "
                       "run coroutines with asyncio.gather on one thread, so two "
                       "blocking C calls cannot overlap")
        spin = load_spin()

        class Spin(pf.Node):
            def exec(self, _):
                return spin(n)

            def post(self, shared, prep_res, exec_res):
                shared["spins"].append(exec_res)

        class Join(pf.Node):
            def prep(self, shared):
                return shared["spins"]

            def exec(self, spins):
                return round(1e6 * (spins[0] + spins[1]))

            def post(self, shared, prep_res, exec_res):
                shared["result"] = exec_res

        a = Spin()
        a >> Spin() >> Join()
        flow = pf.Flow(start=a)
        shared = {"spins": []}
        _, secs, cpu = timed(lambda: flow.run(shared))
        out["spin"] = shared["spins"][0]
        return shared["result"], secs, cpu, out

    if scenario in ("map", "mapcpu"):
        if workers > 1:
            raise Skip("PocketFlow has no thread-parallel mode: AsyncParallelBatchNode runs "
                       "coroutines with asyncio.gather on one thread, so blocking C calls "
                       "cannot overlap")
        spin = load_spin() if scenario == "mapcpu" else None

        class Each(pf.BatchNode):
            def prep(self, shared):
                return shared["items"]

            def exec(self, x):
                return spin(x) if spin else x + 1

            def post(self, shared, prep_res, exec_res):
                shared["results"] = exec_res

        flow = pf.Flow(start=Each())
        items = [n] * MAP_CPU_ITEMS if spin else list(range(n))
        shared = {"items": items}
        _, secs, cpu = timed(lambda: flow.run(shared))
        if spin:
            out["spin"] = shared["results"][0]
            return round(1e6 * sum(shared["results"])), secs, cpu, out
        return sum(shared["results"]), secs, cpu, out

    if scenario == "async":
        import asyncio

        class Naps(pf.AsyncParallelBatchNode):
            async def prep_async(self, shared):
                return range(shared["n"])

            async def exec_async(self, _):
                t0 = time.perf_counter()
                await asyncio.sleep(ASYNC_SECONDS)
                return time.perf_counter() - t0

            async def post_async(self, shared, prep_res, exec_res):
                shared["waits"] = exec_res

        flow = pf.AsyncFlow(start=Naps())
        shared = {"n": n}
        loop = asyncio.new_event_loop()
        try:
            _, secs, cpu = timed(lambda: loop.run_until_complete(flow.run_async(shared)))
        finally:
            loop.close()
        out["workers"] = 1
        out["note"] = ("AsyncParallelBatchNode in an AsyncFlow: asyncio.gather of the N "
                       "asyncio.sleep coroutines on one thread (no thread workers)")
        return waited_enough(shared["waits"]), secs, cpu, out

    if scenario == "fsm":
        import warnings

        class Tick(pf.Node):
            def prep(self, shared):
                return shared.get("n", 0)

            def exec(self, k):
                return k + 1

            def post(self, shared, prep_res, exec_res):
                shared["n"] = exec_res
                return "again" if exec_res < shared["limit"] else "done"

        tick = Tick()
        tick - "again" >> tick  # "done" has no successor: the flow ends
        flow = pf.Flow(start=tick)
        shared = {"limit": n}
        with warnings.catch_warnings():
            # Flow warns once that "done" has no successor; that is how it ends.
            warnings.simplefilter("ignore")
            _, secs, cpu = timed(lambda: flow.run(shared))
        out["note"] = ("a Flow of one Node whose post() returns 'again' (tick - 'again' >> tick) "
                       "or 'done' (no successor: the flow ends); the store is the shared dict")
        return shared["n"], secs, cpu, out

    if scenario == "retry":
        class Flaky(pf.Node):
            def __init__(self):
                super().__init__(max_retries=RETRY_ATTEMPTS, wait=0)
                self.calls = 0

            def exec(self, _):
                # The Flow runs a shallow copy of each node: the count lives on
                # that copy, which all the attempts of the visit share.
                self.calls += 1
                if self.calls <= RETRY_FAILS:
                    raise RuntimeError(f"flaky: call {self.calls} fails")
                return self.calls

            def post(self, shared, prep_res, exec_res):
                shared["total"] += exec_res

        first = prev = Flaky()
        for _ in range(n - 1):
            prev = prev >> Flaky()
        flow = pf.Flow(start=first)
        shared = {"total": 0}
        _, secs, cpu = timed(lambda: flow.run(shared))
        out["note"] = (f"a chain of M Nodes with max_retries={RETRY_ATTEMPTS}, wait=0, each "
                       f"raising in exec() on its first {RETRY_FAILS} calls")
        return shared["total"], secs, cpu, out

    if scenario == "retryindependent":
        raise Skip("no fan-out in a PocketFlow Flow: its only form of M nodes is the chain "
                   "of scenario retry")

    raise AssertionError(scenario)


# --------------------------------------------------------------------------
# fast-dag: DAG of Nodes (functions; inputs are parameter names, edges via
# dag.connect), run by its DAGRunner in SEQUENTIAL or PARALLEL mode
# (ThreadPoolExecutor, level by level); loops only in an FSM (FSMReturn).


def fastdag_peer(scenario, n, workers):
    from fast_dag import DAG, FSM, Context, DAGRunner, ExecutionMode, FSMReturn
    from fast_dag.core.node import Node

    out = {}

    def runner_for(dag, workers):
        if workers > 1:
            return DAGRunner(dag, mode=ExecutionMode.PARALLEL, max_workers=workers)
        return DAGRunner(dag, mode=ExecutionMode.SEQUENTIAL)

    def joiner(k, body):
        """A function with k named parameters x0..x(k-1): fast-dag takes a
        node's inputs from its signature (no *args), one edge per input."""
        names = ", ".join(f"x{i}" for i in range(k))
        ns = {"body": body}
        exec(f"def join({names}):\n    return body([{names}])\n", ns)
        return ns["join"]

    if scenario in ("map", "mapcpu"):
        raise Skip("fast-dag has no map or batch construct over a list (a DAG of one "
                   "node per item would be the independent scenario)")

    if scenario in ("chain", "independent", "async", "retry", "retryindependent") and n > FASTDAG_MAX_N:
        raise Skip(f"fast-dag validates the graph inside every run, in O(N^2) "
                   f"(DAG.validate scans all nodes' edges for each node): N={n} "
                   f"would take minutes to hours; use N <= {FASTDAG_MAX_N} "
                   f"(or set WEFT_FASTDAG_MAX_N)")

    if scenario in ("chain", "startup"):
        def add1(x):
            return x + 1

        dag = DAG("chain")
        for i in range(n):
            dag.add_node(Node(func=add1, name=f"n{i}"))
            if i:
                dag.connect(f"n{i - 1}", f"n{i}", input="x")
        # find_cycles (run by validate) is a recursive DFS: one frame per node.
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 2 * n + 1000))
        runner = runner_for(dag, 1)
        ctx = Context()
        _, secs, cpu = timed(lambda: runner.run(context=ctx, x=0))
        return ctx.results[f"n{n - 1}"], secs, cpu, out

    if scenario == "independent":
        def emitter(i):
            def emit():
                return i + 1
            return emit

        dag = DAG("independent")
        for i in range(n):
            dag.add_node(Node(func=emitter(i), name=f"n{i}"))
        runner = runner_for(dag, workers)
        ctx = Context()
        _, secs, cpu = timed(lambda: runner.run(context=ctx))
        return sum(ctx.results.values()), secs, cpu, out

    if scenario == "loop":
        fsm = FSM("loop", max_cycles=n + 1)

        @fsm.state(initial=True)
        def step(i):
            j = i + 1
            if j >= n:
                return FSMReturn(stop=True, value=j)
            return FSMReturn(next_state="step", value=j)

        fsm.connect("step", "step", input="i")  # i <- latest value of step
        _, secs, cpu = timed(lambda: fsm.run(i=0))
        out["note"] = ("fast-dag FSM: one state returning FSMReturn(next_state=itself) "
                       "until done; max_cycles = N+1")
        return fsm["step"], secs, cpu, out

    if scenario == "sleeps":
        def nap():
            time.sleep(SLEEP_SECONDS)
            return 1

        dag = DAG("sleeps")
        for i in range(n):
            dag.add_node(Node(func=nap, name=f"s{i}"))
        dag.add_node(Node(func=joiner(n, sum), name="count"))
        for i in range(n):
            dag.connect(f"s{i}", "count", input=f"x{i}")
        runner = DAGRunner(dag, mode=ExecutionMode.PARALLEL)  # default max_workers
        ctx = Context()
        _, secs, cpu = timed(lambda: runner.run(context=ctx))
        out["workers"] = runner.max_workers
        out["note"] = (f"fast-dag PARALLEL runner (ThreadPoolExecutor) with its "
                       f"default max_workers={runner.max_workers}, time.sleep")
        return ctx.results["count"], secs, cpu, out

    if scenario == "cpu":
        spin = load_spin()

        def spinner():
            return spin(n)

        dag = DAG("cpu")
        dag.add_node(Node(func=spinner, name="a"))
        dag.add_node(Node(func=spinner, name="b"))
        dag.add_node(Node(func=joiner(2, lambda xs: round(1e6 * (xs[0] + xs[1]))),
                          name="join"))
        dag.connect("a", "join", input="x0")
        dag.connect("b", "join", input="x1")
        runner = runner_for(dag, workers)
        ctx = Context()
        _, secs, cpu = timed(lambda: runner.run(context=ctx))
        out["spin"] = ctx.results["a"]
        return ctx.results["join"], secs, cpu, out

    if scenario == "async":
        import asyncio

        async def nap():
            t0 = time.perf_counter()
            await asyncio.sleep(ASYNC_SECONDS)
            return time.perf_counter() - t0

        dag = DAG("async")
        for i in range(n):
            dag.add_node(Node(func=nap, name=f"a{i}"))
        runner = DAGRunner(dag, mode=ExecutionMode.ASYNC)
        ctx = Context()
        _, secs, cpu = timed(lambda: runner.run(context=ctx))
        out["workers"] = 1
        out["note"] = ("fast-dag ASYNC runner: async nodes gathered level by level on one "
                       "event loop thread (no thread workers); its run includes the O(N^2) "
                       "validation")
        return waited_enough(ctx.results[f"a{i}"] for i in range(n)), secs, cpu, out

    if scenario == "fsm":
        fsm = FSM("fsm", max_cycles=n + 1)

        @fsm.state(initial=True)
        def tick(store):
            k = store.get("n", 0) + 1
            store = {**store, "n": k}  # a new store each state, as the value it returns
            if k < store["limit"]:
                return FSMReturn(next_state="tick", value=store)  # "again"
            return FSMReturn(stop=True, value=store)  # "done"

        fsm.connect("tick", "tick", input="store")  # store <- tick's latest value
        _, secs, cpu = timed(lambda: fsm.run(store={"limit": n}))
        out["note"] = ("fast-dag FSM: one state returning FSMReturn(next_state='tick') "
                       "('again') or FSMReturn(stop=True) ('done'; its run() follows only "
                       "'default' transitions, a state names the next one itself); "
                       "max_cycles = N+1; it keeps every cycle's result")
        return fsm["tick"]["n"], secs, cpu, out

    if scenario in ("retry", "retryindependent"):
        def flaky_node():
            calls = [0]

            def attempt():
                calls[0] += 1
                if calls[0] <= RETRY_FAILS:
                    raise RuntimeError(f"flaky: call {calls[0]} fails")
                return calls[0]

            # fast-dag takes a node's inputs from its signature, each one
            # required (a default does not make it optional): no input
            # without an edge into it.
            if scenario == "retryindependent":
                return attempt

            def flaky(total):
                return total + attempt()
            return flaky

        dag = DAG(scenario)
        for i in range(n):
            dag.add_node(Node(func=flaky_node(), name=f"f{i}", retry=RETRY_ATTEMPTS,
                              retry_delay=FASTDAG_RETRY_DELAY))
            if i and scenario == "retry":
                dag.connect(f"f{i - 1}", f"f{i}", input="total")
        if scenario == "retryindependent":
            runner = runner_for(dag, 1)
            ctx = Context()
            _, secs, cpu = timed(lambda: runner.run(context=ctx))
            out["note"] = (f"M Nodes without edges, retry={RETRY_ATTEMPTS}, retry_delay="
                           f"{FASTDAG_RETRY_DELAY:g} s (0 would mean 0.1 s); sequential runner")
            return sum(ctx.results[f"f{i}"] for i in range(n)), secs, cpu, out
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 2 * n + 1000))
        runner = runner_for(dag, 1)
        ctx = Context()
        _, secs, cpu = timed(lambda: runner.run(context=ctx, total=0))
        out["note"] = (f"a chain of M Nodes with retry={RETRY_ATTEMPTS}, retry_delay="
                       f"{FASTDAG_RETRY_DELAY:g} s (0 would mean 0.1 s in fast-dag), so each "
                       f"of the {RETRY_FAILS} waits a node makes is a time.sleep of at least "
                       f"the timer slack; its run includes the O(N^2) validation")
        return ctx.results[f"f{n - 1}"], secs, cpu, out

    raise AssertionError(scenario)


# --------------------------------------------------------------------------
# dask: task graphs run by dask.compute(..., scheduler="synchronous") for one
# worker or scheduler="threads", num_workers=W for W workers.
#
# Small graphs use dask.delayed. The chain and independent graphs are written
# in dask's own task-graph spec (a dict {key: (func, *args)}, args naming
# other keys) wrapped in one dask.delayed.Delayed, because at those sizes
# dask.delayed itself is O(N^2): each delayed call copies every earlier
# layer of the HighLevelGraph (a 16,000-node chain takes 43 s to build), and
# dask.compute over N separate Delayed objects culls each of the N layers
# against the whole graph (16,000 independent nodes: 20 s). The graph still
# goes through dask.compute: optimisation, ordering, the scheduler.


def dask_peer(scenario, n, workers):
    import dask
    from dask.delayed import Delayed, delayed

    out = {}

    def compute(obj, workers):
        if workers > 1:
            return dask.compute(obj, scheduler="threads", num_workers=workers)[0]
        return dask.compute(obj, scheduler="synchronous")[0]

    if scenario == "chain":
        def add1(x):
            return x + 1

        dsk = {"n0": (add1, 0)}
        for i in range(1, n):
            dsk[f"n{i}"] = (add1, f"n{i - 1}")
        graph = Delayed(f"n{n - 1}", dsk)
        result, secs, cpu = timed(lambda: compute(graph, 1))
        out["note"] = "dask task-graph dict in one Delayed (dask.delayed is O(N^2) to build a chain)"
        return result, secs, cpu, out

    if scenario == "startup":
        def add1(x):
            return x + 1

        d = 0
        for _ in range(n):
            d = delayed(add1)(d)
        result, secs, cpu = timed(lambda: compute(d, 1))
        return result, secs, cpu, out

    if scenario == "independent":
        def emit(i):
            return i + 1

        dsk = {f"n{i}": (emit, i) for i in range(n)}
        # Gather the N outputs in one list task, as dask.compute(*objs) does
        # with its own repack task; summing happens outside the timed run.
        dsk["outputs"] = [f"n{i}" for i in range(n)]
        graph = Delayed("outputs", dsk)
        outputs, secs, cpu = timed(lambda: compute(graph, workers))
        out["note"] = ("dask task-graph dict in one Delayed, outputs gathered by a list task "
                       "(dask.compute over N Delayed objects is O(N^2))")
        return sum(outputs), secs, cpu, out

    if scenario == "loop":
        raise Skip("dask graphs are acyclic: no loops or cycles (a loop would be "
                   "Python calling dask.compute repeatedly)")

    if scenario == "fsm":
        raise Skip("dask graphs are acyclic: no state machines or cycles")

    if scenario in ("retry", "retryindependent"):
        raise Skip("dask's local schedulers (synchronous, threads, processes) do not "
                   "retry a failed task; the 'retries' annotation is honoured only by "
                   "dask.distributed")

    if scenario == "sleeps":
        def nap(k):
            time.sleep(SLEEP_SECONDS)
            return 1

        naps = [delayed(nap)(k) for k in range(n)]
        count = delayed(sum)(naps)
        result, secs, cpu = timed(lambda: dask.compute(count, scheduler="threads")[0])
        from dask.system import CPU_COUNT
        pool = dask.config.get("num_workers", None) or CPU_COUNT
        out["workers"] = pool
        out["note"] = (f"dask threads scheduler with its default pool "
                       f"(num_workers = CPU count = {pool}), time.sleep")
        return result, secs, cpu, out

    if scenario == "cpu":
        spin = load_spin()
        a = delayed(spin)(n)
        b = delayed(spin)(n)
        join = delayed(lambda x, y: round(1e6 * (x + y)), name="join")(a, b)
        both, secs, cpu = timed(lambda: compute((join, a), workers))
        out["spin"] = both[1]
        return both[0], secs, cpu, out

    if scenario in ("map", "mapcpu"):
        import dask.bag as db

        if scenario == "mapcpu":
            spin = load_spin()
            bag = db.from_sequence([n] * MAP_CPU_ITEMS, npartitions=MAP_CPU_ITEMS).map(spin)
            results, secs, cpu = timed(lambda: compute(bag, workers))
            out["spin"] = results[0]
            return round(1e6 * sum(results)), secs, cpu, out
        bag = db.from_sequence(range(n), npartitions=max(1, workers)).map(lambda x: x + 1)
        results, secs, cpu = timed(lambda: compute(bag, workers))
        out["note"] = "dask.bag.map over the items (a bag of one partition per worker)"
        return sum(results), secs, cpu, out

    if scenario == "async":
        # dask's schedulers run tasks on threads (or processes): no coroutine
        # tasks, so each sleep holds a worker and W workers take
        # ceil(N / W) x 100 ms.
        def nap(k):
            t0 = time.perf_counter()
            time.sleep(ASYNC_SECONDS)
            return time.perf_counter() - t0

        naps = [delayed(nap)(k) for k in range(n)]
        waits, secs, cpu = timed(lambda: compute(naps, workers))
        how = f"threads scheduler with num_workers={workers}" if workers > 1 else "synchronous scheduler"
        out["note"] = f"dask.delayed, {how}, time.sleep: each sleep holds a worker thread"
        return waited_enough(waits), secs, cpu, out

    raise AssertionError(scenario)


# --------------------------------------------------------------------------


def parse(argv):
    usage = "usage: peer.py {pocketflow|fastdag|dask} SCENARIO N [WORKERS]"
    if len(argv) not in (3, 4):
        raise Usage(usage)
    peer, scenario = argv[0], argv[1]
    if peer not in PEERS:
        raise Usage(f"unknown peer {peer!r} (one of {', '.join(PEERS)})\n{usage}")
    if scenario not in SCENARIOS:
        raise Usage(f"unknown scenario {scenario!r} (one of {', '.join(SCENARIOS)})\n{usage}")
    try:
        n = int(argv[2])
        workers = int(argv[3]) if len(argv) == 4 else 1
    except ValueError:
        raise Usage(f"N and WORKERS must be integers\n{usage}") from None
    if n < 1:
        raise Usage("N must be >= 1")
    if workers < 1:
        raise Usage("WORKERS must be >= 1")
    return peer, scenario, n, workers


def main(argv):
    try:
        peer, scenario, n, workers = parse(argv)
    except Usage as e:
        print(f"peer.py: {e}", file=sys.stderr)
        return 2
    if scenario not in WORKER_SCENARIOS:
        workers = 1  # sequential scenarios; sleeps reports the pool it used
    line = {"peer": peer, "scenario": scenario, "n": n, "workers": workers}
    run = {"pocketflow": pocketflow_peer, "fastdag": fastdag_peer, "dask": dask_peer}[peer]
    try:
        result, secs, cpu, extra = run(scenario, n, workers)
    except Usage as e:
        print(f"peer.py: {e}", file=sys.stderr)
        return 2
    except Skip as e:
        line["skipped"] = str(e)
        print(json.dumps(line), flush=True)
        return 0
    except RecursionError as e:
        line["skipped"] = f"RecursionError in {peer} at N={n}: {e}"
        print(json.dumps(line), flush=True)
        return 0

    spin_value = extra.pop("spin", None)
    line.update({"workers": extra.pop("workers", workers),
                 "seconds": round(secs, 6), "result": result})
    if scenario in ("cpu", "mapcpu"):
        line["cpu_seconds"] = round(cpu, 6)
    line.update(extra)
    print(json.dumps(line), flush=True)

    want = expected(scenario, n, spin_value)
    if result != want:
        print(f"peer.py: wrong result {result!r}, expected {want!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
