import Foundation
import Testing
import WeftCore
import WeftNative
import WeftTestSupport

/// Replays the fuzzers' seed corpora and every reproducer they found
/// (Fuzzing/corpus, Fuzzing/regressions; scripts/fuzz.sh): the graph
/// decoder + validator and the ffi signature parser must return or throw,
/// never crash or hang, and the seeds that are valid must stay valid.
@Suite("fuzz corpora replayed")
struct FuzzRegressionTests {
    static let root = TestPaths.repoRoot + "/Fuzzing"

    static func files(_ folder: String) -> [String] {
        let dir = root + "/" + folder
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted().map { dir + "/" + $0 }
    }

    static func text(_ path: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }

    @Test func ffiSignatures() throws {
        let seeds = Self.files("corpus/ffi-signature")
        #expect(seeds.count >= 10, "the seed corpus is missing")
        // Seeds are C declarations from the docs and tests; those named
        // invalid-* are ones Weft refuses (div_t, function pointers, …).
        for f in seeds {
            let parsed = (try? FFISignatureParser.parse(Self.text(f))) != nil
            #expect(parsed == !f.contains("/invalid-"), "\(f)")
        }
        for f in Self.files("regressions/ffi-signature") {
            _ = try? FFISignatureParser.parse(Self.text(f))
        }
    }

    @Test func graphs() throws {
        let seeds = Self.files("corpus/graph")
        #expect(seeds.count >= 5, "the seed corpus is missing")
        let registry = NodeRegistry()
        _ = PluginLoader(registry: registry).load(searchPath: .standard(environment: false, executableDirectory: TestPaths.binDir))
        var examplesValid = 0
        for f in seeds + Self.files("regressions/graph") {
            do {
                _ = try GraphValidator.load(text: Self.text(f), catalog: registry)
                if f.contains("/corpus/") { examplesValid += 1 }
            } catch {
                #expect(!error.diagnostics.isEmpty, "\(f): an error must say what is wrong")
            }
        }
        // The example graphs among the seeds validate against the shipped plugins.
        let examples = seeds.filter { $0.hasSuffix(".json") }.count
        #expect(examplesValid >= examples - 1, "\(examplesValid) of \(examples) example seeds validate")
    }
}
