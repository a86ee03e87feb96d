import Foundation
import Testing

/// A scratch directory with a jobs file, removed afterwards.
final class Workspace {
    let url: URL
    var path: String { url.path }

    init(_ yaml: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try yaml.write(to: url.appendingPathComponent("jobs.yaml"), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func run(_ arguments: [String] = []) throws -> JobrunBinary.Result {
        try JobrunBinary.run(["jobs.yaml"] + arguments, in: url)
    }

    func report(_ name: String = "jobrun-report.json") throws -> [String: Any] {
        let data = try Data(contentsOf: url.appendingPathComponent(name))
        return try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// A path in the workspace.
    func appendingPathComponent(_ name: String) -> URL { url.appendingPathComponent(name) }

    func file(_ name: String) -> String? { try? String(contentsOf: url.appendingPathComponent(name), encoding: .utf8) }

    /// Waits (up to 20 s) until `name` exists: the job has reached that point.
    func waitFor(_ name: String) throws {
        for _ in 0..<2000 {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path) { return }
            usleep(10_000)
        }
        Issue.record("\(name) never appeared")
    }

    /// Starts jobrun (or `binary`) in the background.
    func start(_ arguments: [String] = [], binary: URL = JobrunBinary.url) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["jobs.yaml"] + arguments
        process.currentDirectoryURL = url
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }
}

/// Processes still alive (not zombies) whose command line contains `marker`.
func survivors(_ marker: String) -> [String] {
    let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return procs.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
        guard let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
              cmd.replacingOccurrences(of: "\0", with: " ").contains(marker),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")")
        else { return nil }
        let state = stat[stat.index(close, offsetBy: 2)]
        return state == "Z" ? nil : "\(pid): \(cmd)"
    }
}

func runs(_ report: [String: Any], _ task: String) -> [[String: Any]] {
    let tasks = report["tasks"] as? [[String: Any]] ?? []
    return tasks.first { $0["name"] as? String == task }?["runs"] as? [[String: Any]] ?? []
}

func attempts(_ run: [String: Any]) -> [[String: Any]] { run["attempts"] as? [[String: Any]] ?? [] }

func millis(_ timestamp: Any?) -> Int64 {
    guard let s = timestamp as? String else { return -1 }
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return Int64((f.date(from: s)?.timeIntervalSince1970 ?? -1) * 1000)
}

/// Validates a report file against schemas/report.schema.json with Python's jsonschema.
func expectValidAgainstSchema(_ paths: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
    let schema = JobrunBinary.packageRoot.appendingPathComponent("schemas/report.schema.json").path
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", """
        import json, sys, jsonschema
        validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
        for path in sys.argv[2:]:
            validator.validate(json.load(open(path)))
        """, schema] + paths
    let err = Pipe()
    process.standardError = err
    try process.run()
    process.waitUntilExit()
    let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 0, "report does not match the schema: \(message)", sourceLocation: sourceLocation)
}
