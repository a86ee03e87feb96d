import Foundation
import JobrunCore

/// Which output stream of a job.
public enum StreamKind: String, Sendable {
    case stdout, stderr
}

/// Receives each whole output line of a job.
public protocol OutputSink: Sendable {
    /// One line of a job's output, without its newline.
    func line(task: String, stream: StreamKind, text: String)
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
    }

    private struct State {
        var stdout = Stream()
        var stderr = Stream()
        var writeError: String?
    }

    private let task: String
    private let sink: any OutputSink
    private let log: LogFile?
    private let destination: OutputFile?
    private let state = Locked(State())

    init(task: String, sink: any OutputSink, log: LogFile?, destination: OutputFile?) {
        self.task = task
        self.sink = sink
        self.log = log
        self.destination = destination
    }

    /// Takes the next chunk of a stream.
    func take(_ bytes: UnsafeRawBufferPointer, _ kind: StreamKind) {
        log?.write(bytes)
        let toFile = kind == .stdout && destination != nil
        if toFile, let error = destination?.write(bytes) {
            state.withLock { if $0.writeError == nil { $0.writeError = error } }
        }
        let lines: [String] = state.withLock { state in
            var out: [String] = []
            func update(_ s: inout Stream) {
                s.tail.append(contentsOf: bytes)
                if s.tail.count > 2 * Self.tailSize { s.tail.removeFirst(s.tail.count - Self.tailSize) }
                guard !toFile else { return }
                for byte in bytes {
                    if byte == 10 {
                        out.append(String(decoding: s.pending, as: UTF8.self))
                        s.pending.removeAll(keepingCapacity: true)
                    } else {
                        s.pending.append(byte)
                        if s.pending.count >= Self.maxLine {
                            out.append(String(decoding: s.pending, as: UTF8.self))
                            s.pending.removeAll(keepingCapacity: true)
                        }
                    }
                }
            }
            if kind == .stdout { update(&state.stdout) } else { update(&state.stderr) }
            return out
        }
        for line in lines { sink.line(task: task, stream: kind, text: line) }
    }

    /// The last 4 KiB of a stream.
    func tail(_ kind: StreamKind) -> String {
        state.withLock { state in
            let t = kind == .stdout ? state.stdout.tail : state.stderr.tail
            return String(decoding: t.suffix(Self.tailSize), as: UTF8.self)
        }
    }

    /// Passes on unfinished last lines; commits or discards the `output:` file. Returns the
    /// outcome of writing the output file, when there is one.
    @discardableResult
    func finish(success: Bool) -> Result<Void, UserMessage>? {
        let (rest, writeError) = state.withLock { state -> ([(StreamKind, String)], String?) in
            var rest: [(StreamKind, String)] = []
            if !state.stdout.pending.isEmpty { rest.append((.stdout, String(decoding: state.stdout.pending, as: UTF8.self))) }
            if !state.stderr.pending.isEmpty { rest.append((.stderr, String(decoding: state.stderr.pending, as: UTF8.self))) }
            state.stdout.pending = []
            state.stderr.pending = []
            return (rest, state.writeError)
        }
        for (kind, text) in rest { sink.line(task: task, stream: kind, text: text) }
        guard let destination else { return nil }
        if success, writeError == nil {
            return destination.commit()
        }
        destination.discard()
        return writeError.map { .failure(UserMessage(text: "writing `output` failed: \($0)")) }
    }
}

/// The `output:` file of an attempt: written to a temporary file beside it and renamed over
/// it only when the attempt succeeds, so a failed export never replaces a good one.
final class OutputFile: Sendable {
    let path: String
    let temporary: String
    private let fd: Int32

    init(_ path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        temporary = dir + "/." + url.lastPathComponent + ".jobrun-\(getpid())-\(UInt32.random(in: 0 ... .max)).tmp"
        fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw UserMessage(text: String(cString: strerror(errno))) }
    }

    /// Writes bytes; returns an error message when the disk refused them.
    func write(_ bytes: UnsafeRawBufferPointer) -> String? {
        FileDescriptorWrite.all(fd, bytes).map { String(cString: strerror($0)) }
    }

    func commit() -> Result<Void, UserMessage> {
        defer { close(fd) }
        if fsync(fd) != 0 || rename(temporary, path) != 0 {
            let message = String(cString: strerror(errno))
            unlink(temporary)
            return .failure(UserMessage(text: "could not replace \"\(path)\": \(message)"))
        }
        return .success(())
    }

    func discard() {
        close(fd)
        unlink(temporary)
    }
}

/// Where `--log-dir` keeps each attempt's full output, one file per attempt, named from the
/// task name so that no name can reach outside the directory.
public struct AttemptLogs: Sendable {
    /// The directory.
    public let directory: String

    /// Uses `directory`, creating it when missing; throws when it cannot be written.
    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard access(directory, W_OK) == 0 else {
            throw UserMessage(text: "the log directory \"\(directory)\" is not writable")
        }
    }

    /// A file name for a task name: letters, digits, `.`, `-` and `_` kept, anything else
    /// `_`, never starting with a dot, with a hash of the full name so names stay distinct.
    public static func fileName(task: String, run: Int, attempt: Int) -> String {
        var safe = String(task.unicodeScalars.prefix(80).map { c -> Character in
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_" || c == ".") ? Character(c) : "_"
        })
        while safe.hasPrefix(".") { safe = "_" + safe.dropFirst() }
        var hash: UInt32 = 2_166_136_261
        for b in task.utf8 { hash = (hash ^ UInt32(b)) &* 16_777_619 }
        return "\(safe)-\(String(hash, radix: 16)).run\(run).attempt\(attempt).log"
    }

    func open(task: String, run: Int, attempt: Int) throws -> LogFile {
        try LogFile(directory + "/" + Self.fileName(task: task, run: run, attempt: attempt))
    }
}

/// One attempt's log file.
final class LogFile: Sendable {
    private let fd: Int32

    init(_ path: String) throws {
        fd = Foundation.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw UserMessage(text: String(cString: strerror(errno))) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) {
        FileDescriptorWrite.all(fd, bytes)
    }

    func close() { Foundation.close(fd) }
}
