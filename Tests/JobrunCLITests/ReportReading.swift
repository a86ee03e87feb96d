import Foundation
import JobrunTestSupport
import Testing

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
