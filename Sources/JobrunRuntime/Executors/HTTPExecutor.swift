import AsyncHTTPClient
import Foundation
import JobrunCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// Runs `type: http` attempts with async-http-client: the request, with `${NAME}` filled
/// in from the environment, under a deadline of the request's (or the task's) timeout.
/// TLS certificates are verified; proxies come from the environment as curl reads them.
/// Redirects are followed here, not by the client, so that one to another origin goes
/// without the task's headers and body. Secrets are masked in everything recorded.
public final class HTTPExecutor: Executor {
    /// The environment `${NAME}` references and proxy settings come from.
    let environment: [String: String]
    /// Masks the file's secrets in what is recorded.
    let mask: SecretMask
    private let clients = Locked<[String: HTTPClient]>([:])
    /// The most redirects one request follows.
    static let maxRedirects = 5
    /// How much of a response body is kept.
    static let bodyLimit = 4096

    /// In a cluster: the namespace and this replica, for `Idempotency-Key`.
    let replica: ReplicaIdentity?

    /// Creates an executor; call ``shutdown()`` when the run is over.
    public init(environment: [String: String], mask: SecretMask = .none, replica: ReplicaIdentity? = nil) {
        self.environment = environment
        self.mask = mask
        self.replica = replica
    }

    /// Closes every connection.
    public func shutdown() async {
        let all = clients.withLock { clients in
            defer { clients = [:] }
            return Array(clients.values)
        }
        for client in all { try? await client.shutdown() }
    }

    public func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord {
        let startedAt = now()
        var record = AttemptRecord(attempt: request.attempt, status: .failed, startedAt: startedAt, finishedAt: startedAt)
        guard let spec = request.task.http else {
            record.error = RecordMessage.noRequest
            return record
        }
        var env = environment
        for (k, v) in request.task.env { env[k] = v }
        // An event's values go in as the field needs them (README, "Notifications"):
        // percent-encoded in the URL, on one line in a header, JSON-escaped in a JSON body.
        let event = request.event
        func expand(_ text: String, _ encode: (String) -> String) -> String {
            EnvironmentReference.expand(text, from: env, event: event, encode: encode).text
        }
        var target = expand(spec.url, EventEncoding.percent)
        var method = HTTPMethod(rawValue: spec.method)
        var headers = HTTPHeaders()
        for (name, value) in spec.headers { headers.add(name: name, value: expand(value, EventEncoding.oneLine)) }
        if !headers.contains(name: "User-Agent") { headers.add(name: "User-Agent", value: "jobrun") }
        // In a cluster the run's id, the same whichever replica sends it (a rerun too), so the
        // receiver can tell a request it has seen.
        if let replica, let due = request.due, !headers.contains(name: "Idempotency-Key") {
            headers.add(name: "Idempotency-Key", value: replica.runID(task: request.task.name, due: due))
        }
        let json = headers["Content-Type"].contains { $0.lowercased().contains("json") }
        var body = spec.body.map { expand($0, json ? EventEncoding.jsonEscaped : { $0 }) }

        let timeout = spec.timeout ?? request.task.timeout
        let deadline = NIODeadline.now() + .nanoseconds(Int64((timeout ?? .seconds(86_400 * 365)).milliseconds) * 1_000_000)
        let began = ContinuousClock.now
        var visited: Set<String> = []
        do {
            var redirects = 0
            while true {
                var outgoing = HTTPClientRequest(url: target)
                outgoing.method = method
                outgoing.headers = headers
                if let body { outgoing.body = .bytes(ByteBuffer(string: body)) }
                let response = try await client(for: target).execute(outgoing, deadline: deadline)
                if spec.followRedirects, let next = Self.redirect(response, from: target) {
                    // The body of a redirect is not wanted; reading it frees the connection.
                    for try await _ in response.body {}
                    visited.insert(target)
                    guard redirects < Self.maxRedirects else {
                        throw JobrunError(.http, "more than \(Self.maxRedirects) redirects (the last to \(mask(next)))",
                                          hint: "point `url` at the final address")
                    }
                    guard !visited.contains(next) else {
                        throw JobrunError(.http, "the redirects go round in a circle (back to \(mask(next)))")
                    }
                    redirects += 1
                    let status = response.status.code
                    // 303, and 301/302 after a POST, become a GET without a body (as browsers and
                    // curl do); 307 and 308 keep the method and the body.
                    if status == 303 && method != .HEAD || (status == 301 || status == 302) && method == .POST {
                        method = .GET
                        body = nil
                    }
                    if !Self.sameOrigin(target, next) {
                        // Another origin gets nothing of the task's: no headers, no body.
                        headers = HTTPHeaders([("User-Agent", "jobrun")])
                        body = nil
                    }
                    target = next
                    continue
                }
                var kept: [UInt8] = []
                var more = false
                let room = Self.bodyLimit + mask.longest
                // The body is read to its end, but only its start is kept.
                for try await chunk in response.body {
                    let take = Swift.min(chunk.readableBytes, room - kept.count)
                    if take > 0 { kept += chunk.readableBytesView.prefix(take) }
                    if chunk.readableBytes > take { more = true }
                }
                record.responseMs = (ContinuousClock.now - began).milliseconds
                record.httpStatus = Int(response.status.code)
                record.responseBody = mask.head(kept, limit: Self.bodyLimit, more: more)
                if spec.accepts(Int(response.status.code)) {
                    record.status = .succeeded
                } else {
                    record.error = "\(spec.method) \(spec.url)\(redirects > 0 ? " (redirected to \(mask(target)))" : "") answered "
                        + "\(response.status.code) \(response.status.reasonPhrase); "
                        + (spec.expectStatus.isEmpty ? "expected 2xx" : "expected \(spec.expectStatus.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ", "))")
                }
                break
            }
        } catch {
            record.responseMs = (ContinuousClock.now - began).milliseconds
            let via = visited.isEmpty ? "" : " (redirected to \(mask(target)))"
            if Task.isCancelled {
                record.status = .cancelled
                record.error = RecordMessage.stopped
            } else if let e = error as? HTTPClientError, e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
                record.status = .timedOut
                record.error = "\(spec.method) \(spec.url)\(via): no response within \(ValueSyntax.format(timeout ?? .zero))"
            } else {
                record.error = mask("\(spec.method) \(spec.url)\(via): \(Self.describe(error, url: URL(string: target)))")
            }
        }
        record.finishedAt = now()
        return record
    }

    /// Where a redirect response points, when it is one that is followed (301, 302, 303, 307,
    /// 308 with a Location to http or https).
    static func redirect(_ response: HTTPClientResponse, from url: String) -> String? {
        guard [301, 302, 303, 307, 308].contains(response.status.code),
              let location = response.headers.first(name: "Location"),
              let next = URL(string: location, relativeTo: URL(string: url))?.absoluteURL,
              let scheme = next.scheme?.lowercased(), scheme == "http" || scheme == "https", next.host != nil
        else { return nil }
        return next.absoluteString
    }

    /// Whether two URLs have the same origin: scheme, host and port.
    static func sameOrigin(_ a: String, _ b: String) -> Bool {
        guard let a = URL(string: a), let b = URL(string: b) else { return false }
        func port(_ u: URL) -> Int? { u.port ?? (u.scheme?.lowercased() == "https" ? 443 : u.scheme?.lowercased() == "http" ? 80 : nil) }
        return a.scheme?.lowercased() == b.scheme?.lowercased() && a.host?.lowercased() == b.host?.lowercased() && port(a) == port(b)
    }

    /// A failure in words a user acts on, told by the error's type: refused, unreachable,
    /// unresolvable, TLS, closed.
    static func describe(_ error: any Error, url: URL?) -> String {
        let host = url?.host ?? "the host"
        let port = url?.port.map { ":\($0)" } ?? ""
        switch error {
        case let e as JobrunError:
            return e.description
        case let e as NIOConnectionError:
            if e.connectionErrors.isEmpty, e.dnsAError != nil || e.dnsAAAAError != nil {
                return "cannot resolve the host name \(host) (DNS)"
            }
            if let first = e.connectionErrors.first { return describe(first.error, url: url) }
            return "cannot connect to \(host)\(port)"
        case let e as IOError:
            switch e.errnoCode {
            case ECONNREFUSED: return "connection refused by \(host)\(port); is the server running?"
            case ENETUNREACH, EHOSTUNREACH: return "\(host)\(port) cannot be reached (no route)"
            case ECONNRESET: return "\(host)\(port) reset the connection"
            default: return "cannot connect to \(host)\(port): \(String(cString: strerror(e.errnoCode)))"
            }
        case is SocketAddressError:
            return "cannot resolve the host name \(host) (DNS)"
        case let e as NIOSSLError:
            return "TLS failed with \(host)\(port): \(e)"
        case let e as BoringSSLError:
            return "TLS failed with \(host)\(port): \(e)"
        case let e as HTTPClientError:
            switch e {
            case .remoteConnectionClosed: return "\(host)\(port) closed the connection before answering"
            case .tlsHandshakeTimeout: return "TLS failed with \(host)\(port): the handshake timed out"
            default: return "\(e)"
            }
        default:
            return "\(error)"
        }
    }

    /// The client for a URL: one per proxy, chosen as curl does (`http_proxy` for http://,
    /// `https_proxy`/`HTTPS_PROXY` for https://, skipped for hosts in `no_proxy`/`NO_PROXY`).
    private func client(for url: String) -> HTTPClient {
        let proxy = ProxySetting(url: url, environment: environment)
        let key = proxy.map { "\($0.host):\($0.port)" } ?? ""
        return clients.withLock { clients in
            if let c = clients[key] { return c }
            var configuration = HTTPClient.Configuration()
            // Redirects are followed in run(_:now:), which decides what goes to another origin.
            configuration.redirectConfiguration = .disallow
            // A refused connection is a failed attempt now; retrying is the task's `retries`.
            configuration.connectionPool.retryConnectionEstablishment = false
            if let proxy { configuration.proxy = .server(host: proxy.host, port: proxy.port) }
            let c = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[key] = c
            return c
        }
    }
}

/// A proxy from the environment, as curl reads it.
struct ProxySetting: Equatable {
    let host: String
    let port: Int

    init?(url: String, environment env: [String: String]) {
        guard let target = URL(string: url), let scheme = target.scheme?.lowercased(), let host = target.host?.lowercased() else { return nil }
        // curl reads only the lowercase http_proxy, so a CGI "Proxy:" header cannot set it.
        let raw = scheme == "https" ? env["https_proxy"] ?? env["HTTPS_PROXY"] : env["http_proxy"]
        guard let raw, !raw.isEmpty else { return nil }
        let noProxy = (env["no_proxy"] ?? env["NO_PROXY"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        for entry in noProxy {
            if entry == "*" { return nil }
            let domain = entry.hasPrefix(".") ? String(entry.dropFirst()) : entry
            let bare = domain.split(separator: ":").first.map(String.init) ?? domain
            if host == bare || host.hasSuffix("." + bare) { return nil }
        }
        guard let proxy = URL(string: raw.contains("://") ? raw : "http://" + raw), let proxyHost = proxy.host else { return nil }
        self.host = proxyHost
        self.port = proxy.port ?? (proxy.scheme == "https" ? 443 : 1080)
    }
}
