import JobrunCore

/// What `--listen` serves (README, "Metrics, health and status"): `/metrics`, `/healthz` and
/// `/status`, read from the running scheduler; no request changes anything.
struct Monitoring: Sendable {
    let scheduler: Scheduler<ContinuousClock>
    let metrics: RunMetrics
    /// The store's path, if there is one.
    let store: String?
    let since: Instant
    let mask: SecretMask
    /// The last reload that failed and was not followed by one that succeeded: when, and its
    /// first error.
    let failedReload: @Sendable () -> (at: Instant, error: String)?

    /// The Prometheus text format's content type.
    static let metricsType = "text/plain; version=0.0.4; charset=utf-8"

    func respond(_ request: Endpoint.Request) async -> Endpoint.Response {
        switch request.path {
        case "/metrics":
            let rows = await scheduler.gauges()
            return Endpoint.Response(status: 200, contentType: Self.metricsType, body: metrics.render(rows))
        case "/healthz":
            return await health()
        case "/status":
            let rows = await scheduler.status()
            let table = StatusTable(rows: rows, names: await scheduler.currentFile().tasks.map(\.name), at: scheduler.now())
            return .json(200, mask(table.json()))
        default:
            return .json(404, #"{"error": "jobrun serves GET /metrics, /healthz and /status"}"#)
        }
    }

    /// 200 while the scheduler answers and the store takes writes; 503 saying why otherwise.
    /// A reload that failed leaves the old schedule running: still 200, and the body says so.
    private func health() async -> Endpoint.Response {
        if let failure = await scheduler.storeFailure {
            return .json(503, JSONText.object([
                "status": JSONText.string("failing"),
                "reason": JSONText.string(mask("the state store failed: \(failure)")),
            ]))
        }
        let reload = failedReload().map { failed in
            JSONText.object(["result": JSONText.string("failed"), "at": JSONText.string(failed.at.rfc3339),
                             "error": JSONText.string(mask(failed.error))])
        }
        return .json(200, JSONText.object([
            "status": JSONText.string("ok"),
            "since": JSONText.string(since.rfc3339),
            "store": JSONText.string(store == nil ? "none" : "ok"),
            "last_failed_reload": reload ?? "null",
        ]))
    }
}
