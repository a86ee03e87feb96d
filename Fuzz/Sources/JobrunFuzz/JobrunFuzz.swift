#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import JobrunCore

/// The environment every input is read in: a zone for files without `timezone:`, and one
/// variable for `${NAME}` references to find.
private func environment() -> [String: String] {
    ["TZ": "Europe/Berlin", "TOKEN": "t0ken"]
}

/// Whether each input is also validated with the streaming reader that `jobrun --validate`
/// uses for files of `JobFileValidator.streamingThreshold` bytes or more; set
/// `JOBRUN_FUZZ_STREAMING=0` to skip it.
private let streaming: Bool = getenv("JOBRUN_FUZZ_STREAMING").map { String(cString: $0) != "0" } ?? true

/// libFuzzer's entry point: validates the input as `jobrun --validate FILE` does (whole,
/// then streaming with the threshold lowered to one byte), prints nothing, and traps when
/// the two readers disagree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    let bytes = widened(input)
    // A widened input has some 32,800 diagnostics; rendering a hundred covers the renderers
    // and keeps such an input well under the slow-input limit.
    let shown = bytes.count == input.count ? Int.max : 100
    let validator = JobFileValidator(environment: environment())
    let whole = validator.validate(bytes)
    render(whole, first: shown)

    if streaming {
        var streamingValidator = validator
        streamingValidator.streamingThreshold = 1
        let streamed = streamingValidator.validate(bytes)
        render(streamed, first: shown)
        // The streaming reader promises the same result as reading after parsing.
        if streamed.diagnostics != whole.diagnostics || (streamed.file == nil) != (whole.file == nil) {
            let show = { (v: Validated) in
                v.diagnostics.map { $0.formatted(file: "input") }.joined(separator: "\n") + "\n(model: \(v.file == nil ? "none" : "\(v.file!.tasks.count) tasks"))"
            }
            fatalError("the streaming reader disagrees with the whole-file reader\nwhole:\n\(show(whole))\nstreaming:\n\(show(streamed))")
        }
    }
    return 0
}

/// An input whose first line is `#wide` becomes, in place of that line, a mapping of
/// 32,800 unknown keys followed by the rest of the input: wider than any 16-bit index, which
/// is where a narrowed count once trapped. The inputs libFuzzer makes stay small (64 KiB), so
/// without this no input could reach that width.
private func widened(_ bytes: [UInt8]) -> [UInt8] {
    let mark = Array("#wide\n".utf8)
    guard bytes.starts(with: mark) else { return bytes }
    var out = wideKeys
    out.append(contentsOf: bytes.dropFirst(mark.count))
    return out
}

private let wideKeys: [UInt8] = Array((0..<32_800).map { "k\($0): 0\n" }.joined().utf8)

/// Everything `ValidateAction` makes of a result: each diagnostic (of the first `limit`) as
/// text, as JSON and as a GitHub annotation, and the task count of a valid file.
private func render(_ validated: Validated, first limit: Int) {
    var total = validated.file?.tasks.count ?? 0
    for d in validated.diagnostics.prefix(limit) {
        total &+= d.formatted(file: "jobs.yaml").utf8.count
        total &+= d.json(file: "jobs.yaml").utf8.count
        total &+= d.githubAnnotation(file: "jobs.yaml").utf8.count
    }
    blackHole(total)
}

@inline(never)
private func blackHole(_ value: Int) {
    withExtendedLifetime(value) {}
}
