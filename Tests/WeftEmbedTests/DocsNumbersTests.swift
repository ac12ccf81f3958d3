import Foundation
import Testing
import WeftTestSupport

/// The version numbers and sizes the docs state, checked against the real
/// ones: the header's, measured by a C program compiled with `cc`, and
/// libweft's, returned by its functions. So a new ABI version or a longer
/// host table fails here until Docs/plugin-authoring.md, Docs/c-api.md, the
/// README and the header comment say the new numbers.
@Suite("Docs state the real ABI numbers")
struct DocsNumbersTests {
    /// What `include/weft/plugin.h` says, compiled.
    struct HeaderNumbers {
        var abi = 0, hostSize = 0, entrySize = 0
        var v1End = 0, v2End = 0, v3SourcesEnd = 0, boolEnd = 0
    }

    static func header() throws -> HeaderNumbers {
        let dir = try TestPaths.scratch("docnum")
        let source = """
            #include <stdio.h>
            #include <weft/plugin.h>
            int main(void) {
                printf("%d %zu %zu %zu %zu %zu %zu\\n", WEFT_PLUGIN_ABI_VERSION, sizeof(weft_host_t),
                       sizeof(weft_plugin_entry_t), WEFT_HOST_HAS(output_double),
                       WEFT_HOST_HAS(register_function), WEFT_HOST_HAS(source_done), WEFT_HOST_HAS(output_bool));
                return 0;
            }
            """
        try source.write(toFile: dir + "/numbers.c", atomically: true, encoding: .utf8)
        let r = try Shell.bash("cc -std=c99 -I '\(TestPaths.repoRoot)/include' '\(dir)/numbers.c' -o '\(dir)/numbers' && '\(dir)/numbers'")
        guard r.status == 0 else { throw BuildError(description: "numbers.c: \(r.stderr)") }
        let n = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { Int($0) }
        guard n.count == 7 else { throw BuildError(description: "numbers.c printed '\(r.stdout)'") }
        return HeaderNumbers(abi: n[0], hostSize: n[1], entrySize: n[2], v1End: n[3], v2End: n[4],
                             v3SourcesEnd: n[5], boolEnd: n[6])
    }

    static func read(_ path: String) throws -> String {
        try String(contentsOfFile: TestPaths.repoRoot + "/" + path, encoding: .utf8)
    }

    /// The capture groups of every match of `pattern` in `text` (one array
    /// per match).
    static func matches(_ pattern: String, in text: String) throws -> [[String]] {
        let re = try NSRegularExpression(pattern: pattern)
        let ns = text as NSString
        return re.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { m in
            (1..<m.numberOfRanges).map { ns.substring(with: m.range(at: $0)) }
        }
    }

    /// The groups of the one match of `pattern` in `file`; records an issue
    /// (the sentence is gone or was reworded) when there is none.
    static func claim(_ pattern: String, in file: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [Int] {
        let found = try matches(pattern, in: try read(file))
        #expect(found.count == 1, "\(file): expected one sentence matching \(pattern), found \(found.count)",
                sourceLocation: sourceLocation)
        return found.first?.compactMap { Int($0) } ?? []
    }

    @Test func pluginABIAndHostTableSizes() throws {
        let h = try Self.header()
        let guide = "Docs/plugin-authoring.md"
        #expect(try Self.claim(#"\(ABI version (\d+); v1, v2 and v3 plugins still load\)"#, in: guide) == [h.abi])
        #expect(try Self.claim(#"the host's own ABI: 1 and (\d+) today"#, in: guide) == [h.abi])
        #expect(try Self.claim(#"`weft_plugin_entry_t`\s+\((\d+) bytes on 64-bit"#, in: guide) == [h.entrySize])
        #expect(try Self.claim(#"`WEFT_HOST_HAS\(output_double\)` is (\d+) bytes"#, in: guide) == [h.v1End])
        #expect(try Self.claim(#"ABI 2 adds\s+`register_function` \((\d+)\)"#, in: guide) == [h.v2End])
        #expect(try Self.claim(#"`source_done` \((\d+)\) and then `input_bool`, `output_bool` \((\d+)\)"#, in: guide)
                    == [h.v3SourcesEnd, h.boolEnd])
        #expect(try Self.claim(#"table of this Weft \(0\.1\.0, ABI (\d+)\) is (\d+) bytes: `host->struct_size` is\s+(\d+)"#,
                               in: guide) == [h.abi, h.hostSize, h.hostSize])
        #expect(try Self.claim(#"`p h->abi_version` prints (\d+) and\s+`p h->struct_size` prints (\d+)"#, in: guide)
                    == [h.abi, h.hostSize])
        #expect(try Self.claim(#"the Weft plugin ABI, version (\d+) "#, in: "include/weft/plugin.h") == [h.abi])
        #expect(try Self.claim(#"The plugin ABI, version (\d+) "#, in: "README.md") == [h.abi])
    }

    /// Every "supports ABI 1…N" (a loader message quoted in the docs) and
    /// every `weft inspect` header line names the real ABI.
    @Test func quotedLoaderMessagesNameTheRealABI() throws {
        let h = try Self.header()
        let docs = try FileManager.default.contentsOfDirectory(atPath: TestPaths.repoRoot + "/Docs")
            .filter { $0.hasSuffix(".md") }.map { "Docs/" + $0 } + ["README.md"]
        var seen = 0
        for file in docs {
            let text = try Self.read(file)
            for m in try Self.matches(#"supports (?:ABI )?(\d+)…(\d+)"#, in: text) {
                seen += 1
                #expect(m == ["1", "\(h.abi)"], "\(file): 'supports \(m.joined(separator: "…"))'")
            }
            for m in try Self.matches(#"\nABI +(\d+) \(this Weft"#, in: text) {
                #expect(m == ["\(h.abi)"], "\(file): inspect shows ABI \(m[0])")
            }
        }
        #expect(seen >= 3, "the docs quote the ABI-mismatch message (plugin-authoring.md, errors.md) and inspect's header")
    }

    /// What libweft itself returns, against what c-api.md says it returns.
    @Test(.enabled(if: Installed.uninstrumented, Installed.skipReason))
    func libraryVersionFunctions() throws {
        let h = try Self.header()
        let dir = try TestPaths.scratch("docnum-lib")
        let source = """
            #include <stdio.h>
            #include <weft/weft.h>
            int main(void) {
                const weft_host_t *t = weft_host_table();
                printf("%u %u %d %u %u %s\\n", weft_plugin_abi_version(), weft_api_version(), WEFT_API_VERSION,
                       t->abi_version, t->struct_size, weft_version());
                return 0;
            }
            """
        try source.write(toFile: dir + "/versions.c", atomically: true, encoding: .utf8)
        let build = try Shell.bash("cc -std=c99 '\(dir)/versions.c' $(pkg-config --cflags --libs weft) -o '\(dir)/versions'",
                                   environment: try Installed.environment())
        guard build.status == 0 else { throw BuildError(description: "versions.c: \(build.stderr)") }
        let r = try Installed.run(dir + "/versions")
        #expect(r.status == 0, "\(r.stderr)")
        let f = r.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        try #require(f.count == 6, "versions printed '\(r.stdout)'")
        let (pluginABI, api, headerAPI, tableABI, tableSize, release) = (Int(f[0]), Int(f[1]), Int(f[2]), Int(f[3]), Int(f[4]), f[5])
        // The library agrees with the header it ships with.
        #expect(pluginABI == h.abi && tableABI == h.abi && tableSize == h.hostSize && api == headerAPI)

        let guide = "Docs/c-api.md"
        #expect(try Self.claim(#"`weft_plugin_abi_version\(\)` returns (\d+),"#, in: guide) == [pluginABI ?? -1])
        #expect(try Self.claim(#"`WEFT_API_VERSION` \(both are (\d+) in this release\)"#, in: guide) == [api ?? -1])
        let stated = try Self.matches(#"`weft_version\(\)` returns the\s+release \(`"([^"]+)"`\)"#, in: try Self.read(guide))
        #expect(stated == [[release]], "c-api.md states weft_version() \(stated), libweft returns \(release)")
    }
}
