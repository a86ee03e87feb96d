import Foundation
import JobrunTestSupport
import Testing

/// Every run the store at `state` recorded for `jobs.yaml`, oldest first (by task, then run).
func storedRuns(_ w: Workspace, state: String = "state.db") throws -> [[String: Any]] {
    let r = try w.run(["--history", "--state", state, "-n", "1000000", "--format", "json"])
    guard r.status == 0, let runs = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]] else {
        throw SupportError("--history failed (\(r.status)): \(r.stderr)\(r.stdout)")
    }
    return runs.sorted { ($0["task"] as? String ?? "", $0["run"] as? Int ?? 0) < ($1["task"] as? String ?? "", $1["run"] as? Int ?? 0) }
}

/// A store across starts (README, "State"), with the built binary: restarts that continue,
/// the lock, abandoned runs, and a jobrun killed at random moments that never loses or
/// doubles a run.
@Suite(.serialized) struct StateTests {
    @Test func aScheduleContinuesAcrossRestartsAndCountHoldsOverAll() throws {
        let w = try Workspace("""
            tasks:
              - {name: five, command: "echo $JOBRUN_RUN >> ran.txt", repeat: 300ms, count: 5, catch_up: all}
            """)
        let first = try w.run(["--state", "state.db", "--for", "700ms", "--no-report"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        var st = stat()
        #expect(stat(w.path + "/state.db", &st) == 0 && st.st_mode & 0o777 == 0o600)
        let second = try w.run(["--state", "state.db", "--no-report"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        // Five runs in all, numbered 1 to 5, each run once: the second start made up what it missed.
        let runs = try storedRuns(w)
        #expect(runs.map { $0["run"] as? Int } == [1, 2, 3, 4, 5])
        #expect(runs.allSatisfy { $0["status"] as? String == "succeeded" })
        #expect(w.file("ran.txt") == "1\n2\n3\n4\n5\n")
        // A third start has nothing left to run.
        let third = try w.run(["--state", "state.db", "--no-report"])
        #expect(third.status == 0 && w.file("ran.txt") == "1\n2\n3\n4\n5\n", "\(third.stdout)")
    }

    @Test func untilHoldsAcrossRestartsAndNowMeansEachStart() throws {
        let until = Date().addingTimeInterval(1.6)
        let stamp = ISO8601DateFormatter().string(from: until)
        let w = try Workspace("""
            tasks:
              - {name: bounded, command: "echo $JOBRUN_RUN >> bounded.txt", repeat: 400ms, until: "\(stamp)", catch_up: none}
              - {name: init, command: "echo $JOBRUN_RUN >> init.txt"}
            """)
        let first = try w.run(["--state", "state.db", "--for", "500ms", "--no-report"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        usleep(300_000)
        let second = try w.run(["--state", "state.db", "--no-report"])
        #expect(second.status == 0, "\(second.stdout)\(second.stderr)")
        let runs = try storedRuns(w).filter { $0["task"] as? String == "bounded" }
        let numbers = runs.compactMap { $0["run"] as? Int }
        #expect(numbers == Array(1...numbers.count), "run numbers continue: \(numbers)")
        for run in runs {
            let due = try #require(ISO8601DateFormatter.withMilliseconds.date(from: run["due_at"] as? String ?? ""))
            #expect(due <= until, "no run is due after until: \(run)")
        }
        #expect(w.file("init.txt") == "1\n2\n", "a task due `now` runs at each start, numbered on")
    }

    @Test func aSecondJobrunOnTheSameStoreIsRefusedNamingTheFirst() throws {
        let w = try Workspace("tasks: [{name: long, command: \"touch started; sleep 30\"}]\n")
        let first = try w.start(["--state", "state.db", "--no-report"])
        defer { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() }
        try w.waitFor("started")
        let second = try w.run(["--state", "state.db", "--no-report"])
        #expect(second.status == 3)
        #expect(second.stderr.contains("state \"state.db\" is in use by jobrun (pid \(first.processIdentifier) on "), "\(second.stderr)")
        #expect(second.stderr.contains(") since 20"), "\(second.stderr)")
        // Reading is not holding: --status shows the run under way.
        let status = try w.run(["--status", "--state", "state.db"])
        #expect(status.status == 0 && status.stdout.contains("held by pid \(first.processIdentifier)"), "\(status.stdout)\(status.stderr)")
    }

    @Test func aRunWhoseJobrunWasKilledIsRecordedAbandonedOnTheNextStart() throws {
        let w = try Workspace("""
            tasks:
              - {name: long, command: "[ -e started ] || { touch started; sleep 30; }"}
            """)
        let first = try w.start(["--state", "state.db", "--no-report"])
        try w.waitFor("started")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let before = try storedRuns(w)
        #expect(before.first?["status"] as? String == "running", "\(before)")
        let second = try w.run(["--state", "state.db", "--report", "report.json"])
        #expect(second.status == 1, "an abandoned run counts as failed: \(second.stdout)")
        #expect(second.stdout.contains("long run 1 abandoned"), "\(second.stdout)")
        let report = try w.report("report.json")
        let totals = try #require(report["totals"] as? [String: Any])
        #expect(totals["abandoned"] as? Int == 1 && totals["succeeded"] as? Int == 1 && totals["runs"] as? Int == 2)
        let runs = try storedRuns(w)
        #expect(runs.map { $0["status"] as? String } == ["abandoned", "succeeded"])
        let abandoned = try #require(runs.first)
        #expect(abandoned["status"] as? String == "abandoned")
        let attempt = try #require((abandoned["attempts"] as? [[String: Any]])?.first)
        #expect(attempt["status"] as? String == "abandoned" && attempt["finished_at"] is String)
        try expectValidAgainstSchema([w.path + "/report.json"])
    }

    /// A start waits for the pending log, not for the database: what a killed jobrun left
    /// there is applied by the next reader or start, and an entry cut short by the kill (its
    /// job never started) is not.
    @Test func whatAKilledJobrunLeftInThePendingLogIsAppliedButNotAnEntryCutShort() throws {
        let w = try Workspace("tasks: [{name: a, command: \"true\"}]\n")
        let first = try w.run(["--state", "state.db", "--no-report"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(!FileManager.default.fileExists(atPath: w.path + "/state.db-pending"), "a clean stop leaves no pending log")
        // As a jobrun killed just after starting run 2 leaves it, and while writing run 3's start.
        let ms = Int((Date().timeIntervalSince1970 - 1) * 1000)
        let at = ISO8601DateFormatter.withMilliseconds.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
        let record = "{\"run\": 2, \"status\": \"running\", \"due_at\": \"\(at)\", \"started_at\": \"\(at)\", \"finished_at\": null, "
            + "\"queue_ms\": 0, \"duration_ms\": null, \"attempts\": [{\"attempt\": 1, \"status\": \"running\", \"started_at\": \"\(at)\", "
            + "\"finished_at\": null, \"duration_ms\": null, \"stdout_tail\": \"\", \"stderr_tail\": \"\"}]}"
        let entry = "[\"jobs\",\"a\",2,\"running\",\(ms),\(ms),1,\(ms),null,\(record.utf8.count)]\n\(record)\n"
        let cutShort = "[\"jobs\",\"a\",3,\"running\",\(ms + 1),\(ms + 1),1,\(ms + 1),null,600]\n{\"run\": 3, \"sta"
        try (entry + cutShort).write(toFile: w.path + "/state.db-pending", atomically: false, encoding: .utf8)
        // --history applies it (no jobrun holds the store).
        let seen = try storedRuns(w)
        #expect(seen.map { $0["run"] as? Int } == [1, 2] && seen.last?["status"] as? String == "running", "\(seen)")
        // A holder row left behind is not a holder: only the store's lock says a jobrun runs.
        let status = try w.run(["--status", "--state", "state.db"])
        #expect(status.status == 0 && status.stdout.contains("no jobrun has the store open"), "\(status.stdout)\(status.stderr)")
        // The next start finds run 2 unfinished: abandoned, counted as failed; it runs run 3.
        let second = try w.run(["--state", "state.db", "--no-report"])
        #expect(second.status == 1 && second.stdout.contains("a run 2 abandoned"), "\(second.stdout)\(second.stderr)")
        let runs = try storedRuns(w)
        #expect(runs.map { $0["run"] as? Int } == [1, 2, 3], "\(runs)")
        #expect(runs.map { $0["status"] as? String } == ["succeeded", "abandoned", "succeeded"], "\(runs)")
        #expect(!FileManager.default.fileExists(atPath: w.path + "/state.db-pending"))
    }

    /// A log holding only an entry cut short is emptied all the same: entries appended after
    /// it would never be read.
    @Test func aPendingLogHoldingOnlyAnEntryCutShortIsEmptied() throws {
        let w = try Workspace("tasks: [{name: a, command: \"true\"}]\n")
        #expect(try w.run(["--state", "state.db", "--no-report"]).status == 0)
        try "[\"jobs\",\"a\",2,\"running\",1,1,1,1,null,600]\n{\"run\": 2".write(
            toFile: w.path + "/state.db-pending", atomically: false, encoding: .utf8)
        #expect(try storedRuns(w).map { $0["run"] as? Int } == [1])
        let left = try FileManager.default.attributesOfItem(atPath: w.path + "/state.db-pending")
        #expect(left[.size] as? Int == 0, "the log was emptied")
    }

    /// The store's promise under SIGKILL: every run whose job started is in the store exactly
    /// once, and no run ran twice.
    @Test func killedAtRandomMomentsNoRunIsLostOrDoubled() throws {
        let w = try Workspace("""
            workers: 3
            tasks:
              - {name: tick, command: "echo tick $JOBRUN_RUN >> ran.txt", repeat: 30ms, catch_up: all, catch_up_within: 1h}
              - {name: slow, command: "echo slow $JOBRUN_RUN >> ran.txt; sleep 0.15", repeat: 100ms, overlap: allow}
              - {name: flaky, command: "echo flaky $JOBRUN_RUN $JOBRUN_ATTEMPT >> ran.txt; exit 1", repeat: 200ms, retries: 1, retry_delay: 50ms}
            """)
        var generator = TestRandom()
        for _ in 0..<30 {
            let process = try w.start(["--state", "state.db", "--no-report"])
            usleep(UInt32.random(in: 20_000...400_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        // One clean start files what the last kill left unfinished.
        let last = try w.run(["--state", "state.db", "--no-report", "--for", "100ms"])
        #expect(last.status == 0 || last.status == 1, "\(last.stderr)")
        let runs = try storedRuns(w)
        var stored: [String: (status: String, attempts: Set<Int>)] = [:]
        for run in runs {
            let key = "\(run["task"] as? String ?? "") \(run["run"] as? Int ?? 0)"
            #expect(stored[key] == nil, "seed \(generator.seed): \(key) is stored twice")
            let attempts = (run["attempts"] as? [[String: Any]] ?? []).compactMap { $0["attempt"] as? Int }
            stored[key] = (run["status"] as? String ?? "", Set(attempts))
        }
        #expect(!stored.values.contains { $0.status == "running" || $0.status == "retrying" }, "seed \(generator.seed)")
        let lines = (w.file("ran.txt") ?? "").split(separator: "\n").map(String.init)
        #expect(lines.count > 30, "seed \(generator.seed): jobs ran")
        var seen = Set<String>()
        for line in lines {
            #expect(seen.insert(line).inserted, "seed \(generator.seed): \(line) ran twice")
            // Every attempt whose job ran is in the store, in its run (which may have ended
            // any way: succeeded, failed, cancelled by the last start's --for, abandoned).
            let words = line.split(separator: " ")
            let key = "\(words[0]) \(words[1])"
            let attempt = words.count > 2 ? Int(words[2]) ?? 0 : 1
            #expect(stored[key]?.attempts.contains(attempt) == true,
                    "seed \(generator.seed): \(line) ran, but the store has \(stored[key].map { "\($0)" } ?? "no record")")
        }
    }
}

extension ISO8601DateFormatter {
    /// RFC 3339 with milliseconds, as the report writes times.
    static var withMilliseconds: ISO8601DateFormatter {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f
    }
}
