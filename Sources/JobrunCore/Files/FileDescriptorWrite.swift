import Foundation

/// Writing to a file descriptor until every byte is out.
public enum FileDescriptorWrite {
    /// Writes all of `bytes` to `fd`, retrying on EINTR; returns the errno that stopped it, if any.
    @discardableResult
    public static func all(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return EIO }
            offset += n
        }
        return nil
    }

    /// Writes all of `bytes` to `fd`; returns the errno that stopped it, if any.
    @discardableResult
    public static func all(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { all(fd, $0) }
    }
}
