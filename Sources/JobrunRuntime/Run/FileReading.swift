import JobrunCore

/// The file read again for a reload: the model with the command line's overrides applied
/// (`--workers`, `--only`/`--tag`, `--now`), or why it cannot be taken.
public enum FileReading: Sendable {
    /// A valid file.
    case valid(ReadFile)
    /// An invalid or unreadable file: every line to print, the first error, and the
    /// SHA-256 of what was read (nil when nothing could be).
    case invalid(lines: [String], firstError: String, sha256: String?)
}

/// A valid file read for a reload.
public struct ReadFile: Sendable {
    /// The file, flags applied.
    public var file: JobFile
    /// The worker pool's size (`--workers` beats the file).
    public var workers: Int
    /// The names `--only`/`--tag` pick in it; nil for all.
    public var selecting: Set<String>?
    /// The SHA-256 of its bytes.
    public var sha256: String
    /// Its warnings, as lines to print.
    public var lines: [String]

    /// Creates a read file.
    public init(file: JobFile, workers: Int, selecting: Set<String>?, sha256: String, lines: [String]) {
        self.file = file
        self.workers = workers
        self.selecting = selecting
        self.sha256 = sha256
        self.lines = lines
    }
}
