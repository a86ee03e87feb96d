import Foundation

/// A throwaway PostgreSQL server for one test: `initdb` into a temporary directory, `pg_ctl`
/// listening only on a Unix socket in that directory (no TCP port), stopped and removed by
/// ``stop()``. As root (CI), the server runs as the `postgres` user, which Debian's package
/// creates; PostgreSQL refuses to run as root.
public final class PostgresServer: @unchecked Sendable {
    /// The directory of the server's files and of its socket.
    public let directory: URL
    /// The port in the socket's name (`.s.PGSQL.PORT`).
    public let port: Int
    private let bin: URL
    private var running = false

    /// The socket's directory, as a URL's `host=` parameter takes it.
    public var socketDirectory: String { directory.path }

    /// A `postgres://` URL for the database `database` (created by ``createDatabase(_:)``).
    public func url(database: String = "postgres") -> String {
        "postgres://postgres@/\(database)?host=\(socketDirectory)&port=\(port)"
    }

    /// Creates the server's files and starts it.
    public init(port: Int = 54329) throws {
        guard let bin = Self.programs() else {
            throw SupportError("PostgreSQL's initdb is not installed: run scripts/setup --test (Debian's postgresql package)")
        }
        self.bin = bin
        self.port = port
        // Short: a Unix socket's path is limited to 107 bytes.
        let path = "/tmp/jobrun-pg-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        directory = URL(fileURLWithPath: path)
        if geteuid() == 0 { try Self.run("/bin/chown", ["postgres:postgres", path]) }
        try asServerUser(bin.appendingPathComponent("initdb").path,
                         ["-D", "\(path)/data", "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])
        try start()
        try watchOver()
    }

    /// Starts a shell that stops the server and removes its files once this process has
    /// ended, however it ends: a test process that crashes leaves no server behind.
    private func watchOver() throws {
        let stop = geteuid() == 0 ? "/usr/sbin/runuser -u postgres -- \(bin.path)/pg_ctl" : "\(bin.path)/pg_ctl"
        let script = "while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done; cd /tmp; "
            + "\(stop) -D '\(directory.path)/data' -m immediate -w stop >/dev/null 2>&1; rm -rf '\(directory.path)'"
        _ = try Spawn.start("/bin/sh", ["-c", script], newSession: true)
    }

    /// Starts the server (again, after ``pause()``).
    public func start() throws {
        try asServerUser(bin.appendingPathComponent("pg_ctl").path,
                         ["-D", "\(directory.path)/data", "-l", "\(directory.path)/log", "-w", "-t", "30",
                          "-o", "-k \(directory.path) -c listen_addresses='' -p \(port) -c fsync=off -c max_connections=200", "start"])
        running = true
    }

    /// Stops the server, keeping its files, so that ``start()`` brings it back.
    public func pause() throws {
        try asServerUser(bin.appendingPathComponent("pg_ctl").path, ["-D", "\(directory.path)/data", "-m", "fast", "-w", "stop"])
        running = false
    }

    /// Runs `sql` with psql and returns what it printed (unaligned, tuples only).
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try Self.run(bin.appendingPathComponent("psql").path,
                     ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", directory.path, "-p", "\(port)", "-U", "postgres",
                      "-d", database, "-c", sql])
    }

    /// Creates a database.
    public func createDatabase(_ name: String) throws {
        try psql("CREATE DATABASE \"\(name)\"")
    }

    /// Stops the server and removes its files.
    public func stop() {
        if running { try? pause() }
        try? FileManager.default.removeItem(at: directory)
    }

    deinit { stop() }

    /// A directory with initdb, pg_ctl and psql: on PATH, or Debian's, newest version first.
    static func programs() -> URL? {
        func complete(_ dir: String) -> Bool {
            ["initdb", "pg_ctl", "psql"].allSatisfy { FileManager.default.isExecutableFile(atPath: "\(dir)/\($0)") }
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") where complete(String(dir)) {
            return URL(fileURLWithPath: String(dir))
        }
        let debian = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: debian)) ?? []).compactMap(Int.init).sorted(by: >)
        return versions.lazy.map { "\(debian)/\($0)/bin" }.first(where: complete).map { URL(fileURLWithPath: $0) }
    }

    private func asServerUser(_ program: String, _ arguments: [String]) throws {
        if geteuid() == 0 {
            try Self.run("/usr/sbin/runuser", ["-u", "postgres", "--", program] + arguments)
        } else {
            try Self.run(program, arguments)
        }
    }

    /// Runs `program` to its end and returns what it printed. Not with Foundation's `Process`,
    /// which sees its child end by the end of a socket the child inherits: the server pg_ctl
    /// starts would keep it (see ``Spawn``).
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        // A file, not a pipe: the server pg_ctl starts would keep a pipe open, and its reader
        // would wait for its end as long as the server runs.
        let path = "/tmp/jobrun-pg-output-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        // In /tmp (env -C): the server's user may not enter the test's directory.
        let pid = try Spawn.start("/usr/bin/env", ["-C", "/tmp", program] + arguments, outputPath: path)
        let status = Spawn.wait(pid)
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw SupportError("\((program as NSString).lastPathComponent) \(arguments.joined(separator: " ")) ended with wait status \(status): \(text)")
        }
        return text
    }
}
