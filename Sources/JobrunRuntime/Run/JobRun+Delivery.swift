import Foundation
import JobrunCore

extension JobRun {
    /// Writes the report, the JUnit report and the GitHub step summary, prints the summary
    /// line, and returns the exit code: the report's, or 3 when a report could not be written.
    func deliver(_ report: Report, console: RunConsole, environment: [String: String]) -> Int32 {
        var written = "no report"
        var delivered = true
        if let path = invocation.report {
            delivered = Self.deliver(report.json(), to: path, what: "report", console: console)
            written = path == "-" ? "report on stdout" : "report: \(path)"
        }
        if let junit = invocation.junit {
            delivered = Self.deliver(JUnitReport(report).xml(), to: junit, what: "JUnit report", console: console) && delivered
        }
        if let path = environment["GITHUB_STEP_SUMMARY"], !path.isEmpty {
            do { try WritePath.append(Array(report.markdownSummary().utf8), to: path) } catch {
                console.note("jobrun: warning: the step summary was not written: \(error)")
            }
        }
        let code = delivered ? report.exitCode : ExitStatus.internalFailure
        console.summary(Self.summary(report, written), report: report, exitCode: code,
                        reportPath: delivered ? invocation.report : nil)
        return code
    }

    /// Writes a report through the one write path. When it cannot be written, the report
    /// goes to stderr (unless that is where it failed), so that it is not lost.
    static func deliver(_ text: String, to path: String, what: String, console: RunConsole) -> Bool {
        do {
            try WritePath.replace(path, with: Array(text.utf8))
            return true
        } catch {
            if WritePath.descriptor(path) == 2 {
                console.note("jobrun: the \(what) could not be written: \(error)")
            } else {
                console.note("jobrun: the \(what) could not be written: \(error); it follows on stderr")
                _ = FileDescriptorWrite.all(2, Array(text.utf8))
            }
            return false
        }
    }

    static func summary(_ report: Report, _ written: String) -> String {
        let t = report.totals
        let seconds = Double((report.finishedAt - report.startedAt).milliseconds) / 1000
        var parts = ["\(t.succeeded) succeeded"]
        if t.failed > 0 { parts.append("\(t.failed) failed") }
        if t.timedOut > 0 { parts.append("\(t.timedOut) timed out") }
        if t.skipped > 0 { parts.append("\(t.skipped) skipped") }
        if t.cancelled > 0 { parts.append("\(t.cancelled) cancelled") }
        if t.abandoned > 0 { parts.append("\(t.abandoned) abandoned") }
        let outcome = report.outcome == .interrupted ? "interrupted by signal \(report.signal ?? 0)" : report.outcome.rawValue
        return "jobrun: \(outcome): \(t.runs) run\(t.runs == 1 ? "" : "s") (\(parts.joined(separator: ", "))), "
            + "\(t.attempts) attempt\(t.attempts == 1 ? "" : "s") in \(String(format: "%.1f", seconds))s; \(written)"
    }
}
