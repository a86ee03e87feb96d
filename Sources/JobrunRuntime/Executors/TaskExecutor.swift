import JobrunCore

/// Picks the executor for a task's type.
struct TaskExecutor: Executor {
    let command: CommandExecutor
    let http: HTTPExecutor
    let email: EmailExecutor

    func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord {
        switch request.task.type {
        case .command: return await command.run(request, now: now)
        case .http:
            // No process to hold back: the request waits for the store's answer.
            if let permit = request.permit, let refused = await permit.wait() {
                let at = now()
                var record = AttemptRecord(attempt: request.attempt, status: .failed, startedAt: at, finishedAt: at,
                                           error: RecordMessage.notRecorded(refused))
                record.retryable = false
                return record
            }
            return await http.run(request, now: now)
        case .email: return await email.run(request, now: now)
        }
    }
}
