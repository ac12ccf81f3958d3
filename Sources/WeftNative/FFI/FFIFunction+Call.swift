// FFIFunction's calls: the general path with WeftValues, the scalar path, and the number-frame path.

import CFFI
import CWeftShims
import WeftCore

extension FFIFunction {
    /// Calls the function with one value per `signature.inputs` port, in
    /// order; thread-safe, allocates only per-call temporaries.
    ///
    /// - Returns: `result` is nil for a `void` function, else the converted
    ///   return value (`.null` for a NULL string); `outs` holds one value per
    ///   out parameter, in order (together: `signature.outputNames`).
    /// - Throws: `.arity`, `.inputType`, `.inputRange`, `.inputString` before
    ///   the C function runs; `.result` after it when a value cannot be
    ///   represented (owned strings are freed first).
    public func call(_ inputs: [WeftValue]) throws(FFICallError) -> (result: WeftValue?, outs: [WeftValue]) {
        guard inputs.count == inputCount else {
            throw fail(.arity, "got \(inputs.count) input value\(inputs.count == 1 ? "" : "s") for \(inputCount) input port\(inputCount == 1 ? "" : "s"); pass one value per input, in order")
        }
        // Pass 1: the size of the copied strings and buffers.
        var dataSize = 0
        for step in steps {
            switch step {
            case .value(.cString, let i, let name):
                guard case .string(let s) = inputs[i] else { throw typeError(name, .cString, inputs[i]) }
                dataSize += Self.rounded(s.utf8.count + 1)
            case .bytes(let i, let name):
                guard case .bytes(let b) = inputs[i] else {
                    throw fail(.inputType, "input '\(name)' must be bytes, got \(inputs[i].kind.description)")
                }
                dataSize += Self.rounded(max(1, b.count))
            default:
                break
            }
        }
        let fixed = (2 * argCount + outCount) * Self.slot + Self.returnSlot
        return try withUnsafeTemporaryAllocation(byteCount: fixed + dataSize, alignment: 16) {
            (buffer: UnsafeMutableRawBufferPointer) throws(FFICallError) -> (result: WeftValue?, outs: [WeftValue]) in
            guard let base = buffer.baseAddress else { throw fail(.prepare, "no memory for the call's arguments") }
            UnsafeMutableRawBufferPointer(rebasing: buffer[0..<fixed]).initializeMemory(as: UInt8.self, repeating: 0)
            let values = base.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: max(1, argCount))
            let slots = base + argCount * Self.slot
            let outSlots = slots + argCount * Self.slot
            let returned = outSlots + outCount * Self.slot
            var data = returned + Self.returnSlot
            var arg = 0
            for step in steps {
                let slot = slots + arg * Self.slot
                switch step {
                case .value(.cString, let i, let name):
                    guard case .string(let s) = inputs[i] else { throw typeError(name, .cString, inputs[i]) }
                    var text = s
                    let hasNUL = text.withUTF8 { utf8 in
                        UnsafeMutableRawBufferPointer(start: data, count: utf8.count).copyMemory(from: UnsafeRawBufferPointer(utf8))
                        (data + utf8.count).storeBytes(of: 0, as: UInt8.self)
                        return utf8.contains(0)
                    }
                    guard !hasNUL else {
                        throw fail(.inputString, "input '\(name)' contains a NUL byte, which C would take as the end of the string; pass the data as bytes or remove the NUL")
                    }
                    slot.storeBytes(of: data, as: UnsafeMutableRawPointer.self)
                    data += Self.rounded(s.utf8.count + 1)
                    values[arg] = slot
                    arg += 1
                case .value(let t, let i, let name):
                    try store(inputs[i], as: t, name: name, at: slot)
                    values[arg] = slot
                    arg += 1
                case .bytes(let i, let name):
                    guard case .bytes(let b) = inputs[i] else {
                        throw fail(.inputType, "input '\(name)' must be bytes, got \(inputs[i].kind.description)")
                    }
                    b.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: data, count: $0.count).copyMemory(from: $0) }
                    slot.storeBytes(of: data, as: UnsafeMutableRawPointer.self)
                    (slot + Self.slot).storeBytes(of: UInt64(b.count), as: UInt64.self)
                    data += Self.rounded(max(1, b.count))
                    values[arg] = slot
                    values[arg + 1] = slot + Self.slot
                    arg += 2
                case .out(_, let o, _):
                    slot.storeBytes(of: outSlots + o * Self.slot, as: UnsafeMutableRawPointer.self)
                    values[arg] = slot
                    arg += 1
                }
            }

            ffi_call(cif, function, returned, values)

            // Read everything (freeing owned strings) before throwing.
            var firstError: FFICallError?
            var result: WeftValue?
            if signature.returnType != .void {
                switch read(signature.returnType, at: returned, widened: true, what: "the result") {
                case .success(let v): result = v
                case .failure(let e): firstError = e
                }
            }
            var outs: [WeftValue] = []
            outs.reserveCapacity(outCount)
            for case .out(let t, let o, let name) in steps {
                switch read(t, at: outSlots + o * Self.slot, widened: false, what: "out parameter '\(name)'") {
                case .success(let v): outs.append(v)
                case .failure(let e): if firstError == nil { firstError = e }
                }
            }
            if let firstError { throw firstError }
            return (result, outs)
        }
    }

    /// The call path of functions whose parameters are all numbers or bools
    /// by value and whose result is not a string (`double hypot(double,
    /// double)`): inputs straight from the node's input slots into a stack
    /// buffer, no arrays. Returns nil when the signature does not qualify
    /// (use `call`); otherwise the result as in `call` (`.null` for void).
    func callScalars(_ inputs: [WeftValue?]) throws(FFICallError) -> WeftValue? {
        guard let scalarArgs else { return nil }
        guard inputs.count == scalarArgs.count else {
            throw fail(.arity, "got \(inputs.count) input values for \(scalarArgs.count) input ports; pass one value per input, in order")
        }
        let count = scalarArgs.count
        return try withUnsafeTemporaryAllocation(byteCount: 2 * max(1, count) * Self.slot + Self.returnSlot, alignment: 16) {
            (buffer: UnsafeMutableRawBufferPointer) throws(FFICallError) -> WeftValue in
            guard let base = buffer.baseAddress else { throw fail(.prepare, "no memory for the call's arguments") }
            let values = base.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: max(1, count))
            let slots = base + max(1, count) * Self.slot
            let returned = slots + max(1, count) * Self.slot
            returned.storeBytes(of: 0, as: UInt64.self)
            (returned + 8).storeBytes(of: 0, as: UInt64.self)
            for a in 0..<count {
                let slot = slots + a * Self.slot
                slot.storeBytes(of: 0, as: UInt64.self)
                guard let v = inputs[a] else {
                    throw fail(.inputType, "input '\(inputName(a))' has no value")
                }
                // The common cases first, without a name in hand.
                switch (scalarArgs[a], v) {
                case (.double, .double(let d)): slot.storeBytes(of: d, as: Double.self)
                case (.double, .int(let i)): slot.storeBytes(of: Double(i), as: Double.self)
                case (.int64, .int(let i)): slot.storeBytes(of: i, as: Int64.self)
                default: try store(v, as: scalarArgs[a], name: inputName(a), at: slot)
                }
                values[a] = slot
            }
            ffi_call(cif, function, returned, values)
            switch returnType {
            case .void: return .null
            case .double: return .double(returned.load(as: Double.self))
            case .int64: return .int(returned.load(as: Int64.self))
            default: return try read(returnType, at: returned, widened: true, what: "the result").get()
            }
        }
    }

    /// The common case without `WeftValue`s at all: every argument a
    /// double or int64 read from the run's number frame (the C fast path's
    /// data), the double or int64 result written back into it. Returns
    /// false, having done nothing, when the signature or an input does not
    /// fit (the caller then takes `callScalars`).
    func callNumbers(_ f: UnsafeMutablePointer<weft_shim_frame_t>) -> Bool {
        guard let scalarArgs, returnType == .double || returnType == .int64 || returnType == .void else { return false }
        let count = scalarArgs.count
        guard count <= 8, Int(f.pointee.input_count) == count else { return false }
        if returnType != .void {
            guard f.pointee.output_count >= 1, f.pointee.outputs[0].taken == 0 else { return false }
            let accept = f.pointee.accept[0]
            let ok = returnType == .double ? accept & UInt8(WEFT_SHIM_ACCEPT_DOUBLE) != 0 : accept & UInt8(WEFT_SHIM_ACCEPT_INT) != 0
            guard ok else { return false }
        }
        return withUnsafeTemporaryAllocation(byteCount: (2 * 8 + 2) * 8, alignment: 16) { buffer -> Bool in
            let base = buffer.baseAddress!
            let values = base.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: 8)
            let slots = base + 8 * 8
            let returned = slots + 8 * 8
            returned.storeBytes(of: 0, as: UInt64.self)
            (returned + 8).storeBytes(of: 0, as: UInt64.self)
            for a in 0..<count {
                let n = f.pointee.inputs[a]
                let slot = slots + a * 8
                switch (scalarArgs[a], n.kind) {
                case (.double, Int32(WEFT_SHIM_DOUBLE)), (.int64, Int32(WEFT_SHIM_INT)): slot.storeBytes(of: n.bits, as: Int64.self)
                case (.double, Int32(WEFT_SHIM_INT)): slot.storeBytes(of: Double(n.bits), as: Double.self)
                default: return false
                }
                values[a] = slot
            }
            ffi_call(cif, function, returned, values)
            if returnType != .void {
                f.pointee.outputs[0] = weft_shim_number_t(
                    bits: returned.load(as: Int64.self),
                    kind: returnType == .double ? Int32(WEFT_SHIM_DOUBLE) : Int32(WEFT_SHIM_INT), taken: 1)
            }
            return true
        }
    }

    private func inputName(_ input: Int) -> String {
        for case .value(_, let i, let name) in steps where i == input { return name }
        return "#\(input)"
    }
}
