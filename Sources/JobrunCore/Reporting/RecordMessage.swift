import Foundation

/// Every sentence jobrun writes into a record: an attempt's `error` and a run's `reason`,
/// in one place, as `Validation/Message.swift` holds the validator's. (How an HTTP request
/// failed is told by `HTTPExecutor.describe`, which reads the error's type.)
public enum RecordMessage {
    // MARK: Why a run never started, or was skipped

    /// `overlap: skip` and the previous run had not ended.
    public static func previousRunStill(running: Bool) -> String {
        "the previous run was still \(running ? "running" : "queued") (overlap: skip)"
    }

    /// In a cluster: another replica's run of the task was active when this one came due.
    public static let previousRunElsewhere = "another replica's run of the task was still running (overlap: skip)"

    /// An `after:` task did not succeed.
    public static func dependencyFailed(_ name: String) -> String { "\"\(name)\" did not succeed (after:)" }

    /// After a restart: `count` due instants from `first` to `last` passed while no jobrun
    /// was running and are not made up.
    public static func missed(_ count: Int, from first: Instant, to last: Instant, catchUp: CatchUp, within: Duration) -> String {
        let span = last == first ? "due at \(first.rfc3339)" : "due from \(first.rfc3339) to \(last.rfc3339)"
        let why = catchUp == .none ? "catch_up: none"
            : "older than catch_up_within (\(ValueSyntax.format(within)))\(catchUp == .all ? " or beyond catch_up_limit" : "")"
        return "missed \(count) run\(count == 1 ? "" : "s") \(span) while no jobrun was running (\(why))"
    }

    /// A run of a task that a reload removed from the file, before it started (or while it
    /// waited to retry).
    public static let removedByReload = "its task was removed from the file by a reload"

    /// A run of a task that a reload disabled (or that `--only`/`--tag` no longer picks), before
    /// it started (or while it waited to retry).
    public static let disabledByReload = "its task was disabled by a reload"

    /// A run the store showed unfinished when a jobrun opened it at `found`.
    public static func abandoned(found: Instant) -> String {
        "the jobrun running it ended without recording its end (killed?); found at \(found.rfc3339)"
    }

    /// In a cluster: this replica's lease on the run ran out (the store did not answer, or
    /// the replica was stopped for longer than a lease); its job was killed, and the cluster
    /// leaves the run `abandoned` or, under `on_lost: rerun`, has another replica run it.
    public static let leaseLost = "this replica's lease on the run ran out; its job was killed (on_lost decides whether another replica runs it again)"

    /// In a cluster: this replica could not renew its lease on the run in time (the store did
    /// not answer, or jobrun was stopped), and jobrun-exec killed its job before the lease
    /// ran out. The run ends `abandoned` or, under `on_lost: rerun`, is run again.
    public static let leaseNotRenewed = "this replica could not renew its lease on the run in time; jobrun-exec killed its job before the lease ran out (on_lost decides whether it runs again)"

    /// A run whose attempt was running when jobrun was stopped.
    public static let stopped = "jobrun was stopped"

    /// Who stopped runs that had not started: jobrun, `--for`, or a store that failed.
    public enum Stopper: Sendable {
        case jobrun, runFor, state

        private var who: String {
            switch self {
            case .jobrun: RecordMessage.stopped
            case .runFor: "--for ended"
            case .state: "the state store failed"
            }
        }
        /// A run that was queued.
        public var beforeItStarted: String { "\(who) before it started" }
        /// A run waiting out a retry delay.
        public var whileWaitingToRetry: String { "\(who) while the run waited to retry" }
        /// The next run of a task, not due yet.
        public var beforeItWasDue: String { "\(who) before the run was due" }
        /// A task waiting for its `after:` tasks.
        public var whileWaitingForAfter: String { "\(who) while the run waited for its after: tasks" }
    }

    // MARK: How an attempt ended

    /// The store could not record that the attempt was starting, so it did not start.
    public static func notRecorded(_ error: JobrunError) -> String {
        "not started: the state store could not record it: \(error)"
    }

    /// The attempt's task was cancelled before its process started.
    public static let stoppedBeforeTheAttempt = "jobrun was stopped before the attempt started"

    /// The attempt was running when jobrun was stopped; `signal` ended the job, if one did.
    public static func stoppedWhileRunning(signal: Int32?) -> String {
        stopped + (signal.map { "; the job ended by signal \($0) (\(signalName($0)))" } ?? "")
    }

    /// The job exited with a status other than 0.
    public static func exited(_ code: Int32) -> String { "exited with status \(code)" }

    /// A signal ended the job.
    public static func killed(by signal: Int32) -> String { "killed by signal \(signal) (\(signalName(signal)))" }

    /// The task's `timeout` ran out; `killed` when SIGKILL followed after `grace`.
    public static func timedOut(after timeout: Duration, grace: Duration, killed: Bool) -> String {
        "timed out after \(ValueSyntax.format(timeout)); the process group got SIGTERM"
            + (killed ? ", then SIGKILL after \(ValueSyntax.format(grace))" : "")
    }

    /// The task's `working_dir` does not exist.
    public static func noWorkingDirectory(_ dir: String) -> String {
        "the working directory \"\(dir)\" does not exist; create it or fix `working_dir`"
    }

    /// The task's `working_dir` is something else than a directory.
    public static func workingDirectoryNotADirectory(_ dir: String) -> String {
        "the working directory \"\(dir)\" is not a directory"
    }

    /// A command task without a command (only a file that skipped validation has one).
    public static let noCommand = "the task has no command"
    /// An http task without a request.
    public static let noRequest = "the task has no http request"
    /// An email task without a message.
    public static let noEmail = "the task has no email"

    /// The lookup of the executable failed (`retried`: the task has retries, which are not made).
    public static func cannotFind(_ error: JobrunError, retried: Bool) -> String {
        error.description + (retried ? " (not retried: it would fail the same way)" : "")
    }

    /// The job could not be handed to jobrun-exec.
    public static func couldNotRun(_ executable: String, _ error: JobrunError) -> String {
        "could not run \(executable): \(error)"
    }

    /// The `output:` file could not be prepared.
    public static func cannotWriteOutput(_ path: String, _ error: JobrunError) -> String {
        "cannot write `output` \"\(path)\": \(error)"
    }

    /// Writing the `output:` file failed on the way.
    public static func outputFailed(_ error: JobrunError) -> String { "writing `output` failed: \(error)" }

    /// The attempt's log could not be made or stopped short.
    public static func noLog(_ error: JobrunError) -> String { "no log was kept: \(error)" }

    /// The message for sendmail could not be written to its temporary file.
    public static func cannotPrepareMessage(errno: Int32) -> String {
        "cannot prepare the message: \(String(cString: strerror(errno)))"
    }

    /// The name of a signal, for messages.
    public static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGTERM: "SIGTERM"
        case SIGKILL: "SIGKILL"
        case SIGINT: "SIGINT"
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        case SIGHUP: "SIGHUP"
        case SIGPIPE: "SIGPIPE"
        case SIGQUIT: "SIGQUIT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        default: "signal \(signal)"
        }
    }
}
