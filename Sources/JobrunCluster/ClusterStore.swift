import Foundation
import JobrunCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// One replica's view of the cluster's store in PostgreSQL (README, "A cluster on
/// PostgreSQL"). Every call is one statement, its own short transaction, so nothing is held
/// open while a job runs and a pooler in transaction mode works; only ``connect(_:namespace:replica:lease:)``
/// (the schema, under an advisory lock) and ``join(host:pid:at:)`` take a transaction of a
/// few statements. Times that decide anything (leases, how early a run may be claimed) are
/// the database's clock, never a replica's.
public final class ClusterStore: Sendable {
    /// The file's namespace (`name:`).
    public let namespace: String
    /// This replica's id.
    public let replica: String
    /// How long a claim holds without being renewed.
    public let lease: Duration
    /// Where the store is, for messages (without the password).
    public let location: String
    /// How long a call may take before the store counts as unreachable (and its connection
    /// is closed, to be made again by the next call): a quarter of a lease, from 1 to 10 s.
    public let callLimit: Duration
    private let link: Link
    static let logger = Logger(label: "jobrun.cluster", factory: { _ in SwiftLogNoOpLogHandler() })

    private init(namespace: String, replica: String, lease: Duration, location: String, link: Link, callLimit: Duration?) {
        self.namespace = namespace
        self.replica = replica
        self.lease = lease
        self.location = location
        self.link = link
        self.callLimit = callLimit ?? Swift.min(.seconds(10), Swift.max(.seconds(1), lease / 4))
    }

    /// The connection, made again after the store went away.
    private actor Link {
        let configuration: PostgresConnection.Configuration
        private var current: PostgresConnection?
        /// A connection being made: calls that come meanwhile wait for it rather than make
        /// one each (after an outage, every waiting call asks at once).
        private var connecting: Task<PostgresConnection, any Error>?
        private var made = 0

        init(_ configuration: PostgresConnection.Configuration) { self.configuration = configuration }

        /// The open connection, or a new one.
        func connection() async throws -> PostgresConnection {
            if let current, !current.isClosed { return current }
            if let connecting { return try await connecting.value }
            made += 1
            let (configuration, id) = (self.configuration, made)
            let making = Task { try await PostgresConnection.connect(configuration: configuration, id: id, logger: ClusterStore.logger) }
            connecting = making
            defer { connecting = nil }
            let connection = try await making.value
            if let old = current, old !== connection { Task { try? await old.close() } }
            current = connection
            return connection
        }

        /// Closes `connection`: the next call makes a new one. Not waited for: a connection
        /// that does not answer may not close promptly either.
        func drop(_ connection: PostgresConnection) {
            if current === connection { current = nil }
            Task { try? await connection.close() }
        }

        /// Closes the connection, waiting at most two seconds for it.
        func close() async {
            guard let connection = current else { return }
            current = nil
            _ = await firstOf(within: .seconds(2)) { try? await connection.close() }
        }
    }

    /// Connects to the store at `url`, creates or migrates its tables, and returns it.
    /// `callLimit`: see ``callLimit``; nil for a quarter of the lease.
    public static func connect(_ url: PostgresURL, namespace: String, replica: String, lease: Duration,
                               callLimit: Duration? = nil) async throws(JobrunError) -> ClusterStore {
        try await connect(url, namespace: namespace, replica: replica, lease: lease, callLimit: callLimit, migrating: true)
    }

    static func connect(_ url: PostgresURL, namespace: String, replica: String, lease: Duration, callLimit: Duration? = nil,
                        migrating: Bool) async throws(JobrunError) -> ClusterStore {
        var configuration: PostgresConnection.Configuration
        if let socket = url.socketPath {
            configuration = .init(unixSocketPath: socket, username: url.user, password: url.password, database: url.database)
        } else {
            configuration = .init(host: url.host, port: url.port, username: url.user, password: url.password,
                                  database: url.database, tls: try tls(url))
        }
        configuration.options.connectTimeout = .seconds(10)
        let link = Link(configuration)
        do {
            _ = try await link.connection()
        } catch {
            throw failure(error, doing: "connect to", location: url.redacted)
        }
        let store = ClusterStore(namespace: namespace, replica: replica, lease: lease, location: url.redacted, link: link,
                                 callLimit: callLimit)
        do {
            if migrating { try await store.migrate() }
        } catch {
            await link.close()
            throw error
        }
        return store
    }

    private static func tls(_ url: PostgresURL) throws(JobrunError) -> PostgresConnection.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch url.sslMode {
        case .disable: return .disable
        case .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let root = url.rootCertificate { tls.trustRoots = .file(root) }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: tls) } catch {
            throw JobrunError(.state, "cannot set up TLS for \(url.redacted): \(error)", hint: "check sslrootcert")
        }
        return url.sslMode == .allow || url.sslMode == .prefer ? .prefer(context) : .require(context)
    }

    /// Closes the connection.
    public func close() async {
        await link.close()
    }

    /// Runs `body` on the connection (made again if the store went away), for at most
    /// ``callLimit``: a call that takes longer fails as unreachable, and its connection is
    /// closed. The caller never waits past the limit, not even for the call to notice the
    /// closed connection.
    func call<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws(JobrunError) -> T {
        let connection: PostgresConnection
        do { connection = try await link.connection() } catch { throw failure(error, doing: "connect to") }
        let limit = callLimit
        let outcome = await firstOf(within: limit) { () async -> Result<T, any Error> in
            do { return .success(try await body(connection)) } catch { return .failure(error) }
        } ?? .failure(CallTimedOut(limit: limit))
        switch outcome {
        case .success(let value):
            return value
        case .failure(let error):
            let failed = failure(error, doing: doing)
            if failed.unreachable { await link.drop(connection) }
            throw failed
        }
    }

    /// A call that did not end within ``callLimit``.
    struct CallTimedOut: Error, CustomStringConvertible {
        let limit: Duration
        var description: String { "no answer within \(ValueSyntax.format(limit))" }
    }

    /// Words for a failed call, with what to do.
    static func failure(_ error: any Error, doing: String, location: String) -> JobrunError {
        if let error = error as? JobrunError { return error }
        let error = (error as? PostgresTransactionError)?.closureError ?? error
        var words = String(reflecting: error)
        var unreachable = error is CallTimedOut || error is NIOConnectionError || error is IOError || error is ChannelError
        if let error = error as? CallTimedOut { words = error.description }
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                words = message
            } else if let underlying = psql.underlying {
                words = "\(underlying)"
            } else {
                words = "\(psql.code)"
            }
            // The connection went, or the server is shutting down or starting (SQLSTATE
            // classes 08 and 57P): it may answer again. Anything else is a refusal.
            let state = psql.serverInfo?[.sqlState] ?? ""
            unreachable = [.serverClosedConnection, .clientClosedConnection, .connectionError, .uncleanShutdown].contains(psql.code)
                || state.hasPrefix("08") || state.hasPrefix("57P")
        }
        return JobrunError(.state, "cannot \(doing) the PostgreSQL store \(location): \(words)",
                           hint: "check that the server runs and the URL, user and password are right", unreachable: unreachable)
    }

    func failure(_ error: any Error, doing: String) -> JobrunError {
        Self.failure(error, doing: doing, location: location)
    }

    /// Brings the tables to ``ClusterSchema/version``, or refuses a store from a newer jobrun.
    private func migrate() async throws(JobrunError) {
        let logger = Self.logger
        var found = 0
        do {
            found = try await link.connection().withTransaction(logger: logger) { db in
                try await db.query("SELECT pg_advisory_xact_lock(7340552861)", logger: logger)
                try await db.query("CREATE TABLE IF NOT EXISTS jobrun_schema (id integer PRIMARY KEY CHECK (id = 1), version integer NOT NULL)", logger: logger)
                var version = 0
                for try await (v) in try await db.query("SELECT version FROM jobrun_schema WHERE id = 1", logger: logger).decode(Int.self) {
                    version = v
                }
                guard version <= ClusterSchema.version else { return version }
                for step in ClusterSchema.steps[version...] {
                    for statement in step { try await db.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                }
                let current = ClusterSchema.version
                try await db.query("""
                    INSERT INTO jobrun_schema (id, version) VALUES (1, \(current))
                    ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version
                    """, logger: logger)
                return version
            }
        } catch {
            throw failure(error, doing: "prepare")
        }
        if found > ClusterSchema.version {
            throw JobrunError(.state, "the PostgreSQL store \(location) was written by a newer jobrun (its version \(found), this jobrun's \(ClusterSchema.version))",
                              hint: "run the jobrun that wrote it, or give this one another database")
        }
    }

    /// Runs one statement and decodes its rows.
    func rows<each T: PostgresDecodable & Sendable>(_ query: PostgresQuery, doing: String, as types: (repeat each T).Type) async throws(JobrunError) -> [(repeat each T)] {
        let rows = try await call(doing) { connection in
            var rows: [PostgresRow] = []
            for try await row in try await connection.query(query, logger: Self.logger) { rows.append(row) }
            return rows
        }
        do {
            return try rows.map { try $0.decode(types) }
        } catch {
            throw failure(error, doing: doing)
        }
    }

    /// Runs one statement that returns nothing.
    func execute(_ query: PostgresQuery, doing: String) async throws(JobrunError) {
        _ = try await call(doing) { connection in
            for try await _ in try await connection.query(query, logger: Self.logger) {}
            return true
        }
    }

    var leaseMilliseconds: Int64 { lease.milliseconds }
}

/// What `work` returns, or nil when `limit` passes first. Whichever comes second is not waited
/// for: work that never ends (a query on a connection that does not answer) keeps no caller.
func firstOf<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () async -> T) async -> T? {
    await withCheckedContinuation { (answer: CheckedContinuation<T?, Never>) in
        let answered = Mutex(false)
        let resume: @Sendable (T?) -> Void = { value in
            guard answered.withLock({ done in defer { done = true }; return !done }) else { return }
            answer.resume(returning: value)
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            if !Task.isCancelled { resume(nil) }
        }
        Task {
            resume(await work())
            timer.cancel()
        }
    }
}
