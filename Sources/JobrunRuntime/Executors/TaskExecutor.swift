import JobrunCore

/// Picks the executor for a task's type.
struct TaskExecutor: Executor {
    let command: CommandExecutor
    let http: HTTPExecutor
    let email: EmailExecutor

    func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord {
        switch request.task.type {
        case .command: await command.run(request, now: now)
        case .http: await http.run(request, now: now)
        case .email: await email.run(request, now: now)
        }
    }
}
