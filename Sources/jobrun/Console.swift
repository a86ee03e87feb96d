#if canImport(Glibc)
import Glibc
#endif

/// Writes whole lines to stdout and stderr with one write each, so nothing is buffered
/// or torn when output is a pipe.
struct Console {
    func out(_ text: String) { write(1, text.hasSuffix("\n") ? text : text + "\n") }
    func err(_ text: String) { write(2, text.hasSuffix("\n") ? text : text + "\n") }

    private func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
        bytes.removeAll()
    }
}
