// The C API's run output functions (weft.h "Runs"): a finished run's outputs as JSON or as C values.

import CWeft
import WeftCore
import WeftScheduler

@_cdecl("weft_run_outputs_json")
public func weftRunOutputsJSON(_ run: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_run_outputs_json"
        let r = try Handles.object(run, Run.self, fn)
        let out = try Arg.out(out, "json_out", fn)
        out.pointee = CString.owned(JSON.encode(try r.finishedResult(fn).outputsJSON))
    }
}

private func output<T>(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<T>?, _ fn: String,
                       _ convert: (WeftValue, String) throws(APIError) -> T) -> Int32 {
    api { () throws(APIError) in
        let r = try Handles.object(run, Run.self, fn)
        let name = try Arg.string(name, "name", fn)
        let out = try Arg.out(out, "out", fn)
        out.pointee = try convert(try r.output(name, fn), name)
    }
}

@_cdecl("weft_run_output_json")
public func weftRunOutputJSON(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                              _ out: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    output(run, name, out, "weft_run_output_json") { (v, _) throws(APIError) in CString.owned(JSON.encode(v)) }
}

@_cdecl("weft_run_output_int")
public func weftRunOutputInt(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int64>?) -> Int32 {
    output(run, name, out, "weft_run_output_int") { (v, name) throws(APIError) in
        guard case .int(let i) = v else {
            throw APIError(WEFT_ERR_TYPE, "weft_run_output_int: output '\(name)' is \(v.kind), not an int")
        }
        return i
    }
}

@_cdecl("weft_run_output_double")
public func weftRunOutputDouble(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Double>?) -> Int32 {
    output(run, name, out, "weft_run_output_double") { (v, name) throws(APIError) in
        switch v {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: throw APIError(WEFT_ERR_TYPE, "weft_run_output_double: output '\(name)' is \(v.kind), not a number")
        }
    }
}

@_cdecl("weft_run_output_bool")
public func weftRunOutputBool(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int32>?) -> Int32 {
    output(run, name, out, "weft_run_output_bool") { (v, name) throws(APIError) in
        guard case .bool(let b) = v else {
            throw APIError(WEFT_ERR_TYPE, "weft_run_output_bool: output '\(name)' is \(v.kind), not a bool")
        }
        return b ? 1 : 0
    }
}

@_cdecl("weft_run_output_string")
public func weftRunOutputString(_ run: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                                _ out: UnsafeMutablePointer<UnsafePointer<CChar>?>?, _ length: UnsafeMutablePointer<Int>?) -> Int32 {
    api { () throws(APIError) in
        let fn = "weft_run_output_string"
        let r = try Handles.object(run, Run.self, fn)
        let name = try Arg.string(name, "name", fn)
        let out = try Arg.out(out, "out", fn)
        let (p, n) = try r.outputString(name, fn)
        out.pointee = p
        length?.pointee = n
    }
}
