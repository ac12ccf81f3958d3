import CWeftShims
import WeftCore

/// The one bridge between a typed slot and a `WeftValue`. A slot
/// (`weft_shim_number_t`, also a call frame's input or output) holds a
/// kind and 64 bits: an int, a double's bit pattern, a bool as 0 or 1; any
/// other value is `WEFT_SHIM_BOXED` and its owner keeps the value beside
/// the slot. Empty (`WEFT_SHIM_NONE`) and dead slots hold no value.
extension weft_shim_number_t {
    /// The slot contents for `value`: its bits, or boxed (the caller keeps
    /// `value` beside the slot).
    @inline(__always)
    package init(_ value: WeftValue, taken: Int32 = 0) {
        switch value {
        case .int(let i): self.init(bits: i, kind: Int32(WEFT_SHIM_INT), taken: taken)
        case .double(let d): self.init(bits: Int64(bitPattern: d.bitPattern), kind: Int32(WEFT_SHIM_DOUBLE), taken: taken)
        case .bool(let b): self.init(bits: b ? 1 : 0, kind: Int32(WEFT_SHIM_BOOL), taken: taken)
        default: self.init(bits: 0, kind: Int32(WEFT_SHIM_BOXED), taken: taken)
        }
    }

    /// The slot holds a value kept beside it.
    @inline(__always)
    package var isBoxed: Bool { kind == Int32(WEFT_SHIM_BOXED) }

    /// The value in the slot — from its bits, or `boxed()` for a boxed
    /// slot — or nil when it is empty or dead.
    @inline(__always)
    package func value(boxed: () -> WeftValue) -> WeftValue? {
        switch kind {
        case Int32(WEFT_SHIM_INT): .int(bits)
        case Int32(WEFT_SHIM_DOUBLE): .double(Double(bitPattern: UInt64(bitPattern: bits)))
        case Int32(WEFT_SHIM_BOOL): .bool(bits != 0)
        case Int32(WEFT_SHIM_BOXED): boxed()
        default: nil
        }
    }
}
