import Foundation

/// A value behind a lock, for state that jobs, signals and the console share.
///
/// Not `Synchronization.Mutex`: on Linux that locks with futex calls ThreadSanitizer cannot
/// see, so it would report every access behind it as a race. `NSLock` is a pthread mutex,
/// which ThreadSanitizer understands, so `swift test --sanitize=thread` checks this code.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    /// Runs `body` with the value, holding the lock.
    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
