import Foundation

/// A scratch directory with a jobs file, removed afterwards.
public final class Workspace {
    /// The directory.
    public let url: URL
    /// The directory's path.
    public var path: String { url.path }

    /// A new directory holding `yaml` as `jobs.yaml`.
    public init(_ yaml: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try yaml.write(to: url.appendingPathComponent("jobs.yaml"), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Runs jobrun on `jobs.yaml` with `arguments` and waits for it.
    public func run(_ arguments: [String] = []) throws -> JobrunBinary.Result {
        try JobrunBinary.run(["jobs.yaml"] + arguments, in: url)
    }

    /// The report `name`, parsed.
    public func report(_ name: String = "jobrun-report.json") throws -> [String: Any] {
        let data = try Data(contentsOf: url.appendingPathComponent(name))
        guard let report = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SupportError("\(name) is not a JSON object")
        }
        return report
    }

    /// A path in the workspace.
    public func appendingPathComponent(_ name: String) -> URL { url.appendingPathComponent(name) }

    /// The text of file `name`, if it can be read.
    public func file(_ name: String) -> String? { try? String(contentsOf: url.appendingPathComponent(name), encoding: .utf8) }

    /// Waits (up to 20 s) until `name` exists: the job has reached that point.
    public func waitFor(_ name: String) throws {
        for _ in 0..<2000 {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path) { return }
            usleep(10_000)
        }
        throw SupportError("\(name) never appeared")
    }

    /// Starts jobrun (or `binary`) in the background; what it prints goes to the file
    /// `output` of the workspace, if one is named.
    public func start(_ arguments: [String] = [], binary: URL = JobrunBinary.url, output: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["jobs.yaml"] + arguments
        process.currentDirectoryURL = url
        if let output {
            _ = FileManager.default.createFile(atPath: url.appendingPathComponent(output).path, contents: nil)
            let file = try FileHandle(forWritingTo: url.appendingPathComponent(output))
            process.standardOutput = file
            process.standardError = file
        } else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
        }
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Waits for `process` to end, for at most `limit`; one still running then is killed
    /// (SIGKILL). Returns whether it ended by itself.
    @discardableResult
    public func finish(_ process: Process, within limit: Duration = .seconds(120)) -> Bool {
        let deadline = ContinuousClock.now + limit
        while process.isRunning && ContinuousClock.now < deadline { usleep(20_000) }
        guard process.isRunning else { return true }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return false
    }
}
