//! example_rust — the Weft example plugin, written in Rust with no crates.
//! The same plugin exists in C (../c) and C++ (../cpp); all three register
//! the same two nodes with the same ports:
//!
//!   example_rust.greet   input name (string), param punctuation (string, "!")
//!                        -> output text = "Hello, " + name + punctuation
//!   example_rust.scale   input x (double), param factor (double, 2)
//!                        -> output y = x * factor
//!
//! `greet` has no state and reads its param in run; `scale` reads its param
//! once in create into a Box'd state that destroy drops.
//!
//! Build (see ../build.sh):
//!   rustc --edition 2021 --crate-type cdylib -C opt-level=2 -D warnings \
//!         examples/plugins/rust/example_rust.rs -o libexample_rust.so
//!
//! The library exports exactly one symbol, `weft_plugin_entry` (a cdylib
//! exports only its `no_mangle` items; rustc writes the version script). No panic
//! crosses into the host: every `extern "C"` function runs its body under
//! `catch_unwind` and turns a panic into a failure status.

use std::ffi::{c_char, c_void, CStr, CString};
use std::mem::{offset_of, size_of};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

// ---------------------------------------------------------------------------
// Hand-written mirror of include/weft/plugin.h, ABI VERSION 1.
// Field order and types must match the C header exactly. Only the parts this
// plugin needs are declared, except `WeftHost`, which mirrors the whole v1
// table (this plugin uses `output_double`, its last v1 function). Later ABI
// versions only append fields, so this mirror stays valid for them.
// ---------------------------------------------------------------------------

const WEFT_PLUGIN_ABI_VERSION: u32 = 1;

type WeftStatus = i32; // weft_status_t
type WeftType = i32; // weft_type_t
type WeftValue = u64; // weft_value_t

const WEFT_OK: WeftStatus = 0;
const WEFT_NO_VALUE: WeftValue = 0;
const WEFT_TYPE_DOUBLE: WeftType = 4;
const WEFT_TYPE_STRING: WeftType = 5;
const WEFT_NODE_PURE: u32 = 0x1;
const WEFT_NODE_THREAD_SAFE: u32 = 0x2;

/// weft_registry_t (opaque; only ever behind a pointer).
#[repr(C)]
pub struct WeftRegistry {
    _opaque: [u8; 0],
}

/// weft_ctx_t (opaque; only ever behind a pointer).
#[repr(C)]
pub struct WeftCtx {
    _opaque: [u8; 0],
}

/// weft_port_t. Arrays end with an entry whose `name` is null.
#[repr(C)]
pub struct WeftPort {
    pub name: *const c_char,
    pub type_: WeftType,
    pub flags: u32,
    pub default_json: *const c_char,
    pub summary: *const c_char,
}

type CreateFn = unsafe extern "C" fn(*mut WeftCtx, *mut c_void, *mut *mut c_void) -> WeftStatus;
type RunFn = unsafe extern "C" fn(*mut WeftCtx, *mut c_void) -> WeftStatus;
type DestroyFn = unsafe extern "C" fn(*mut c_void);

/// weft_node_desc_t (v1 fields).
#[repr(C)]
pub struct WeftNodeDesc {
    pub struct_size: u32,
    pub name: *const c_char,
    pub summary: *const c_char,
    pub inputs: *const WeftPort,
    pub outputs: *const WeftPort,
    pub params: *const WeftPort,
    pub flags: u32,
    pub user_data: *mut c_void,
    pub create: Option<CreateFn>,
    pub run: Option<RunFn>,
    pub destroy: Option<DestroyFn>,
}

type Ctx = *mut WeftCtx;

/// weft_host_t, ABI v1, every field in header order.
#[repr(C)]
#[allow(dead_code)] // mirrored for layout; not every function is called
pub struct WeftHost {
    pub abi_version: u32,
    pub struct_size: u32,
    pub host_name: *const c_char,
    pub host_version: *const c_char,
    // Registration.
    pub register_node: unsafe extern "C" fn(*mut WeftRegistry, *const WeftNodeDesc) -> WeftStatus,
    pub registry_fail: unsafe extern "C" fn(*mut WeftRegistry, *const c_char) -> WeftStatus,
    // Logging.
    pub log: unsafe extern "C" fn(Ctx, i32, *const c_char),
    // The call.
    pub input: unsafe extern "C" fn(Ctx, i32) -> WeftValue,
    pub param: unsafe extern "C" fn(Ctx, i32) -> WeftValue,
    pub output: unsafe extern "C" fn(Ctx, i32, WeftValue) -> WeftStatus,
    pub fire: unsafe extern "C" fn(Ctx, i32) -> WeftStatus,
    pub fail: unsafe extern "C" fn(Ctx, *const c_char) -> WeftStatus,
    pub port_index: unsafe extern "C" fn(Ctx, i32, *const c_char) -> i32,
    pub node_id: unsafe extern "C" fn(Ctx) -> *const c_char,
    pub error_message: unsafe extern "C" fn(Ctx) -> *const c_char,
    // Values.
    pub type_of: unsafe extern "C" fn(Ctx, WeftValue) -> WeftType,
    pub null_new: unsafe extern "C" fn(Ctx) -> WeftValue,
    pub bool_new: unsafe extern "C" fn(Ctx, i32) -> WeftValue,
    pub int_new: unsafe extern "C" fn(Ctx, i64) -> WeftValue,
    pub double_new: unsafe extern "C" fn(Ctx, f64) -> WeftValue,
    pub string_new: unsafe extern "C" fn(Ctx, *const c_char, usize) -> WeftValue,
    pub bytes_new: unsafe extern "C" fn(Ctx, *const c_void, usize) -> WeftValue,
    pub list_new: unsafe extern "C" fn(Ctx) -> WeftValue,
    pub map_new: unsafe extern "C" fn(Ctx) -> WeftValue,
    pub get_bool: unsafe extern "C" fn(Ctx, WeftValue, *mut i32) -> WeftStatus,
    pub get_int: unsafe extern "C" fn(Ctx, WeftValue, *mut i64) -> WeftStatus,
    pub get_double: unsafe extern "C" fn(Ctx, WeftValue, *mut f64) -> WeftStatus,
    pub get_string: unsafe extern "C" fn(Ctx, WeftValue, *mut usize) -> *const c_char,
    pub get_bytes: unsafe extern "C" fn(Ctx, WeftValue, *mut usize) -> *const c_void,
    pub length: unsafe extern "C" fn(Ctx, WeftValue) -> i64,
    pub list_get: unsafe extern "C" fn(Ctx, WeftValue, usize) -> WeftValue,
    pub list_push: unsafe extern "C" fn(Ctx, WeftValue, WeftValue) -> WeftStatus,
    pub map_get: unsafe extern "C" fn(Ctx, WeftValue, *const c_char) -> WeftValue,
    pub map_set: unsafe extern "C" fn(Ctx, WeftValue, *const c_char, WeftValue) -> WeftStatus,
    pub map_key: unsafe extern "C" fn(Ctx, WeftValue, usize) -> *const c_char,
    pub map_value: unsafe extern "C" fn(Ctx, WeftValue, usize) -> WeftValue,
    // Shortcuts.
    pub input_int: unsafe extern "C" fn(Ctx, i32, *mut i64) -> WeftStatus,
    pub input_double: unsafe extern "C" fn(Ctx, i32, *mut f64) -> WeftStatus,
    pub output_int: unsafe extern "C" fn(Ctx, i32, i64) -> WeftStatus,
    pub output_double: unsafe extern "C" fn(Ctx, i32, f64) -> WeftStatus,
    // ABI v1 ends here.
}

type InitFn = unsafe extern "C" fn(*const WeftHost, *mut WeftRegistry) -> WeftStatus;
type DeinitFn = unsafe extern "C" fn();

/// weft_plugin_entry_t.
#[repr(C)]
pub struct WeftPluginEntry {
    pub abi_version: u32,
    pub struct_size: u32,
    pub name: *const c_char,
    pub version: *const c_char,
    pub summary: *const c_char,
    pub init: Option<InitFn>,
    pub deinit: Option<DeinitFn>,
}

// Layout checks against the C header (LP64 and ILP32 alike): 2 x u32, two
// string pointers, 36 function pointers; a port is 3 pointers + 2 x 32 bits.
const _: () = assert!(size_of::<WeftHost>() == 8 + 38 * size_of::<usize>());
const _: () = assert!(offset_of!(WeftHost, output_double) == 8 + 37 * size_of::<usize>());
const _: () = assert!(size_of::<WeftPort>() == 8 + 3 * size_of::<usize>());

/// The entry holds raw pointers (to 'static data), which are not `Sync`;
/// the wrapper asserts that sharing this immutable static is fine.
#[repr(transparent)]
pub struct EntrySync(WeftPluginEntry);
unsafe impl Sync for EntrySync {}

/// The one exported symbol (WEFT_PLUGIN_ENTRY_SYMBOL).
#[unsafe(no_mangle)]
#[allow(non_upper_case_globals)]
pub static weft_plugin_entry: EntrySync = EntrySync(WeftPluginEntry {
    abi_version: WEFT_PLUGIN_ABI_VERSION,
    struct_size: size_of::<WeftPluginEntry>() as u32,
    name: c"example_rust".as_ptr(),
    version: c"1.0.0".as_ptr(),
    summary: c"Example plugin in Rust: greet and scale".as_ptr(),
    init: Some(example_init),
    deinit: None,
});

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// The host table from `init`; valid until the plugin is unloaded. Stored
/// once in init (the loading thread, before any node runs), then only read.
static HOST: AtomicPtr<WeftHost> = AtomicPtr::new(ptr::null_mut());

fn host() -> &'static WeftHost {
    // SAFETY: set in init before the host can call create/run.
    unsafe { &*HOST.load(Ordering::Acquire) }
}

/// A failed call, carrying the message given to `host->fail`.
struct Failure(String);

/// Fails with "<what>: <the host's last error message on ctx>".
fn host_error(ctx: Ctx, what: &str) -> Failure {
    // SAFETY: the returned string is borrowed until the callback returns;
    // it is copied here right away.
    let why = unsafe {
        let p = (host().error_message)(ctx);
        if p.is_null() { String::new() } else { CStr::from_ptr(p).to_string_lossy().into_owned() }
    };
    Failure(format!("{what}: {}", if why.is_empty() { "no value" } else { &why }))
}

/// Runs a callback body at the C boundary: a `Failure` or a panic becomes
/// `host->fail(ctx, message)`, so nothing unwinds into the host.
fn guarded(ctx: Ctx, body: impl FnOnce() -> Result<(), Failure>) -> WeftStatus {
    let message = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return WEFT_OK,
        Ok(Err(Failure(m))) => m,
        Err(payload) => {
            let what = payload.downcast_ref::<&str>().map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            format!("panic in example_rust: {what}")
        }
    };
    // The host copies the message; interior NULs would truncate it, so drop them.
    let c = CString::new(message.replace('\0', "")).unwrap_or_default();
    // SAFETY: ctx is the live ctx of this callback.
    unsafe { (host().fail)(ctx, c.as_ptr()) }
}

/// Reads a string value as borrowed UTF-8 (valid until the callback returns).
/// SAFETY: call only during a callback on `ctx`; do not keep the result.
unsafe fn get_str<'a>(ctx: Ctx, v: WeftValue, what: &str) -> Result<&'a str, Failure> {
    let mut len = 0usize;
    let p = unsafe { (host().get_string)(ctx, v, &mut len) };
    if p.is_null() {
        return Err(host_error(ctx, what));
    }
    let bytes = unsafe { std::slice::from_raw_parts(p.cast::<u8>(), len) };
    std::str::from_utf8(bytes).map_err(|_| Failure(format!("{what}: invalid UTF-8")))
}

fn port(name: &'static CStr, type_: WeftType, default_json: Option<&'static CStr>,
        summary: &'static CStr) -> WeftPort {
    WeftPort {
        name: name.as_ptr(),
        type_,
        flags: 0,
        default_json: default_json.map_or(ptr::null(), CStr::as_ptr),
        summary: summary.as_ptr(),
    }
}

const PORTS_END: WeftPort = WeftPort {
    name: ptr::null(),
    type_: 0,
    flags: 0,
    default_json: ptr::null(),
    summary: ptr::null(),
};

// ---------------------------------------------------------------------------
// greet: text = "Hello, " + name + punctuation
// ---------------------------------------------------------------------------

/// THREAD: may run concurrently (THREAD_SAFE): it touches no shared state.
unsafe extern "C" fn greet_run(ctx: Ctx, _state: *mut c_void) -> WeftStatus {
    guarded(ctx, || unsafe {
        let h = host();
        let name = get_str(ctx, (h.input)(ctx, 0), "greet: input 'name'")?;
        let punct = get_str(ctx, (h.param)(ctx, 0), "greet: param 'punctuation'")?;
        let text = format!("Hello, {name}{punct}");
        // string_new copies the bytes.
        let v = (h.string_new)(ctx, text.as_ptr().cast(), text.len());
        if v == WEFT_NO_VALUE {
            return Err(host_error(ctx, "greet: cannot build 'text'"));
        }
        if (h.output)(ctx, 0, v) != WEFT_OK {
            return Err(host_error(ctx, "greet: cannot write 'text'"));
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// scale: y = x * factor
// ---------------------------------------------------------------------------

/// One per node instance: Box'd in create, dropped in destroy. Read-only
/// after create, so concurrent runs (THREAD_SAFE) may share it.
struct ScaleState {
    factor: f64,
}

unsafe extern "C" fn scale_create(ctx: Ctx, _user_data: *mut c_void,
                                  state_out: *mut *mut c_void) -> WeftStatus {
    guarded(ctx, || unsafe {
        let h = host();
        let mut factor = 0.0f64;
        if (h.get_double)(ctx, (h.param)(ctx, 0), &mut factor) != WEFT_OK {
            return Err(host_error(ctx, "scale: param 'factor'"));
        }
        *state_out = Box::into_raw(Box::new(ScaleState { factor })).cast();
        Ok(())
    })
}

unsafe extern "C" fn scale_run(ctx: Ctx, state: *mut c_void) -> WeftStatus {
    guarded(ctx, || unsafe {
        let h = host();
        let s = &*state.cast::<ScaleState>();
        let mut x = 0.0f64;
        if (h.input_double)(ctx, 0, &mut x) != WEFT_OK {
            return Err(host_error(ctx, "scale: input 'x'"));
        }
        if (h.output_double)(ctx, 0, x * s.factor) != WEFT_OK {
            return Err(host_error(ctx, "scale: cannot write 'y'"));
        }
        Ok(())
    })
}

unsafe extern "C" fn scale_destroy(state: *mut c_void) {
    if !state.is_null() {
        // Dropping a plain struct cannot panic.
        drop(unsafe { Box::from_raw(state.cast::<ScaleState>()) });
    }
}

// ---------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------

unsafe extern "C" fn example_init(h: *const WeftHost, reg: *mut WeftRegistry) -> WeftStatus {
    let result = catch_unwind(|| unsafe {
        let hr = &*h;
        // Reading struct_size only needs the first fields; check the table
        // reaches output_double (the last function used) before anything else.
        let needed = offset_of!(WeftHost, output_double) + size_of::<usize>();
        if (hr.struct_size as usize) < needed {
            return (hr.registry_fail)(reg, c"example_rust needs a Weft ABI v1 host".as_ptr());
        }
        HOST.store(h.cast_mut(), Ordering::Release);

        // Descriptors and port arrays may live on the stack: the host copies
        // them during register_node. Function pointers stay valid while loaded.
        let flags = WEFT_NODE_PURE | WEFT_NODE_THREAD_SAFE;
        let greet_inputs = [port(c"name", WEFT_TYPE_STRING, None, c"Who to greet"), PORTS_END];
        let greet_outputs = [port(c"text", WEFT_TYPE_STRING, None, c"The greeting"), PORTS_END];
        let greet_params = [
            port(c"punctuation", WEFT_TYPE_STRING, Some(c"\"!\""), c"Appended after the name"),
            PORTS_END,
        ];
        let greet = WeftNodeDesc {
            struct_size: size_of::<WeftNodeDesc>() as u32,
            name: c"greet".as_ptr(),
            summary: c"Says hello: \"Hello, \" + name + punctuation".as_ptr(),
            inputs: greet_inputs.as_ptr(),
            outputs: greet_outputs.as_ptr(),
            params: greet_params.as_ptr(),
            flags,
            user_data: ptr::null_mut(),
            create: None,
            run: Some(greet_run),
            destroy: None,
        };
        let status = (hr.register_node)(reg, &greet);
        if status != WEFT_OK {
            return status;
        }

        let scale_inputs = [port(c"x", WEFT_TYPE_DOUBLE, None, c"The number to scale"), PORTS_END];
        let scale_outputs = [port(c"y", WEFT_TYPE_DOUBLE, None, c"x times factor"), PORTS_END];
        let scale_params = [
            port(c"factor", WEFT_TYPE_DOUBLE, Some(c"2"), c"What x is multiplied by"),
            PORTS_END,
        ];
        let scale = WeftNodeDesc {
            struct_size: size_of::<WeftNodeDesc>() as u32,
            name: c"scale".as_ptr(),
            summary: c"Multiplies x by the factor param".as_ptr(),
            inputs: scale_inputs.as_ptr(),
            outputs: scale_outputs.as_ptr(),
            params: scale_params.as_ptr(),
            flags,
            user_data: ptr::null_mut(),
            create: Some(scale_create),
            run: Some(scale_run),
            destroy: Some(scale_destroy),
        };
        (hr.register_node)(reg, &scale)
    });
    match result {
        Ok(status) => status,
        Err(_) => unsafe { ((*h).registry_fail)(reg, c"panic in example_rust init".as_ptr()) },
    }
}
