import JobrunCore
import Testing

private let start = Instant(seconds: 1_800_000_000)  // 2027-01-15T08:00:00Z

/// `ms` milliseconds after `start`.
private func at(_ ms: Int64) -> Instant { start + .milliseconds(ms) }

private func tasks(_ yaml: String) throws -> [TaskSpec] {
    let v = JobFileValidator().validate(Array(yaml.utf8))
    return try #require(v.file, "\(v.diagnostics)").tasks
}

private func attempt(_ n: Int, _ status: AttemptStatus, from: Int64, to: Int64, exitCode: Int32? = nil,
                     error: String? = nil, stdout: String = "", stderr: String = "") -> AttemptRecord {
    AttemptRecord(attempt: n, status: status, startedAt: at(from), finishedAt: at(to), exitCode: exitCode,
                  error: error, stdoutTail: stdout, stderrTail: stderr)
}

/// A finished run; its times come from its attempts, as the scheduler's do.
private func run(_ task: Int, _ n: Int, _ status: RunStatus, _ attempts: [AttemptRecord] = [],
                 reason: String? = nil) -> RunRecord {
    var r = RunRecord(task: TaskIndex(task), run: RunNumber(n), dueAt: at(0))
    r.status = status
    r.attempts = attempts
    r.reason = reason
    r.startedAt = attempts.first?.startedAt
    r.finishedAt = attempts.last?.finishedAt
    return r
}

private func report(_ tasks: [TaskSpec], _ records: [RunRecord], signal: Int32? = nil) -> Report {
    Report(version: "0.1.0", configPath: "jobs.yaml", configSHA256: String(repeating: "0", count: 64),
           startedAt: start, finishedAt: at(1234), workers: 2, signal: signal, tasks: tasks, records: records)
}

/// Five runs of three tasks, listed out of order: two succeeded, one failed after a retry,
/// one skipped, one cancelled before it started.
private func mixedXML() throws -> String {
    let specs = try tasks("""
        tasks:
          - {name: build, command: make}
          - {name: 'we<&"ird', command: x}
          - {name: deploy, command: x}
        """)
    let records = [
        run(2, 2, .cancelled, reason: "jobrun was stopped before it started"),
        run(1, 1, .succeeded, [attempt(1, .succeeded, from: 0, to: 250, exitCode: 0, stdout: "x <&\" y\na\u{1}b\n")]),
        run(0, 2, .failed, [
            attempt(1, .failed, from: 0, to: 100, exitCode: 2, error: "exited with status 2"),
            attempt(2, .failed, from: 600, to: 1000, exitCode: 3, error: "exited with status 3", stderr: "no <rule>\n"),
        ]),
        run(2, 1, .skipped, reason: "\"build\" did not succeed (after:)"),
        run(0, 1, .succeeded, [attempt(1, .succeeded, from: 0, to: 5, exitCode: 0)]),
    ]
    return JUnitReport(report(specs, records)).xml()
}

@Suite struct JUnitReportTests {
    @Test func aSmallReportInFull() throws {
        let specs = try tasks("tasks:\n  - {name: hello, command: echo hi}\n")
        let records = [run(0, 1, .succeeded, [attempt(1, .succeeded, from: 10, to: 1510, exitCode: 0, stdout: "hi\n")])]
        #expect(JUnitReport(report(specs, records)).xml() == """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="jobrun" tests="1" failures="0" errors="0" skipped="0" time="1.234">
              <testsuite name="jobs.yaml" tests="1" failures="0" errors="0" skipped="0" time="1.234" timestamp="2027-01-15T08:00:00.000Z">
                <testcase classname="hello" name="hello run 1" time="1.500">
                  <system-out>hi
            </system-out>
                </testcase>
              </testsuite>
            </testsuites>

            """)
    }

    @Test func countsRunsByStatus() throws {
        let xml = try mixedXML()
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"))
        #expect(xml.contains(#"<testsuites name="jobrun" tests="5" failures="1" errors="0" skipped="2" time="1.234">"#))
        #expect(xml.contains(#"<testsuite name="jobs.yaml" tests="5" failures="1" errors="0" skipped="2" time="1.234""#))
    }

    @Test func testCasesAreOrderedByTaskThenRun() throws {
        let names = try mixedXML().split(separator: "\n").filter { $0.contains("<testcase ") }
        let expected = ["build run 1", "build run 2", "we&lt;&amp;&quot;ird run 1", "deploy run 1", "deploy run 2"]
        #expect(names.count == expected.count)
        for (line, name) in zip(names, expected) {
            #expect(line.contains("name=\"\(name)\""), "\(line)")
        }
    }

    @Test func aFailedRunIsAFailureWithEveryAttemptsError() throws {
        let xml = try mixedXML()
        #expect(xml.contains(#"<testcase classname="build" name="build run 2" time="1.000">"#))
        #expect(xml.contains("""
            <failure message="exited with status 3" type="failed">attempt 1: exited with status 2
            attempt 2: exited with status 3</failure>
            """))
        // The last attempt's output.
        #expect(xml.contains("<system-err>no &lt;rule&gt;\n</system-err>"))
    }

    @Test func aTimedOutRunIsAFailureOfItsOwnType() throws {
        let specs = try tasks("tasks:\n  - {name: slow, command: sleep 9, timeout: 1s}\n")
        let records = [run(0, 1, .timedOut, [attempt(1, .timedOut, from: 0, to: 1000, error: "timed out after 1s")])]
        let xml = JUnitReport(report(specs, records)).xml()
        #expect(xml.contains(#"<failure message="timed out after 1s" type="timed_out">attempt 1: timed out after 1s</failure>"#))
        #expect(xml.contains(#"tests="1" failures="1" errors="0" skipped="0""#))
    }

    @Test func skippedAndCancelledRunsAreSkipped() throws {
        let xml = try mixedXML()
        #expect(xml.contains("""
                <testcase classname="deploy" name="deploy run 1" time="0.000">
                  <skipped message="&quot;build&quot; did not succeed (after:)"/>
                </testcase>
            """))
        #expect(xml.contains(#"<skipped message="jobrun was stopped before it started"/>"#))
    }

    @Test func escapesNamesAndOutput() throws {
        let xml = try mixedXML()
        #expect(xml.contains(#"<testcase classname="we&lt;&amp;&quot;ird" name="we&lt;&amp;&quot;ird run 1" time="0.250">"#))
        #expect(xml.contains("<system-out>x &lt;&amp;&quot; y\nab\n</system-out>"))
        #expect(!xml.contains(#"we<&"ird"#))
    }

    @Test func dropsCharactersXMLDoesNotAllow() throws {
        let xml = try mixedXML()
        #expect(!xml.unicodeScalars.contains("\u{1}"))
        #expect(xml.contains("\nab\n"))
    }

    @Test func keepsLineBreaksInAttributes() throws {
        let specs = try tasks("tasks:\n  - {name: t, command: x}\n")
        let records = [run(0, 1, .failed, [attempt(1, .failed, from: 0, to: 1, error: "line 1\r\nline\t2")])]
        let xml = JUnitReport(report(specs, records)).xml()
        #expect(xml.contains(#"message="line 1&#13;&#10;line&#9;2""#))
        #expect(xml.contains("attempt 1: line 1&#13;\nline\t2</failure>"))
    }
}
