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

/// A TCP port on 127.0.0.1 that nothing listens on now (the system's choice for port 0).
public func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SupportError("socket: \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
            bind(fd, p, length) == 0 && getsockname(fd, p, &length) == 0
        }
    }
    guard bound else { throw SupportError("bind: \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// What `scrape.py` got from a URL of jobrun's endpoint.
public struct Scrape {
    /// The HTTP status.
    public let status: Int
    /// The Content-Type.
    public let contentType: String
    /// The Allow header, if any.
    public let allow: String?
    /// The body.
    public let body: String
    /// For metrics: every sample (name, labels, value) as Prometheus' Python client reads it.
    public let samples: [(name: String, labels: [String: String], value: Double)]
    /// For metrics: each family's type.
    public let types: [String: String]

    /// Fetches `url` (with `method`) through `scrape.py`.
    public init(_ url: String, method: String = "GET") throws {
        let r = try JobrunBinary.run(["python3", JobrunBinary.fixture("peers/scrape.py"), url, method],
                                     binary: URL(fileURLWithPath: "/usr/bin/env"))
        guard r.status == 0, let object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else {
            throw SupportError("scrape.py \(url) failed (\(r.status)): \(r.stderr)")
        }
        status = object["status"] as? Int ?? 0
        contentType = object["content_type"] as? String ?? ""
        allow = object["allow"] as? String
        body = object["body"] as? String ?? ""
        types = object["types"] as? [String: String] ?? [:]
        samples = (object["samples"] as? [[Any]] ?? []).map { s in
            (s[0] as? String ?? "", s[1] as? [String: String] ?? [:], (s[2] as? NSNumber)?.doubleValue ?? .nan)
        }
    }

    /// The body as a JSON object.
    public var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
    }

    /// The value of the sample `name` with exactly `labels`, if there is one.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}
