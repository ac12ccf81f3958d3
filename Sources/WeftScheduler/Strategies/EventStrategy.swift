import WeftCore

/// Event sources (`event.timer`, `event.files`, a plugin's source): they
/// never run as steps of a wave. `EventRun` starts them once per run; each
/// event they emit becomes their outputs at the start of one wave
/// (`RunState.run` delivers it), so the nodes downstream run with it.
final class EventStrategy: ExecutionStrategy {
    func start(_ node: Int, _ run: RunState) {
        run.fail(node: node, "an event source cannot run as a step of a wave (its edges come from it, never into it)")
    }
}
