import Foundation
import Testing
import WeftCore
import WeftTestSupport
@testable import WeftNative

@Suite("Plugin loader")
struct PluginLoaderTests {
    func load(_ path: String, into registry: NodeRegistry = NodeRegistry()) -> Result<LoadedPlugin, PluginLoadError> {
        Result { () throws(PluginLoadError) in try PluginLoader(registry: registry).load(file: path) }
    }

    func error(_ path: String) -> PluginLoadError? {
        if case .failure(let e) = load(path) { return e }
        return nil
    }

    @Test func loadsFixtureAndRegistersItsNodesSorted() throws {
        let registry = NodeRegistry()
        let plugin = try load(try Fixtures.fixture(), into: registry).get()
        #expect(plugin.name == "fixture")
        #expect(plugin.version == "1.2.3")
        #expect(plugin.summary == "Test fixture plugin")
        #expect(plugin.abiVersion == 4)
        let names = registry.nodes.map(\.fullName)
        #expect(names.first == "fixture.add")
        #expect(names == names.sorted())
        #expect(names.contains("fixture.counter"))
        #expect(names.count == 35)
        let recorder = try #require(registry.node(named: "fixture.recorder"))
        #expect(recorder.isObserver && recorder.spec.flags == [.observer])
        #expect(recorder.spec.inputs.isEmpty && recorder.spec.outputs.isEmpty && recorder.spec.params.map(\.name) == ["path"])

        let add = try #require(registry.node(named: "fixture.add"))
        #expect(add.spec.summary == "Adds two ints.")
        #expect(add.spec.flags == [.pure, .threadSafe, .cheap])
        #expect(add.spec.inputs.map(\.name) == ["a", "b"])
        #expect(add.spec.inputs[0] == PortSpec(name: "a", type: .int, summary: "left"))
        #expect(add.spec.inputs[1].defaultValue == .int(10))
        #expect(add.spec.inputs[1].optional)
        #expect(add.spec.outputs == [PortSpec(name: "sum", type: .int, summary: "a + b")])
        let counter = try #require(registry.node(named: "fixture.counter"))
        #expect(counter.spec.params.map(\.name) == ["start", "label"])
        #expect(counter.spec.params[1].optional && counter.spec.params[1].defaultValue == nil)
    }

    @Test func loadingTheSameFileTwiceIsANoOp() throws {
        let registry = NodeRegistry()
        let path = try Fixtures.fixture()
        let a = try load(path, into: registry).get()
        let b = try load(path, into: registry).get()
        #expect(a === b)
        #expect(registry.plugins.count == 1)
    }

    @Test func secondPluginWithTheSameNamespaceIsRefused() throws {
        let registry = NodeRegistry()
        let first = try Fixtures.fixture()
        let second = try Fixtures.build("fixture.c", name: "fixture_copy")
        _ = try load(first, into: registry).get()
        let e = try #require(load(second, into: registry).failureValue)
        #expect(e.kind == .duplicatePlugin)
        #expect(e.path == second)
        #expect(e.message.contains("a plugin named 'fixture' is already loaded from \(first)"))
        #expect(registry.plugins.count == 1, "nothing of the refused plugin is kept")
    }

    @Test(arguments: [0, 99])
    func wrongABIVersionIsRefusedNamingBothVersions(abi: Int) throws {
        let path = try Fixtures.build("abi.c", name: "abi\(abi)", flags: ["-DFIXTURE_ABI=\(abi)"])
        let e = try #require(error(path))
        #expect(e.kind == .abiMismatch)
        #expect(e.message.contains("built for plugin ABI \(abi)"))
        #expect(e.message.contains("supports ABI 1…4"))
        #expect(e.message.hasPrefix(path + ": "))
    }

    @Test func libraryWithoutEntrySymbolIsNotAPlugin() throws {
        let path = try Fixtures.build("noentry.c", name: "noentry")
        let e = try #require(error(path))
        #expect(e.kind == .entryMissing)
        #expect(e.message.contains("does not export the symbol 'weft_plugin_entry'"))
    }

    @Test func initFailureCarriesThePluginsMessage() throws {
        let path = try Fixtures.build("initfail.c", name: "initfail")
        let e = try #require(error(path))
        #expect(e.kind == .initFailed)
        #expect(e.message == "\(path): plugin 'initfail' failed to initialise: needs the frobnicator device, which is absent")
    }

    @Test(arguments: [
        (1, PluginLoadError.Kind.duplicateNode, "registered twice"),
        (2, .invalidDescriptor, "node name \"\" is not a valid name"),
        (3, .invalidDescriptor, "input 'x' has unknown type 42"),
        (4, .invalidDescriptor, "input 'x' has a bad default \"{oops\": not valid JSON"),
        (5, .invalidDescriptor, "input 'x' is int but its default \"seven\" is string"),
        (6, .invalidDescriptor, "has no summary"),
        (7, .invalidDescriptor, "struct_size is 8"),
        (8, .invalidDescriptor, "input name \"9lives\" is not a valid name"),
        (9, .invalidDescriptor, "node 'baddesc.node' is flagged both WEFT_NODE_CHEAP and WEFT_NODE_BLOCKING, which contradict "
            + "each other: drop WEFT_NODE_CHEAP if run may sleep or wait on I/O, else drop WEFT_NODE_BLOCKING"),
        (10, .invalidDescriptor, "node 'baddesc.node' is an observer (observe is set) and has run: observers only observe, set desc.run = NULL"),
        (11, .invalidDescriptor, "node 'baddesc.node' is an observer (observe is set) with inputs or outputs"),
        (12, .invalidDescriptor, "node 'baddesc.node' is an observer (observe is set) with node flags 0x1"),
    ])
    func invalidDescriptorsFailTheLoad(variant: Int, kind: PluginLoadError.Kind, fragment: String) throws {
        let path = try Fixtures.build("baddesc.c", name: "baddesc\(variant)", flags: ["-DVARIANT=\(variant)"])
        let registry = NodeRegistry()
        let e = try #require(load(path, into: registry).failureValue)
        #expect(e.kind == kind)
        #expect(e.message.contains(fragment), "\(e.message)")
        #expect(registry.nodes.isEmpty && registry.plugins.isEmpty)
    }

    @Test func textFileNamedSoIsNotALibrary() throws {
        let dir = try TestPaths.scratch("text")
        let path = dir + "/libnotes.so"
        try "just some text\n".write(toFile: path, atomically: true, encoding: .utf8)
        let e = try #require(error(path))
        #expect(e.kind == .notALibrary)
        #expect(e.message.contains("not a loadable shared library"))
        #expect(e.message.contains("file too short") || e.message.contains("invalid ELF header"))
    }

    @Test func missingFileEmptyPathAndFolderAreRefused() throws {
        #expect(error("/nonexistent/libnothing.so")?.kind == .fileMissing)
        let empty = try #require(error(""))
        #expect(empty.kind == .emptyPath)
        #expect(empty.message.contains("dlopen(\"\") would open the host program itself"))
        #expect(error(try TestPaths.scratch("dir"))?.kind == .notAFile)
    }

    @Test func folderLoadsGoodPluginsAndReportsBadOnesInSortedOrder() throws {
        let dir = try TestPaths.scratch("folder")
        let fm = FileManager.default
        try fm.copyItem(atPath: try Fixtures.fixture(), toPath: dir + "/libb_fixture.so")
        try fm.copyItem(atPath: try Fixtures.build("abi.c", name: "abi99", flags: ["-DFIXTURE_ABI=99"]),
                        toPath: dir + "/liba_abi.so")
        try fm.copyItem(atPath: try Fixtures.build("initfail.c", name: "initfail"), toPath: dir + "/libc_initfail.so")
        try "text".write(toFile: dir + "/libd_text.so", atomically: true, encoding: .utf8)
        try "ignored".write(toFile: dir + "/README.txt", atomically: true, encoding: .utf8)

        let registry = NodeRegistry()
        let report = PluginLoader(registry: registry).load(folder: dir)
        #expect(report.loaded.map(\.name) == ["fixture"])
        #expect(report.errors.map(\.kind) == [.abiMismatch, .initFailed, .notALibrary])
        #expect(report.errors.map { ($0.path as NSString).lastPathComponent }
                    == ["liba_abi.so", "libc_initfail.so", "libd_text.so"])
        #expect(registry.node(named: "fixture.add") != nil)

        // Same order on a second load into a fresh registry.
        let again = PluginLoader(registry: NodeRegistry()).load(folder: dir)
        #expect(again.errors.map(\.path) == report.errors.map(\.path))
    }

    @Test func missingFolderIsReported() {
        let report = PluginLoader(registry: NodeRegistry()).load(folder: "/nonexistent/plugins")
        #expect(report.errors.map(\.kind) == [.folderMissing])
    }

    @Test func searchPathOrderIsShippedThenEnvironmentThenExplicit() throws {
        let dir = try TestPaths.scratch("exe")
        for f in PluginSearchPath.shippedPluginFiles {
            try "x".write(toFile: dir + "/" + f, atomically: true, encoding: .utf8)
        }
        let path = PluginSearchPath.standard(folders: ["/explicit"], environment: false, executableDirectory: dir)
        #expect(path.files == PluginSearchPath.shippedPluginFiles.map { dir + "/" + $0 })
        #expect(path.folders == ["/explicit"])
        let none = PluginSearchPath.standard(folders: ["/x"], environment: false, shipped: false)
        #expect(none == PluginSearchPath(files: [], folders: ["/x"]))
    }

    @Test func suggestionsFindNearNames() throws {
        let registry = NodeRegistry()
        _ = try load(try Fixtures.fixture(), into: registry).get()
        #expect(registry.suggestions(for: "fixture.ad").first == "fixture.add")
        #expect(registry.suggestions(for: "other.counter").contains("fixture.counter"))
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
