#if canImport(Glibc)
import Glibc
#endif

/// This machine's host name, as stores record who holds them; `fallback` when it cannot be read.
public func hostName(fallback: String = "unknown host") -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard gethostname(&buffer, buffer.count) == 0 else { return fallback }
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
