import Foundation
import JobrunCore

/// The random numbers of a randomized test: seeded from `JOBRUN_TEST_SEED` when it is set,
/// else from the system, and the seed is printed, so a failing round can be replayed with
/// `JOBRUN_TEST_SEED=<seed> swift test --filter <test>`.
public struct TestRandom: RandomNumberGenerator {
    /// The seed, to put in a failure's message.
    public let seed: UInt64
    private var generator: SplitMix64

    /// A generator for the test `name`; prints its seed.
    public init(_ name: String = #function) {
        seed = ProcessInfo.processInfo.environment["JOBRUN_TEST_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 0 ... .max)
        generator = SplitMix64(seed: seed)
        print("\(name): random seed \(seed) (replay with JOBRUN_TEST_SEED=\(seed))")
    }

    public mutating func next() -> UInt64 { generator.next() }
}
