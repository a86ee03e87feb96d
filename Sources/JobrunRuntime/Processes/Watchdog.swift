import Foundation

/// Ends a job that ran out of time or must stop: SIGTERM to its process group, then SIGKILL
/// after `kill_grace` while it still runs. The grace runs even when the attempt's task is
/// cancelled (a job told to stop still gets its grace), and ends when the job does. Time is
/// read from the injected clock (a manual one in tests). Each timer is a task of its own,
/// not a child of the attempt's, because it must outlive the attempt's cancellation; every
/// one is kept and cancelled in ``end()``.
final class Watchdog: Sendable {
    enum Reason { case timedOut, stopped }

    private struct State {
        var reason: Reason?
        var ended = false
        var timers: [Task<Void, Never>] = []
    }

    private let state = Locked(State())
    private let job: JobProcess
    private let processes: ProcessHost
    private let grace: Duration
    private let clock: any Clock<Duration>

    init(job: JobProcess, processes: ProcessHost, grace: Duration, clock: any Clock<Duration> = ContinuousClock()) {
        self.job = job
        self.processes = processes
        self.grace = grace
        self.clock = clock
    }
    /// Fires with `.timedOut` after `timeout`.
    func arm(_ timeout: Duration) {
        after(timeout) { self.fire(.timedOut) }
    }

    /// SIGTERM now, SIGKILL after the grace; only the first call counts.
    func fire(_ reason: Reason) {
        let first = state.withLock { state -> Bool in
            guard !state.ended, state.reason == nil else { return false }
            state.reason = reason
            return true
        }
        guard first else { return }
        processes.signal(job, SIGTERM)
        after(grace) { self.processes.signal(self.job, SIGKILL) }
    }

    /// The job has ended: no more signals. Returns why it was ended, if it was.
    func end() -> Reason? {
        state.withLock { state in
            state.ended = true
            state.timers.forEach { $0.cancel() }
            state.timers = []
            return state.reason
        }
    }

    private func after(_ duration: Duration, _ body: @escaping @Sendable () -> Void) {
        guard !state.withLock({ $0.ended }) else { return }
        let clock = self.clock
        let timer = Task {
            do { try await clock.sleep(for: duration) } catch { return }
            body()
        }
        let armed = state.withLock { state -> Bool in
            guard !state.ended else { return false }
            state.timers.append(timer)
            return true
        }
        if !armed { timer.cancel() }
    }
}
