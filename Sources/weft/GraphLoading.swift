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
    /// The most bytes the file may hold (`--max-graph-bytes`).
    var maxBytes = FileSystem.defaultGraphLimit
    /// Observers to add to the graph's own (`weft run --observer`).
    var observers: [HookRef] = []
    /// `weft run --cache`: every PURE node that runs one call is cached.
    var cacheAllPure = false

    /// Subgraph files (`"type": "graph"`): relative paths from the folder
    /// of the file that names them; each at most `maxBytes`.
    var subgraphs: SubgraphLoader { .files(baseDirectory: nil, maxBytes: maxBytes) }
    /// The graph file as subgraph paths start from it (stdin and devices:
    /// the working directory).
    var subgraphFile: String? {
        guard !file.hasPrefix("/dev/"), let real = realpath(file, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

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

    /// The file's bytes, checked to be UTF-8 and to fit `maxBytes`, or exit
    /// 2 with a message.
    func bytes() throws -> [UInt8] {
        let bytes: [UInt8]
        switch FileSystem.read(file, limit: maxBytes) {
        case .success(let b):
            bytes = b
        case .failure(let error):
            try refuse(error)
        }
        // An ASCII file is UTF-8; others are checked in full.
        let ascii = bytes.withUnsafeBufferPointer { b in b.allSatisfy { $0 < 0x80 } }
        guard ascii || String(validating: bytes, as: UTF8.self) != nil else {
            Stderr.write("error: \(file): the graph file is not valid UTF-8")
            throw ExitCode(2)
        }
        return bytes
    }

    /// Prints why the file cannot be read and exits 2.
    private func refuse(_ error: FileSystem.ReadError) throws -> Never {
        if case .tooLarge = error {
            Stderr.write("error: \(file): the graph file is too big: \(error.reason); "
                             + "raise the limit with --max-graph-bytes BYTES")
        } else {
            Stderr.write("error: \(file): cannot read the graph file: \(error.reason)")
        }
        throw ExitCode(2)
    }

    /// The decoded file, with the decoder's problems in its `diagnostics`
    /// (the validator reports them with its own); a failure only when the
    /// file is not JSON. A regular file is mapped and its pages let go of
    /// as the decoder passes them (a big graph's text is never held whole
    /// next to its nodes); anything else (a pipe) is read first. Its bytes
    /// are gone when this returns.
    func document() throws -> Result<GraphDocument, GraphError> {
        debugMem("before reading")
        Weft.mapLargeBlocks(true)
        defer { Weft.mapLargeBlocks(false) }
        guard let mapped = MappedFile(path: file) else {
            let bytes = try bytes()
            do {
                let doc = try GraphDecoder.decodePartial(bytes: bytes)
                debugMem("after decoding")
                return .success(doc)
            } catch {
                return .failure(error)
            }
        }
        if mapped.buffer.count > maxBytes {
            try refuse(.tooLarge(limit: maxBytes, size: mapped.buffer.count))
        }
        guard mapped.isUTF8() else {
            Stderr.write("error: \(file): the graph file is not valid UTF-8")
            throw ExitCode(2)
        }
        do {
            let doc = try GraphDecoder.decodePartial(buffer: mapped.buffer, progress: { mapped.release(upTo: $0) })
            debugMem("after decoding")
            return .success(doc)
        } catch {
            return .failure(error)
        }
    }

    /// Prints diagnostics as `file:path: severity: message`, control
    /// characters in names escaped (`Diagnostic.description`).
    func print(_ diagnostics: [Diagnostic]) {
        for d in diagnostics where !(quiet && d.severity == .warning) {
            Stderr.write("\(file):\(d)")
        }
    }

    /// Decodes and validates, or prints every problem and exits 2.
    func plan(registry: NodeRegistry, loadErrors: [PluginLoadError]) throws -> GraphPlan {
        do {
            // The document goes to the validator as a temporary: nothing
            // else holds it, so it is freed as the plan is built.
            var doc = try document().get()
            doc.observers += observers
            var plan = try GraphValidator.validate(consume doc, catalog: registry, subgraphs: subgraphs, file: subgraphFile)
            if cacheAllPure {
                for i in plan.nodes.indices where plan.nodes[i].cache == nil {
                    let node = plan.nodes[i]
                    let flags = node.spec.flags
                    guard flags.contains(.pure), flags.isDisjoint(with: [.source, .async]), !node.isLoop, !node.isFlow,
                          node.map == nil, node.hooks == nil else { continue }
                    plan.nodes[i].cache = CacheSpec()
                }
            }
            debugMem("after validating")
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

/// With `WEFT_DEBUG_MEM` set: the process's peak memory (max RSS) so far,
/// after a loading stage, on stderr (`memory after decoding: peak 194 MiB`).
func debugMem(_ stage: String) {
    guard getenv("WEFT_DEBUG_MEM") != nil else { return }
    var u = rusage()
    getrusage(RUSAGE_SELF.rawValue, &u)
    Stderr.write("memory \(stage): peak \(u.ru_maxrss / 1024) MiB")
}

/// A regular file mapped read-only (`mmap`). `release(upTo:)` lets go of
/// the pages before an offset (`madvise(MADV_DONTNEED)`: they leave the
/// process and stay in the page cache; read again, they come back from the
/// file).
final class MappedFile {
    let buffer: UnsafeBufferPointer<UInt8>
    private let base: UnsafeMutableRawPointer?
    private let length: Int
    private var released = 0
    /// Pages are let go of in steps of this many bytes.
    private static let step = 8 << 20

    /// nil when `path` is not a regular file that can be mapped (the
    /// caller reads it instead, and reports what is wrong).
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        length = Int(st.st_size)
        if length == 0 {
            base = nil
            buffer = UnsafeBufferPointer(start: nil, count: 0)
            return
        }
        let p = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { return nil }
        base = p
        buffer = UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: length)
    }

    deinit {
        if let base { munmap(base, length) }
    }

    /// Lets go of the pages wholly before `offset`, in steps of 8 MiB.
    func release(upTo offset: Int) {
        guard let base else { return }
        let end = offset / Self.step * Self.step
        guard end > released else { return }
        madvise(base + released, end - released, MADV_DONTNEED)
        released = end
    }

    /// Whether the file is UTF-8. An ASCII file is; others are checked in
    /// full. Pages are let go of as the check passes them.
    func isUTF8() -> Bool {
        var start = 0
        while start < buffer.count {
            let end = min(start + Self.step, buffer.count)
            if !UnsafeBufferPointer(rebasing: buffer[start..<end]).allSatisfy({ $0 < 0x80 }) {
                let valid = String(validating: buffer, as: UTF8.self) != nil
                release(upTo: buffer.count)
                released = 0
                return valid
            }
            release(upTo: end)
            start = end
        }
        released = 0
        return true
    }
}
