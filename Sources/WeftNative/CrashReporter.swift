import CWeftShims
import WeftCore
#if canImport(Glibc)
import Glibc
#endif

/// Says which node crashed the process: a SIGSEGV, SIGBUS, SIGILL, SIGFPE
/// or SIGABRT in a node that is not isolated, or in a plugin's `init`,
/// prints one line on stderr and the process then dies of that signal as
/// it would have (exit status 128 + signal in a shell):
///
/// ```text
/// weft: crashed with SIGSEGV (Segmentation fault) in node 'boom' (crashy.segv) during its run (plugin 'crashy' from /opt/plugins/libcrashy.so); run it with --isolate crashy to make such a crash fail that node instead of weft
/// ```
///
/// For the CLI only. libweft does not install it: the program embedding it
/// owns its signal handlers.
///
/// The handler is C (`CWeftShims/crash.c`); it reads the crashing thread's
/// call frame (`weft_shim_tls_frame`: the node instance being called and
/// the phase), which every node call sets already, so reporting costs the
/// call path nothing and the nodes no memory. The node's id, type and
/// plugin are read from that instance by `describeCrashedInstance`.
public enum CrashReporter {
    /// Installs the handler, once; later calls do nothing. Call from the
    /// main thread before other threads start (the alternate signal stack
    /// is the calling thread's). With `SWIFT_BACKTRACE` set in the
    /// environment, the Swift runtime's backtracer still runs after the
    /// line (the user asked for it); otherwise the signal's default action
    /// ends the process.
    public static func install() {
        let chain: Int32 = getenv("SWIFT_BACKTRACE") != nil ? 1 : 0
        _ = weft_shim_crash_install(describeCrashedInstance, chain)
    }
}

/// What `weft_shim_crash_install`'s handler prints after "in ": the node
/// behind `instance`, the phase and the `--isolate` advice.
///
/// Runs inside a signal handler, so it must neither allocate nor take a
/// lock. Why this way rather than C labels per node: a label per node
/// would cost memory on every node of a million-node graph and a store on
/// every call, for a crash that happens once. Here the instance and what
/// it refers to are alive (the crashed call holds them) and immutable
/// (`let` properties: no exclusivity bookkeeping); the strings are copied
/// byte by byte from their own storage (`withContiguousStorageIfAvailable`,
/// which never allocates: a native string is contiguous, a small one is
/// copied to the stack). The only runtime calls are reference-count
/// increments and decrements, which are lock-free atomics. Literal text is
/// `StaticString`.
let describeCrashedInstance: weft_shim_crash_describe_fn = { raw, phase, buffer, capacity in
    guard let raw, let buffer, capacity > 0 else { return 0 }
    var out = CrashText(buffer: buffer, capacity: capacity)
    let instance = Unmanaged<NodeInstance>.fromOpaque(raw).takeUnretainedValue()
    out.append("node '")
    out.append(instance.nodeId)
    out.append("' (")
    let spec = instance.type.spec
    if !spec.namespace.isEmpty {
        out.append(spec.namespace)
        out.append(".")
    }
    out.append(spec.name)
    switch phase {
    case Int32(WEFT_SHIM_PHASE_CREATE): out.append(") during its create")
    case Int32(WEFT_SHIM_PHASE_EMIT): out.append(") while it emitted an event")
    default: out.append(") during its run")
    }
    if let plugin = instance.type.plugin {
        out.append(" (plugin '")
        out.append(plugin.name)
        out.append("' from ")
        out.append(plugin.path)
        out.append("); run it with --isolate ")
        out.append(plugin.name)
        out.append(" to make such a crash fail that node instead of weft")
    } else {
        out.append(" (not a plugin's node: a host or built-in node cannot run isolated)")
    }
    return out.count
}

/// Bytes appended to a fixed buffer, cut at its end; allocates nothing.
struct CrashText {
    let buffer: UnsafeMutablePointer<CChar>
    let capacity: Int
    private(set) var count = 0

    init(buffer: UnsafeMutablePointer<CChar>, capacity: Int) {
        self.buffer = buffer
        self.capacity = capacity
    }

    mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    mutating func append(_ text: String) {
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { append($0) }
        if done == nil { append("?") }
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        for b in bytes where count < capacity {
            buffer[count] = CChar(bitPattern: b)
            count += 1
        }
    }
}
