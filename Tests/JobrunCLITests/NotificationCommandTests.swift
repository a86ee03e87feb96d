import Foundation
import JobrunTestSupport
import Testing

/// `on_failure:` / `on_success:` end to end: the built binary, real jobs, a local HTTP peer
/// and a sendmail program that keeps what it is given.
@Suite(.serialized) struct NotificationCommandTests {
    @Test func aFailureIsToldOnceAfterItsRetriesWithTheEventInTheNotifiersEnvironment() throws {
        let w = try Workspace("""
            defaults: {on_failure: [alert]}
            tasks:
              - name: backup
                command: 'echo "dumping"; echo "pg_dump: connection refused" >&2; exit 3'
                retries: 2
                retry_delay: 10ms
                on_success: [celebrate]
              - name: fine
                command: "true"
                on_success: [celebrate]
              - name: alert
                schedule: never
                command: 'printf "%s|%s|%s|%s\\n" "$JOBRUN_EVENT_TASK" "$JOBRUN_EVENT_RUN" "$JOBRUN_EVENT_STATUS" "$JOBRUN_EVENT_ERROR" >> told; printf "%s" "$JOBRUN_EVENT_OUTPUT" > output; exit 1'
              - name: celebrate
                schedule: never
                command: 'echo "$JOBRUN_EVENT_TASK $JOBRUN_EVENT_STATUS [$JOBRUN_EVENT_ERROR]" >> cheers'
            """)
        let result = try w.run()
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        // Told once, after the third attempt, of how the run ended.
        #expect(w.file("told") == "backup|1|failed|exited with status 3\n")
        #expect(w.file("output") == "dumping\npg_dump: connection refused\n")
        #expect(w.file("cheers") == "fine succeeded []\n")
        #expect(result.stdout.contains("alert run 1 triggered: backup run 1 failed (on_failure)"), "\(result.stdout)")
        let report = try w.report()
        let alert = runs(report, "alert")
        #expect(alert.count == 1)
        // alert failed itself: that triggers nothing (it takes no on_failure from defaults).
        #expect(alert.first?["status"] as? String == "failed")
        let by = alert.first?["triggered_by"] as? [String: Any]
        #expect(by?["task"] as? String == "backup" && by?["run"] as? Int == 1 && by?["status"] as? String == "failed")
        #expect(runs(report, "celebrate").count == 1)
        try expectValidAgainstSchema([w.appendingPathComponent("jobrun-report.json").path])
    }

    @Test func theOutputAnEventCarriesHasTheFilesSecretsMasked() throws {
        let peer = try LocalPeer("http_peer.py")
        let w = try Workspace("""
            tasks:
              - name: hook
                type: http
                http: {url: "http://127.0.0.1:\(peer.port)/ok", headers: {Authorization: "Bearer ${HOOK_TOKEN}"}}
              - name: leaky
                schedule: +200ms
                command: 'echo "token is $HOOK_TOKEN"; exit 1'
                on_failure: [mail]
              - name: mail
                schedule: never
                command: 'printf "%s" "$JOBRUN_EVENT_OUTPUT" > told'
            """)
        let result = try JobrunBinary.run(["jobs.yaml"], environment: ["HOOK_TOKEN": "tok-3f9a-secret"], in: w.url)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(w.file("told") == "token is ***\n")
    }

    @Test func anHTTPNotifierGetsTheEventEncodedForEachField() throws {
        let peer = try LocalPeer("http_peer.py")
        let w = try Workspace("""
            tasks:
              - name: nightly export
                command: 'echo "line one"; echo "say \\"hi\\"" >&2; exit 2'
                on_failure: [chat]
              - name: chat
                schedule: never
                type: http
                http:
                  url: "http://127.0.0.1:\(peer.port)/hook/${JOBRUN_EVENT_TASK}?run=${JOBRUN_EVENT_RUN}"
                  headers: {Content-Type: application/json, X-Error: "${JOBRUN_EVENT_ERROR}"}
                  body: '{"text": "${JOBRUN_EVENT_TASK} ${JOBRUN_EVENT_STATUS}: ${JOBRUN_EVENT_ERROR}", "output": "${JOBRUN_EVENT_OUTPUT}"}'
            """)
        let result = try w.run()
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let request = try #require(peer.requests.first)
        #expect(request["path"] as? String == "/hook/nightly%20export?run=1")
        #expect((request["headers"] as? [String: String])?["x-error"] == "exited with status 2")
        let body = try #require(JSONSerialization.jsonObject(with: Data((request["body"] as? String ?? "").utf8)) as? [String: String])
        #expect(body["text"] == "nightly export failed: exited with status 2")
        #expect(body["output"] == "line one\nsay \"hi\"\n")
        #expect(runs(try w.report(), "chat").first?["status"] as? String == "succeeded")
    }

    @Test func anEmailNotifierHasTheEventInItsSubjectAndBody() throws {
        let w = try Workspace("""
            tasks:
              - name: report
                command: 'echo "disk full" >&2; exit 1'
                on_failure: [mail]
              - name: mail
                schedule: never
                type: email
                email:
                  to: ops@example.com
                  subject: "[jobrun] ${JOBRUN_EVENT_TASK} ${JOBRUN_EVENT_STATUS}"
                  body: |
                    Run ${JOBRUN_EVENT_RUN} of ${JOBRUN_EVENT_TASK}: ${JOBRUN_EVENT_ERROR}

                    ${JOBRUN_EVENT_OUTPUT}
                  sendmail: ./sendmail
            """)
        try "#!/bin/sh\ncat > message\n".write(to: w.appendingPathComponent("sendmail"), atomically: true, encoding: .utf8)
        chmod(w.appendingPathComponent("sendmail").path, 0o755)
        let result = try w.run()
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let message = try #require(w.file("message"))
        #expect(message.contains("Subject: [jobrun] report failed\r\n"), "\(message)")
        #expect(message.contains("Run 1 of report: exited with status 1\r\n\r\ndisk full\r\n"), "\(message)")
    }

    @Test func aRunAKilledJobrunLeftIsToldAbandonedAtTheNextStart() throws {
        let w = try Workspace("""
            state: state.db
            tasks:
              - {name: job, command: 'if [ -e started ]; then exit 0; fi; touch started; sleep 30', on_failure: [alert]}
              - {name: alert, schedule: never, command: 'echo "$JOBRUN_EVENT_TASK $JOBRUN_EVENT_RUN $JOBRUN_EVENT_STATUS" >> told'}
            """)
        let first = try w.start(["--no-report"])
        try w.waitFor("started")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let second = try w.run(["--report", "report.json"])
        #expect(second.status == 1, "\(second.stdout)\(second.stderr)")
        #expect(w.file("told") == "job 1 abandoned\n")
        let report = try w.report("report.json")
        #expect(runs(report, "job").map { $0["status"] as? String } == ["abandoned", "succeeded"])
        #expect((runs(report, "alert").first?["triggered_by"] as? [String: Any])?["status"] as? String == "abandoned")
        // The alert's run is in the store like any other, and tells nothing itself.
        let history = try w.run(["--history", "--task", "alert", "--format", "json"])
        #expect(history.stdout.contains(#""triggered_by""#), "\(history.stdout)")
    }

    @Test func onlyTakesTheNotifiersAlongAndNowLeavesThemToTheirTriggers() throws {
        let w = try Workspace("""
            tasks:
              - {name: job, command: 'exit 1', on_failure: [alert]}
              - {name: other, command: 'touch other'}
              - {name: alert, schedule: never, command: 'echo "$JOBRUN_EVENT_TASK" >> told'}
            """)
        let only = try w.run(["--only", "job"])
        #expect(only.status == 1)
        #expect(w.file("told") == "job\n")
        #expect(w.file("other") == nil)
        // --now makes every task due at start, but a notifier still waits for its trigger.
        let now = try w.run(["--now"])
        #expect(now.status == 1)
        #expect(w.file("told") == "job\njob\n")
    }

    @Test func validationNamesUnknownNotifiersCyclesAndEventVariables() throws {
        let w = try Workspace("""
            defaults: {on_failure: [alrt]}
            tasks:
              - {name: a, command: x, on_failure: [b]}
              - {name: b, command: x, schedule: never, on_success: [a]}
              - {name: c, command: x, on_success: [c]}
              - {name: d, command: x, schedule: never, repeat: 5s}
              - name: e
                type: http
                http: {url: "http://127.0.0.1:1/${JOBRUN_EVENT_TASKS}"}
              - {name: alert, command: x, schedule: never}
            """)
        let result = try w.run(["--validate"])
        #expect(result.status == 2)
        let out = result.stdout + result.stderr
        #expect(out.contains(#"jobs.yaml:1:25: error: defaults.on_failure[0]: `on_failure` names "alrt", but no task has that name; did you mean "alert"?"#), "\(out)")
        #expect(out.contains(#"jobs.yaml:3:40: error: tasks[0].on_failure[0]: `on_failure`/`on_success` form a cycle: "a" → "b" → "a""#), "\(out)")
        #expect(out.contains(#"jobs.yaml:5:40: error: tasks[2].on_success[0]: task "c" cannot name itself in `on_success`"#), "\(out)")
        #expect(out.contains("jobs.yaml:6:44: error: tasks[3].repeat: `repeat` has no effect with `schedule: never`"), "\(out)")
        #expect(out.contains("error: tasks[4].http.url: JOBRUN_EVENT_TASKS is not an event variable"), "\(out)")
        #expect(out.contains(#"warning: tasks[5].schedule: task "alert" has `schedule: never` and no `on_failure` or `on_success` names it"#), "\(out)")
    }
}
