// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "jobrun",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "jobrun", targets: ["jobrun"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(
            name: "JobrunYAML",
            dependencies: ["CLibYAML"]
        ),
        .target(
            name: "JobrunCore",
            dependencies: ["JobrunYAML"]
        ),
        .executableTarget(
            name: "jobrun",
            dependencies: [
                "JobrunCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "JobrunYAMLTests", dependencies: ["JobrunYAML"]),
        .testTarget(
            name: "JobrunCoreTests",
            dependencies: ["JobrunCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "JobrunCLITests", dependencies: ["jobrun"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
