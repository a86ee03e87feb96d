import Foundation

/// Reading a jobs file from disk with a size check first, so a huge file costs nothing.
extension JobFileValidator {
    /// Reads and validates the file at `path`; a file that cannot be read is one error.
    public func validate(contentsOf path: String) -> Validated {
        var bytes: [UInt8]
        switch Self.read(path, limit: limits.maxBytes) {
        case .failure(let d): return Validated(file: nil, diagnostics: [d])
        case .success(let b): bytes = b
        }
        // Hand the only reference over, so the text is freed as soon as it is parsed.
        return validate(consuming: &bytes)
    }

    static func read(_ path: String, limit: Int) -> Result<[UInt8], Diagnostic> {
        var st = stat()
        guard stat(path, &st) == 0 else {
            return .failure(Diagnostic(.error, .cannotRead(String(cString: strerror(errno))), at: .start, path: ""))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            return .failure(Diagnostic(.error, .cannotRead("it is a directory"), at: .start, path: ""))
        }
        if st.st_size > limit {
            return .failure(Diagnostic(.error, .fileTooLarge(Int(st.st_size), limit: limit), at: .start, path: ""))
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            return .failure(Diagnostic(.error, .cannotRead(String(cString: strerror(errno))), at: .start, path: ""))
        }
        defer { close(fd) }
        // Read straight into the buffer the parser uses; stop one byte past the limit, so a
        // file that grew since stat() is still refused.
        var failure: Int32 = 0
        var bytes = [UInt8](unsafeUninitializedCapacity: Int(st.st_size) + 1) { buffer, count in
            count = 0
            while count < buffer.count {
                let n = Foundation.read(fd, buffer.baseAddress! + count, buffer.count - count)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failure = errno; return }
                if n == 0 { return }
                count += n
            }
        }
        if failure != 0 {
            return .failure(Diagnostic(.error, .cannotRead(String(cString: strerror(failure))), at: .start, path: ""))
        }
        while bytes.count > Int(st.st_size), bytes.count <= limit {
            // The file grew while being read: take the rest, up to the limit.
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = Foundation.read(fd, &chunk, chunk.count)
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        if bytes.count > limit {
            return .failure(Diagnostic(.error, .fileTooLarge(bytes.count, limit: limit), at: .start, path: ""))
        }
        return .success(bytes)
    }
}
