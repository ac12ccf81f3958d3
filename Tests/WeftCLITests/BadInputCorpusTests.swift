import Foundation
import Testing
import WeftTestSupport

/// The bad-input corpus (Tests/Fixtures/bad-input): malformed JSON, broken
/// graphs, bad command lines, plugins that cannot load, nodes that misbehave,
/// crash or hang. Each case holds weft to its exact stderr, stdout and exit
/// code, recorded by record.py and reviewed; a changed message fails here
/// until the corpus is recorded again.
@Suite("bad-input corpus")
struct BadInputCorpusTests {
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        var name: String
        var args: [String]
        var exit: Int32
        var stderr: String
        var stdout: String
        var testDescription: String { name }
    }

    static let folder = TestPaths.repoRoot + "/Tests/Fixtures/bad-input"
    static let graphs = folder + "/graphs"

    static let cases: [Case] = {
        guard let data = FileManager.default.contents(atPath: folder + "/cases.json"),
              let cases = try? JSONDecoder().decode([Case].self, from: data) else { return [] }
        return cases
    }()

    /// The plugins of record.py's PLUGINS, each alone in a folder.
    static let plugins: Result<[String: String], BuildError> = {
        let table: [(String, String, [String])] = [
            ("fixture", "fixture.c", []), ("crashy", "crashy.c", []),
            ("abi0", "abi.c", ["-DFIXTURE_ABI=0"]), ("abi99", "abi.c", ["-DFIXTURE_ABI=99"]),
            ("noentry", "noentry.c", []), ("initfail", "initfail.c", []),
            ("baddesc1", "baddesc.c", ["-DVARIANT=1"]), ("baddesc3", "baddesc.c", ["-DVARIANT=3"]),
            ("baddesc5", "baddesc.c", ["-DVARIANT=5"]), ("baddesc8", "baddesc.c", ["-DVARIANT=8"]),
        ]
        do {
            let root = try TestPaths.scratch("corpus-plugins")
            var dirs: [String: String] = [:]
            for (name, source, flags) in table {
                let built = try Fixtures.build(source, name: name, flags: flags)
                let dir = root + "/dir-" + name
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: built, toPath: dir + "/lib\(name).so")
                dirs[name] = dir
            }
            return .success(dirs)
        } catch let e as BuildError {
            return .failure(e)
        } catch {
            return .failure(BuildError(description: "\(error)"))
        }
    }()

    /// record.py's normalization: known paths back to placeholders, pids
    /// and log timestamps masked.
    static func normalize(_ text: String, _ paths: [(String, String)]) -> String {
        var t = text
        for (real, placeholder) in paths.sorted(by: { $0.0.count > $1.0.count }) {
            t = t.replacingOccurrences(of: real, with: placeholder)
        }
        t = t.replacingOccurrences(of: #"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} "#, with: "", options: .regularExpression)
        return t.replacingOccurrences(of: #"\(pid \d+\)"#, with: "(pid {pid})", options: .regularExpression)
    }

    @Test func theCorpusIsBigAndEveryFileIsUsed() throws {
        #expect(Self.cases.count >= 60, "\(Self.cases.count) cases")
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.graphs)
        let args = Self.cases.flatMap(\.args).joined(separator: "\n")
        for f in files {
            #expect(args.contains("{graphs}/\(f)"), "\(f) is used by no case")
        }
        // Every kind of outcome is covered, not just one.
        let codes = Set(Self.cases.map(\.exit))
        #expect(codes.isSuperset(of: [0, 1, 2]), "\(codes)")
    }

    @Test(arguments: cases)
    func badInput(_ c: Case) throws {
        let dirs = try Self.plugins.get()
        let tmp = try TestPaths.scratch("corpus-run")
        var paths = [(Self.graphs, "{graphs}"), (tmp, "{tmp}")]
        for (name, dir) in dirs {
            paths.append((dir + "/lib\(name).so", "{plugin:\(name)}"))
            paths.append((dir, "{dir:\(name)}"))
        }
        let args = c.args.map { arg -> String in
            var a = arg.replacingOccurrences(of: "{graphs}", with: Self.graphs).replacingOccurrences(of: "{tmp}", with: tmp)
            for (name, dir) in dirs {
                a = a.replacingOccurrences(of: "{plugin:\(name)}", with: dir + "/lib\(name).so")
                    .replacingOccurrences(of: "{dir:\(name)}", with: dir)
            }
            return a
        }
        let r = try Shell.run(TestPaths.weft, args, cwd: tmp)
        #expect(r.status == c.exit, "exit \(r.status), expected \(c.exit)\n\(r.stderr)")
        #expect(Self.normalize(r.stderr, paths) == c.stderr)
        #expect(Self.normalize(r.stdout, paths) == c.stdout)
        // Never a crash of weft itself.
        #expect(!r.stderr.contains("Fatal error") && !r.stderr.contains("Program crashed"))
    }
}
