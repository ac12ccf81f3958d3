import WeftNative

/// The ffi signature parser on arbitrary bytes: it may throw, never crash,
/// trap or hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? FFISignatureParser.parse(text)
    return 0
}
