import JobrunCore
import Testing

/// Runs handed to the executor ahead of their due instant (``SchedulerCore/advanceAhead``):
/// only when nothing that can happen before the instant would change their start.
@Suite struct HandingAheadTests {
    private let start = Instant(seconds: 1_800_000_000)

    private func core(_ yaml: String) throws -> SchedulerCore {
        let v = JobFileValidator().validate(Array(yaml.utf8))
        let file = try #require(v.file, "\(v.diagnostics.map { $0.formatted(file: "t") })")
        return SchedulerCore(file: file, setup: SchedulerSetup(workers: file.workers, jitterSeed: 1), start: start, emit: { _ in })
    }

    private func at(_ seconds: Double) -> Instant { start + .milliseconds(Int64(seconds * 1000)) }

    private func ahead(_ core: inout SchedulerCore, at seconds: Double, stopAt: Double? = nil) -> [SchedulerCore.Start] {
        _ = core.advance(to: at(seconds))
        return core.advanceAhead(to: at(seconds) + .milliseconds(10), stopAt: stopAt.map(at)) { _ in .milliseconds(7) }
    }

    @Test func aRunDueWithinTheLeadStartsAheadForItsInstant() throws {
        var core = try core("tasks: [{name: a, command: x, schedule: +5s}, {name: b, command: x, schedule: +5005ms}]\n")
        #expect(core.advance(to: start).isEmpty)
        let starts = ahead(&core, at: 4.995)
        #expect(starts.map(\.request.task.name) == ["a", "b"])
        #expect(starts.map { $0.request.startsAt?.at } == [at(5), at(5.005)])
        #expect(starts.first?.request.startsAt?.in() == .milliseconds(7))
        #expect(core.records.map(\.startedAt) == [at(5), at(5.005)])
        #expect(core.records.map(\.status) == [.running, .running])
        #expect(core.nextWake == nil)
    }

    /// An attempt handed ahead that fails before its process starts ends on its due instant,
    /// even when reported before it: its retry's delay counts from there.
    @Test func aRetryOfAnAttemptHandedAheadCountsFromItsInstant() throws {
        var core = try core("tasks: [{name: a, command: x, schedule: +5s, retries: 1, retry_delay: 1s}]\n")
        _ = core.advance(to: start)
        let run = try #require(ahead(&core, at: 4.995).first).run
        let failed = AttemptRecord(attempt: 1, status: .failed, startedAt: at(5), finishedAt: at(5), exitCode: 127)
        #expect(core.attemptFinished(run, record: failed, at: at(4.996)).isEmpty)
        #expect(core.nextWake == at(6))
    }

    @Test func nothingFurtherThanTheLeadStartsAhead() throws {
        var core = try core("tasks: [{name: a, command: x, schedule: +5s}]\n")
        _ = core.advance(to: start)
        #expect(ahead(&core, at: 4.98).isEmpty)
        #expect(core.records.isEmpty)
    }

    @Test(arguments: [
        // A run of the task is still running (overlap could change the decision).
        ("tasks: [{name: a, command: x, repeat: 5s, count: 2}]\n", nil as Double?),
        // Not enough free workers for every run due in the window.
        ("workers: 1\ntasks: [{name: busy, command: x}, {name: a, command: x, schedule: +5s}]\n", nil),
        // An HTTP request is made on time, not handed ahead.
        ("tasks: [{name: a, type: http, http: {url: 'http://127.0.0.1:9/'}, schedule: +5s}]\n", nil),
        // --for ends at the instant.
        ("tasks: [{name: a, command: x, schedule: +5s}]\n", 5),
        // A retry is due in the window.
        ("tasks: [{name: a, command: x, retries: 1, retry_delay: 5s}]\n", nil),
    ])
    func nothingStartsAheadThatCouldStillChange(yaml: String, stopAt: Double?) throws {
        var core = try core(yaml)
        let first = core.advance(to: start)
        if yaml.contains("retries") {
            // The first attempt fails at once; the retry is due 5 s later.
            let failed = AttemptRecord(attempt: 1, status: .failed, startedAt: start, finishedAt: start, exitCode: 1)
            _ = core.attemptFinished(try #require(first.first).run, record: failed, at: start)
        }
        let runs = core.records.count
        #expect(ahead(&core, at: 4.995, stopAt: stopAt).isEmpty)
        #expect(core.records.count == runs, "nothing was decided ahead")
    }
}
