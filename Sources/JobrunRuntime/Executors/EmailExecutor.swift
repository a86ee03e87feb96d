import Foundation
import JobrunCore

/// Runs `type: email` attempts: composes the message (RFC 5322) and hands it, as an unlinked
/// temporary file on stdin, to a sendmail-compatible program, `sendmail -t -i`, taken from `email.sendmail`, else
/// `$JOBRUN_SENDMAIL`, else `/usr/sbin/sendmail`. Success is the program's exit status 0;
/// the program runs like a command (own process group, timeout, output in the record).
public struct EmailExecutor: Executor {
    let command: CommandExecutor

    /// Creates an executor that runs the sendmail program through `command`.
    public init(command: CommandExecutor) {
        self.command = command
    }

    public func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord {
        guard var mail = request.task.email else {
            let t = now()
            return AttemptRecord(attempt: request.attempt, status: .failed, startedAt: t, finishedAt: t, error: RecordMessage.noEmail)
        }
        mail.subject = EnvironmentReference.expandEvents(mail.subject, event: request.event, encode: EventEncoding.oneLine)
        mail.body = EnvironmentReference.expandEvents(mail.body, event: request.event)
        let sendmail = mail.sendmail ?? command.environment["JOBRUN_SENDMAIL"] ?? "/usr/sbin/sendmail"
        let host = ProcessInfo.processInfo.hostName
        let date = now()
        let id = "\(date.milliseconds).\(UInt32.random(in: 0 ... .max)).\(request.task.index).jobrun@\(host)"
        let message = mail.composed(date: date, messageID: id, defaultFrom: "jobrun@\(host)")
        // The message reaches sendmail's stdin from an unlinked temporary file: a program that
        // exits without reading it (a refused relay) then costs nothing, where a pipe would
        // leave a writer behind.
        guard let fd = Self.temporaryFile(holding: Array(message.utf8)) else {
            let t = now()
            return AttemptRecord(attempt: request.attempt, status: .failed, startedAt: t, finishedAt: t,
                                 error: RecordMessage.cannotPrepareMessage(errno: errno))
        }
        return await command.run(request, argv: [sendmail, "-t", "-i"], input: fd, now: now)
    }

    /// An unlinked file in the temporary directory with `bytes` in it, positioned at its start.
    static func temporaryFile(holding bytes: [UInt8]) -> Int32? {
        var template = Array((NSTemporaryDirectory() + "/jobrun-mail-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { return nil }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        if let error = FileDescriptorWrite.all(fd, bytes) {
            close(fd)
            errno = error
            return nil
        }
        lseek(fd, 0, SEEK_SET)
        return fd
    }
}
