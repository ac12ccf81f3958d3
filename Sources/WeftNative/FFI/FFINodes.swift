import CWeft
import CWeftShims
import Synchronization
import WeftCore

/// The built-in node type `ffi`: any C function called through libffi, with
/// its ports taken from a signature given as data (as Python's ctypes does).
///
/// Params: `library` (soname or path, checked by the `LibraryPolicy`),
/// `symbol`, `signature` (a C declaration: `double hypot(double x, double y)`)
/// and, for a function returning an allocated `const char *`, `free` — the
/// symbol of the function that frees it (without it the string is borrowed:
/// copied, never freed). The call interface is prepared once per distinct
/// (library, symbol, signature, free), when the graph is validated, and
/// shared by every node that uses it; one prepared call may run on several
/// threads at once.
public enum FFINodes {
    public static let typeName = "ffi"

    /// The params-only spec of `ffi` (ports come from the signature).
    public static let baseSpec = NodeSpec(
        namespace: "", name: typeName, summary: "Calls a C function through libffi; its ports come from the signature.",
        params: [
            PortSpec(name: "library", type: .string, summary: "soname (libm.so.6) or path of the shared library"),
            PortSpec(name: "symbol", type: .string, summary: "the function's symbol"),
            PortSpec(name: "signature", type: .string, summary: "C declaration, e.g. double hypot(double x, double y)"),
            PortSpec(name: "free", type: .string, optional: true,
                     summary: "symbol that frees a returned string (the string is owned); omit for borrowed strings"),
        ])

    /// The spec of an `ffi` node with this signature.
    static func spec(for signature: FFISignature, symbol: String, namespace: String = "", name: String = typeName,
                     summary: String? = nil, params: [PortSpec] = baseSpec.params) -> NodeSpec {
        var inputs: [PortSpec] = []
        var outputs: [PortSpec] = []
        if signature.returnType != .void {
            outputs.append(PortSpec(name: "result", type: signature.returnType.valueType, summary: "what \(symbol) returned"))
        }
        for p in signature.parameters {
            switch p.kind {
            case .value(let t): inputs.append(PortSpec(name: p.name, type: t.valueType, summary: "C \(t.rawValue)"))
            case .bytes: inputs.append(PortSpec(name: p.name, type: .bytes, summary: "buffer and its length"))
            case .out(let t): outputs.append(PortSpec(name: p.name, type: t.valueType, summary: "out-parameter (C \(t.rawValue) *)"))
            }
        }
        return NodeSpec(namespace: namespace, name: name, summary: summary ?? "\(symbol) via libffi", inputs: inputs,
                        outputs: outputs, params: params, flags: [.threadSafe])
    }
}

/// One prepared foreign function and the node type that calls it.
final class FFIBinding: @unchecked Sendable {
    let function: FFIFunction
    /// The library opened for a graph's `ffi` node (never closed: bindings
    /// are cached for the registry's life); nil for a plugin's function,
    /// whose library the plugin keeps open.
    let library: UnsafeMutableRawPointer?

    init(function: FFIFunction, library: UnsafeMutableRawPointer?) {
        self.function = function
        self.library = library
    }
}

/// The `ffi` node types of one registry: library policy, open libraries,
/// prepared bindings (cached).
final class FFICatalog: Sendable {
    struct State {
        var policy = LibraryPolicy()
        /// Prepared node types by (library, symbol, signature, free); each
        /// owns its binding.
        var types: [String: NodeType] = [:]
        /// `policy.resolve` per library param (a `realpath` each: a graph of
        /// 100,000 ffi nodes looked it up 200,000 times); cleared with the policy.
        var resolved: [String: Result<String, LibraryRefusal>] = [:]
    }

    let state = Locked(State())

    var policy: LibraryPolicy {
        get { state.withLock { $0.policy } }
        set {
            state.withLock {
                $0.policy = newValue
                $0.resolved = [:]
            }
        }
    }

    /// The policy's answer for `library`, from the cache when asked before.
    func resolve(_ library: String) -> Result<String, LibraryRefusal> {
        if let known = state.withLock({ $0.resolved[library] }) { return known }
        let (policy, answer): (LibraryPolicy, Result<String, LibraryRefusal>) = {
            let p = self.policy
            return (p, p.resolve(library))
        }()
        state.withLock { s in
            // Keep it only if the policy did not change meanwhile.
            if s.policy == policy { s.resolved[library] = answer }
        }
        return answer
    }

    /// The node type for these params (validated and prepared), or why not.
    func nodeType(params: [String: WeftValue]) -> Result<NodeType, ParameterizedSpecError> {
        guard case .string(let library)? = params["library"], case .string(let symbol)? = params["symbol"],
              case .string(let text)? = params["signature"]
        else {
            return .failure(ParameterizedSpecError(param: nil, "needs string params library, symbol and signature"))
        }
        var freeSymbol: String?
        if case .string(let f)? = params["free"] { freeSymbol = f }
        let key = "\(library)\u{0}\(symbol)\u{0}\(text)\u{0}\(freeSymbol ?? "")"
        // The policy is checked on every lookup, cached or not.
        if case .failure(let refusal) = resolve(library) {
            return .failure(ParameterizedSpecError(param: "library", refusal.description))
        }
        if let cached = state.withLock({ $0.types[key] }) { return .success(cached) }

        let signature: FFISignature
        do {
            signature = try FFISignatureParser.parse(text)
        } catch {
            return .failure(ParameterizedSpecError(param: "signature", "bad signature: \(error)"))
        }
        if freeSymbol != nil && signature.returnType != .cString {
            return .failure(ParameterizedSpecError(param: "free", "\"free\" is for functions returning const char *"))
        }
        let path: String
        switch resolve(library) {
        case .success(let p): path = p
        case .failure(let refusal): return .failure(ParameterizedSpecError(param: "library", refusal.description))
        }
        let handle: UnsafeMutableRawPointer
        switch DL.open(path) {
        case .success(let h): handle = h
        case .failure(let e): return .failure(ParameterizedSpecError(param: "library", "cannot load '\(library)': \(e.message)"))
        }
        let pointer: UnsafeMutableRawPointer
        switch DL.symbol(handle, symbol) {
        case .success(let p): pointer = p
        case .failure(let e):
            DL.close(handle)
            return .failure(ParameterizedSpecError(param: "symbol", "no symbol '\(symbol)' in \(library): \(e.message)"))
        }
        var freePointer: UnsafeMutableRawPointer?
        if let freeSymbol {
            // A free function must match the allocator the library's code
            // really calls, which resolves in the global scope (an
            // interposed malloc/free included, e.g. under a sanitizer).
            let global = DL.globalSymbol(freeSymbol)
            switch global.map({ Result<UnsafeMutableRawPointer, DynamicLoaderError>.success($0) }) ?? DL.symbol(handle, freeSymbol) {
            case .success(let p): freePointer = p
            case .failure(let e):
                DL.close(handle)
                return .failure(ParameterizedSpecError(param: "free", "no symbol '\(freeSymbol)' in \(library): \(e.message)"))
            }
        }
        let function: FFIFunction
        do {
            function = try FFIFunction(pointer: UnsafeRawPointer(pointer), signature: signature,
                                       freeString: freePointer.map { UnsafeRawPointer($0) })
        } catch {
            DL.close(handle)
            return .failure(ParameterizedSpecError(param: "signature", "\(error)"))
        }
        let binding = FFIBinding(function: function, library: handle)
        let spec = FFINodes.spec(for: signature, symbol: symbol)
        let type = NodeType(spec: spec, plugin: nil, create: nil, run: ffiRun, destroy: nil,
                            userData: Unmanaged.passUnretained(binding).toOpaque(), owner: binding)
        return .success(state.withLock { s in
            if let existing = s.types[key] { return existing }
            s.types[key] = type
            return type
        })
    }
}

/// `run` of every `ffi` node and plugin function: the binding is the node's
/// state (`user_data`).
let ffiRun: weft_run_fn = { ctx, state in
    guard let state, let callPointer = weft_shim_current_call(),
          let ctx, UnsafeMutableRawPointer(ctx) == weft_shim_current_ctx() else { return WEFT_ERR_HANDLE }
    let binding = Unmanaged<FFIBinding>.fromOpaque(state).takeUnretainedValue()
    // Numbers in, a number (or nothing) out, straight from and into the
    // run's number frame: no values at all.
    if let frame = weft_shim_current_frame(), frame.pointee.run_ctx == UnsafeMutableRawPointer(ctx),
       binding.function.callNumbers(frame) {
        return WEFT_OK
    }
    let call = Unmanaged<CallContext>.fromOpaque(UnsafeRawPointer(callPointer)).takeUnretainedValue()
    let inputs = call.inputs
    do {
        if let result = try binding.function.callScalars(inputs) {
            if binding.function.returnType != .void && call.outputCount > 0 { call.storeOutput(0, result) }
            return WEFT_OK
        }
    } catch {
        call.failure = "\(error)"
        return WEFT_ERR_FAILED
    }
    var args: [WeftValue] = []
    args.reserveCapacity(inputs.count)
    for v in inputs {
        guard let v else { call.failure = "an input has no value"; return WEFT_ERR_FAILED }
        args.append(v)
    }
    do {
        let (result, outs) = try binding.function.call(args)
        var i = 0
        if let result, call.outputCount > 0 {
            call.storeOutput(0, result)
            i = 1
        }
        for o in outs where i < call.outputCount {
            call.storeOutput(i, o)
            i += 1
        }
        return WEFT_OK
    } catch {
        call.failure = "\(error)"
        return WEFT_ERR_FAILED
    }
}
