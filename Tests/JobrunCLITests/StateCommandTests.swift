import Foundation
import JobrunTestSupport
import Testing

/// `jobrun --history` and `jobrun --status` (README, "State"), and `keep_history`.
@Suite(.serialized) struct StateCommandTests {
    private func json(_ r: JobrunBinary.Result) throws -> Any {
        guard r.status == 0 else { throw SupportError("exit \(r.status): \(r.stderr)\(r.stdout)") }
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    @Test func historyFiltersByTaskStatusAndTimeNewestFirst() throws {
        let w = try Workspace("""
            tasks:
              - {name: ok, command: "true", repeat: 50ms, count: 4, overlap: queue}
              - {name: bad, command: "exit 3", count: 1}
            """)
        #expect(try w.run(["--state", "state.db", "--no-report"]).status == 1)
        let all = try #require(try json(w.run(["--history", "--state", "state.db", "--format", "json"])) as? [[String: Any]])
        #expect(all.count == 5)
        let dues = all.compactMap { $0["due_at"] as? String }
        #expect(dues == dues.sorted(by: >), "newest first: \(dues)")
        let ok = try #require(try json(w.run(["--history", "--state", "state.db", "--task", "ok", "-n", "2", "--format", "json"])) as? [[String: Any]])
        #expect(ok.map { $0["run"] as? Int } == [4, 3])
        #expect(ok.allSatisfy { $0["task"] as? String == "ok" })
        let failed = try #require(try json(w.run(["--history", "--state", "state.db", "--status", "failed", "--format", "json"])) as? [[String: Any]])
        #expect(failed.map { $0["task"] as? String } == ["bad"])
        let attempt = try #require((failed.first?["attempts"] as? [[String: Any]])?.first)
        #expect(attempt["exit_code"] as? Int == 3 && attempt["error"] as? String == "exited with status 3")
        let since = try #require(try json(w.run(["--history", "--state", "state.db", "--since", "2999-01-01T00:00:00Z", "--format", "json"])) as? [[String: Any]])
        #expect(since.isEmpty)
        let text = try w.run(["--history", "--state", "state.db", "-n", "1", "--task", "bad"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("TASK") && text.stdout.contains("bad   1    failed"), "\(text.stdout)")
        #expect(text.stdout.contains("exited with status 3"))
    }

    @Test func statusShowsEachTasksLastRunAndTheLastTen() throws {
        let w = try Workspace("""
            state: state.db
            tasks:
              - {name: beat, command: "true", repeat: 50ms, count: 12, overlap: queue}
              - {name: never, command: "true", enabled: false}
            """)
        #expect(try w.run(["--no-report"]).status == 0)
        let status = try #require(try json(w.run(["--status", "--format", "json"])) as? [String: Any])
        let tasks = try #require(status["tasks"] as? [[String: Any]])
        #expect(tasks.map { $0["task"] as? String } == ["beat", "never"])
        let beat = tasks[0]
        #expect((beat["last_run"] as? [String: Any])?["run"] as? Int == 12)
        #expect(beat["running"] as? Int == 0)
        #expect(beat["next_due_at"] is NSNull, "count is used up")
        #expect((beat["recent"] as? [String: Any])?["succeeded"] as? Int == 10)
        #expect(tasks[1]["last_run"] is NSNull)
        #expect((status["replicas"] as? [Any])?.isEmpty == true)
        let text = try w.run(["--status"])
        #expect(text.status == 0 && text.stdout.contains("no jobrun has the store open"), "\(text.stdout)")
        #expect(text.stdout.contains("#12 succeeded at") && text.stdout.contains("10 succeeded, 0 failed"), "\(text.stdout)")
    }

    @Test func historyAndStatusNeedAStoreAndOnlyTheirOwnOptions() throws {
        let w = try Workspace("tasks: [{name: t, command: \"true\"}]\n")
        for (arguments, message) in [
            (["--history"], "--history reads the state store: give --state PATH, or `state:` in the file"),
            (["--status"], "--status reads the state store"),
            (["--task", "t"], "--task is for --history"),
            (["--since", "2026-01-01T00:00:00Z"], "--since is for --history"),
            (["--history", "--state", "s.db", "--status", "sideways"], "--status sideways is not a status"),
            (["--history", "--state", "s.db", "--workers", "2"], "--workers is for running a file; --history runs nothing"),
            (["--status", "--state", "s.db", "--plan"], "choose one of --plan and --status"),
            (["--plan", "--state", "s.db"], "--state is for running a file, --history and --status"),
        ] {
            let r = try w.run(arguments)
            #expect(r.status == 2, "\(arguments): \(r.stdout)\(r.stderr)")
            #expect(r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
        let missing = try w.run(["--history", "--state", "nothing.db"])
        #expect(missing.status == 3 && missing.stderr.contains("state \"nothing.db\" does not exist"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: w.path + "/nothing.db"), "reading creates nothing")
    }

    @Test func oneStoreServesSeveralFilesEachUnderItsName() throws {
        let w = try Workspace("""
            name: shop
            tasks: [{name: backup, command: "true"}]
            """)
        try "tasks: [{name: backup, command: \"true\"}]\n".write(to: w.appendingPathComponent("other.yaml"), atomically: true, encoding: .utf8)
        // The store's directories are made, as for every file jobrun writes.
        #expect(try w.run(["--state", "var/lib/state.db", "--no-report"]).status == 0)
        #expect(try w.run(["--state", "var/lib/state.db", "--no-report"]).status == 0)
        let other = try JobrunBinary.run(["other.yaml", "--state", "var/lib/state.db", "--no-report"], in: w.url)
        #expect(other.status == 0, "\(other.stderr)")
        // `shop` has two runs of its backup; `other` (the file's base name) has its own first.
        let shop = try #require(try json(w.run(["--history", "--state", "var/lib/state.db", "--format", "json"])) as? [[String: Any]])
        #expect(shop.map { $0["run"] as? Int } == [2, 1])
        let theirs = try #require(try json(JobrunBinary.run(["--history", "other.yaml", "--state", "var/lib/state.db", "--format", "json"],
                                                             in: w.url)) as? [[String: Any]])
        #expect(theirs.map { $0["run"] as? Int } == [1])
    }

    @Test func keepHistoryPrunesOldRunsButCountAndNumbersHold() throws {
        let w = try Workspace("""
            keep_history: 1s
            tasks:
              - {name: t, command: "true", repeat: 100ms, count: 6}
            """)
        #expect(try w.run(["--state", "state.db", "--no-report", "--for", "250ms"]).status == 0)
        #expect(try storedRuns(w).count == 3)
        usleep(1_300_000)
        // The next start prunes the runs due more than a second ago, and goes on from them.
        #expect(try w.run(["--state", "state.db", "--no-report"]).status == 0)
        let runs = try storedRuns(w)
        #expect(!runs.contains { ($0["run"] as? Int ?? 0) <= 3 }, "pruned: \(runs.map { $0["run"] ?? "" })")
        #expect(runs.first?["run"] as? Int == 4, "numbers go on: \(runs.map { $0["run"] ?? "" })")
        // Six instants in all, the missed ones counted by the skipped record: nothing runs a third time.
        let third = try w.run(["--state", "state.db", "--no-report"])
        #expect(third.stdout.contains("0 runs"), "\(third.stdout)")
    }
}
