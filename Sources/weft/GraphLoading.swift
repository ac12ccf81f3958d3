import ArgumentParser
import WeftCore
import WeftNative
import WeftScheduler
#if canImport(Glibc)
import Glibc
#endif

/// Reading a graph file and loading the plugins it needs: shared by `run`,
/// `check` and `graph`.
struct GraphLoading {
    let file: String
    let plugins: PluginOptions
    let quiet: Bool

    /// Loads the plugins; load failures are printed as warnings (a broken
    /// plugin the graph does not use should not stop it).
    func registry() -> (NodeRegistry, [PluginLoadError]) {
        let registry = NodeRegistry()
        BuiltinSources.register(into: registry)
        registry.libraryPolicy = plugins.libraryPolicy
        let report = PluginLoader(registry: registry).load(searchPath: plugins.searchPath)
        return (registry, report.errors)
    }

    /// The file's text, or exit 2 with a message.
    func text() throws -> String {
        String(decoding: try bytes(), as: UTF8.self)
    }

    /// The file's bytes, checked to be UTF-8, or exit 2 with a message.
    func bytes() throws -> [UInt8] {
        guard let bytes = FileSystem.read(file) else {
            Stderr.write("error: \(file): cannot read the graph file: \(String(cString: strerror(errno)))")
            throw ExitCode(2)
        }
        // An ASCII file is UTF-8; others are checked in full.
        let ascii = bytes.withUnsafeBufferPointer { b in b.allSatisfy { $0 < 0x80 } }
        guard ascii || String(validating: bytes, as: UTF8.self) != nil else {
            Stderr.write("error: \(file): the graph file is not valid UTF-8")
            throw ExitCode(2)
        }
        return bytes
    }

    /// The decoded file. Its bytes are gone when this returns: a big
    /// graph's text is not held while it is validated.
    func document() throws -> Result<GraphDocument, GraphError> {
        debugMem("start")
        let bytes = try bytes()
        debugMem("read")
        do {
            let doc = try GraphDecoder.decode(bytes: bytes)
            debugMem("decoded")
            return .success(doc)
        } catch {
            return .failure(error)
        }
    }

    /// Prints diagnostics as `file:path: severity: message`.
    func print(_ diagnostics: [Diagnostic]) {
        for d in diagnostics where !(quiet && d.severity == .warning) {
            Stderr.write("\(file):\(d.path): \(d.severity.rawValue): \(d.message)")
        }
    }

    /// Decodes and validates, or prints every problem and exits 2.
    func plan(registry: NodeRegistry, loadErrors: [PluginLoadError]) throws -> GraphPlan {
        do {
            // The document goes to the validator as a temporary: nothing
            // else holds it, so it is freed as the plan is built.
            let plan = try GraphValidator.validate(try document().get(), catalog: registry)
            debugMem("validated")
            print(plan.warnings)
            return plan
        } catch let error as GraphError {
            print(error.diagnostics)
            if !loadErrors.isEmpty {
                for e in loadErrors { Stderr.write("note: a plugin failed to load: \(e.message)") }
            }
            throw ExitCode(2)
        }
    }
}

func debugMem(_ what: String) {
    guard getenv("WEFT_DEBUG_MEM") != nil else { return }
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    Stderr.write("mem \(what): peak \(u.ru_maxrss / 1024) MB at \(ts.tv_sec % 1000).\(ts.tv_nsec / 1_000_000)")
}
