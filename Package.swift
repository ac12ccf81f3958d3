// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// The engine's hot path (host functions, run loop) in release builds: no
/// dynamic exclusivity checks — they were a third of the time per node
/// (profiled with perf). Debug builds and the tests keep them.
let hotPath: [SwiftSetting] = strict + [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

/// A shipped plugin: a C target built into `lib<product>.so`. Plugins see
/// only the plugin ABI header (the `CWeft` target), never Weft's Swift code.
func plugin(_ product: String, target: String, path: String) -> (Product, Target) {
    (.library(name: product, type: .dynamic, targets: [target]),
     .target(name: target, dependencies: ["CWeft"], path: path, publicHeadersPath: ".",
             cSettings: [.unsafeFlags(["-fvisibility=hidden"])]))
}

let shipped = [
    plugin("weft_std", target: "WeftPluginStd", path: "plugins/std"),
    plugin("weft_io", target: "WeftPluginIO", path: "plugins/io"),
    plugin("weft_time", target: "WeftPluginTime", path: "plugins/time"),
    plugin("weft_proc", target: "WeftPluginProc", path: "plugins/proc"),
]

let package = Package(
    name: "weft",
    products: [
        .executable(name: "weft", targets: ["weft"]),
        // The C embedding API. SwiftPM cannot name it `weft` beside the
        // executable, so it builds as libweft_embed.so; scripts/install.sh
        // installs it as libweft.so.0 (its SONAME) with a libweft.so link.
        .library(name: "weft_embed", type: .dynamic, targets: ["WeftEmbed"]),
        // The engine's Swift modules, for packages built on it (the fuzz
        // targets in Fuzz/). Not a stable Swift API.
        .library(name: "WeftCore", targets: ["WeftCore"]),
        .library(name: "WeftNative", targets: ["WeftNative"]),
    ] + shipped.map(\.0),
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The server (`weft serve`, Docs/server.md). Hummingbird's default
        // traits (swift-configuration, full Foundation) are not used.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The queue across machines (`--store postgres://…`, Docs/server.md).
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(name: "CWeft", path: "include", publicHeadersPath: "."),
        .target(name: "CWeftShims", path: "Sources/CWeftShims", cSettings: [.unsafeFlags(["-fvisibility=hidden"])]),
        .systemLibrary(name: "CFFI", path: "Sources/CFFI", pkgConfig: "libffi", providers: [.apt(["libffi-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "WeftCore",
                dependencies: [.product(name: "OrderedCollections", package: "swift-collections")],
                swiftSettings: strict),
        .target(name: "WeftNative",
                dependencies: ["WeftCore", "CWeft", "CWeftShims", "CFFI",
                               .product(name: "OrderedCollections", package: "swift-collections"),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: hotPath),
        .target(name: "WeftScheduler", dependencies: ["WeftCore", "WeftNative", "CWeft",
                                                     .product(name: "HeapModule", package: "swift-collections")],
                swiftSettings: hotPath),
        // The run store (Docs/store.md): runs, node completions and events in SQLite.
        .target(name: "WeftStore", dependencies: ["WeftCore", "WeftNative", "WeftScheduler", "CSQLite"], swiftSettings: strict),
        // libweft: the C API of include/weft/weft.h. The Swift runtime is
        // linked in statically (-static-stdlib), so a C host needs no Swift
        // toolchain; only the `weft_*` C functions are meant to be used.
        .target(name: "WeftEmbed", dependencies: ["WeftCore", "WeftNative", "WeftScheduler", "WeftStore", "CWeft", "CWeftShims"],
                swiftSettings: strict,
                linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "-soname=libweft.so.0"])]),
        // The run store on PostgreSQL, for queues shared by many hosts (Docs/server.md).
        .target(name: "WeftPostgres",
                dependencies: ["WeftCore", "WeftNative", "WeftScheduler", "WeftStore",
                               .product(name: "PostgresNIO", package: "postgres-nio"),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        // `weft serve`: the HTTP API over the engine and the run store (Docs/server.md).
        .target(name: "WeftServer",
                dependencies: ["WeftCore", "WeftNative", "WeftScheduler", "WeftStore", "WeftPostgres",
                               .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                               .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                               .product(name: "Prometheus", package: "swift-prometheus"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOPosix", package: "swift-nio"),
                               .product(name: "OrderedCollections", package: "swift-collections"),
                               .product(name: "HTTPTypes", package: "swift-http-types"),
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        .executableTarget(name: "weft",
                          dependencies: ["WeftCore", "WeftNative", "WeftScheduler", "WeftStore", "WeftServer",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          swiftSettings: strict,
                          // Release: the Swift runtime linked in, so the binary runs
                          // without the toolchain and starts faster (Docs/architecture.md).
                          // Debug builds (the tests, the sanitizer runs) stay dynamic: a
                          // sanitizer's runtime must stay visible to the plugins it loads.
                          // (The server's dependencies bring Foundation itself, whose
                          // static library needs CoreFoundation and ICU named too.)
                          linkerSettings: [.unsafeFlags(["-static-stdlib"], .when(configuration: .release)),
                                           .linkedLibrary("_FoundationCollections", .when(configuration: .release)),
                                           .linkedLibrary("_FoundationCShims", .when(configuration: .release)),
                                           .linkedLibrary("CoreFoundation", .when(configuration: .release)),
                                           .linkedLibrary("_FoundationICU", .when(configuration: .release))]),
        // Tests. They find the built plugins and the `weft` binary beside the
        // test runner; no test target depends on a plugin target.
        .target(name: "WeftTestSupport", path: "Tests/WeftTestSupport", swiftSettings: strict),
        .testTarget(name: "WeftCoreTests", dependencies: ["WeftCore"], swiftSettings: strict),
        .testTarget(name: "WeftNativeTests", dependencies: ["WeftNative", "WeftCore", "WeftTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "WeftSchedulerTests", dependencies: ["WeftScheduler", "WeftNative", "WeftCore", "WeftTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "WeftCLITests", dependencies: ["WeftCore", "WeftStore", "WeftTestSupport"], swiftSettings: strict),
        .testTarget(name: "WeftStoreTests", dependencies: ["WeftStore", "WeftScheduler", "WeftNative", "WeftCore", "WeftTestSupport"],
                    swiftSettings: strict),
        // `weft serve` and `weft worker` end to end, over HTTP.
        .testTarget(name: "WeftServerTests", dependencies: ["WeftCore", "WeftStore", "WeftTestSupport"], swiftSettings: strict),
        // Builds and runs the C, C++ and Python hosts against an installed
        // libweft (scripts/install.sh into a temporary prefix).
        .testTarget(name: "WeftEmbedTests", dependencies: ["WeftCore", "WeftTestSupport"], swiftSettings: strict),
    ] + shipped.map(\.1)
)
