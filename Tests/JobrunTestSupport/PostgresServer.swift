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
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in 0...2 { posix_spawn_file_actions_addopen(&actions, Int32(fd), "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A session of its own: a terminal's Ctrl-C that ends the tests does not end it.
        posix_spawnattr_setflags(&attributes, 0x80)  // POSIX_SPAWN_SETSID, which Swift's Glibc leaves out
        let argv: [UnsafeMutablePointer<CChar>?] = (["sh", "-c", script] as [String]).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, environ)
        guard error == 0 else { throw SupportError("cannot start the server's watcher: \(String(cString: strerror(error)))") }
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

    /// Runs `program` to its end (posix_spawn and waitpid: Foundation's Process leaves a
    /// child that forks a daemon, as pg_ctl does, unreaped here) and returns what it printed.
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        // A file, not a pipe: the server pg_ctl starts would keep a pipe open, and its reader
        // would wait for its end as long as the server runs.
        let path = "/tmp/jobrun-pg-output-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { unlink(path) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // In /tmp (env -C): the server's user may not enter the test's directory.
        let argv: [UnsafeMutablePointer<CChar>?] = (["env", "-C", "/tmp", program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, "/usr/bin/env", &actions, nil, argv, environ)
        guard error == 0 else { throw SupportError("cannot start \(program): \(String(cString: strerror(error)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw SupportError("\((program as NSString).lastPathComponent) \(arguments.joined(separator: " ")) ended with wait status \(status): \(text)")
        }
        return text
    }
}
