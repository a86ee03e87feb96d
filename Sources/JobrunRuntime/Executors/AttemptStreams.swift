import Foundation
import JobrunCore

/// The output of one attempt as it arrives: split into whole lines for the console (a line
/// longer than ``maxLine`` is passed on in pieces of that size, so memory stays bounded),
/// the last 4 KiB of each stream for the report, every byte to the attempt's log, and
/// stdout to the `output:` file, instead of the console, when the task has one.
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

    /// Whose output this is (task, run and attempt).
    private let request: AttemptRequest
    private let sink: any OutputSink
    private let log: AttemptLog?
    private let destination: StagedFile?
    private let mask: SecretMask
    private let state = Locked(State())

    init(_ request: AttemptRequest, sink: any OutputSink, log: AttemptLog?, destination: StagedFile?, mask: SecretMask = .none) {
        self.request = request
        self.mask = mask
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
        for line in lines { sink.line(task: request.task.name, run: request.run, attempt: request.attempt, stream: kind, text: line) }
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
        for (kind, text) in rest {
            sink.line(task: request.task.name, run: request.run, attempt: request.attempt, stream: kind, text: text)
        }
        guard let destination else { return nil }
        if success, writeError == nil {
            do { try destination.commit() } catch { return .failure(error) }
            return .success(())
        }
        destination.discard()
        return writeError.map { .failure($0) }
    }
}
