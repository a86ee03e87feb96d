import Foundation
import JobrunCore

/// Which output stream of a job.
public enum StreamKind: String, Sendable {
    case stdout, stderr
}

/// Receives each whole output line of a job.
public protocol OutputSink: Sendable {
    /// One line of a job's output, without its newline, from attempt `attempt` of run `run`.
    func line(task: String, run: Int, attempt: Int, stream: StreamKind, text: String)
    /// A warning of jobrun's own about an attempt (a log that could not be written).
    func warning(_ text: String)
}

/// The output of one attempt as it arrives: split into whole lines for the console (a line
/// longer than ``maxLine`` is passed on in pieces of that size, so memory stays bounded),
/// the last 4 KiB of each stream for the report, every byte to the attempt's log, and
/// stdout to the `output:` file when the task has one.
final class AttemptStreams: Sendable {
    static let maxLine = 64 << 10
    static let tailSize = 4 << 10

    private struct Stream {
        var pending: [UInt8] = []
        var tail: [UInt8] = []
        /// Whether earlier bytes were dropped from `tail`.
        var cut = false
    }

    private struct State {
        var stdout = Stream()
        var stderr = Stream()
        var writeError: JobrunError?
    }

    private let task: String
    private let run: Int
    private let attempt: Int
    private let sink: any OutputSink
    private let log: AttemptLog?
    private let destination: StagedFile?
    private let mask: SecretMask
    private let state = Locked(State())

    init(task: String, run: Int, attempt: Int, sink: any OutputSink, log: AttemptLog?, destination: StagedFile?,
         mask: SecretMask = .none) {
        self.mask = mask
        self.task = task
        self.run = run
        self.attempt = attempt
        self.sink = sink
        self.log = log
        self.destination = destination
    }

    /// Takes the next chunk of a stream.
    func take(_ bytes: UnsafeRawBufferPointer, _ kind: StreamKind) {
        log?.file(kind).write(bytes)
        let toFile = kind == .stdout && destination != nil
        if toFile, let error = destination?.write(bytes) {
            state.withLock { if $0.writeError == nil { $0.writeError = error } }
        }
        let lines: [String] = state.withLock { state in
            var out: [String] = []
            func update(_ s: inout Stream) {
                s.tail.append(contentsOf: bytes)
                // Kept: the tail, and enough before it that a secret reaching into it is seen whole.
                let keep = Self.tailSize + mask.longest
                if s.tail.count > 2 * keep {
                    s.tail.removeFirst(s.tail.count - keep)
                    s.cut = true
                }
                guard !toFile else { return }
                for byte in bytes {
                    if byte == 10 {
                        out.append(String(decoding: s.pending, as: UTF8.self))
                        s.pending.removeAll(keepingCapacity: true)
                    } else {
                        s.pending.append(byte)
                        if s.pending.count >= Self.maxLine {
                            // A long line goes out in pieces; what may be the start of a secret
                            // waits for the next piece, so no secret is split between two.
                            let masked = mask.mask(s.pending)
                            let held = mask.partialAtEnd(masked.suffix(mask.longest))
                            out.append(String(decoding: masked.dropLast(held), as: UTF8.self))
                            s.pending = Array(masked.suffix(held))
                        }
                    }
                }
            }
            if kind == .stdout { update(&state.stdout) } else { update(&state.stderr) }
            return out
        }
        for line in lines { sink.line(task: task, run: run, attempt: attempt, stream: kind, text: line) }
    }

    /// The last 4 KiB of a stream, secrets masked before the cut.
    func tail(_ kind: StreamKind) -> String {
        state.withLock { state in
            let s = kind == .stdout ? state.stdout : state.stderr
            return mask.tail(s.tail, limit: Self.tailSize, cut: s.cut)
        }
    }

    /// Passes on unfinished last lines; commits or discards the `output:` file. Returns the
    /// outcome of writing the output file, when there is one.
    @discardableResult
    func finish(success: Bool) -> Result<Void, JobrunError>? {
        let (rest, writeError) = state.withLock { state -> ([(StreamKind, String)], JobrunError?) in
            var rest: [(StreamKind, String)] = []
            if !state.stdout.pending.isEmpty { rest.append((.stdout, String(decoding: state.stdout.pending, as: UTF8.self))) }
            if !state.stderr.pending.isEmpty { rest.append((.stderr, String(decoding: state.stderr.pending, as: UTF8.self))) }
            state.stdout.pending = []
            state.stderr.pending = []
            return (rest, state.writeError)
        }
        for (kind, text) in rest { sink.line(task: task, run: run, attempt: attempt, stream: kind, text: text) }
        guard let destination else { return nil }
        if success, writeError == nil {
            do { try destination.commit() } catch { return .failure(error) }
            return .success(())
        }
        destination.discard()
        return writeError.map { .failure($0) }
    }
}

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
        let random = String(UInt32.random(in: 0 ... .max), radix: 16)
        let path = base + "/jobrun-\(stamp)-\(getpid())-\(random)"
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
    public static func fileName(task: String, run: Int, attempt: Int, stream: StreamKind) -> String {
        var safe = String(task.unicodeScalars.prefix(80).map { c -> Character in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_" || c == ".") ? Character(c) : "_"
        })
        while safe.hasPrefix(".") { safe = "_" + safe.dropFirst() }
        var hash: UInt32 = 2_166_136_261
        for b in task.utf8 { hash = (hash ^ UInt32(b)) &* 16_777_619 }
        return "\(safe)-\(String(hash, radix: 16)).run\(run).attempt\(attempt).\(stream.rawValue).log"
    }

    func open(task: String, run: Int, attempt: Int) -> Result<AttemptLog, JobrunError> {
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
