import Foundation

/// A local peer (HTTP or SMTP server, in Python) on 127.0.0.1, stopped when released.
/// It is started through a shell that backgrounds it, so the test process never has a
/// long-lived child of its own (Foundation's `Process` then reaps jobrun reliably).
public final class LocalPeer {
    /// The port it listens on.
    public let port: Int
    /// Its process.
    public let pid: pid_t
    /// Its directory: what it recorded (`log`), its port and its stderr.
    public let dir: URL

    /// Starts `script` from the CLI tests' fixtures (`peers/`).
    public init(_ script: String) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        if script.hasPrefix("smtp") { try FileManager.default.createDirectory(at: dir.appendingPathComponent("log"), withIntermediateDirectories: true) }
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "python3 \"$1\" \"$2/log\" > \"$2/port\" 2>\"$2/stderr\" < /dev/null & echo $! > \"$2/pid\"",
                           "sh", JobrunBinary.fixture("peers/\(script)"), dir.path]
        try shell.run()
        shell.waitUntilExit()
        var port = 0
        for _ in 0..<1000 where port == 0 {
            let text = (try? String(contentsOf: dir.appendingPathComponent("port"), encoding: .utf8)) ?? ""
            if text.hasSuffix("\n") { port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 } else { usleep(10_000) }
        }
        self.port = port
        pid = pid_t((try? String(contentsOf: dir.appendingPathComponent("pid"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        if port == 0 {
            let stderr = (try? String(contentsOf: dir.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
            throw SupportError("the \(script) peer did not start: \(stderr)")
        }
    }

    /// Kills the peer.
    public func stop() {
        // SIGKILL: the peer inherits the test thread's signal mask, which may block SIGTERM.
        if pid > 0 { kill(pid, SIGKILL) }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: dir)
    }

    /// The requests the HTTP peer recorded.
    public var requests: [[String: Any]] {
        let text = (try? String(contentsOf: dir.appendingPathComponent("log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }
}
