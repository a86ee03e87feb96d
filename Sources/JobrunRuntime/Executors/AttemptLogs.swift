import Foundation
import JobrunCore

/// Where `--log-dir` keeps each attempt's full output: a directory of this invocation's own
/// inside DIR (`jobrun-YYYYMMDD-HHMMSS-PID-RANDOM`, created 0700, so runs never overwrite
/// each other's logs and no other user can put anything in it), holding two files per
/// attempt, its stdout and its stderr. The directory is held open and every file created
/// relative to it with `O_CREAT|O_EXCL|O_NOFOLLOW`, 0600: a link planted in DIR, or DIR's
/// entry swapped during the run, cannot redirect a log.
public struct AttemptLogs: Sendable {
    /// This invocation's directory.
    public let directory: String
    private let fd: Int32

    /// Creates this invocation's directory inside `base` (created, with its parents, when
    /// missing); throws when that cannot be done.
    public init(directory base: String, now: Instant) throws(JobrunError) {
        do { try WritePath.makeDirectory(base) } catch {
            throw JobrunError(.logDirectory, "cannot use the log directory \"\(base)\": \(error)", hint: "choose another with --log-dir")
        }
        let stamp = now.rfc3339.prefix(19).filter { $0 != "-" && $0 != ":" }.replacingOccurrences(of: "T", with: "-")
        let path = base + "/jobrun-\(stamp)-\(WritePath.uniqueSuffix())"
        guard mkdir(path, 0o700) == 0 else {
            throw JobrunError(.logDirectory, "cannot use the log directory \"\(base)\": cannot create \"\(path)\"", errno: errno,
                              hint: "choose another with --log-dir")
        }
        let fd = Foundation.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            throw JobrunError(.logDirectory, "cannot open the log directory \"\(path)\"", errno: errno, hint: "choose another with --log-dir")
        }
        self.directory = path
        self.fd = fd
    }

    /// A file name for an attempt's stream: the task name with letters, digits, `.`, `-` and
    /// `_` kept and anything else `_`, never starting with a dot, and a hash of the full name
    /// so that names stay distinct.
    public static func fileName(task: String, run: RunNumber, attempt: Int, stream: StreamKind) -> String {
        var safe = String(task.unicodeScalars.prefix(80).map { c -> Character in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_" || c == ".") ? Character(c) : "_"
        })
        while safe.hasPrefix(".") { safe = "_" + safe.dropFirst() }
        var hash: UInt32 = 2_166_136_261
        for b in task.utf8 { hash = (hash ^ UInt32(b)) &* 16_777_619 }
        return "\(safe)-\(String(hash, radix: 16)).run\(run).attempt\(attempt).\(stream.rawValue).log"
    }

    func open(task: String, run: RunNumber, attempt: Int) -> Result<AttemptLog, JobrunError> {
        var files: [LogFile] = []
        for stream in [StreamKind.stdout, .stderr] {
            let name = Self.fileName(task: task, run: run, attempt: attempt, stream: stream)
            do {
                files.append(LogFile(path: directory + "/" + name, fd: try WritePath.createPrivate(name, in: fd, shownAs: directory)))
            } catch {
                files.forEach { _ = $0.close() }
                return .failure(error)
            }
        }
        return .success(AttemptLog(stdout: files[0], stderr: files[1]))
    }
}

/// The two log files of one attempt.
struct AttemptLog: Sendable {
    let stdout: LogFile
    let stderr: LogFile

    func file(_ kind: StreamKind) -> LogFile { kind == .stdout ? stdout : stderr }

    /// Closes both; returns why a log stops short, if one does.
    func close() -> [JobrunError] { [stdout.close(), stderr.close()].compactMap { $0 } }
}

/// One log file. A write that fails (a full disk) ends the log there, and ``close()`` says
/// where it stopped.
final class LogFile: Sendable {
    let path: String
    private let fd: Int32
    private let state = Locked<(bytes: Int, error: Int32?)>((0, nil))

    init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        state.withLock { state in
            guard state.error == nil else { return }
            if let e = FileDescriptorWrite.all(fd, bytes) { state.error = e } else { state.bytes += bytes.count }
        }
    }

    /// Closes the file; returns why the log stops short, if it does.
    func close() -> JobrunError? {
        let (bytes, error) = state.withLock { ($0.bytes, $0.error) }
        Foundation.close(fd)
        return error.map { JobrunError(.write, "the log \"\(path)\" stops short after \(bytes) bytes", errno: $0) }
    }
}
