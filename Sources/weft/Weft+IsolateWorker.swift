import ArgumentParser
import WeftNative

extension Weft {
    /// The child process of an isolated node (`--isolate`, `"isolate": true`,
    /// `"timeout_ms"`): serves one node instance over fd 3. Started by weft
    /// and libweft, not by hand.
    struct IsolateWorker: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "isolate-worker",
            abstract: "Serve one isolated node over fd 3 (started by weft itself).",
            shouldDisplay: false)

        func run() throws {
            let code = IsolationWorker.serve()
            if code != 0 { throw ExitCode(code) }
        }
    }
}
