// swift-tools-version: 6.1
// libFuzzer targets for Weft's parsers. Built only by scripts/fuzz.sh
// (`swift build --sanitize=fuzzer`); not part of the main package's build.
import PackageDescription

let fuzz: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"])]

let package = Package(
    name: "WeftFuzzing",
    dependencies: [.package(name: "weft", path: "..")],
    targets: [
        .executableTarget(name: "FuzzGraph", dependencies: [.product(name: "WeftCore", package: "weft")],
                          swiftSettings: fuzz),
        .executableTarget(name: "FuzzFFISignature", dependencies: [.product(name: "WeftNative", package: "weft")],
                          swiftSettings: fuzz),
    ]
)
