import Foundation

/// Runs the built `jobrun` binary and captures what it printed.
public struct JobrunBinary {
    /// How a run of the binary ended, and what it printed.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The binary built next to the test bundle (or `JOBRUN_BINARY`).
    public static let url: URL = {
        if let path = ProcessInfo.processInfo.environment["JOBRUN_BINARY"] { return URL(fileURLWithPath: path) }
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("jobrun")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let arg0 = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return arg0.appendingPathComponent("jobrun")
    }()

    /// The package's root directory.
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A file of the CLI tests' fixtures.
    public static func fixture(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/JobrunCLITests/Fixtures/\(name)").path
    }

    /// Runs the binary with `arguments` in `directory` (the package root by default) and waits
    /// for it, for at most `limit`: a binary still running then is killed, and its `stderr`
    /// says so, so that a jobrun that never ends fails its test instead of stalling the suite.
    public static func run(_ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil,
                           binary: URL = url, limit: Duration = .seconds(300)) throws -> Result {
        var env = ProcessInfo.processInfo.environment
        env["GITHUB_ACTIONS"] = nil
        env["TZ"] = nil
        for (k, v) in environment { env[k] = v }
        let ran = try Spawn.run(binary.path, arguments, environment: env, directory: (directory ?? packageRoot).path, limit: limit)
        return Result(status: ran.status, stdout: String(decoding: ran.stdout, as: UTF8.self),
                      stderr: String(decoding: ran.stderr, as: UTF8.self))
    }
}
