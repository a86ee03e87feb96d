import Foundation

/// Processes still alive (not zombies) whose command line contains `marker`, as
/// `PID: command line`.
public func survivors(_ marker: String) -> [String] {
    let procs = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return procs.filter { $0.allSatisfy(\.isNumber) }.compactMap { pid in
        guard let cmd = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
              cmd.replacingOccurrences(of: "\0", with: " ").contains(marker),
              let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")"), stat[stat.index(close, offsetBy: 2)] != "Z"
        else { return nil }
        return "\(pid): \(cmd)"
    }
}

/// Waits (up to 5 s) until no process with `marker` is left, and returns what is left.
public func gone(_ marker: String) async throws -> [String] {
    for _ in 0..<250 where !survivors(marker).isEmpty { try await Task.sleep(for: .milliseconds(20)) }
    return survivors(marker)
}

/// Whether process `pid` runs (is neither gone nor a zombie).
public func isAlive(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return stat[stat.index(close, offsetBy: 2)] != "Z"
}
