import Foundation
import JobrunTestSupport
import Testing

/// What every fault must leave behind: no process whose command line carries `marker`, no
/// temporary file in the workspace, and a complete report that matches the schema, with
/// every task of the file in it and every run in a final state.
func expectCleanAftermath(_ w: Workspace, marker: String, report: String = "jobrun-report.json", tasks: Int,
                          checkSchema: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) throws {
    // Processes killed just before jobrun exited may take a moment to be gone.
    var left = survivors(marker)
    for _ in 0..<100 where !left.isEmpty {
        usleep(20_000)
        left = survivors(marker)
    }
    #expect(left.isEmpty, "left behind: \(left)", sourceLocation: sourceLocation)
    let files = FileManager.default.enumerator(atPath: w.path)?.allObjects as? [String] ?? []
    #expect(files.filter { $0.hasSuffix(".tmp") }.isEmpty, "temporary files left: \(files)", sourceLocation: sourceLocation)
    let data = try Data(contentsOf: w.url.appendingPathComponent(report))
    let json = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any], sourceLocation: sourceLocation)
    let taskList = json["tasks"] as? [[String: Any]] ?? []
    #expect(taskList.count == tasks, sourceLocation: sourceLocation)
    let final: Set = ["succeeded", "failed", "timed_out", "skipped", "cancelled"]
    for task in taskList {
        for run in task["runs"] as? [[String: Any]] ?? [] {
            #expect(final.contains(run["status"] as? String ?? ""), "\(task["name"] ?? "?"): \(run)", sourceLocation: sourceLocation)
        }
    }
    if checkSchema { try expectValidAgainstSchema([w.url.appendingPathComponent(report).path], sourceLocation: sourceLocation) }
}

/// The first attempt of the first run of `task`.
func firstAttempt(_ report: [String: Any], _ task: String,
                  sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let run = try #require(runs(report, task).first, sourceLocation: sourceLocation)
    return try #require(attempts(run).first, sourceLocation: sourceLocation)
}

/// Starts jobrun quietly with `report`, waits until it has trapped `signal`, then for a
/// random time of up to 0.3 s.
func startThenWaitRandomly(_ w: Workspace, report: String, signal: Int32 = SIGTERM,
                           using generator: inout TestRandom) throws -> Process {
    let process = try w.start(["--report", report, "--quiet"])
    for _ in 0..<5000 where !traps(process.processIdentifier, signal) { usleep(1000) }
    usleep(UInt32.random(in: 0...300_000, using: &generator))
    return process
}

/// Whether process `pid` has `signal` handled or ignored: jobrun has trapped it.
func traps(_ pid: Int32, _ signal: Int32) -> Bool {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
    let bit: UInt64 = 1 << (UInt64(signal) - 1)
    return status.split(separator: "\n").contains { line in
        guard line.hasPrefix("SigCgt:") || line.hasPrefix("SigIgn:") else { return false }
        let hex = line.split(separator: "\t").last.map(String.init) ?? ""
        return (UInt64(hex.trimmingCharacters(in: .whitespaces), radix: 16) ?? 0) & bit != 0
    }
}


/// Runs three jobs (a shell with two sleeps, a sleep, a shell with a sleep) with `binary`,
/// kills it with SIGKILL once they run, and expects every one of them gone soon after.
func expectJobsDieWithJobrun(binary: URL, sourceLocation: SourceLocation = #_sourceLocation) throws {
    // `quick` and `quicker` run together and end first: of their keepers, one keeps `marker`,
    // the other waits for a job.
    let w = try Workspace("""
        workers: 4
        tasks:
          - {name: tree, command: "sleep 209.1 & sleep 209.2; wait"}
          - {name: direct, command: [sleep, "209.3"]}
          - {name: quick, command: "sleep 0.3"}
          - {name: quicker, command: "sleep 0.3"}
          - {name: marker, command: "touch started; sleep 209.4", after: [quick, quicker]}
        """)
    let process = try w.start(binary: binary)
    try w.waitFor("started")
    usleep(100_000)
    // Two shells, four sleeps.
    #expect(survivors("209.").count == 6, "\(survivors("209."))", sourceLocation: sourceLocation)
    let server = try #require(serverOf(process.processIdentifier), sourceLocation: sourceLocation)
    let keepers = children(of: server)
    #expect(keepers.count == 4, "\(keepers)", sourceLocation: sourceLocation)
    #expect(keepers.contains { children(of: $0).isEmpty }, "a keeper waits for a job", sourceLocation: sourceLocation)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    var left = survivors("209.")
    for _ in 0..<100 where !left.isEmpty {
        usleep(20_000)
        left = survivors("209.")
    }
    #expect(left.isEmpty, "left behind: \(left)", sourceLocation: sourceLocation)
    // The server and its keepers, the one that waited too.
    var alive = ([server] + keepers).filter(isAlive)
    for _ in 0..<100 where !alive.isEmpty {
        usleep(20_000)
        alive = alive.filter(isAlive)
    }
    #expect(alive.isEmpty, "jobrun-exec processes left behind: \(alive)", sourceLocation: sourceLocation)
}

/// The children of process `pid`.
func children(of pid: Int32) -> [Int32] {
    let list = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
    return list.split(separator: " ").compactMap { Int32($0) }
}

/// A copy of jobrun alone in a directory of `w`.
func loneCopy(in w: Workspace) throws -> URL {
    let dir = w.url.appendingPathComponent("bin")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let lone = dir.appendingPathComponent("jobrun")
    try FileManager.default.copyItem(at: JobrunBinary.url, to: lone)
    return lone
}

/// The jobrun-exec server that jobrun `pid` started.
func serverOf(_ pid: Int32) -> Int32? {
    let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    for entry in procs where entry.allSatisfy(\.isNumber) {
        guard let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"),
              let cmd = try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8),
              cmd.hasPrefix("jobrun-exec\0--serve")
        else { continue }
        let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
        if fields.count > 1, Int32(fields[1]) == pid { return Int32(entry) }
    }
    return nil
}
