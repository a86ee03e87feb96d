import Foundation

/// Writing to a file descriptor until every byte is out.
public enum FileDescriptorWrite {
    /// Writes all of `bytes` to `fd`, retrying on EINTR; returns the errno that stopped it, if any.
    /// A `socket` is written with `send(MSG_NOSIGNAL)`, so a closed peer is EPIPE and not SIGPIPE.
    @discardableResult
    public static func all(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, socket: Bool = false) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let base = bytes.baseAddress! + offset, count = bytes.count - offset
            let n = socket ? send(fd, base, count, Int32(MSG_NOSIGNAL)) : write(fd, base, count)
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
