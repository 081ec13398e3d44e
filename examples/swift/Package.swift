// swift-tools-version:5.9
// The Swift walkthrough as a SwiftPM package. Build the library first:
//   cargo build --release -p chatcore-ffi
//   swift run --package-path examples/swift
// The C module `ChatCore` comes from include/module.modulemap (found through
// -I include); the library from target/release. Not built on the machines
// that wrote it (no Swift toolchain there): see examples/swift/check.sh.
import PackageDescription
import Foundation

let repository = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // examples/swift
    .deletingLastPathComponent()  // examples
    .deletingLastPathComponent()  // the repository
    .path
let include = repository + "/include"
let libraryDirectory = ProcessInfo.processInfo.environment["CHATCORE_LIB_DIR"]
    ?? repository + "/target/release"

let package = Package(
    name: "ChatCoreWalkthrough",
    targets: [
        .executableTarget(
            name: "walkthrough",
            path: "Sources/walkthrough",
            swiftSettings: [.unsafeFlags(["-I", include])],
            linkerSettings: [
                .unsafeFlags(["-L", libraryDirectory, "-Xlinker", "-rpath", "-Xlinker", libraryDirectory]),
            ]
        ),
    ]
)
