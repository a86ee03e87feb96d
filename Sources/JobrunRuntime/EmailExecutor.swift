import Foundation
import JobrunCore
import Subprocess

/// Runs `type: email` attempts: composes the message (RFC 5322) and pipes it to a
/// sendmail-compatible program, `sendmail -t -i`, taken from `email.sendmail`, else
/// `$JOBRUN_SENDMAIL`, else `/usr/sbin/sendmail`. Success is the program's exit status 0;
/// the program runs like a command (own process group, timeout, output in the record).
public struct EmailExecutor: Executor {
    let command: CommandExecutor

    /// Creates an executor that runs the sendmail program through `command`.
    public init(command: CommandExecutor) {
        self.command = command
    }

    public func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord {
        guard let mail = request.task.email else {
            let t = now()
            return AttemptRecord(attempt: request.attempt, status: .failed, startedAt: t, finishedAt: t, error: "the task has no email")
        }
        let sendmail = mail.sendmail ?? command.environment["JOBRUN_SENDMAIL"] ?? "/usr/sbin/sendmail"
        let host = ProcessInfo.processInfo.hostName
        let date = now()
        let id = "\(date.milliseconds).\(UInt32.random(in: 0 ... .max)).\(request.task.index).jobrun@\(host)"
        let message = mail.composed(date: date, messageID: id, defaultFrom: "jobrun@\(host)")
        return await command.run(request, argv: [sendmail, "-t", "-i"], input: .array(Array(message.utf8)), now: now)
    }
}
