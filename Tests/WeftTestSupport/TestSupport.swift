import Foundation

/// Paths the tests need: the repository, the build folder with the shipped
/// plugins and the `weft` binary, and a scratch folder.
public enum TestPaths {
    /// The repository root (from this file's location).
    public static let repoRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The folder holding the test runner, the shipped plugins and `weft`
    /// (override with WEFT_TEST_BIN_DIR).
    public static let binDir: String = {
        if let dir = ProcessInfo.processInfo.environment["WEFT_TEST_BIN_DIR"] { return dir }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }()

    /// The `weft` executable under test.
    public static var weft: String { binDir + "/weft" }

    /// A fresh, empty scratch folder.
    public static func scratch(_ name: String = "t") throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("weft-tests-\(getpid())-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }
}

/// The result of running a process.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum Shell {
    /// Runs `executable` with `arguments`, optional extra environment and
    /// standard input; waits and captures both streams.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           stdin: String? = nil, cwd: String? = nil) throws -> ProcessResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "WEFT_PLUGIN_PATH")
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes concurrently so neither fills up and blocks the child.
        let errData = LockedBox(Data())
        let errHandle = err.fileHandleForReading
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { errData.set(errHandle.readDataToEndOfFile()) }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return ProcessResult(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    /// Runs a shell command line with bash.
    public static func bash(_ command: String, environment: [String: String] = [:]) throws -> ProcessResult {
        try run("/bin/bash", ["-c", command], environment: environment)
    }
}

final class LockedBox<T>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ v: T) { value = v }
    func set(_ v: T) { lock.lock(); value = v; lock.unlock() }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return value }
}

public struct BuildError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Builds the C fixture plugins of Tests/Fixtures/plugins with plain `cc`.
public enum Fixtures {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: String] = [:]
    private static let folder: String = (try? TestPaths.scratch("fixtures")) ?? "/tmp"

    /// Compiles `Tests/Fixtures/plugins/<source>` into `lib<name>.so` and
    /// returns its path. Cached per process.
    public static func build(_ source: String, name: String, flags: [String] = []) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let p = cache[name] { return p }
        let out = "\(folder)/lib\(name).so"
        let src = "\(TestPaths.repoRoot)/Tests/Fixtures/plugins/\(source)"
        let r = try Shell.run("/usr/bin/env", ["cc", "-std=c99", "-Wall", "-Wextra", "-shared", "-fPIC",
                                               "-fvisibility=hidden", "-I", "\(TestPaths.repoRoot)/include"]
                                + flags + [src, "-o", out, "-lpthread", "-lm"])
        guard r.status == 0 else { throw BuildError(description: "cc \(source) failed:\n\(r.stderr)") }
        cache[name] = out
        return out
    }

    /// The fixture plugin (`fixture.c`).
    public static func fixture() throws -> String { try build("fixture.c", name: "fixture") }
}
