import AsyncHTTPClient
import Foundation
import JobrunCore
import NIOCore
import NIOHTTP1

/// Runs `type: http` attempts with async-http-client: the request, with `${NAME}` filled
/// in from the environment, under a deadline of the request's (or the task's) timeout.
/// TLS certificates are verified; proxies come from the environment as curl reads them.
/// Values taken from the environment are blanked out of everything recorded.
public final class HTTPExecutor: Executor {
    /// The environment `${NAME}` references and proxy settings come from.
    let environment: [String: String]
    private let clients = Locked<[String: HTTPClient]>([:])

    /// Creates an executor; call ``shutdown()`` when the run is over.
    public init(environment: [String: String]) {
        self.environment = environment
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
            record.error = "the task has no http request"
            return record
        }
        var env = environment
        for (k, v) in request.task.env { env[k] = v }
        var secrets: [String] = []
        func expand(_ text: String) -> String {
            let (out, used) = EnvironmentReference.expand(text, from: env)
            secrets += used
            return out
        }
        let url = expand(spec.url)
        var outgoing = HTTPClientRequest(url: url)
        outgoing.method = HTTPMethod(rawValue: spec.method)
        for (name, value) in spec.headers { outgoing.headers.add(name: name, value: expand(value)) }
        if !outgoing.headers.contains(name: "User-Agent") { outgoing.headers.add(name: "User-Agent", value: "jobrun") }
        if let body = spec.body { outgoing.body = .bytes(ByteBuffer(string: expand(body))) }
        let redact = Redaction(secrets)

        let timeout = spec.timeout ?? request.task.timeout
        let deadline = NIODeadline.now() + .nanoseconds(Int64((timeout ?? .seconds(86_400 * 365)).milliseconds) * 1_000_000)
        let began = ContinuousClock.now
        do {
            let response = try await client(for: url).execute(outgoing, deadline: deadline)
            var body = try await response.body.collect(upTo: 1 << 20)
            record.responseMs = (ContinuousClock.now - began).milliseconds
            record.httpStatus = Int(response.status.code)
            let text = body.readString(length: min(body.readableBytes, 4096)) ?? ""
            record.responseBody = redact(String(decoding: Array(text.utf8.prefix(4096)), as: UTF8.self))
            if spec.accepts(Int(response.status.code)) {
                record.status = .succeeded
            } else {
                record.error = "\(spec.method) \(spec.url) answered \(response.status.code) \(response.status.reasonPhrase); "
                    + (spec.expectStatus.isEmpty ? "expected 2xx" : "expected \(spec.expectStatus.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ", "))")
            }
        } catch {
            record.responseMs = (ContinuousClock.now - began).milliseconds
            if Task.isCancelled {
                record.status = .cancelled
                record.error = "jobrun was stopped"
            } else if let e = error as? HTTPClientError, e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout {
                record.status = .timedOut
                record.error = "\(spec.method) \(spec.url): no response within \(ValueSyntax.format(timeout ?? .zero))"
            } else {
                record.error = redact("\(spec.method) \(spec.url): \(Self.describe(error, url: URL(string: url)))")
            }
        }
        record.finishedAt = now()
        return record
    }

    /// A failure in words a user acts on: refused, unresolvable, TLS.
    static func describe(_ error: any Error, url: URL?) -> String {
        let host = url?.host ?? "the host"
        let port = url?.port.map { ":\($0)" } ?? ""
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("errno: 111") {
            return "connection refused by \(host)\(port); is the server running?"
        }
        if text.contains("dnsAError") || text.contains("NXDOMAIN") || text.contains("resolve") || text.contains("nodename")
            || text.contains("Name or service not known") {
            return "cannot resolve the host name \(host) (DNS)"
        }
        if text.contains("handshake") || text.contains("certificate") || text.contains("BoringSSL") || text.contains("NIOSSL") {
            return "TLS failed with \(host)\(port): \(text)"
        }
        return text
    }

    /// The client for a URL: one per proxy, chosen as curl does (`http_proxy` for http://,
    /// `https_proxy`/`HTTPS_PROXY` for https://, skipped for hosts in `no_proxy`/`NO_PROXY`).
    private func client(for url: String) -> HTTPClient {
        let proxy = ProxySetting(url: url, environment: environment)
        let key = proxy.map { "\($0.host):\($0.port)" } ?? ""
        return clients.withLock { clients in
            if let c = clients[key] { return c }
            var configuration = HTTPClient.Configuration()
            configuration.redirectConfiguration = .follow(max: 5, allowCycles: false)
            // A refused connection is a failed attempt now; retrying is the task's `retries`.
            configuration.connectionPool.retryConnectionEstablishment = false
            if let proxy { configuration.proxy = .server(host: proxy.host, port: proxy.port) }
            let c = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[key] = c
            return c
        }
    }
}

/// Blanks out values that came from the environment.
struct Redaction: Sendable {
    let secrets: [String]

    init(_ secrets: [String]) { self.secrets = secrets.filter { $0.count >= 3 }.sorted { $0.count > $1.count } }

    func callAsFunction(_ text: String) -> String {
        secrets.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
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
