import Foundation

/// Runs `body`, which blocks (waits for a process), on a thread of its own, and returns what
/// it returns. A test that waits minutes for a process this way keeps none of the cooperative
/// pool's few threads (two on a two-core machine), which the in-process async tests share.
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (done: CheckedContinuation<T, any Error>) in
        let thread = Thread {
            do { done.resume(returning: try body()) } catch { done.resume(throwing: error) }
        }
        thread.start()
    }
}
