import JobrunCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// `--listen`: a small HTTP/1.1 server for monitoring. It answers GET and nothing else (any
/// other method is 405); what it answers is ``respond``'s, which reads and never changes.
/// Connections are kept alive and served one request after another.
public final class Endpoint: Sendable {
    /// A request: its path without the query.
    public struct Request: Sendable {
        /// `/metrics`, `/healthz`, …
        public var path: String
    }

    /// A response: status, content type and body.
    public struct Response: Sendable {
        /// The HTTP status.
        public var status: Int
        /// The `Content-Type`.
        public var contentType: String
        /// The body.
        public var body: [UInt8]

        /// Creates a response.
        public init(status: Int, contentType: String, body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }

        /// A JSON response.
        public static func json(_ status: Int, _ text: String) -> Response {
            Response(status: status, contentType: "application/json", body: Array((text + "\n").utf8))
        }
    }

    private typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    private let server: NIOAsyncChannel<Connection, Never>
    private let respond: @Sendable (Request) async -> Response
    /// Where it listens, the port the system chose included.
    public let address: ListenAddress

    private init(server: NIOAsyncChannel<Connection, Never>, address: ListenAddress,
                 respond: @escaping @Sendable (Request) async -> Response) {
        self.server = server
        self.address = address
        self.respond = respond
    }

    /// Listens on `address` (port 0: one the system chooses); ``serve()`` then answers.
    public static func bind(_ address: ListenAddress,
                            respond: @escaping @Sendable (Request) async -> Response) async throws(JobrunError) -> Endpoint {
        do {
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        return try Connection(wrappingChannelSynchronously: channel)
                    }
                }
            var bound = address
            bound.port = server.channel.localAddress?.port ?? address.port
            return Endpoint(server: server, address: bound, respond: respond)
        } catch {
            throw JobrunError(.listen, "cannot listen on \(address): \(Self.describe(error))",
                              hint: "choose another address or port with --listen or `listen:`")
        }
    }

    /// Answers requests until the task is cancelled.
    public func serve() async {
        let respond = self.respond
        try? await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await connection in inbound {
                    group.addTask { await Self.serve(connection, respond: respond) }
                }
            }
        }
    }

    private static func serve(_ connection: Connection, respond: @Sendable (Request) async -> Response) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                case .body:
                    break
                case .end:
                    guard let h = head else { continue }
                    head = nil
                    var response: Response
                    if h.method != .GET {
                        response = .json(405, #"{"error": "only GET is served"}"#)
                        // The answer to a HEAD has no body (its client reads none).
                        if h.method == .HEAD { response.body = [] }
                    } else {
                        let path = String(h.uri.prefix { $0 != "?" })
                        response = await respond(Request(path: path))
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Type", value: response.contentType)
                    headers.add(name: "Content-Length", value: String(response.body.count))
                    if h.method != .GET { headers.add(name: "Allow", value: "GET") }
                    if !h.isKeepAlive { headers.add(name: "Connection", value: "close") }
                    try await outbound.write(.head(HTTPResponseHead(version: h.version, status: .init(statusCode: response.status),
                                                                    headers: headers)))
                    try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: response.body))))
                    try await outbound.write(.end(nil))
                    if !h.isKeepAlive { return }
                }
            }
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let e = error as? IOError { return e.description }
        return String(describing: error)
    }
}
