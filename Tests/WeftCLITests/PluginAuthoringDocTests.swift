import Foundation
import Testing
import WeftTestSupport

/// Docs/plugin-authoring.md's complete examples, built with exactly the
/// build lines the guide prints and run through `weft` as the guide shows:
/// a snippet that no longer compiles, a build line missing a library, or an
/// output that changed fails here.
@Suite("plugin-authoring.md examples build and run as shown")
struct PluginAuthoringDocTests {
    static let guide = TestPaths.repoRoot + "/Docs/plugin-authoring.md"

    /// The fenced blocks of the guide: (language, body).
    static func blocks() throws -> [(lang: String, body: String)] {
        let text = try String(contentsOfFile: guide, encoding: .utf8)
        var result: [(String, String)] = []
        var lang: String?
        var body: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.drop(while: { $0 == " " })
            if trimmed.hasPrefix("```") {
                if let l = lang {
                    result.append((l, body.joined(separator: "\n") + "\n"))
                    lang = nil
                } else {
                    lang = String(trimmed.dropFirst(3))
                    body = []
                }
            } else if lang != nil {
                body.append(line)
            }
        }
        return result
    }

    /// The complete source files: blocks whose first line names the file
    /// (`/* demo.c: …` or `// demo_cpp.cpp: …`).
    static func sources() throws -> [String: String] {
        var files: [String: String] = [:]
        for (lang, body) in try blocks() where lang == "c" || lang == "cpp" {
            let first = body.prefix(while: { $0 != "\n" })
            let words = first.split(separator: " ")
            guard words.count >= 2, words[0] == "/*" || words[0] == "//", words[1].hasSuffix(":") else { continue }
            let name = String(words[1].dropLast())
            guard name.hasSuffix(".c") || name.hasSuffix(".cpp") else { continue }
            files[name] = body
        }
        return files
    }

    /// The guide's build commands (`cc …` / `c++ …`, continuation lines
    /// joined), by the source file they compile.
    static func buildLines() throws -> [String: String] {
        var lines: [String: String] = [:]
        for (lang, body) in try blocks() where lang == "sh" {
            let joined = body.replacingOccurrences(of: "\\\n", with: " ")
            for line in joined.split(separator: "\n") {
                let words = line.split(separator: " ")
                guard let cmd = words.first, cmd == "cc" || cmd == "c++" else { continue }
                if let src = words.first(where: { $0.hasSuffix(".c") || $0.hasSuffix(".cpp") }) {
                    lines[String(src)] = String(line)
                }
            }
        }
        return lines
    }

    /// A scratch folder with every source written out and built with its
    /// documented line (`/path/to/weft` is this repository).
    static func build() throws -> String {
        let dir = try TestPaths.scratch("guide")
        try FileManager.default.createDirectory(atPath: dir + "/plugins", withIntermediateDirectories: true)
        let sources = try Self.sources()
        let lines = try Self.buildLines()
        for (name, body) in sources {
            try body.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            guard let line = lines[name] else { throw BuildError(description: "no build line for \(name) in the guide") }
            let cmd = line.replacingOccurrences(of: "/path/to/weft", with: TestPaths.repoRoot)
            let r = try Shell.bash("cd '\(dir)' && \(cmd)")
            guard r.status == 0 else { throw BuildError(description: "\(cmd)\n\(r.stderr)") }
        }
        return dir
    }

    @Test func theGuideHasItsExamplesAndBuildLines() throws {
        #expect(Set(try Self.sources().keys) == ["demo.c", "demo_cpp.cpp", "geo.c"])
        let lines = try Self.buildLines()
        // -Wl,-z,defs turns a missing library into a link error, so the C
        // line names libm (geo.c calls sqrt).
        for c in ["demo.c", "geo.c"] {
            let line = try #require(lines[c], "\(c) has no build line")
            #expect(line.contains("-Wl,-z,defs") && line.hasSuffix(" -lm"), "\(c): \(line)")
        }
    }

    @Test func examplesBuildAndRunAsShown() throws {
        let dir = try Self.build()

        // §1: nm shows the one entry symbol, and inspect prints the text shown.
        let nm = try Shell.bash("nm -D --defined-only '\(dir)/plugins/libdemo.so'")
        let symbols = nm.stdout.split(separator: "\n")
        #expect(symbols.count == 1 && symbols.first?.hasSuffix(" D weft_plugin_entry") == true, "\(nm.stdout)")
        let shown = try #require(try Self.blocks().first { $0.lang == "text" && $0.body.contains(" D weft_plugin_entry\n") })
        let expected = shown.body.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)[1]
        let inspect = try Shell.run(TestPaths.weft, ["inspect", "plugins/libdemo.so"], cwd: dir)
        #expect(inspect.status == 0, "\(inspect.stderr)")
        #expect(inspect.stdout == String(expected))

        // §10: the C++ plugin loads and has its node.
        let cpp = try Shell.run(TestPaths.weft, ["inspect", "plugins/libdemo_cpp.so"], cwd: dir)
        #expect(cpp.status == 0 && cpp.stdout.contains("demo_cpp.add  Adds two ints"), "\(cpp.stdout)\(cpp.stderr)")

        // §14: geo.json as shown, run with the plugin folder.
        let geoShown = try #require(try Self.blocks().first { $0.lang == "text" && $0.body.hasPrefix("$ cat geo.json\n") })
        let parts = geoShown.body.components(separatedBy: "$ weft run geo.json --plugins plugins\n")
        try #require(parts.count == 2)
        let json = parts[0].replacingOccurrences(of: "$ cat geo.json\n", with: "")
        try json.write(toFile: dir + "/geo.json", atomically: true, encoding: .utf8)
        let run = try Shell.run(TestPaths.weft, ["run", "geo.json", "--plugins", "plugins"], cwd: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == parts[1])
    }
}
