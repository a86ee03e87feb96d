import Foundation
import JobrunCore
import Testing

@testable import JobrunRuntime

private struct Discard: OutputSink {
    func line(task: String, stream: StreamKind, text: String) {}
    func warning(_ text: String) {}
}

/// An attempt handed over ahead of its due instant and stopped before it.
@Suite struct CommandExecutorTests {
    @Test func anAttemptStoppedBeforeItsInstantIsCancelledAndNeverEndsBeforeItStarts() async throws {
        let program: String = try #require(ProcessHost.installedServer())
        let host = ProcessHost(program: program)
        defer { host.stop() }
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-ahead-\(UUID().uuidString)").path
        let validated = JobFileValidator().validate(Array("tasks: [{name: t, command: \"touch \(marker)\"}]\n".utf8))
        let task = try #require(validated.file?.tasks.first)
        let executor = CommandExecutor(environment: ["PATH": "/usr/bin:/bin"], output: Discard(), logs: nil, processes: host)
        let due = Instant(milliseconds: Int64(Date().timeIntervalSince1970 * 1000) + 60_000)
        var request = AttemptRequest(task: task, run: 1, attempt: 1)
        request.startsAt = (due, { .seconds(60) })
        let attempt = Task { await executor.run(request, now: { Instant(milliseconds: Int64(Date().timeIntervalSince1970 * 1000)) }) }
        try await Task.sleep(for: .milliseconds(200))
        attempt.cancel()
        let record = await attempt.value
        #expect(record.status == .cancelled)
        #expect(record.startedAt == due)
        #expect(record.finishedAt >= record.startedAt)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
