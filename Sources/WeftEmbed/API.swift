// The C functions of include/weft/weft.h. Each is a thin shell: check the
// arguments, look the handles up, call the Swift object, map errors to a
// status and a last-error message. The header is the contract; the
// comments there say what each function does.
//
// This file holds the versions, errors and memory functions; the other
// sections of the header are in API+Engines, API+Graphs, API+Runs and
// API+Outputs.

import CWeft
import CWeftShims
import WeftNative
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Versions, errors, memory

nonisolated(unsafe) private let versionString = UnsafePointer(CString.owned(WeftVersion.string))

@_cdecl("weft_version")
public func weftVersion() -> UnsafePointer<CChar> { versionString }

@_cdecl("weft_api_version")
public func weftAPIVersion() -> UInt32 { UInt32(WEFT_API_VERSION) }

@_cdecl("weft_plugin_abi_version")
public func weftPluginABIVersion() -> UInt32 { WeftVersion.pluginABI }

nonisolated(unsafe) private let statusNames: [Int32: UnsafePointer<CChar>] = {
    var names: [Int32: UnsafePointer<CChar>] = [:]
    for code in Int32(0)...Int32(WEFT_ERR_TIMEOUT) {
        names[code] = UnsafePointer(CString.owned(StatusCode.name(code)))
    }
    return names
}()
nonisolated(unsafe) private let unknownStatus = UnsafePointer(CString.owned("WEFT_ERR_UNKNOWN"))

@_cdecl("weft_status_name")
public func weftStatusName(_ status: Int32) -> UnsafePointer<CChar> { statusNames[status] ?? unknownStatus }

@_cdecl("weft_last_error")
public func weftLastError() -> UnsafePointer<CChar> { weft_shim_last_error() }

@_cdecl("weft_free")
public func weftFree(_ p: UnsafeMutableRawPointer?) { free(p) }

@_cdecl("weft_host_table")
public func weftHostTable() -> UnsafePointer<weft_host_t> { PluginHost.table }
