import Foundation
import JobrunTestSupport
import Testing

/// Reload end to end: SIGHUP, `--watch` with a ConfigMap's symlink swap, an invalid file;
/// nothing lost or doubled, a running attempt finishing under the old definition.
@Suite(.serialized) struct ReloadCommandTests {
    private func write(_ w: Workspace, _ yaml: String, to name: String = "jobs.yaml") throws {
        // Written beside and renamed, as editors and `kubectl` do: never half a file.
        let temporary = w.appendingPathComponent(name + ".new")
        try yaml.write(to: temporary, atomically: false, encoding: .utf8)
        #expect(rename(temporary.path, w.appendingPathComponent(name).path) == 0)
    }

    private func lines(_ w: Workspace, _ name: String) -> [String] {
        (w.file(name) ?? "").split(separator: "\n").map(String.init)
    }

    private func waitUntil(_ what: String, _ condition: () -> Bool) throws {
        for _ in 0..<2000 {
            if condition() { return }
            usleep(10_000)
        }
        throw SupportError("\(what) never happened")
    }

    private func version(_ v: String) -> String {
        """
        workers: 3
        tasks:
          - name: long
            command: 'echo "long $JOBRUN_RUN \(v)" >> log; touch long-started; while [ ! -e go ]; do sleep 0.01; done; echo "long end \(v)" >> log'
          - name: tick
            command: 'echo "$JOBRUN_RUN \(v)" >> ticks'
            repeat: 100ms
          - name: old-only
            command: 'echo "old-only $JOBRUN_RUN" >> log'
            repeat: 100ms
        """
    }

    @Test func sighupTakesTheNewFileWhileARunIsActiveLosingAndDoublingNothing() throws {
        let w = try Workspace(version("v1"))
        let process = try startWithConsole(w, ["--report", "report.json"])
        defer { if process.isRunning { process.terminate() } }
        try w.waitFor("long-started")
        try waitUntil("three v1 ticks") { lines(w, "ticks").count >= 3 }
        try write(w, version("v2").replacingOccurrences(of: """
              - name: old-only
                command: 'echo "old-only $JOBRUN_RUN" >> log'
                repeat: 100ms
            """, with: """
              - name: new-one
                command: 'echo "new-one $JOBRUN_RUN" >> log'
            """))
        kill(process.processIdentifier, SIGHUP)
        try awaitConsole(w, #"reloaded jobs\.yaml: added "new-one"; changed "long", "tick"; removed "old-only""#)
        _ = FileManager.default.createFile(atPath: w.appendingPathComponent("go").path, contents: nil)
        try waitUntil("three v2 ticks") { lines(w, "ticks").filter { $0.hasSuffix("v2") }.count >= 3 }
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)

        // The running attempt finished under the old definition; long has no second run.
        let log = lines(w, "log")
        #expect(log.contains("long 1 v1") && log.contains("long end v1") && !log.contains { $0.contains("v2") && $0.hasPrefix("long") })
        #expect(log.contains("new-one 1"))
        let oldOnly = log.filter { $0.hasPrefix("old-only") }
        #expect(!oldOnly.isEmpty)
        // tick: every run once, numbers without a gap, v1 until the reload and v2 after.
        let ticks = lines(w, "ticks").map { $0.split(separator: " ") }
        #expect(ticks.map { Int($0[0]) } == Array(1...ticks.count).map { Optional($0) }, "\(ticks)")
        let versions = ticks.map { String($0[1]) }
        #expect(versions == Array(repeating: "v1", count: versions.filter { $0 == "v1" }.count)
                    + Array(repeating: "v2", count: versions.filter { $0 == "v2" }.count))
        let report = try w.report("report.json")
        // Every line is a run that succeeded, but for one SIGINT may have stopped after its line
        // was written (a busy machine widens that moment).
        let succeeded = runs(report, "tick").filter { $0["status"] as? String == "succeeded" }.count
        let stopped = runs(report, "tick").filter { $0["status"] as? String == "cancelled" && !(($0["attempts"] as? [Any]) ?? []).isEmpty }.count
        #expect(succeeded <= ticks.count && ticks.count <= succeeded + stopped, "\(succeeded) succeeded, \(stopped) stopped, \(ticks.count) lines")
        #expect(runs(report, "old-only").count == oldOnly.count + runs(report, "old-only").filter { $0["status"] as? String == "cancelled" }.count)
        let reloads = report["reloads"] as? [[String: Any]] ?? []
        #expect(reloads.count == 1)
        #expect(reloads.first?["result"] as? String == "succeeded")
        #expect(reloads.first?["removed"] as? [String] == ["old-only"])
        #expect((report["tasks"] as? [[String: Any]])?.map { $0["name"] as? String } == ["long", "tick", "old-only", "new-one"])
        try expectValidAgainstSchema([w.appendingPathComponent("report.json").path])
    }

    @Test func anInvalidFileLeavesTheScheduleRunningAndHealthNamesTheFailure() throws {
        let w = try Workspace("""
            tasks:
              - {name: tick, command: 'echo "$JOBRUN_RUN" >> ticks', repeat: 100ms}
            """)
        let process = try startWithConsole(w, ["--listen", ":0", "--no-report"])
        defer { if process.isRunning { process.terminate() } }
        let base = try served(w)
        try waitUntil("a tick") { !lines(w, "ticks").isEmpty }
        try write(w, """
            tasks:
              - {name: tick, command: 'echo "$JOBRUN_RUN" >> ticks', repeat: 100ms, retries: many}
            """)
        kill(process.processIdentifier, SIGHUP)
        try awaitConsole(w, #"the reload of jobs\.yaml failed"#)
        #expect(try awaitConsole(w, #"jobs\.yaml:2:82: error: tasks\[0\]\.retries: [^\n]*"#).contains("many"))
        let ticksThen = lines(w, "ticks").count
        try waitUntil("the old schedule going on") { lines(w, "ticks").count >= ticksThen + 3 }

        let health = try Scrape(base + "/healthz")
        #expect(health.status == 200, "a failed reload leaves a healthy schedule: a 503 would restart jobrun into the bad file")
        let failed = health.json["last_failed_reload"] as? [String: Any]
        #expect((failed?["error"] as? String)?.hasPrefix("jobs.yaml:2:82: error: tasks[0].retries") == true, "\(health.body)")
        #expect(try Scrape(base + "/metrics").value("jobrun_reloads_total", ["result": "failed"]) == 1)

        try write(w, """
            tasks:
              - {name: tick, command: 'echo "$JOBRUN_RUN" >> ticks', repeat: 100ms, retries: 1}
            """)
        kill(process.processIdentifier, SIGHUP)
        try awaitConsole(w, #"reloaded jobs\.yaml: changed "tick""#)
        #expect(try Scrape(base + "/healthz").json["last_failed_reload"] is NSNull)
        #expect(try Scrape(base + "/metrics").value("jobrun_reloads_total", ["result": "succeeded"]) == 1)
        process.terminate()
        process.waitUntilExit()
    }

    @Test func watchFollowsAConfigMapSymlinkSwap() throws {
        // The layout a Kubernetes ConfigMap volume has: the file is a link through `..data`,
        // which an update swaps for a link to a new directory; the file's own inode never changes.
        let w = try Workspace("")
        let fm = FileManager.default
        func tick(_ v: String) -> String {
            "tasks:\n  - {name: tick, command: 'echo \"$JOBRUN_RUN \(v)\" >> ticks', repeat: 100ms}\n"
        }
        try fm.createDirectory(at: w.appendingPathComponent("cm/..2026_12_03_01_00_00.1"), withIntermediateDirectories: true)
        try tick("v1").write(to: w.appendingPathComponent("cm/..2026_12_03_01_00_00.1/jobs.yaml"), atomically: true, encoding: .utf8)
        #expect(symlink("..2026_12_03_01_00_00.1", w.appendingPathComponent("cm/..data").path) == 0)
        #expect(symlink("..data/jobs.yaml", w.appendingPathComponent("cm/jobs.yaml").path) == 0)
        let process = try startWithConsole(w, ["--watch", "--report", "report.json"], file: "cm/jobs.yaml")
        defer { if process.isRunning { process.terminate() } }
        try waitUntil("a v1 tick") { !lines(w, "ticks").isEmpty }

        try fm.createDirectory(at: w.appendingPathComponent("cm/..2026_12_03_01_05_00.2"), withIntermediateDirectories: true)
        try tick("v2").write(to: w.appendingPathComponent("cm/..2026_12_03_01_05_00.2/jobs.yaml"), atomically: true, encoding: .utf8)
        #expect(symlink("..2026_12_03_01_05_00.2", w.appendingPathComponent("cm/..data_tmp").path) == 0)
        #expect(rename(w.appendingPathComponent("cm/..data_tmp").path, w.appendingPathComponent("cm/..data").path) == 0)
        try fm.removeItem(at: w.appendingPathComponent("cm/..2026_12_03_01_00_00.1"))
        try awaitConsole(w, #"reloaded cm/jobs\.yaml: changed "tick""#)
        try waitUntil("a v2 tick") { lines(w, "ticks").contains { $0.hasSuffix("v2") } }
        process.interrupt()
        process.waitUntilExit()

        let ticks = lines(w, "ticks").map { $0.split(separator: " ") }
        #expect(ticks.map { Int($0[0]) } == Array(1...ticks.count).map { Optional($0) }, "\(ticks)")
        // One reload: making the new directory and removing the old changed no byte of the file.
        let reloads = try w.report("report.json")["reloads"] as? [[String: Any]] ?? []
        #expect(reloads.count == 1, "\(reloads)")
    }
}
