// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "jobrun",
    // Linux only: jobs are watched with epoll, signalfd and /proc (jobrun_exec.c, ProcessHost),
    // so no Apple platform is declared.
    products: [
        .executable(name: "jobrun", targets: ["jobrun"]),
        // Starts each job and ties its life to jobrun's; installed next to jobrun.
        .executable(name: "jobrun-exec", targets: ["jobrun-exec"]),
        // For the fuzz target in Fuzz/, a package of its own that depends on this one.
        .library(name: "JobrunCore", targets: ["JobrunCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // Already under async-http-client; named to tell TLS failures by their type.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // The state store (README, "State"): synchronous SQLite, so that a run's start waits for
        // its commit and not for a hand-off to another thread and back.
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // The cluster's store (README, "A cluster on PostgreSQL"): PostgreSQL's protocol on
        // swift-nio, which jobrun already runs on.
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Already under postgres-nio; its Logger is what PostgresNIO's calls take.
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
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
            dependencies: [
                "JobrunYAML",
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // The state store: every run kept across starts, in SQLite.
        .target(
            name: "JobrunState",
            dependencies: [
                "JobrunCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // The cluster: replicas that share one schedule through PostgreSQL.
        .target(
            name: "JobrunCluster",
            dependencies: [
                "JobrunCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "JobrunRuntime",
            dependencies: [
                "CJobrunExec",
                "JobrunCore",
                "JobrunState",
                "JobrunCluster",
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // jobrun-exec, the server that starts every job (see jobrun_exec.c); in C, so that it
        // is small and single-threaded and forks fast.
        .target(name: "CJobrunExec"),
        .executableTarget(
            name: "jobrun",
            dependencies: [
                "CJobrunExec",
                "JobrunCore",
                "JobrunRuntime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The same server as its own small program, installed next to jobrun.
        .executableTarget(
            name: "jobrun-exec",
            dependencies: ["CJobrunExec"],
            // Release builds link it statically: it forks once per job, and a fork costs less
            // the fewer mappings a process has (the Swift runtime the driver links in would
            // add a dozen libraries). lld without warnings: static glibc warns about dlopen,
            // which this never calls. Debug builds (and sanitizer builds, which cannot be
            // static) link it dynamically.
            linkerSettings: [.unsafeFlags(["-static-executable", "-use-ld=lld", "-Xlinker", "--no-warnings"],
                                          .when(configuration: .release))]
        ),
        // What the test targets share: the built binary and workspaces, local peers, process
        // survivors, a manual clock, seeded random numbers. Not part of any product.
        .target(
            name: "JobrunTestSupport",
            dependencies: ["JobrunCore"],
            path: "Tests/JobrunTestSupport"
        ),
        .testTarget(name: "JobrunYAMLTests", dependencies: ["JobrunYAML"]),
        .testTarget(
            name: "JobrunCoreTests",
            dependencies: ["JobrunCore", "JobrunTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "JobrunClusterTests", dependencies: ["JobrunCluster", "JobrunTestSupport"]),
        .testTarget(name: "JobrunRuntimeTests", dependencies: ["JobrunRuntime", "JobrunTestSupport"]),
        .testTarget(name: "JobrunCLITests", dependencies: ["jobrun", "JobrunTestSupport"], exclude: ["Fixtures"]),
    ],
    swiftLanguageModes: [.v6]
)
