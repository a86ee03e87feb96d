import Foundation

/// A `postgres://` or `postgresql://` state URL, read as libpq reads a connection URI:
/// `postgresql://[user[:password]@][host][:port][/database][?param=value&…]`. A host that
/// starts with `/` (percent-encoded in the authority, `%2Fvar%2Frun%2Fpostgresql`, or given
/// as `?host=/var/run/postgresql`) is the directory of the server's Unix socket.
public struct PostgresURL: Sendable, Equatable {
    /// How the connection is encrypted (libpq's `sslmode`).
    public enum SSLMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// The server's host name or address, or the directory of its Unix socket.
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// The certificate authorities to check the server against (`sslrootcert`), for
    /// `verify-ca` and `verify-full`; the system's when nil.
    public var rootCertificate: String?

    /// How a URL is written, for messages.
    public static let form = "write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE"

    /// What is wrong with `text` as a PostgreSQL URL, or nil when nothing is.
    public static func problem(in text: String) -> String? {
        do {
            _ = try PostgresURL(parsing: text, defaultUser: "postgres")
            return nil
        } catch {
            return error.reason
        }
    }

    /// Why a text is not a URL jobrun can use.
    struct Problem: Error {
        let reason: String
    }

    /// Whether `text` names a PostgreSQL store rather than an SQLite file.
    public static func isURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// The path of the server's Unix socket, when `host` is a directory.
    public var socketPath: String? {
        host.hasPrefix("/") ? "\(host)/.s.PGSQL.\(port)" : nil
    }

    /// The URL without its password, for messages.
    public var redacted: String {
        let authority = host.hasPrefix("/") ? "" : (host.contains(":") ? "[\(host)]" : host)
        let query = host.hasPrefix("/") ? "?host=\(host)" : ""
        return "postgres://\(user)@\(authority):\(port)/\(database)\(query)"
    }

    /// Reads `text`; `defaultUser` stands for a URL that names no user (libpq takes the
    /// operating system's user name).
    public init(_ text: String, defaultUser: String = PostgresURL.systemUser()) throws(JobrunError) {
        do {
            self = try PostgresURL(parsing: text, defaultUser: defaultUser)
        } catch {
            throw JobrunError(.state, "the state URL is not a PostgreSQL URL jobrun can use: \(error.reason)", hint: PostgresURL.form)
        }
    }

    private init(parsing text: String, defaultUser: String) throws(Problem) {
        func problem(_ what: String) -> Problem { Problem(reason: what) }
        guard let schemeEnd = text.range(of: "://"), Self.isURL(text) else { throw problem("it must start with postgres://") }
        var rest = Substring(text[schemeEnd.upperBound...])
        var query = Substring("")
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var path = Substring("")
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var user: String?, password: String?
        if let at = rest.lastIndex(of: "@") {
            let info = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = info.firstIndex(of: ":") {
                user = try Self.decode(info[..<colon], problem)
                password = try Self.decode(info[info.index(after: colon)...], problem)
            } else {
                user = try Self.decode(info, problem)
            }
        }
        var host = "", portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw problem("an IPv6 address is not closed with ]") }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw problem("\(after) follows the address") }
        } else if let colon = rest.lastIndex(of: ":") {
            host = try Self.decode(rest[..<colon], problem)
            portText = rest[rest.index(after: colon)...]
        } else {
            host = try Self.decode(rest, problem)
        }
        var port = 5432
        if let portText, !portText.isEmpty {
            guard let p = Int(portText), (1...65535).contains(p) else { throw problem("the port \"\(portText)\" is not a number from 1 to 65535") }
            port = p
        }
        var database = try Self.decode(path, problem)
        var sslMode = SSLMode.prefer
        var rootCertificate: String?
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = try Self.decode(parts[0], problem)
            let value = parts.count > 1 ? try Self.decode(parts[1], problem) : ""
            switch key {
            case "host": host = value
            case "port":
                guard let p = Int(value), (1...65535).contains(p) else { throw problem("the port \"\(value)\" is not a number from 1 to 65535") }
                port = p
            case "user": user = value
            case "password": password = value
            case "dbname": database = value
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw problem("sslmode \"\(value)\" is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "sslrootcert": rootCertificate = value
            case "application_name", "connect_timeout": break
            default:
                throw problem("it has the parameter \"\(key)\", which jobrun does not know "
                              + "(it knows host, port, user, password, dbname, sslmode, sslrootcert)")
            }
        }
        self.host = host.isEmpty ? "/var/run/postgresql" : host
        self.port = port
        self.user = user.flatMap { $0.isEmpty ? nil : $0 } ?? defaultUser
        self.password = password
        self.database = database.isEmpty ? self.user : database
        self.sslMode = sslMode
        self.rootCertificate = rootCertificate
    }

    private static func decode(_ text: Substring, _ problem: (String) -> Problem) throws(Problem) -> String {
        guard let decoded = String(text).removingPercentEncoding else { throw problem("\"\(text)\" has a broken %-escape") }
        return decoded
    }

    /// The name of the user jobrun runs as, or `postgres` when there is none.
    public static func systemUser() -> String {
        if let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name { return String(cString: name) }
        return "postgres"
    }
}
