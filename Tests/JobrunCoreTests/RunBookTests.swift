@testable import JobrunCore
import Testing

/// Memory stays flat however many runs are made: the core keeps the runs that have not
/// ended, and per task the last `report_runs` that have; totals count every run.
@Suite struct RunBookTests {
    @Test func theReportKeepsTheLastRunsOfEachTaskAndCountsThemAll() throws {
        var sim = try Simulation("""
            report_runs: 3
            tasks:
              - {name: often, command: x, repeat: 2s, count: 10}
              - {name: flaky, command: x, repeat: 2s, count: 4}
              - {name: once, command: x}
            """, behaviour: { r in (1, r.task.name == "flaky" && r.run.value % 2 == 0 ? .failed : .succeeded) })
        let records = sim.run()
        #expect(records.filter { $0.task == 0 }.map(\.run) == [8, 9, 10])
        #expect(records.filter { $0.task == 1 }.map(\.run) == [2, 3, 4])
        #expect(records.filter { $0.task == 2 }.map(\.run) == [1])
        let book = sim.core.book
        #expect(book.omitted.values == [7, 1, 0])
        #expect(book.totals.runs == 15)
        #expect(book.totals.succeeded == 13 && book.totals.failed == 2)
        #expect(book.totals.attempts == 15)
        #expect(book.openRuns.isEmpty, "no run is left in memory once it has ended")
        // The status table still knows the last run and the last ten outcomes.
        let status = sim.core.status()
        #expect(status[0].lastRun?.run == 10)
        #expect(status[0].recentSucceeded == 10 && status[0].recentFailed == 0)
        #expect(status[1].recentSucceeded == 2 && status[1].recentFailed == 2)
    }

    @Test func zeroKeepsNoRunButCountsEveryOne() throws {
        var sim = try Simulation("""
            report_runs: 0
            tasks: [{name: a, command: x, repeat: 1s, count: 5}]
            """)
        #expect(sim.run().isEmpty)
        #expect(sim.core.book.omitted.values == [5])
        #expect(sim.core.book.totals.runs == 5)
    }

    @Test func theDefaultKeepsAThousandAndTheRecentOutcomesAreTen() {
        var book = RunBook(tasks: 1, keep: 1000)
        for n in 1...1500 {
            var record = RunRecord(task: 0, run: RunNumber(n), dueAt: Instant(seconds: Int64(n)))
            let index = book.open(record)
            record.status = n % 3 == 0 ? .failed : n % 5 == 0 ? .skipped : .succeeded
            book[index] = record
            book.close(index)
        }
        let kept = book.records
        #expect(kept.count == 1000)
        #expect(kept.first?.run == 501 && kept.last?.run == 1500)
        #expect(book.omitted[0] == 500)
        #expect(book.totals.runs == 1500 && book.totals.skipped == 200 && book.totals.failed == 500)
        // Skipped runs are not outcomes; the last of the others, 1500, failed.
        #expect(book.recent(0).count == 10)
        #expect(book.lastRun[0]?.run == 1500 && book.lastRun[0]?.status == .failed)
    }

    @Test func aReportOfABookListsOmittedRunsAndTotalsOfAll() throws {
        var sim = try Simulation("""
            report_runs: 1
            tasks: [{name: a, command: x, repeat: 1s, count: 3}]
            """)
        _ = sim.run()
        let file = try #require(JobFileValidator().validate(Array("tasks: [{name: a, command: x}]\n".utf8)).file)
        let report = Report(version: "t", configPath: "f", configSHA256: "0", startedAt: sim.start, finishedAt: sim.now,
                            workers: 1, signal: nil, tasks: file.tasks, book: sim.core.book)
        let json = report.json()
        #expect(json.contains("\"omitted_runs\": 2"))
        #expect(json.contains("\"runs\": 3"))
        #expect(report.totals.runs == 3)
        #expect(report.records.map(\.run) == [3])
        let summary = report.markdownSummary()
        #expect(summary.contains("3 runs: 3 succeeded"))
        #expect(summary.contains("The table lists 1 run, the last of each task (`report_runs`); 2 earlier ones are counted above"))
        #expect(summary.components(separatedBy: "| a |").count == 2, "one row: the run kept")
    }

    @Test func reportRunsIsAWholeNumberFromZeroToAMillion() {
        expectDiagnostics("""
            report_runs: 1️⃣-1
            tasks: [{name: a, command: x}]
            """, [("1️⃣", .error, "report_runs", "-1 is out of range; use 0–1000000")])
        expectDiagnostics("""
            report_runs: 1️⃣many
            tasks: [{name: a, command: x}]
            """, [("1️⃣", .error, "report_runs", "expected a whole number, found the string \"many\"")])
        #expect(validate("report_runs: 5\ntasks: [{name: a, command: x}]\n").file?.reportRuns == 5)
        #expect(validate("tasks: [{name: a, command: x}]\n").file?.reportRuns == 1000)
    }

    /// With `overlap: allow` a later run can end first; "last" still goes by run number.
    @Test func theLastRunsAreTheLastByNumberWhateverOrderTheyEndIn() {
        var book = RunBook(tasks: 1, keep: 2)
        var indices: [RunIndex] = []
        for n in 1...4 { indices.append(book.open(RunRecord(task: 0, run: RunNumber(n), dueAt: Instant(seconds: Int64(n))))) }
        // Runs 4, 1, 3, 2 end, in that order.
        for i in [3, 0, 2, 1] {
            book[indices[i]].status = .succeeded
            book.close(indices[i])
        }
        #expect(book.records.map(\.run) == [3, 4])
        #expect(book.omitted[0] == 2)
        #expect(book.lastRun[0]?.run == 4)
        #expect(book.recent(0).count == 4)
    }
}
