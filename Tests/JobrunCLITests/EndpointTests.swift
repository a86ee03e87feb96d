import Foundation
import JobrunTestSupport
import Testing

/// Starts jobrun on `file` with `arguments`, its console in `console.txt`.
func startWithConsole(_ w: Workspace, _ arguments: [String], file: String = "jobs.yaml") throws -> Process {
    let process = Process()
    process.executableURL = JobrunBinary.url
    process.arguments = [file] + arguments
    process.currentDirectoryURL = w.url
    _ = FileManager.default.createFile(atPath: w.appendingPathComponent("console.txt").path, contents: nil)
    let console = try FileHandle(forWritingTo: w.appendingPathComponent("console.txt"))
    process.standardOutput = console
    process.standardError = console
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
}

/// Waits (up to 20 s) until the console says something matching `pattern`; returns the match.
@discardableResult
func awaitConsole(_ w: Workspace, _ pattern: String, count: Int = 1) throws -> String {
    for _ in 0..<2000 {
        let text = w.file("console.txt") ?? ""
        var found: [String] = []
        var rest = text[...]
        while let range = rest.range(of: pattern, options: .regularExpression) {
            found.append(String(rest[range]))
            rest = rest[range.upperBound...]
        }
        if found.count >= count { return found[count - 1] }
        usleep(10_000)
    }
    throw SupportError("the console never said \(pattern) (\(count)×): \(w.file("console.txt") ?? "")")
}

/// The address jobrun says it serves on.
func served(_ w: Workspace) throws -> String { try awaitConsole(w, #"http://127\.0\.0\.1:[0-9]+"#) }

/// `--listen`: /metrics read by Prometheus' own parser and checked against the report,
/// /healthz, /status, and what the endpoint refuses. Every request goes to 127.0.0.1.
@Suite(.serialized) struct EndpointTests {
    @Test func metricsReadByPrometheusAgreeWithTheReportAndStatusAndHealthAnswer() throws {
        let w = try Workspace("""
            workers: 2
            tasks:
              - {name: ok, command: "true", repeat: 50ms, count: 4}
              - {name: 'flaky "one"', command: "exit 1", retries: 1, retry_delay: 10ms}
              - {name: slow, command: "touch started; sleep 30", after: [ok]}
              - {name: later, command: "true", schedule: "+1h"}
            """)
        let process = try startWithConsole(w, ["--listen", ":0", "--report", "report.json"])
        defer { if process.isRunning { process.terminate() } }
        let base = try served(w)
        try w.waitFor("started")

        // `slow` starting says `ok` is done; `flaky "one"` runs on the other worker and, on a
        // loaded machine, may still be between its attempts: scrape until its run has ended.
        var metrics = try Scrape(base + "/metrics")
        var tries = 0
        while metrics.value("jobrun_runs_total", ["task": #"flaky "one""#, "status": "failed"]) == nil, tries < 200 {
            tries += 1
            usleep(100_000)
            metrics = try Scrape(base + "/metrics")
        }
        #expect(metrics.status == 200)
        #expect(metrics.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(metrics.types["jobrun_runs"] == "counter" && metrics.types["jobrun_run_duration_seconds"] == "histogram")
        #expect(metrics.value("jobrun_runs_total", ["task": "ok", "status": "succeeded"]) == 4)
        #expect(metrics.value("jobrun_runs_total", ["task": #"flaky "one""#, "status": "failed"]) == 1)
        #expect(metrics.value("jobrun_attempts_total", ["task": #"flaky "one""#, "status": "failed"]) == 2)
        #expect(metrics.value("jobrun_running", ["task": "slow"]) == 1)
        #expect(metrics.value("jobrun_running", ["task": "ok"]) == 0)
        #expect(metrics.value("jobrun_workers") == 2)
        #expect(metrics.value("jobrun_queued") == 0)
        #expect(metrics.value("jobrun_run_duration_seconds_count", ["task": "ok"]) == 4)
        #expect(metrics.value("jobrun_run_duration_seconds_bucket", ["task": "ok", "le": "+Inf"]) == 4)
        #expect(metrics.value("jobrun_reloads_total", ["result": "failed"]) == 0)
        let next = try #require(metrics.value("jobrun_next_run_timestamp_seconds", ["task": "later"]))
        #expect(abs(next - Date().timeIntervalSince1970 - 3600) < 60)
        #expect(metrics.value("jobrun_next_run_timestamp_seconds", ["task": "ok"]) == nil, "nothing of ok is due")
        let lastOK = try #require(metrics.value("jobrun_last_run_timestamp_seconds", ["task": "ok", "status": "succeeded"]))

        let health = try Scrape(base + "/healthz")
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "ok" && health.json["store"] as? String == "none")
        let status = try Scrape(base + "/status")
        #expect(status.status == 200)
        let rows = status.json["tasks"] as? [[String: Any]] ?? []
        #expect(rows.map { $0["task"] as? String } == ["ok", #"flaky "one""#, "slow", "later"])
        #expect(rows[2]["running"] as? Int == 1)
        #expect((rows[0]["last_run"] as? [String: Any])?["run"] as? Int == 4)

        process.interrupt()
        process.waitUntilExit()
        // The counters are the report's, as far as the report had them when scraped.
        let report = try w.report("report.json")
        #expect(runs(report, "ok").count == 4 && runs(report, "ok").allSatisfy { $0["status"] as? String == "succeeded" })
        let lastRun = try #require(runs(report, "ok").last)
        #expect(abs(Double(millis(lastRun["finished_at"])) / 1000 - lastOK) < 0.002)
        #expect(attempts(try #require(runs(report, #"flaky "one""#).first)).count == 2)
    }

    @Test func onlyGETIsServedAndOtherPathsAreNotFound() throws {
        let w = try Workspace("""
            tasks:
              - {name: wait, command: "touch started; sleep 30"}
            """)
        let process = try startWithConsole(w, ["--listen", ":0", "--no-report"])
        defer { if process.isRunning { process.terminate() } }
        let base = try served(w)
        try w.waitFor("started")
        for method in ["POST", "PUT", "DELETE"] {
            let refused = try Scrape(base + "/metrics", method: method)
            #expect(refused.status == 405 && refused.allow == "GET", "\(method)")
        }
        #expect(try Scrape(base + "/").status == 404)
        #expect(try Scrape(base + "/metrics/../status").status == 404)
        // Nothing a request did stopped or changed the run.
        #expect(process.isRunning)
        #expect(try Scrape(base + "/status").json["tasks"].map { ($0 as? [[String: Any]])?.first?["running"] as? Int } == 1)
    }

    @Test func aBadAddressIsAUsageErrorAndABusyPortStopsJobrunBeforeAnyJob() throws {
        let w = try Workspace("""
            tasks:
              - {name: job, command: "touch ran"}
            """)
        let bad = try w.run(["--listen", "localhost"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--listen localhost is not ADDR:PORT"), "\(bad.stderr)")
        let peer = try LocalPeer("http_peer.py")
        let busy = try w.run(["--listen", "127.0.0.1:\(peer.port)"])
        #expect(busy.status == 3, "\(busy.stdout)\(busy.stderr)")
        #expect(busy.stderr.contains("cannot listen on 127.0.0.1:\(peer.port)"), "\(busy.stderr)")
        #expect(w.file("ran") == nil)

        let file = try Workspace("""
            listen: "9090"
            tasks:
              - {name: job, command: "true"}
            """)
        let invalid = try file.run(["--validate"])
        #expect(invalid.status == 2)
        #expect(invalid.stdout.contains(#"jobs.yaml:1:9: error: listen: "9090" is not an address and port to listen on"#), "\(invalid.stdout)")
    }

    @Test func healthIs503WithTheReasonOnceTheStoreFails() throws {
        let port = try freePort()
        let w = try Workspace("""
            listen: "127.0.0.1:\(port)"
            workers: 2
            tasks:
              - name: probe
                command: >-
                  python3 \(JobrunBinary.fixture("peers/scrape.py")) http://127.0.0.1:\(port)/healthz > before.json;
                  sleep 2;
                  python3 \(JobrunBinary.fixture("peers/scrape.py")) http://127.0.0.1:\(port)/healthz > after.json
              - {name: chatty, command: "head -c 3000 /dev/urandom | base64", schedule: +1s, repeat: 5ms}
            """)
        let r = try runIsolated(w, setup: "mkdir small; mount -t tmpfs -o size=400k tmpfs small",
                                ["jobs.yaml", "--state", "small/state.db", "--report", "report.json", "-q"])
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        let before = try #require(try JSONSerialization.jsonObject(with: Data((w.file("before.json") ?? "").utf8)) as? [String: Any])
        #expect(before["status"] as? Int == 200)
        let after = try #require(try JSONSerialization.jsonObject(with: Data((w.file("after.json") ?? "").utf8)) as? [String: Any])
        #expect(after["status"] as? Int == 503)
        let body = try #require(try JSONSerialization.jsonObject(with: Data((after["body"] as? String ?? "").utf8)) as? [String: Any])
        #expect((body["reason"] as? String)?.contains("the state store failed") == true, "\(body)")
    }
}
