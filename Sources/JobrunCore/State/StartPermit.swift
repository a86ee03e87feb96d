import Foundation

/// With a store, the store's answer for the attempts handed over together: whether their
/// runs are recorded `running`. An executor hands its job over at once, and the job's
/// process execs only once the answer is yes, so the commit overlaps the hand-over instead
/// of preceding it; on no, nothing runs and the attempt fails with the store's error.
public final class StartPermit: @unchecked Sendable {
    // NSLock, which ThreadSanitizer sees (Synchronization.Mutex it does not).
    private let lock = NSLock()
    private var answer: Result<Void, JobrunError>?
    private var waiters: [CheckedContinuation<JobrunError?, Never>] = []

    /// A permit not yet answered.
    public init() {}

    /// Answers every waiter, now and later: nil when the runs are recorded, else why not.
    public func resolve(_ failure: JobrunError?) {
        let waiting = lock.withLock { () -> [CheckedContinuation<JobrunError?, Never>] in
            guard answer == nil else { return [] }
            answer = failure.map { .failure($0) } ?? .success(())
            defer { waiters = [] }
            return waiters
        }
        for waiter in waiting { waiter.resume(returning: failure) }
    }

    /// Waits for the answer: nil when the runs are recorded, else the store's error.
    public func wait() async -> JobrunError? {
        await withCheckedContinuation { (continuation: CheckedContinuation<JobrunError?, Never>) in
            let known = lock.withLock { () -> Result<Void, JobrunError>? in
                if answer == nil { waiters.append(continuation) }
                return answer
            }
            guard let known else { return }
            switch known {
            case .success: continuation.resume(returning: nil)
            case .failure(let error): continuation.resume(returning: error)
            }
        }
    }
}
