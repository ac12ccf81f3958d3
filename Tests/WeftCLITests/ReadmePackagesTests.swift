import Foundation
import Testing
import WeftTestSupport

/// README.md gives one `apt-get install` line for everything the build and
/// the tests use, and .ci/run installs exactly that line, so the two cannot
/// drift apart.
@Suite("README's package line")
struct ReadmePackagesTests {
    /// The package names of every `apt-get install` line in `file`.
    static func installLines(_ file: String) throws -> [[String]] {
        let text = try String(contentsOfFile: TestPaths.repoRoot + "/" + file, encoding: .utf8)
        return text.split(separator: "\n").filter { $0.contains("apt-get install") && !$0.hasPrefix("#") }.map { line in
            let words = line.split(separator: " ").map(String.init)
            let after = words.drop { $0 != "install" }.dropFirst()
            return after.filter { !$0.hasPrefix("-") }
        }
    }

    @Test func readmeAndCIInstallTheSameCompleteList() throws {
        let readme = try Self.installLines("README.md")
        let ci = try Self.installLines(".ci/run")
        #expect(readme.count == 1, "one line a user can paste: \(readme)")
        #expect(ci.count == 1, "\(ci)")
        #expect(readme.first == ci.first, "README \(readme) vs .ci/run \(ci)")
        // What the tests run: cc/c++/make, pkg-config, valgrind, python3,
        // rustc (>= 1.82: Debian 12's rustc-web) and dot; libffi-dev and
        // libsqlite3-dev (the run store) to build.
        let needed: Set = ["libffi-dev", "libsqlite3-dev", "pkg-config", "gcc", "g++", "make", "valgrind", "python3", "rustc-web", "graphviz"]
        #expect(needed.isSubset(of: Set(readme.first ?? [])), "missing: \(needed.subtracting(readme.first ?? []))")
    }
}
