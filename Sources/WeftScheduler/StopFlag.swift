import CWeftShims

/// A run's cancellation as C code reads it: a flag the cancellation token
/// raises (`CancellationToken.whenCancelled`) and the compiled passes check
/// before every call (`weft_shim_frame_t.stop`), so a loop of slow nodes
/// going round in C stops at its next call, as the ready queue does. A
/// class: the token's callback may outlive the run that registered it.
final class StopFlag: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Int32>

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: 0)
    }

    deinit { pointer.deallocate() }

    func raise() { weft_shim_raise(pointer) }
}
