import Foundation
import Testing
import WeftTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The web view at `/` (WebPage.swift), loaded in headless Chromium: the
/// runs list, a run's graph with its nodes' states from the run's events,
/// per-node timing, and the token field. Skipped when no Chromium is
/// installed (`apt-get install chromium`).
@Suite("weft serve: the web view in headless Chromium", .serialized)
struct WebViewTests {
    /// `chromium` or `chromium-browser` on PATH.
    static let chromium: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for name in ["chromium", "chromium-browser"] {
            for dir in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
                return "\(dir)/\(name)"
            }
        }
        return nil
    }()

    static let available: Bool = {
        if chromium == nil {
            print("WebViewTests: skipped: no chromium or chromium-browser on PATH (apt-get install chromium)")
        }
        return chromium != nil
    }()

    /// Runs Chromium headless on `url` with `args`, killed after 60 s.
    static func chrome(_ url: String, _ args: [String], profile: String) throws -> ProcessResult {
        let chromium = try #require(chromium)
        return try Shell.run("/usr/bin/timeout", ["-k", "5", "60", chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                                                  "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile]
                                                  + args + [url])
    }

    /// The page's DOM after Chromium ran it for `budget` ms of virtual time.
    static func dom(_ url: String, profile: String, budget: Int = 10000) throws -> String {
        let r = try chrome(url, ["--virtual-time-budget=\(budget)", "--dump-dom"], profile: profile)
        #expect(r.status == 0, "chromium: status \(r.status)\n\(r.stderr.suffix(2000))")
        return r.stdout
    }

    /// The opening tags of the elements carrying `attribute="value"`.
    static func tags(_ dom: String, _ element: String, _ attribute: String) -> [String: String] {
        var found: [String: String] = [:]
        let pattern = "<\(element)\\b[^>]*\\b\(attribute)=\"([^\"]*)\"[^>]*>"
        guard let re = try? NSRegularExpression(pattern: pattern) else { return found }
        let ns = dom as NSString
        for m in re.matches(in: dom, range: NSRange(location: 0, length: ns.length)) {
            found[ns.substring(with: m.range(at: 1))] = ns.substring(with: m.range(at: 0))
        }
        return found
    }

    /// The text of the element with id `run-state`.
    static func runState(_ dom: String) -> String? {
        guard let re = try? NSRegularExpression(pattern: "id=\"run-state\"[^>]*>([^<]*)<") else { return nil }
        let ns = dom as NSString
        return re.firstMatch(in: dom, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }

    @Test("a finished run: its graph with every node completed, its state, its timing, and a screenshot",
          .enabled(if: WebViewTests.available, "no chromium or chromium-browser on PATH"))
    func finishedRun() throws {
        let server = try ServerProcess()
        let api = server.client()
        let q = try api.run(ServerGraphs.tallyChain(5, tally: server.dir + "/t.tally", ms: 20), #""mode": "queued", "tags": ["web"]"#)
        let id = try #require(q.object["id"] as? Int, "\(q.body)")
        let done = try #require(try api.waitFor(id, ["succeeded", "failed", "cancelled"]))
        #expect(done["state"] as? String == "succeeded")

        let page = try api.get("/")
        #expect(page.status == 200)
        #expect(page.headers["content-type"]?.hasPrefix("text/html") == true)

        let url = "http://127.0.0.1:\(server.port)/#run=\(id)"
        let dom = try Self.dom(url, profile: server.dir + "/chrome")
        let names = (0..<5).map { "t\($0)" }
        let groups = Self.tags(dom, "g", "data-node")
        #expect(Set(groups.keys) == Set(names), "\(groups.keys.sorted())\n\(dom.prefix(4000))")
        for name in names {
            #expect(groups[name]?.contains(#"data-state="completed""#) == true, "\(name): \(groups[name] ?? "missing")")
        }
        #expect(Self.runState(dom) == "succeeded", "\(Self.runState(dom) ?? "no run-state")")
        let rows = Self.tags(dom, "tr", "data-node")
        #expect(Set(names).isSubset(of: Set(rows.keys)), "timing rows: \(rows.keys.sorted())")
        for name in names { #expect(rows[name]?.contains(#"data-state="completed""#) == true, "\(name): \(rows[name] ?? "missing")") }
        // The runs list shows the run, the graph input and output are drawn.
        #expect(Self.tags(dom, "tr", "data-run").keys.contains(String(id)))
        #expect(Self.tags(dom, "g", "data-input").keys.contains("x"))
        #expect(Self.tags(dom, "g", "data-output").keys.contains("last"))

        let png = server.dir + "/webview.png"
        let shot = try Self.chrome(url, ["--virtual-time-budget=10000", "--hide-scrollbars", "--screenshot=" + png, "--window-size=1200,800"],
                                   profile: server.dir + "/chrome")
        #expect(shot.status == 0, "chromium: status \(shot.status)\n\(shot.stderr.suffix(2000))")
        let data = try #require(FileManager.default.contents(atPath: png), "no screenshot at \(png)")
        #expect(data.count > 8_000, "the screenshot is only \(data.count) bytes")
        #expect(Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        print("WebViewTests: screenshot of run \(id) at \(png)")
        #expect(server.stop() == 0)
    }

    @Test("a run still going: the nodes done so far are completed, the rest pending, the run running",
          .enabled(if: WebViewTests.available, "no chromium or chromium-browser on PATH"))
    func runningRun() throws {
        let server = try ServerProcess()
        let api = server.client()
        let tally = server.dir + "/t.tally"
        let q = try api.run(ServerGraphs.tallyChain(6, tally: tally, ms: 2000), #""mode": "queued""#)
        let id = try #require(q.object["id"] as? Int, "\(q.body)")
        _ = eventually(30) { ServerGraphs.tallies(tally).count >= 2 ? true : nil }
        // The page reads the events stream while it is still open (Chromium's
        // virtual time does not wait for the stream to end).
        let dom = try Self.dom("http://127.0.0.1:\(server.port)/#run=\(id)", profile: server.dir + "/chrome", budget: 5000)
        let groups = Self.tags(dom, "g", "data-node")
        let states = groups.mapValues { tag -> String in
            ["completed", "failed", "skipped", "pending"].first { tag.contains(#"data-state="\#($0)""#) } ?? "?"
        }
        #expect(groups.count == 6, "\(dom.prefix(4000))")
        #expect(states["t0"] == "completed", "\(states)")
        #expect(states["t5"] == "pending", "\(states)")
        #expect(!states.values.contains("failed"))
        #expect(Self.runState(dom) == "running")
        #expect(dom.contains("● live"))
        let p = try api.post("/v1/runs/\(id)/cancel")
        #expect(p.status == 202)
        _ = try api.waitFor(id, ["cancelled", "succeeded", "failed"])
        #expect(server.stop() == 0)
    }

    @Test("with --token-file the page loads without a token and asks for one",
          .enabled(if: WebViewTests.available, "no chromium or chromium-browser on PATH"))
    func asksForToken() throws {
        let dir = try TestPaths.scratch("web-token")
        try "secret\n".write(toFile: dir + "/tokens", atomically: true, encoding: .utf8)
        let server = try ServerProcess(["--token-file", dir + "/tokens"], dir: dir)
        #expect(try server.client().get("/").status == 200)
        let dom = try Self.dom("http://127.0.0.1:\(server.port)/", profile: dir + "/chrome", budget: 3000)
        let form = try #require(Self.tags(dom, "form", "id")["token-form"], "\(dom.prefix(3000))")
        #expect(!form.contains("hidden"), "\(form)")
        #expect(dom.contains("this server needs a token"))
        #expect(server.stop() == 0)
    }
}
