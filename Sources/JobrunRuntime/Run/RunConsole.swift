import Foundation
import JobrunCore

/// The console of a run: one line per event with a timestamp, each job output line whole
/// and prefixed with its task name, or (`--format json`) one JSON object per line. Every
/// line is written with a single `write(2)` under a lock, so lines of different jobs never
/// mix within a line.
public final class RunConsole: OutputSink, Sendable {
    /// Console format.
    public enum Format: Sendable { case text, json }

    private let fd: Int32
    private let format: Format
    private let quiet: Bool
    /// Task names by position; a reload adds to them.
    private let nameList: Locked<ByTask<String>>
    private var names: ByTask<String> { nameList.withLock { $0 } }
    private let github: Bool
    private let color: Bool
    private let live: Bool
    /// Masks the file's secrets in job output and in jobrun's own messages.
    private let mask: SecretMask
    private let counts = Locked(Counts())

    /// What the status line shows.
    private struct Counts {
        var queued = 0, running = 0, done = 0, failed = 0
        var next: (task: TaskIndex, at: Instant)?
        var shown = false
        var ended = false
    }
    /// The last attempt's error of each run, for the annotation of a run that fails.
    private let lastErrors = Locked<[TaskIndex: [RunNumber: String]]>([:])
    /// GitHub Actions: attempts running, and the task whose output is in an open `::group::`.
    private let githubGroups = Locked<(running: Int, open: String?)>((0, nil))

    /// Creates a console writing to `fd` (1 for stdout, 2 when the report goes to stdout);
    /// with `github`, a run that finally fails also prints an `::error` annotation.
    public init(fd: Int32, format: Format, quiet: Bool, mask: SecretMask = .none, taskNames: [String], github: Bool = false,
                color: Bool = false) {
        self.mask = mask
        self.fd = fd
        self.format = format
        self.quiet = quiet
        self.nameList = Locked(ByTask(taskNames))
        self.github = github
        self.color = color && format == .text
        // The live status line is for people at a terminal, like colour.
        self.live = self.color && isatty(fd) == 1
    }

    /// `--color`: `always`, `never`, or `auto` (a terminal, `NO_COLOR` unset, `TERM` not dumb).
    public static func wantsColor(_ choice: String, fd: Int32, environment: [String: String]) -> Bool {
        switch choice {
        case "always": return true
        case "never": return false
        default:
            return isatty(fd) == 1 && (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
        }
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text
    }

    private func name(_ t: TaskIndex) -> String { paint(names[t], "1") }

    private func word(_ status: String) -> String {
        let words = status.replacingOccurrences(of: "_", with: " ")
        switch status {
        case "succeeded": return paint(words, "32")
        case "failed", "timed_out", "abandoned": return paint(words, "31;1")
        default: return paint(words, "33")
        }
    }

    public func line(task: String, run: RunNumber, attempt: Int, stream: StreamKind, text: String) {
        guard !quiet else { return }
        let text = mask(text)
        switch format {
        case .text where github:
            // A job's output goes in a collapsible group while it is the only job running;
            // once another job's output would interleave, lines carry the task name instead.
            let (opening, grouped) = githubGroups.withLock { g -> (String?, Bool) in
                if g.open == task { return (nil, true) }
                var prefix: String?
                if g.open != nil {
                    prefix = "::endgroup::"
                    g.open = nil
                } else if g.running == 1 {
                    g.open = task
                    return ("::group::\(task)", true)
                }
                return (prefix, false)
            }
            if let opening { write(opening) }
            write(grouped ? text : "[\(task)] \(text)")
        case .text: write("\(paint("[\(task)]", "36")) \(text)")
        case .json:
            write(JSONText.object([
                "time": JSONText.string(Instant.now().rfc3339), "event": JSONText.string("output"),
                "task": JSONText.string(task), "run": run.description, "attempt": String(attempt),
                "stream": JSONText.string(stream.rawValue), "line": JSONText.string(text),
            ]))
        }
    }

    /// Prints one scheduler event.
    public func event(_ event: SchedulerEvent) {
        // The instant the event is about, where it has one: a run handed ahead starts on its
        // due instant, a few milliseconds after this line is written.
        let time: Instant
        switch event {
        case .started(_, _, _, let at), .finished(_, _, _, _, let at): time = at
        case .attemptFinished(_, _, let attempt): time = attempt.finishedAt
        default: time = Instant.now()
        }
        if github { annotate(event) }
        if live { count(event) }
        switch format {
        case .json: write(json(event, time))
        case .text:
            guard let text = text(event) else { return }
            write("\(Self.clock(time)) \(text)")
        }
    }

    /// The last line of a run: the summary text, or (`--format json`) a `summary` event with
    /// the outcome, the totals, the exit code and where the report went.
    public func summary(_ text: String, report: Report, exitCode: Int32, reportPath: String?) {
        switch format {
        case .text: write(mask(text))
        case .json:
            let t = report.totals
            let totals = JSONText.object([
                "runs": String(t.runs), "succeeded": String(t.succeeded), "failed": String(t.failed),
                "timed_out": String(t.timedOut), "skipped": String(t.skipped), "cancelled": String(t.cancelled),
                "abandoned": String(t.abandoned), "attempts": String(t.attempts),
            ])
            write(JSONText.object([
                "time": JSONText.string(Instant.now().rfc3339), "event": JSONText.string("summary"),
                "outcome": JSONText.string(report.outcome.rawValue), "signal": report.signal.map { String($0) } ?? "null",
                "exit_code": String(exitCode), "duration_ms": String((report.finishedAt - report.startedAt).milliseconds),
                "totals": totals, "report": reportPath.map(JSONText.string) ?? "null",
                "message": JSONText.string(mask(text)),
            ]))
        }
    }

    /// Names tasks a reload adds, before any event of theirs.
    public func add(names added: [String]) {
        nameList.withLock { list in for name in added { list.append(name) } }
    }

    /// A reload: a line saying what changed or that it failed, or (`--format json`) a
    /// `reload` event with the record's fields.
    public func reload(_ record: ReloadRecord, file: String) {
        switch format {
        case .json:
            write(String(record.json.dropLast()) + ", \"time\": \(JSONText.string(Instant.now().rfc3339)), \"event\": \"reload\"}")
        case .text:
            let c = record.changes
            func part(_ list: [String], _ word: String) -> String? {
                list.isEmpty ? nil : "\(word) \(list.map { "\"\($0)\"" }.joined(separator: ", "))"
            }
            let parts = [part(c.added, "added"), part(c.changed, "changed"), part(c.removed, "removed")].compactMap { $0 }
            let text = record.succeeded
                ? "jobrun: reloaded \(file): " + (parts.isEmpty ? "no task changed" : parts.joined(separator: "; "))
                : "jobrun: the reload of \(file) failed (\(record.error ?? "")); the running schedule stays"
            write("\(Self.clock(record.at)) \(mask(text))")
        }
    }

    /// Prints a line of jobrun's own (a warning).
    public func warning(_ text: String) { note(text) }

    /// A message of jobrun's own: a text line, or a `note` event.
    public func note(_ text: String) {
        let text = mask(text)
        switch format {
        case .text: write(text)
        case .json: write(JSONText.object(["time": JSONText.string(Instant.now().rfc3339), "event": JSONText.string("note"),
                                           "message": JSONText.string(text)]))
        }
    }

    /// GitHub Actions: an `::error` for every run that failed or timed out after its retries.
    private func annotate(_ event: SchedulerEvent) {
        switch event {
        case .started:
            githubGroups.withLock { $0.running += 1 }
        case .attemptFinished(let t, let run, let a):
            lastErrors.withLock { $0[t, default: [:]][run] = a.error }
            let close = githubGroups.withLock { g -> Bool in
                g.running -= 1
                guard g.open == names[t] else { return false }
                g.open = nil
                return true
            }
            if close { write("::endgroup::") }
        case .finished(let t, let run, let status, let reason, _):
            // Let go of the run's last error, so memory stays flat however many runs end.
            let error = lastErrors.withLock { $0[t]?.removeValue(forKey: run) }
            guard status == .failed || status == .timedOut || status == .abandoned else { break }
            write(GitHubAnnotation.error(title: "jobrun: \(names[t]) run \(run) \(status.rawValue.replacingOccurrences(of: "_", with: " "))",
                                         message: error ?? reason ?? status.rawValue))
        default:
            break
        }
    }

    private func text(_ event: SchedulerEvent) -> String? {
        switch event {
        case .queued:
            return nil
        case .started(let t, let run, let attempt, _):
            guard !quiet else { return nil }
            return "▶ \(name(t)) run \(run)\(attempt > 1 ? " attempt \(attempt)" : "") started"
        case .attemptFinished(let t, let run, let a):
            guard a.status != .succeeded else { return nil }
            if quiet && a.status == .cancelled { return nil }
            return "\(paint("✗", "31")) \(name(t)) run \(run) attempt \(a.attempt) \(word(a.status.rawValue)): \(a.error ?? "")"
        case .retrying(let t, let run, let attempt, let delay):
            guard !quiet else { return nil }
            return "↻ \(name(t)) run \(run) \(paint("retrying", "33")) in \(ValueSyntax.format(delay)) (attempt \(attempt))"
        case .nextDue:
            return nil
        case .triggered(let t, let run, let by):
            guard !quiet else { return nil }
            let key = by.status == .succeeded ? "on_success" : "on_failure"
            return "⚑ \(name(t)) run \(run) triggered: \(paint(by.task, "1")) run \(by.run) \(word(by.status.rawValue)) (\(key))"
        case .finished(let t, let run, let status, let reason, _):
            if quiet && (status == .succeeded || status == .cancelled) { return nil }
            let mark = status == .succeeded ? paint("✓", "32") : status == .skipped || status == .cancelled ? paint("–", "33") : paint("✗", "31")
            return "\(mark) \(name(t)) run \(run) \(word(status.rawValue))\(reason.map { ": \($0)" } ?? "")"
        }
    }

    private func json(_ event: SchedulerEvent, _ time: Instant) -> String {
        let t = JSONText.string(time.rfc3339)
        switch event {
        case .queued(let task, let run, let attempt):
            return JSONText.object(["time": t, "event": "\"queued\"", "task": JSONText.string(names[task]),
                                    "run": run.description, "attempt": String(attempt)])
        case .started(let task, let run, let attempt, _):
            return JSONText.object(["time": t, "event": "\"started\"", "task": JSONText.string(names[task]),
                                    "run": run.description, "attempt": String(attempt)])
        case .attemptFinished(let task, let run, let a):
            return JSONText.object(["time": t, "event": "\"attempt_finished\"", "task": JSONText.string(names[task]),
                                    "run": run.description, "attempt": String(a.attempt), "status": JSONText.string(a.status.rawValue),
                                    "exit_code": a.exitCode.map(String.init) ?? "null", "signal": a.signal.map(String.init) ?? "null",
                                    "error": a.error.map(JSONText.string) ?? "null"])
        case .retrying(let task, let run, let attempt, let delay):
            return JSONText.object(["time": t, "event": "\"retrying\"", "task": JSONText.string(names[task]),
                                    "run": run.description, "attempt": String(attempt), "delay_ms": String(delay.milliseconds)])
        case .nextDue(let task, let at):
            return JSONText.object(["time": t, "event": "\"next_due\"", "task": task.map { JSONText.string(names[$0]) } ?? "null",
                                    "at": at.map { JSONText.string($0.rfc3339) } ?? "null"])
        case .triggered(let task, let run, let by):
            return JSONText.object(["time": t, "event": "\"triggered\"", "task": JSONText.string(names[task]),
                                    "run": run.description,
                                    "by": JSONText.object(["task": JSONText.string(by.task), "run": by.run.description,
                                                           "status": JSONText.string(by.status.rawValue)])])
        case .finished(let task, let run, let status, let reason, _):
            return JSONText.object(["time": t, "event": "\"finished\"", "task": JSONText.string(names[task]),
                                    "run": run.description, "status": JSONText.string(status.rawValue),
                                    "reason": reason.map(JSONText.string) ?? "null"])
        }
    }

    private func write(_ line: String) {
        counts.withLock { counts in
            // The status line is cleared, the line written whole, and the status drawn again,
            // in one write: output lines are never torn by it.
            var text = live && counts.shown ? "\r\u{1B}[K" : ""
            text += line + "\n"
            if live && !counts.ended {
                text += statusText(counts)
                counts.shown = true
            }
            _ = FileDescriptorWrite.all(fd, Array(text.utf8))
        }
    }

    private func statusText(_ c: Counts) -> String {
        let failed = c.failed > 0 ? paint(" (\(c.failed) failed)", "31") : ""
        let next = c.next.map { paint(" · next: \(names[$0.task]) at \(Self.clock($0.at).prefix(8))", "2") } ?? ""
        return paint("● running \(c.running) · queued \(max(0, c.queued)) · done \(c.done)", "2") + failed + next
    }

    private func count(_ event: SchedulerEvent) {
        let changed = counts.withLock { c -> Bool in
            switch event {
            case .queued: c.queued += 1
            case .started:
                c.queued -= 1
                c.running += 1
            case .attemptFinished: c.running -= 1
            case .retrying, .triggered: return false
            case .nextDue(let task, let at):
                c.next = task.flatMap { t in at.map { (t, $0) } }
            case .finished(_, _, let status, _, _):
                c.done += 1
                if status == .failed || status == .timedOut || status == .abandoned { c.failed += 1 }
            }
            return true
        }
        if changed && text(event) == nil { redraw() }
    }

    private func redraw() {
        counts.withLock { c in
            guard !c.ended else { return }
            _ = FileDescriptorWrite.all(fd, Array(("\r\u{1B}[K" + statusText(c)).utf8))
            c.shown = true
        }
    }

    /// Removes the status line (before the summary, at the end).
    public func clearStatus() {
        guard live else { return }
        counts.withLock { c in
            if c.shown { _ = FileDescriptorWrite.all(fd, Array("\r\u{1B}[K".utf8)) }
            c.shown = false
            c.ended = true
        }
    }

    /// `HH:MM:SS.mmm` in UTC, the timestamp of event lines.
    static func clock(_ t: Instant) -> String {
        let rfc = t.rfc3339
        let start = rfc.index(rfc.startIndex, offsetBy: 11)
        return String(rfc[start..<rfc.index(start, offsetBy: 12)])
    }
}
