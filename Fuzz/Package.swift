// swift-tools-version: 6.2
// The libFuzzer target over jobrun's parse + validate path. A package of its own, so the
// main `swift build` and `swift test` never build it (it has no `main`: libFuzzer brings
// one). Build and run it with `scripts/fuzz`.
import PackageDescription

let package = Package(
    name: "JobrunFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "jobrun", path: ".."),
    ],
    targets: [
        .executableTarget(
            name: "JobrunFuzz",
            dependencies: [.product(name: "JobrunCore", package: "jobrun")],
            // The toolchain's lld: gold warns about symbols of the sanitizer runtime.
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])]
        ),
    ],
    swiftLanguageModes: [.v6]
)
