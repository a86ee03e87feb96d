import JobrunCore

/// Writes whole lines to stdout and stderr with one write each, so nothing is buffered
/// or torn when output is a pipe.
struct Console {
    func out(_ text: String) { write(1, text.hasSuffix("\n") ? text : text + "\n") }
    func err(_ text: String) { write(2, text.hasSuffix("\n") ? text : text + "\n") }

    private func write(_ fd: Int32, _ text: String) {
        FileDescriptorWrite.all(fd, Array(text.utf8))
    }
}
