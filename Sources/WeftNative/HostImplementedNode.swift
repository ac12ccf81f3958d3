import CWeft
import WeftCore

/// The state of one instance of a node type the host implements in Swift
/// (a mapped subgraph): made by the type's `make` at create, called with
/// the call's inputs in port order; its outputs in port order (nil: not
/// fired), or why the call failed.
package protocol HostNodeState: AnyObject {
    func call(_ inputs: [WeftValue?]) -> Result<[WeftValue?], HostNodeFailure>
}

package struct HostNodeFailure: Error {
    package var message: String
    package init(_ message: String) { self.message = message }
}

/// Makes the state of each instance of a host-implemented type.
final class HostNodeFactory: @unchecked Sendable {
    let make: (NodeInstance) -> Result<any HostNodeState, HostNodeFailure>
    init(_ make: @escaping (NodeInstance) -> Result<any HostNodeState, HostNodeFailure>) { self.make = make }
}

extension NodeType {
    /// A node type implemented by the host in Swift, through the same C
    /// callbacks as a plugin's: instances, maps and every run path treat
    /// it as any node type.
    package static func hostImplemented(spec: NodeSpec,
                                        make: @escaping (NodeInstance) -> Result<any HostNodeState, HostNodeFailure>) -> NodeType {
        let factory = HostNodeFactory(make)
        return NodeType(spec: spec, plugin: nil, create: hostNodeCreate, run: hostNodeRun, destroy: hostNodeDestroy,
                        userData: Unmanaged.passUnretained(factory).toOpaque(), owner: factory)
    }
}

private let hostNodeCreate: weft_create_fn = { ctx, userData, stateOut in
    guard let userData, let stateOut, let call = currentCall(ctx), let instance = call.instance else { return WEFT_ERR_HANDLE }
    let factory = Unmanaged<HostNodeFactory>.fromOpaque(userData).takeUnretainedValue()
    switch factory.make(instance) {
    case .failure(let e):
        call.failure = e.message
        return WEFT_ERR_FAILED
    case .success(let state):
        stateOut.pointee = Unmanaged.passRetained(state as AnyObject).toOpaque()
        return WEFT_OK
    }
}

private let hostNodeRun: weft_run_fn = { ctx, state in
    guard let state, let call = currentCall(ctx),
          let node = Unmanaged<AnyObject>.fromOpaque(state).takeUnretainedValue() as? any HostNodeState else { return WEFT_ERR_HANDLE }
    switch node.call(call.inputs) {
    case .failure(let e):
        call.failure = e.message
        return WEFT_ERR_FAILED
    case .success(let outputs):
        for (i, v) in outputs.enumerated() where i < call.outputCount { if let v { call.storeOutput(i, v) } }
        return WEFT_OK
    }
}

private let hostNodeDestroy: weft_destroy_fn = { state in
    guard let state else { return }
    Unmanaged<AnyObject>.fromOpaque(state).release()
}
