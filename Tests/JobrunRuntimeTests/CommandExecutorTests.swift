import Foundation
import JobrunCore
import Testing

@testable import JobrunRuntime

private struct Discard: OutputSink {
    func line(task: String, run: RunNumber, attempt: Int, stream: StreamKind, text: String) {}
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
        // Ten minutes ahead: under ThreadSanitizer on a busy machine, the attempt's task has
        // been seen to start a minute late.
        let due = Instant(milliseconds: Int64(Date().timeIntervalSince1970 * 1000) + 600_000)
        var request = AttemptRequest(task: task, run: 1, attempt: 1)
        request.startsAt = (due, { .seconds(600) })
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

/// Output tails keep no piece of a secret, wherever the 4 KiB cut falls.
@Suite struct AttemptStreamsMaskTests {
    @Test func aSecretAcrossTheCutOfATailLeavesNoPiece() throws {
        let secret = "Zq7SECRETvalue-42"
        let task = try #require(JobFileValidator().validate(Array("tasks: [{name: t, command: x}]\n".utf8)).file?.tasks.first)
        let bytes = Array(secret.utf8)
        for pad in 4070...4110 {
            let streams = AttemptStreams(AttemptRequest(task: task, run: 1, attempt: 1), sink: Discard(), log: nil, destination: nil,
                                         mask: SecretMask([secret]))
            // A long stream, so the tail is cut; the secret sits just before the last 4 KiB + pad.
            let text = [UInt8](repeating: UInt8(ascii: "a"), count: 20_000) + bytes + [UInt8](repeating: UInt8(ascii: "b"), count: pad)
            for chunk in stride(from: 0, to: text.count, by: 777) {
                text[chunk..<min(chunk + 777, text.count)].withUnsafeBytes { streams.take($0, .stderr) }
            }
            let tail = streams.tail(.stderr)
            #expect(tail.utf8.count <= 4096)
            for k in 2...bytes.count { #expect(!tail.contains(String(secret.suffix(k))), "pad \(pad): \(tail.prefix(40))") }
        }
    }
}
