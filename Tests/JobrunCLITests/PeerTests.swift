import Foundation
import JobrunTestSupport
import Testing

/// Runs `yaml` in a workspace (removed when the caller lets go of it) and reads its report.
private func run(_ yaml: String, _ arguments: [String] = [], environment: [String: String] = [:]) throws -> (JobrunBinary.Result, [String: Any], Workspace) {
    let w = try Workspace(yaml)
    let result = try JobrunBinary.run(["jobs.yaml"] + arguments, environment: environment, in: w.url)
    let data = try Data(contentsOf: w.appendingPathComponent("jobrun-report.json"))
    let report = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
    return (result, report, w)
}

private func firstRun(_ report: [String: Any], _ task: String) -> [String: Any] {
    let tasks = report["tasks"] as? [[String: Any]] ?? []
    return (tasks.first { $0["name"] as? String == task }?["runs"] as? [[String: Any]])?.first ?? [:]
}


@Suite(.serialized) struct HTTPTaskTests {
    @Test func aWebhookThatAnswers503TwiceThen200SucceedsOnTheThirdAttempt() throws {
        let peer = try LocalPeer("http_peer.py")
        let (result, report, _) = try run("""
            tasks:
              - name: hook
                type: http
                http: {url: "http://127.0.0.1:\(peer.port)/flaky/2/hook"}
                retries: 3
                retry_delay: 50ms
            """)
        #expect(result.status == 0, "\(result.stdout)")
        let run = firstRun(report, "hook")
        #expect(run["status"] as? String == "succeeded")
        #expect(attempts(run).map { $0["http_status"] as? Int } == [503, 503, 200])
        #expect(attempts(run).last?["response_body"] as? String == "ok")
        #expect(attempts(run).allSatisfy { ($0["response_ms"] as? Int ?? -1) >= 0 })
        #expect(peer.requests.count == 3)
    }

    @Test func aServerThatNeverAnswersTimesOutAtTheTaskTimeout() throws {
        let peer = try LocalPeer("http_peer.py")
        let (result, report, _) = try run("""
            tasks:
              - {name: hang, type: http, http: {url: "http://127.0.0.1:\(peer.port)/hang"}, timeout: 300ms}
            """)
        #expect(result.status == 1)
        let attempt = attempts(firstRun(report, "hang")).first ?? [:]
        #expect(attempt["status"] as? String == "timed_out")
        #expect((attempt["error"] as? String)?.contains("no response within 300ms") == true)
    }

    @Test func theRequestCarriesMethodHeadersAndBodyAndSecretsStayOutOfTheRecord() throws {
        let peer = try LocalPeer("http_peer.py")
        let (result, report, dir) = try run("""
            tasks:
              - name: notify
                type: http
                http:
                  url: "http://127.0.0.1:\(peer.port)/status/418"
                  method: put
                  headers: {Authorization: "Bearer ${HOOK_TOKEN}", Content-Type: application/json}
                  body: '{"token": "${HOOK_TOKEN}", "text": "hi"}'
                  expect_status: ["400-499"]
            """, ["--log-dir", "logs"], environment: ["HOOK_TOKEN": "s3cr3t-value"])
        #expect(result.status == 0, "\(result.stdout)")
        let request = try #require(peer.requests.first)
        #expect(request["method"] as? String == "PUT")
        let headers = request["headers"] as? [String: String] ?? [:]
        #expect(headers["authorization"] == "Bearer s3cr3t-value")
        #expect(headers["content-type"] == "application/json")
        #expect(request["body"] as? String == #"{"token": "s3cr3t-value", "text": "hi"}"#)
        #expect(attempts(firstRun(report, "notify")).first?["http_status"] as? Int == 418)
        let reportText = try String(contentsOf: dir.appendingPathComponent("jobrun-report.json"), encoding: .utf8)
        #expect(!reportText.contains("s3cr3t-value"))
        #expect(!result.stdout.contains("s3cr3t-value") && !result.stderr.contains("s3cr3t-value"))
    }

    // A redirect to another origin once carried the task's headers and, on 307, its body.
    @Test(arguments: [302, 307])
    func aRedirectToAnotherOriginCarriesNeitherTheTasksHeadersNorItsBody(code: Int) throws {
        let first = try LocalPeer("http_peer.py")
        let other = try LocalPeer("http_peer.py")
        let (result, report, _) = try run("""
            tasks:
              - name: hook
                type: http
                http:
                  url: "http://127.0.0.1:\(first.port)/redirect/\(code)/\(other.port)/landed"
                  headers: {X-Api-Key: "${API_KEY}"}
                  body: "key=${API_KEY}"
            """, environment: ["API_KEY": "k3y-for-first-only"])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(first.requests.first?["body"] as? String == "key=k3y-for-first-only")
        let landed = try #require(other.requests.first)
        #expect(landed["path"] as? String == "/landed")
        #expect(landed["method"] as? String == (code == 307 ? "POST" : "GET"))
        let headers = landed["headers"] as? [String: String] ?? [:]
        #expect(headers["x-api-key"] == nil, "\(headers)")
        #expect(landed["body"] as? String == "")
        #expect(attempts(firstRun(report, "hook")).first?["http_status"] as? Int == 200)
    }

    @Test func aRedirectWithinTheOriginKeepsTheHeadersAndARefusedTargetIsNamed() throws {
        let peer = try LocalPeer("http_peer.py")
        let (result, report, _) = try run("""
            tasks:
              - name: same
                type: http
                http:
                  url: "http://127.0.0.1:\(peer.port)/redirect/307/\(peer.port)/there"
                  headers: {X-Api-Key: "${API_KEY}"}
              - name: refused
                type: http
                http: {url: "http://127.0.0.1:\(peer.port)/redirect/302/1/nowhere"}
              - name: kept
                type: http
                http: {url: "http://127.0.0.1:\(peer.port)/redirect/302/1/nowhere", follow_redirects: false, expect_status: [302]}
            """, environment: ["API_KEY": "k3y-for-first-only"])
        #expect(result.status == 1)
        let there = peer.requests.first { $0["path"] as? String == "/there" }
        #expect((there?["headers"] as? [String: String])?["x-api-key"] == "k3y-for-first-only")
        #expect(firstRun(report, "same")["status"] as? String == "succeeded")
        // The refused address is the redirect's (port 1), not the first host's.
        let error = attempts(firstRun(report, "refused")).first?["error"] as? String ?? ""
        #expect(error.contains("redirected to http://127.0.0.1:1/nowhere") && error.contains("connection refused by 127.0.0.1:1"), "\(error)")
        #expect(attempts(firstRun(report, "kept")).first?["http_status"] as? Int == 302)
        #expect(firstRun(report, "kept")["status"] as? String == "succeeded")
    }

    @Test func aLargeBodySucceedsAndKeepsItsFirst4KiB() throws {
        let peer = try LocalPeer("http_peer.py")
        let (result, report, _) = try run("""
            tasks:
              - {name: big, type: http, http: {url: "http://127.0.0.1:\(peer.port)/big/3000000", method: GET}}
            """)
        #expect(result.status == 0, "\(result.stdout)")
        let attempt = attempts(firstRun(report, "big")).first ?? [:]
        #expect(attempt["status"] as? String == "succeeded")
        #expect(attempt["response_body"] as? String == String(repeating: "b", count: 4096))
    }

    // A secret placed at every offset around the 4 KiB cut: no prefix of it survives.
    @Test func aSecretAcrossTheCutOfTheBodyLeavesNoPrefix() throws {
        let peer = try LocalPeer("http_peer.py")
        let secret = "Zq7SECRETvalue-42"
        let offsets = Array(4096 - secret.utf8.count - 1 ... 4096)
        let tasks = offsets.map { n in
            "  - {name: pad\(n), type: http, http: {url: \"http://127.0.0.1:\(peer.port)/pad/\(n)?s=${TOKEN}\", method: GET}}"
        }.joined(separator: "\n")
        let (result, report, dir) = try run("workers: 8\ntasks:\n" + tasks + "\n", environment: ["TOKEN": secret])
        #expect(result.status == 0, "\(result.stdout)")
        for n in offsets {
            let body = attempts(firstRun(report, "pad\(n)")).first?["response_body"] as? String ?? ""
            #expect(body.hasPrefix(String(repeating: "x", count: Swift.min(n, 4000))), "pad\(n)")
            // After the x's comes the mask (itself perhaps cut), never a piece of the secret.
            let tail = body.drop { $0 == "x" }
            #expect(tail.hasPrefix("***") || "***".hasPrefix(tail), "pad\(n): \(tail)")
            #expect(body.utf8.count <= 4096)
        }
        let text = try String(contentsOf: dir.appendingPathComponent("jobrun-report.json"), encoding: .utf8)
        for k in 3...secret.count { #expect(!text.contains(String(secret.prefix(k)))) }
    }

    @Test func aSecretIsMaskedWhenTheServerEchoesItEncoded() throws {
        let peer = try LocalPeer("http_peer.py")
        let secret = #"Tok/en:v@l"ue\9"#
        let spaced = "k3y|{x}^"
        let (result, report, dir) = try run("""
            tasks:
              - name: forms
                type: http
                http: {url: "http://127.0.0.1:\(peer.port)/forms", method: GET, headers: {X-Secret: "${TOKEN}"}}
              - {name: echo, type: http, http: {url: "http://127.0.0.1:\(peer.port)/echo/${SPACED}", method: GET}}
            """, ["--format", "json"], environment: ["TOKEN": secret, "SPACED": spaced])
        #expect(result.status == 1, "\(result.stdout)")
        let forms = attempts(firstRun(report, "forms")).first?["response_body"] as? String ?? ""
        #expect(forms.split(separator: "\n").map { $0.split(separator: " ").last.map(String.init) ?? "" }.allSatisfy { $0.contains("***") }, "\(forms)")
        let echo = attempts(firstRun(report, "echo")).first?["response_body"] as? String ?? ""
        #expect(echo.contains("/echo/***"), "\(echo)")
        let encodings = [secret, secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
                         #"Tok/en:v@l\"ue\\9"#, spaced, spaced.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!,
                         String(Data(("user:" + secret).utf8).base64EncodedString().dropFirst(8).prefix(12))]
        let text = try String(contentsOf: dir.appendingPathComponent("jobrun-report.json"), encoding: .utf8)
        for form in encodings {
            #expect(!text.contains(form) && !result.stdout.contains(form), "\(form)")
        }
    }

    @Test func aSecretShorterThan4CharactersIsAWarning() throws {
        let dir = try Workspace("""
            tasks:
              - {name: n, type: http, http: {url: "https://example.com/", headers: {X-Key: "${SHORT}"}}}
            """)
        let lint = try JobrunBinary.run(["--validate", "jobs.yaml"], environment: ["SHORT": "ab1"], in: dir.url)
        #expect(lint.status == 0)
        #expect(lint.stdout.contains("warning: tasks[0].http.headers.X-Key: the value of SHORT has 3 characters"), "\(lint.stdout)")
        let strict = try JobrunBinary.run(["--validate", "--strict", "jobs.yaml"], environment: ["SHORT": "ab1"], in: dir.url)
        #expect(strict.status == 2)
    }

    @Test func anUnexpectedStatusIsAFailedAttemptThatSaysWhy() throws {
        let peer = try LocalPeer("http_peer.py")
        let (result, report, _) = try run("""
            tasks:
              - {name: gone, type: http, http: {url: "http://127.0.0.1:\(peer.port)/status/404", method: GET}}
            """)
        #expect(result.status == 1)
        let attempt = attempts(firstRun(report, "gone")).first ?? [:]
        #expect(attempt["http_status"] as? Int == 404)
        #expect((attempt["error"] as? String)?.contains("answered 404") == true)
        #expect((attempt["error"] as? String)?.contains("expected 2xx") == true)
    }

    @Test func aRefusedConnectionIsAFailedAttemptThatSaysSo() throws {
        // Nothing listens on port 1 of the loopback address.
        let port = 1
        let (result, report, _) = try run("""
            tasks:
              - {name: down, type: http, http: {url: "http://127.0.0.1:\(port)/"}}
            """)
        #expect(result.status == 1)
        #expect((attempts(firstRun(report, "down")).first?["error"] as? String)?.contains("connection refused") == true)
    }

    // Files are linted where their secrets are absent (a pull request's pipeline): there an
    // unset variable is a warning; a run, or --strict, still refuses it.
    @Test func anUnsetVariableIsAWarningWhenLintingAndAnErrorInARun() throws {
        let w = try Workspace("""
            tasks:
              - {name: n, type: http, http: {url: "https://${NO_SUCH_JOBRUN_HOST}/${NO_SUCH_JOBRUN_VAR}"}}
            """)
        let lint = try JobrunBinary.run(["--validate", "jobs.yaml"], in: w.url)
        #expect(lint.status == 0, "\(lint.stdout)")
        #expect(lint.stdout.contains("jobs.yaml:2:39: warning: tasks[0].http.url: the environment variable NO_SUCH_JOBRUN_VAR is not set here; it must be set when the file runs"), "\(lint.stdout)")
        #expect(!lint.stdout.contains("is not an http"))
        let strict = try JobrunBinary.run(["--validate", "--strict", "jobs.yaml"], in: w.url)
        #expect(strict.status == 2)
        let plan = try JobrunBinary.run(["--plan", "jobs.yaml"], in: w.url)
        #expect(plan.status == 0, "\(plan.stdout)\(plan.stderr)")
        let run = try w.run()
        #expect(run.status == 2)
        #expect(run.stdout.contains("jobs.yaml:2:39: error: tasks[0].http.url: the environment variable NO_SUCH_JOBRUN_VAR is not set"), "\(run.stdout)")
    }
}

@Suite(.serialized) struct EmailTaskTests {
    @Test func aMessageReachesAnSMTPServerThroughMsmtp() throws {
        let smtp = try LocalPeer("smtp_peer.py")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // msmtp as the sendmail program, pointed at the local server.
        let wrapper = dir.appendingPathComponent("sendmail")
        try "#!/bin/sh\nexec msmtp --host=127.0.0.1 --port=\(smtp.port) --auth=off --tls=off --read-envelope-from \"$@\"\n"
            .write(to: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper.path, 0o755)
        try """
            tasks:
              - name: welcome
                type: email
                email:
                  from: "Jobrun <jobrun@example.com>"
                  to: [new.user@example.com]
                  cc: ["Jürgen Müller <juergen@example.com>"]
                  subject: "Grüße, welcome"
                  body: "Hello!\\n.\\nBye"
                  sendmail: ./sendmail
            """.write(to: dir.appendingPathComponent("jobs.yaml"), atomically: true, encoding: .utf8)
        let r = try JobrunBinary.run(["jobs.yaml"], in: dir)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let eml = try Data(contentsOf: smtp.dir.appendingPathComponent("log/1.eml"))
        let text = String(decoding: eml, as: UTF8.self)
        #expect(text.contains("From: Jobrun <jobrun@example.com>\r\n"))
        #expect(text.contains("To: new.user@example.com\r\n"))
        #expect(text.contains("Cc: =?utf-8?B?SsO8cmdlbiBNw7xsbGVy?= <juergen@example.com>\r\n"))
        #expect(text.contains("Subject: =?utf-8?B?R3LDvMOfZSwgd2VsY29tZQ==?=\r\n"))
        #expect(text.contains("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"))
        #expect(text.contains("\r\nDate: ") && text.contains("\r\nMessage-ID: <"))
        #expect(text.hasSuffix("\r\n\r\nHello!\r\n.\r\nBye\r\n"))
        let envelope = try JSONSerialization.jsonObject(with: Data(contentsOf: smtp.dir.appendingPathComponent("log/1.json"))) as? [String: Any]
        #expect(Set(envelope?["to"] as? [String] ?? []) == ["new.user@example.com", "juergen@example.com"])
    }

    @Test func aSendmailThatFailsIsAFailedAttemptWithItsStderr() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-mail-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "#!/bin/sh\necho 'relay denied' >&2\nexit 75\n".write(to: dir.appendingPathComponent("sendmail"), atomically: true, encoding: .utf8)
        chmod(dir.appendingPathComponent("sendmail").path, 0o755)
        try "tasks: [{name: m, type: email, email: {to: [a@example.com], subject: s, body: b}}]\n"
            .write(to: dir.appendingPathComponent("jobs.yaml"), atomically: true, encoding: .utf8)
        let r = try JobrunBinary.run(["jobs.yaml"], environment: ["JOBRUN_SENDMAIL": "./sendmail"], in: dir)
        #expect(r.status == 1)
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("jobrun-report.json"))) as? [String: Any] ?? [:]
        let attempt = attempts(firstRun(report, "m")).first ?? [:]
        #expect(attempt["exit_code"] as? Int == 75)
        #expect(attempt["stderr_tail"] as? String == "relay denied\n")
    }
}

@Suite struct DemoTests {
    @Test func theREADMEsDemoRunsOnAFreshMachineAndSucceeds() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: JobrunBinary.packageRoot.appendingPathComponent("examples"),
                                         to: dir.appendingPathComponent("examples"))
        let r = try JobrunBinary.run(["examples/demo.yaml"], in: dir)
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("scratch/demo/report.json"))) as? [String: Any])
        let totals = report["totals"] as? [String: Int] ?? [:]
        #expect(totals["runs"] == 8 && totals["succeeded"] == 8)
        #expect((report["duration_ms"] as? Int ?? .max) < 15_000)
        let maildir = dir.appendingPathComponent("scratch/demo/maildir/new")
        let mails = try FileManager.default.contentsOfDirectory(atPath: maildir.path)
        #expect(mails.count == 1)
        let mail = try String(contentsOf: maildir.appendingPathComponent(mails[0]), encoding: .utf8)
        #expect(mail.contains("Subject: Welcome aboard!\r\n"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("scratch/demo/users-export.csv").path))
    }
}
