/// A failure of the test support itself (a peer that did not start, a file that never
/// appeared), thrown so that the test calling it fails with the message.
public struct SupportError: Error, CustomStringConvertible {
    public let description: String

    /// A failure saying `description`.
    public init(_ description: String) { self.description = description }
}
