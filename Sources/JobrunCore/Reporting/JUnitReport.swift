/// A report as JUnit XML, the test-result format CI servers show (Jenkins, GitLab, GitHub
/// test-report actions): one `<testsuite>` for the jobs file and one `<testcase>` per run.
///
/// Failed, timed-out and abandoned runs are failures; skipped and cancelled runs are skipped. A run's
/// last attempt supplies its `<system-out>` and `<system-err>`.
public struct JUnitReport: Sendable {
    /// The report to render.
    public var report: Report

    /// Creates the JUnit rendering of `report`.
    public init(_ report: Report) {
        self.report = report
    }

    /// The XML document: UTF-8 text ending in a newline.
    public func xml() -> String {
        // The counts are of the runs listed (the last `report_runs` of each task), so that
        // they agree with the test cases.
        let t = Report.Totals(counting: report.records)
        let counts = "tests=\"\(t.runs)\" failures=\"\(t.failed + t.timedOut + t.abandoned)\" errors=\"0\""
            + " skipped=\"\(t.skipped + t.cancelled)\" time=\"\(Self.seconds(report.startedAt, report.finishedAt))\""
        var lines = [
            #"<?xml version="1.0" encoding="UTF-8"?>"#,
            #"<testsuites name="jobrun" \#(counts)>"#,
            #"  <testsuite name="\#(Self.attribute(report.configPath))" \#(counts) timestamp="\#(report.startedAt.rfc3339)">"#,
        ]
        for run in report.records.sorted(by: { ($0.task, $0.run) < ($1.task, $1.run) }) {
            lines += testCase(run)
        }
        lines += ["  </testsuite>", "</testsuites>"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// The `<testcase>` element of one run, as lines.
    private func testCase(_ run: RunRecord) -> [String] {
        let task = report.tasks.indices.contains(run.task.position) ? report.tasks[run.task].name : "task \(run.task.position + 1)"
        let open = "    <testcase classname=\"\(Self.attribute(task))\" name=\"\(Self.attribute("\(task) run \(run.run)"))\""
            + " time=\"\(Self.seconds(run.startedAt, run.finishedAt))\""
        var body: [String] = []
        switch run.status {
        case .failed, .timedOut, .abandoned:
            let message = run.attempts.last?.error ?? run.reason ?? run.status.rawValue
            let errors = run.attempts.compactMap { a in a.error.map { "attempt \(a.attempt): \($0)" } }
            body.append("      <failure message=\"\(Self.attribute(message))\" type=\"\(run.status.rawValue)\">"
                + Self.text(errors.joined(separator: "\n")) + "</failure>")
        case .skipped, .cancelled:
            body.append(run.reason.map { "      <skipped message=\"\(Self.attribute($0))\"/>" } ?? "      <skipped/>")
        case .succeeded, .scheduled, .queued, .running, .retrying:
            break
        }
        if let last = run.attempts.last {
            if !last.stdoutTail.isEmpty { body.append("      <system-out>\(Self.text(last.stdoutTail))</system-out>") }
            if !last.stderrTail.isEmpty { body.append("      <system-err>\(Self.text(last.stderrTail))</system-err>") }
        }
        return body.isEmpty ? [open + "/>"] : [open + ">"] + body + ["    </testcase>"]
    }

    /// Seconds from `from` to `to` with three decimals; `0.000` when either is missing.
    private static func seconds(_ from: Instant?, _ to: Instant?) -> String {
        guard let from, let to else { return "0.000" }
        let ms = max(0, (to - from).milliseconds)
        let frac = String(ms % 1000)
        return "\(ms / 1000)." + String(repeating: "0", count: 3 - frac.count) + frac
    }

    /// `s` escaped for element content.
    private static func text(_ s: String) -> String { escape(s, inAttribute: false) }

    /// `s` escaped for a double-quoted attribute value; line breaks and tabs are kept as
    /// character references, which attribute normalization would otherwise turn into spaces.
    private static func attribute(_ s: String) -> String { escape(s, inAttribute: true) }

    /// Escapes markup characters and drops those XML 1.0 does not allow at all (control
    /// characters other than tab, line feed and carriage return; U+FFFE and U+FFFF).
    private static func escape(_ s: String, inAttribute: Bool) -> String {
        s.escaping { u in
            switch u {
            case "&": "&amp;"
            case "<": "&lt;"
            case ">": "&gt;"
            case "\"": "&quot;"
            case "'": "&apos;"
            case "\r": "&#13;"
            case "\n" where inAttribute: "&#10;"
            case "\t" where inAttribute: "&#9;"
            case "\n", "\t": nil
            default: u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF ? "" : nil
            }
        }
    }
}
