import Foundation

/// Reading a jobs file from disk with a size check first, so a huge file costs nothing.
extension JobFileValidator {
    /// Reads and validates the file at `path`; a file that cannot be read is one error.
    public func validate(contentsOf path: String) -> Validated {
        switch Self.read(path, limit: limits.maxBytes) {
        case .failure(let d): return Validated(file: nil, diagnostics: [d])
        case .success(let bytes): return validate(bytes)
        }
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
        guard let fh = FileHandle(forReadingAtPath: path) else {
            return .failure(Diagnostic(.error, .cannotRead(String(cString: strerror(errno))), at: .start, path: ""))
        }
        defer { try? fh.close() }
        do {
            let data = try fh.read(upToCount: limit + 1) ?? Data()
            if data.count > limit {
                return .failure(Diagnostic(.error, .fileTooLarge(data.count, limit: limit), at: .start, path: ""))
            }
            return .success([UInt8](data))
        } catch {
            return .failure(Diagnostic(.error, .cannotRead("\(error)"), at: .start, path: ""))
        }
    }
}
