"""weft.py: a small ctypes binding of libweft, the Weft embedding API.

Standard library only. It mirrors <weft/weft.h> (API version 1):

    import weft
    engine = weft.Engine()                  # finds libweft (see find_library)
    engine.load_default_plugins()
    graph = engine.load("examples/collatz.json")
    run = graph.run({"n": 27})              # waits
    print(run.outputs())                    # {'steps': 111, 'peak': 9232, ...}

Every failing call raises WeftError(status, message), the message being
weft_last_error() of the calling thread. Handles are released by close()
(or a `with` block, or when the object is garbage-collected); like the C
handles they may be closed in any order.
"""

import ctypes
import ctypes.util
import json
import os
import subprocess
import threading

__all__ = [
    "WeftError", "Engine", "Graph", "Run", "Event", "load_library", "find_library",
    "version", "api_version", "plugin_abi_version", "status_name",
]

# --------------------------------------------------------------------------
# Constants of <weft/plugin.h> and <weft/weft.h>
# --------------------------------------------------------------------------

API_VERSION = 1  # WEFT_API_VERSION of the header this binding follows

OK = 0
ERR_FAILED = 1
ERR_INVALID = 2
ERR_TYPE = 3
ERR_NOT_FOUND = 4
ERR_HANDLE = 5
ERR_STATE = 6
ERR_VERSION = 7
ERR_DUPLICATE = 8
ERR_NOMEM = 9
ERR_TIMEOUT = 10

SEVERITY_ERROR = 0
SEVERITY_WARNING = 1

EVENT_RUN_STARTED = 0
EVENT_NODE_STARTED = 1
EVENT_NODE_FINISHED = 2
EVENT_NODE_FAILED = 3
EVENT_NODE_SKIPPED = 4
EVENT_LOOP_ITERATION = 5
EVENT_RUN_FINISHED = 6
EVENT_WAVE_STARTED = 7
EVENT_WAVE_FINISHED = 8
EVENT_EVENT_DROPPED = 9
EVENT_SOURCE_FINISHED = 10
EVENT_NAMES = {0: "run_started", 1: "node_started", 2: "node_finished", 3: "node_failed",
               4: "node_skipped", 5: "loop_iteration", 6: "run_finished", 7: "wave_started",
               8: "wave_finished", 9: "event_dropped", 10: "source_finished"}

RUN_PENDING = 0
RUN_RUNNING = 1
RUN_SUCCEEDED = 2
RUN_FAILED = 3
RUN_CANCELLED = 4
RUN_STATE_NAMES = {0: "pending", 1: "running", 2: "succeeded", 3: "failed", 4: "cancelled"}

MODE_SEQUENTIAL = 0
MODE_PARALLEL = 1

NUL_TERMINATED = ctypes.c_size_t(-1).value  # WEFT_NUL_TERMINATED


# --------------------------------------------------------------------------
# C types
# --------------------------------------------------------------------------

class weft_event_t(ctypes.Structure):
    """typedef struct weft_event (64 bytes on 64-bit)."""
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("kind", ctypes.c_int32),
        ("time_ns", ctypes.c_uint64),
        ("node_id", ctypes.c_char_p),
        ("thread", ctypes.c_int32),
        ("outcome", ctypes.c_int32),
        ("duration_ns", ctypes.c_uint64),
        ("iteration", ctypes.c_int64),
        ("steps", ctypes.c_int64),
        ("message", ctypes.c_char_p),
    ]


# typedef void (*weft_event_fn)(const weft_event_t *event, void *user_data);
weft_event_fn = ctypes.CFUNCTYPE(None, ctypes.POINTER(weft_event_t), ctypes.c_void_p)


class weft_run_options_t(ctypes.Structure):
    """typedef struct weft_run_options (72 bytes on 64-bit)."""
    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("mode", ctypes.c_int32),
        ("workers", ctypes.c_int32),
        ("max_steps", ctypes.c_int64),
        ("duration_s", ctypes.c_double),
        ("on_event", weft_event_fn),
        ("user_data", ctypes.c_void_p),
        ("keep_going", ctypes.c_int32),
        ("store_path", ctypes.c_char_p),
        ("resume_run_id", ctypes.c_int64),
    ]


_status = ctypes.c_int32            # weft_status_t
_handle = ctypes.c_void_p           # weft_engine_t *, weft_graph_t *, ...
_handle_out = ctypes.POINTER(ctypes.c_void_p)
_str = ctypes.c_char_p              # const char * in, or a borrowed const char * out
_owned_out = ctypes.POINTER(ctypes.c_void_p)  # char ** (caller frees with weft_free)

# name: (restype, argtypes) for every function of <weft/weft.h>
_PROTOTYPES = {
    "weft_version": (_str, []),
    "weft_api_version": (ctypes.c_uint32, []),
    "weft_plugin_abi_version": (ctypes.c_uint32, []),
    "weft_status_name": (_str, [_status]),
    "weft_last_error": (_str, []),
    "weft_free": (None, [ctypes.c_void_p]),
    "weft_host_table": (ctypes.c_void_p, []),
    "weft_engine_create": (_status, [_handle_out]),
    "weft_engine_destroy": (_status, [_handle]),
    "weft_engine_load_default_plugins": (_status, [_handle]),
    "weft_engine_add_plugin_folder": (_status, [_handle, _str]),
    "weft_engine_load_plugin": (_status, [_handle, _str]),
    "weft_engine_allow_library": (_status, [_handle, _str]),
    "weft_engine_set_max_graph_bytes": (_status, [_handle, ctypes.c_uint64]),
    "weft_engine_register_node": (_status, [_handle, _str, ctypes.c_void_p]),
    "weft_engine_nodes_json": (_status, [_handle, _owned_out]),
    "weft_diagnostics_count": (ctypes.c_size_t, [_handle]),
    "weft_diagnostics_get": (_status, [_handle, ctypes.c_size_t, ctypes.POINTER(ctypes.c_int32),
                                       ctypes.POINTER(_str), ctypes.POINTER(_str), ctypes.POINTER(_str)]),
    "weft_diagnostics_json": (_str, [_handle]),
    "weft_diagnostics_destroy": (_status, [_handle]),
    "weft_graph_parse": (_status, [_handle, _str, ctypes.c_size_t, _handle_out, _handle_out]),
    "weft_graph_load": (_status, [_handle, _str, _handle_out, _handle_out]),
    "weft_graph_describe_json": (_status, [_handle, _owned_out]),
    "weft_graph_destroy": (_status, [_handle]),
    "weft_run_options_init_sized": (None, [ctypes.POINTER(weft_run_options_t), ctypes.c_size_t]),
    "weft_run_create": (_status, [_handle, ctypes.POINTER(weft_run_options_t), _handle_out]),
    "weft_run_set_inputs_json": (_status, [_handle, _str]),
    "weft_run_set_input_json": (_status, [_handle, _str, _str]),
    "weft_run_set_input_int": (_status, [_handle, _str, ctypes.c_int64]),
    "weft_run_set_input_double": (_status, [_handle, _str, ctypes.c_double]),
    "weft_run_set_input_bool": (_status, [_handle, _str, ctypes.c_int32]),
    "weft_run_set_input_string": (_status, [_handle, _str, _str, ctypes.c_size_t]),
    "weft_run_start": (_status, [_handle]),
    "weft_run_wait": (_status, [_handle, ctypes.c_int64]),
    "weft_run_state": (ctypes.c_int32, [_handle]),
    "weft_run_cancel": (_status, [_handle]),
    "weft_run_graph": (_status, [_handle, ctypes.POINTER(weft_run_options_t), _str, _handle_out]),
    "weft_run_error": (_str, [_handle]),
    "weft_run_failed_node": (_str, [_handle]),
    "weft_run_steps": (ctypes.c_int64, [_handle]),
    "weft_run_duration_ns": (ctypes.c_uint64, [_handle]),
    "weft_run_outputs_json": (_status, [_handle, _owned_out]),
    "weft_run_output_json": (_status, [_handle, _str, _owned_out]),
    "weft_run_output_int": (_status, [_handle, _str, ctypes.POINTER(ctypes.c_int64)]),
    "weft_run_output_double": (_status, [_handle, _str, ctypes.POINTER(ctypes.c_double)]),
    "weft_run_output_bool": (_status, [_handle, _str, ctypes.POINTER(ctypes.c_int32)]),
    "weft_run_output_string": (_status, [_handle, _str, ctypes.POINTER(_str), ctypes.POINTER(ctypes.c_size_t)]),
    "weft_run_destroy": (_status, [_handle]),
}


# --------------------------------------------------------------------------
# Finding and loading the library
# --------------------------------------------------------------------------

def find_library(path=None):
    """The libweft to load: `path` if given, else $WEFT_LIBRARY, else
    ctypes.util.find_library("weft"), else `pkg-config --variable=libdir
    weft` + "/libweft.so". Raises OSError when none is found."""
    if path:
        return str(path)
    env = os.environ.get("WEFT_LIBRARY")
    if env:
        return env
    found = ctypes.util.find_library("weft")
    if found:
        return found
    try:
        libdir = subprocess.run(["pkg-config", "--variable=libdir", "weft"], check=True,
                                capture_output=True, text=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        libdir = ""
    if libdir:
        candidate = os.path.join(libdir, "libweft.so")
        if os.path.exists(candidate):
            return candidate
    raise OSError("libweft not found: pass its path, set WEFT_LIBRARY=/path/to/libweft.so, "
                  "install it where the dynamic linker finds it, or set PKG_CONFIG_PATH "
                  "to the folder holding weft.pc")


_libs = {}
_libs_lock = threading.Lock()
_default_lib = None


def load_library(path=None):
    """Loads libweft (once per resolved path) and declares every prototype."""
    global _default_lib
    if path is None and _default_lib is not None:
        return _default_lib
    resolved = find_library(path)
    with _libs_lock:
        lib = _libs.get(resolved)
        if lib is None:
            lib = ctypes.CDLL(resolved)  # CDLL: the GIL is released during calls
            for name, (restype, argtypes) in _PROTOTYPES.items():
                fn = getattr(lib, name)
                fn.restype = restype
                fn.argtypes = argtypes
            _libs[resolved] = lib
        if path is None:
            _default_lib = lib
    return lib


def _text(b):
    return None if b is None else b.decode("utf-8", "replace")


def _bytes(s):
    if s is None:
        return None
    if isinstance(s, bytes):
        return s
    return os.fsencode(s) if isinstance(s, os.PathLike) else str(s).encode("utf-8")


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

class WeftError(Exception):
    """A libweft call failed. `status` is the WEFT_ERR_* code, `name` its
    name ("WEFT_ERR_INVALID"), `message` weft_last_error() (every problem,
    one per line), `diagnostics` (for graphs) a list of dicts
    {severity, path, node, message}."""

    def __init__(self, status, message, name=None, diagnostics=None):
        self.status = int(status)
        self.message = message or ""
        self.name = name or _STATUS_FALLBACK.get(self.status, "WEFT_ERR_UNKNOWN")
        self.diagnostics = diagnostics or []
        super().__init__(self.status, self.message)

    def __str__(self):
        return f"{self.name}: {self.message}"


_STATUS_FALLBACK = {0: "WEFT_OK", 1: "WEFT_ERR_FAILED", 2: "WEFT_ERR_INVALID", 3: "WEFT_ERR_TYPE",
                    4: "WEFT_ERR_NOT_FOUND", 5: "WEFT_ERR_HANDLE", 6: "WEFT_ERR_STATE",
                    7: "WEFT_ERR_VERSION", 8: "WEFT_ERR_DUPLICATE", 9: "WEFT_ERR_NOMEM",
                    10: "WEFT_ERR_TIMEOUT"}


def _check(lib, status, diagnostics=None):
    # The last error is per OS thread; read it at once, on the thread that failed.
    if status != OK:
        raise WeftError(status, _text(lib.weft_last_error()), _text(lib.weft_status_name(status)),
                        diagnostics)


def _take_string(lib, ptr):
    """Copies a caller-frees `char *` into a str and frees it."""
    if not ptr.value:
        return None
    try:
        return ctypes.string_at(ptr.value).decode("utf-8")
    finally:
        lib.weft_free(ptr.value)


def version(library=None):
    return _text(load_library(library).weft_version())


def api_version(library=None):
    return load_library(library).weft_api_version()


def plugin_abi_version(library=None):
    return load_library(library).weft_plugin_abi_version()


def status_name(status, library=None):
    return _text(load_library(library).weft_status_name(status))


def _diagnostics(lib, handle):
    """Reads and destroys a weft_diagnostics_t."""
    if not handle.value:
        return []
    try:
        out = []
        for i in range(lib.weft_diagnostics_count(handle)):
            sev = ctypes.c_int32()
            msg, node, path = _str(), _str(), _str()
            if lib.weft_diagnostics_get(handle, i, ctypes.byref(sev), ctypes.byref(msg),
                                        ctypes.byref(node), ctypes.byref(path)) == OK:
                out.append({"severity": "error" if sev.value == SEVERITY_ERROR else "warning",
                            "path": _text(path.value), "node": _text(node.value),
                            "message": _text(msg.value)})
        return out
    finally:
        lib.weft_diagnostics_destroy(handle)


# --------------------------------------------------------------------------
# Handles
# --------------------------------------------------------------------------

class _Handle:
    _destroy = None  # name of the weft_*_destroy function

    def __init__(self, lib, handle):
        self._lib = lib
        self._h = handle  # int address, or None once closed

    @property
    def handle(self):
        if self._h is None:
            raise WeftError(ERR_HANDLE, f"this {type(self).__name__} was closed")
        return self._h

    def close(self):
        """Releases the handle (a second close does nothing)."""
        h, self._h = self._h, None
        if h is not None:
            _check(self._lib, getattr(self._lib, self._destroy)(h))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


class Engine(_Handle):
    """weft_engine_t: the node types a host knows."""
    _destroy = "weft_engine_destroy"

    def __init__(self, library=None, default_plugins=False):
        lib = load_library(library)
        h = ctypes.c_void_p()
        _check(lib, lib.weft_engine_create(ctypes.byref(h)))
        super().__init__(lib, h.value)
        if default_plugins:
            self.load_default_plugins()

    def load_default_plugins(self):
        _check(self._lib, self._lib.weft_engine_load_default_plugins(self.handle))

    def add_plugin_folder(self, folder):
        _check(self._lib, self._lib.weft_engine_add_plugin_folder(self.handle, _bytes(folder)))

    def load_plugin(self, path):
        _check(self._lib, self._lib.weft_engine_load_plugin(self.handle, _bytes(path)))

    def allow_library(self, path_or_glob):
        _check(self._lib, self._lib.weft_engine_allow_library(self.handle, _bytes(path_or_glob)))

    def set_max_graph_bytes(self, limit):
        """The most bytes parse/load read of a graph (0: the default, 1 GiB);
        past it they raise WeftError WEFT_ERR_INVALID."""
        _check(self._lib, self._lib.weft_engine_set_max_graph_bytes(self.handle, limit))

    def nodes(self):
        """{"plugins": [...], "nodes": [...]}"""
        out = ctypes.c_void_p()
        _check(self._lib, self._lib.weft_engine_nodes_json(self.handle, ctypes.byref(out)))
        return json.loads(_take_string(self._lib, out))

    def parse(self, text):
        """Parses a graph document (str, bytes or a dict)."""
        if isinstance(text, dict):
            text = json.dumps(text)
        data = _bytes(text)
        g, d = ctypes.c_void_p(), ctypes.c_void_p()
        st = self._lib.weft_graph_parse(self.handle, data, len(data), ctypes.byref(g), ctypes.byref(d))
        return self._graph(st, g, d)

    def load(self, path):
        """Loads a graph file."""
        g, d = ctypes.c_void_p(), ctypes.c_void_p()
        st = self._lib.weft_graph_load(self.handle, _bytes(path), ctypes.byref(g), ctypes.byref(d))
        return self._graph(st, g, d)

    def _graph(self, st, g, d):
        if st != OK:
            message = _text(self._lib.weft_last_error())  # before any other call
            raise WeftError(st, message, _text(self._lib.weft_status_name(st)),
                            _diagnostics(self._lib, d))
        graph = Graph(self._lib, g.value)
        graph.warnings = _diagnostics(self._lib, d)
        return graph


class Event:
    """A copy of one weft_event_t (its pointers die with the callback)."""
    __slots__ = ("kind", "time_ns", "node_id", "thread", "outcome", "duration_ns",
                 "iteration", "steps", "message")

    def __init__(self, ev):
        self.kind = ev.kind
        self.time_ns = ev.time_ns
        self.node_id = _text(ev.node_id)
        self.thread = ev.thread
        self.outcome = ev.outcome
        self.duration_ns = ev.duration_ns
        self.iteration = ev.iteration
        self.steps = ev.steps
        self.message = _text(ev.message)

    @property
    def kind_name(self):
        return EVENT_NAMES.get(self.kind, str(self.kind))

    def __repr__(self):
        return f"Event({self.kind_name}, node={self.node_id!r}, t={self.time_ns}ns)"


class Graph(_Handle):
    """weft_graph_t: a parsed, validated graph; the template of any number of
    runs, concurrent ones included."""
    _destroy = "weft_graph_destroy"
    warnings = ()

    def describe(self):
        out = ctypes.c_void_p()
        _check(self._lib, self._lib.weft_graph_describe_json(self.handle, ctypes.byref(out)))
        return json.loads(_take_string(self._lib, out))

    def create_run(self, on_event=None, mode=MODE_SEQUENTIAL, workers=0, max_steps=0, duration_s=0.0):
        """A run, not started: set inputs, then start(). `on_event(Event)` is
        called on the run's threads, one call at a time."""
        options, callback = _options(self._lib, on_event, mode, workers, max_steps, duration_s)
        h = ctypes.c_void_p()
        _check(self._lib, self._lib.weft_run_create(self.handle, ctypes.byref(options), ctypes.byref(h)))
        return Run(self._lib, h.value, callback)

    def run(self, inputs=None, **options):
        """Runs the graph to the end (weft_run_graph) and returns the Run.
        A run that failed is returned too: check run.state / run.error."""
        opts, callback = _options(self._lib, **options)
        text = None if inputs is None else _bytes(inputs if isinstance(inputs, (str, bytes))
                                                  else json.dumps(inputs))
        h = ctypes.c_void_p()
        run = Run(self._lib, None, callback)  # holds the callback until the run is closed
        _check(self._lib, self._lib.weft_run_graph(self.handle, ctypes.byref(opts), text, ctypes.byref(h)))
        run._h = h.value
        return run


def _options(lib, on_event=None, mode=MODE_SEQUENTIAL, workers=0, max_steps=0, duration_s=0.0):
    options = weft_run_options_t()
    lib.weft_run_options_init_sized(ctypes.byref(options), ctypes.sizeof(options))
    options.mode = mode
    options.workers = workers
    options.max_steps = max_steps
    options.duration_s = duration_s
    callback = None
    if on_event is not None:
        errors = []

        def trampoline(ev_ptr, _user_data):
            try:
                on_event(Event(ev_ptr.contents))
            except BaseException as e:  # never let an exception unwind into C
                errors.append(e)

        callback = weft_event_fn(trampoline)  # kept alive by the Run object
        callback.errors = errors
        options.on_event = callback
    return options, callback


class Run(_Handle):
    """weft_run_t: one execution of a graph."""
    _destroy = "weft_run_destroy"

    def __init__(self, lib, handle, callback=None):
        super().__init__(lib, handle)
        # The CFUNCTYPE object must outlive the run: the library calls it
        # from the run's threads until the run has finished.
        self._callback = callback

    def close(self):
        super().close()  # weft_run_destroy cancels and waits a running run
        self._callback = None

    @property
    def callback_errors(self):
        """Exceptions raised by the on_event callback (swallowed there)."""
        return list(self._callback.errors) if self._callback is not None else []

    # inputs
    def set_inputs(self, values):
        text = values if isinstance(values, (str, bytes)) else json.dumps(values)
        _check(self._lib, self._lib.weft_run_set_inputs_json(self.handle, _bytes(text)))

    def set_input(self, name, value):
        lib, h, n = self._lib, self.handle, _bytes(name)
        if isinstance(value, bool):
            st = lib.weft_run_set_input_bool(h, n, 1 if value else 0)
        elif isinstance(value, int) and -2**63 <= value < 2**63:
            st = lib.weft_run_set_input_int(h, n, value)
        elif isinstance(value, float):
            st = lib.weft_run_set_input_double(h, n, value)
        elif isinstance(value, str):
            data = value.encode("utf-8")
            st = lib.weft_run_set_input_string(h, n, data, len(data))
        else:
            st = lib.weft_run_set_input_json(h, n, _bytes(json.dumps(value)))
        _check(lib, st)

    # running
    def start(self):
        _check(self._lib, self._lib.weft_run_start(self.handle))

    def wait(self, timeout_ms=-1):
        """True once the run has finished, False if timeout_ms ran out."""
        st = self._lib.weft_run_wait(self.handle, int(timeout_ms))
        if st == ERR_TIMEOUT:
            return False
        _check(self._lib, st)
        return True

    def cancel(self):
        _check(self._lib, self._lib.weft_run_cancel(self.handle))

    @property
    def state(self):
        return self._lib.weft_run_state(self.handle)

    @property
    def state_name(self):
        return RUN_STATE_NAMES.get(self.state, "invalid")

    @property
    def error(self):
        return _text(self._lib.weft_run_error(self.handle))

    @property
    def failed_node(self):
        return _text(self._lib.weft_run_failed_node(self.handle))

    @property
    def steps(self):
        return self._lib.weft_run_steps(self.handle)

    @property
    def duration_ns(self):
        return self._lib.weft_run_duration_ns(self.handle)

    # outputs
    def outputs_json(self):
        out = ctypes.c_void_p()
        _check(self._lib, self._lib.weft_run_outputs_json(self.handle, ctypes.byref(out)))
        return _take_string(self._lib, out)

    def outputs(self):
        return json.loads(self.outputs_json())

    def output_json(self, name):
        out = ctypes.c_void_p()
        _check(self._lib, self._lib.weft_run_output_json(self.handle, _bytes(name), ctypes.byref(out)))
        return _take_string(self._lib, out)

    def output(self, name):
        return json.loads(self.output_json(name))

    def output_int(self, name):
        v = ctypes.c_int64()
        _check(self._lib, self._lib.weft_run_output_int(self.handle, _bytes(name), ctypes.byref(v)))
        return v.value

    def output_double(self, name):
        v = ctypes.c_double()
        _check(self._lib, self._lib.weft_run_output_double(self.handle, _bytes(name), ctypes.byref(v)))
        return v.value

    def output_bool(self, name):
        v = ctypes.c_int32()
        _check(self._lib, self._lib.weft_run_output_bool(self.handle, _bytes(name), ctypes.byref(v)))
        return bool(v.value)

    def output_string(self, name):
        p, n = _str(), ctypes.c_size_t()
        _check(self._lib, self._lib.weft_run_output_string(self.handle, _bytes(name), ctypes.byref(p),
                                                           ctypes.byref(n)))
        return ctypes.string_at(ctypes.cast(p, ctypes.c_void_p).value, n.value).decode("utf-8")
