@testable import JobrunCore
import JobrunYAML
import JobrunTestSupport
import Testing

@Suite struct ValidatorTests {
    @Test func aValidFileBecomesTheModelWithDefaultsApplied() throws {
        let v = validate("""
            version: 1
            workers: 4
            timezone: Europe/Berlin
            env: {A: "1", B: top}
            defaults:
              timeout: 10m
              retries: 2
              env: {B: defaults}
            tasks:
              - name: export
                command: ["pg_dump", "--table=orders", 5]
                output: exports/orders.sql
                schedule: "0 2 * * *"
                count: 1
                env: {C: task}
              - name: ping
                type: http
                http: { url: "http://127.0.0.1:8080/ping", expect_status: [200, "300-302"] }
                repeat: 30s
                until: +10m
                retries: 0
                priority: 1
              - name: mail
                type: email
                email: {to: ops@example.com, subject: Hi}
                after: [export]
                enabled: false
            """)
        #expect(v.diagnostics.isEmpty, "\(v.diagnostics)")
        let file = try #require(v.file)
        #expect(file.workers == 4)
        #expect(file.zone.identifier == "Europe/Berlin")
        let export = try #require(file.task(named: "export"))
        #expect(export.command == .argv(["pg_dump", "--table=orders", "5"]))
        #expect(export.timeout == .seconds(600))
        #expect(export.retry.retries == 2)
        #expect(export.count == 1)
        #expect(export.env.map { "\($0.key)=\($0.value)" } == ["A=1", "B=top", "B=defaults", "C=task"])
        let ping = try #require(file.task(named: "ping"))
        #expect(ping.retry.retries == 0)
        #expect(ping.http?.method == "POST")
        #expect(ping.http?.expectStatus == [200...200, 300...302])
        #expect(ping.count == nil)
        #expect(ping.priority == 1)
        #expect(ping.overlap == .skip)
        #expect(ping.killGrace == .seconds(5))
        let mail = try #require(file.task(named: "mail"))
        #expect(mail.email?.to == ["ops@example.com"])
        #expect(mail.after == ["export"])
        #expect(!mail.enabled)
    }

    @Test func everyProblemIsReportedAtOnceSortedByPosition() {
        expectDiagnostics("""
            version: 1️⃣2
            workers: 2️⃣0
            3️⃣shedule: x
            tasks:
              - name: a
                command: [echo]
                timeout: 4️⃣5 minutes
                5️⃣retires: 3
              - name: b
                6️⃣command: x
                type: http
                http: {url: 7️⃣ftp://x}
            """, [
                ("1️⃣", .error, "version", "version 2 is not supported"),
                ("2️⃣", .error, "workers", "out of range; use 1–1024"),
                ("3️⃣", .error, "shedule", "unknown key \"shedule\""),
                ("4️⃣", .error, "tasks[0].timeout", "\"5 minutes\" is not a duration"),
                ("5️⃣", .error, "tasks[0].retires", "did you mean \"retries\"?"),
                ("6️⃣", .error, "tasks[1].command", "`command` is for tasks of type command"),
                ("7️⃣", .error, "tasks[1].http.url", "is not an http:// or https:// URL"),
            ])
    }

    @Test func missingRequiredFieldsPointAtTheTask() {
        expectDiagnostics("""
            tasks:
              - 1️⃣name: a
              - 2️⃣name: b
                type: http
                http: 3️⃣{method: GET}
              - 4️⃣name: c
                type: email
                email: {to: 5️⃣[]}
              - 6️⃣command: x
            """, [
                ("1️⃣", .error, "tasks[0].command", "missing required key `command`"),
                ("3️⃣", .error, "tasks[1].http.url", "missing required key `url`"),
                ("5️⃣", .error, "tasks[2].email.to", "must not be an empty list"),
                ("6️⃣", .error, "tasks[3].name", "missing required key `name`"),
            ])
    }

    @Test func wrongValueTypesNameWhatWasFound() {
        expectDiagnostics("""
            workers: 1️⃣three
            env: 2️⃣[a]
            tasks: 
              - name: a
                command: 3️⃣{run: x}
                retries: 4️⃣1.5
                enabled: 5️⃣"yes"
                timeout: 6️⃣true
                tags: 7️⃣nightly
                priority: 8️⃣[1]
            """, [
                ("1️⃣", .error, "workers", "expected a whole number, found the string \"three\""),
                ("2️⃣", .error, "env", "expected a mapping of names to strings, found a list"),
                ("3️⃣", .error, "tasks[0].command", "found a mapping"),
                ("4️⃣", .error, "tasks[0].retries", "\"1.5\" is not a whole number"),
                ("5️⃣", .error, "tasks[0].enabled", "expected true or false"),
                ("6️⃣", .error, "tasks[0].timeout", "expected a duration"),
                ("7️⃣", .error, "tasks[0].tags", "for a list of one, write [nightly]"),
                ("8️⃣", .error, "tasks[0].priority", "found a list"),
            ])
    }

    @Test func enumsRangesAndZones() {
        expectDiagnostics("""
            timezone: 1️⃣Europe/Berln
            tasks:
              - name: a
                command: x
                overlap: 2️⃣sometimes
                backoff: 3️⃣linear
                priority: 4️⃣101
                retries: 5️⃣-1
                count: 6️⃣0
              - name: b
                type: 7️⃣comand
                command: x
            """, [
                ("1️⃣", .error, "timezone", "did you mean \"Europe/Berlin\"?"),
                ("2️⃣", .error, "tasks[0].overlap", "is not one of skip, queue, allow"),
                ("3️⃣", .error, "tasks[0].backoff", "is not one of fixed, exponential"),
                ("4️⃣", .error, "tasks[0].priority", "101 is out of range; use 0–100"),
                ("5️⃣", .error, "tasks[0].retries", "-1 is out of range"),
                ("6️⃣", .error, "tasks[0].count", "0 is too small"),
                ("7️⃣", .error, "tasks[1].type", "did you mean \"command\"?"),
            ])
    }

    // Found while fuzzing: each candidate zone cost a table as large as the value, so a
    // 1 MB `timezone:` took minutes. A value far longer than every candidate is skipped.
    @Test func aHugeUnknownZoneIsRefusedAtOnce() {
        let zone = String(repeating: "Europe/Berlin", count: 20_000)
        let validated = validate("timezone: \(zone)\ntasks:\n  - {name: a, command: [\"true\"]}\n")
        #expect(validated.diagnostics.map(\.path) == ["timezone"])
        #expect(validated.diagnostics.first?.message.contains("did you mean") == false)
    }

    // Found while fuzzing: every unknown `after:` name was compared with every task name,
    // so a large file whose `after:` names were all wrong took hours. Only the first hundred
    // get a suggestion.
    @Test func unknownAfterNamesGetSuggestionsForTheFirstHundredOnly() {
        var yaml = "tasks:\n"
        for i in 0..<300 { yaml += "  - {name: task\(i), command: [\"true\"], after: [tsak\(i)]}\n" }
        let messages = validate(yaml).diagnostics.map(\.message)
        #expect(messages.count == 300)
        #expect(messages.prefix(100).allSatisfy { $0.contains("did you mean") })
        #expect(messages.dropFirst(100).allSatisfy { !$0.contains("did you mean") })
        #expect(messages.first?.contains("did you mean \"task0\"") == true)
    }

    /// The bounded edit distance agrees with the whole-table one wherever it is within the limit.
    @Test func theBoundedDistanceAgreesWithTheFullOne() {
        var generator = TestRandom()
        let letters = Array("abcab".unicodeScalars)
        func word() -> [Unicode.Scalar] { (0..<Int.random(in: 0...7, using: &generator)).map { _ in letters.randomElement(using: &generator)! } }
        func full(_ x: [Unicode.Scalar], _ y: [Unicode.Scalar]) -> Int {
            var d = [[Int]](repeating: [Int](repeating: 0, count: y.count + 1), count: x.count + 1)
            for i in 0...x.count { d[i][0] = i }
            for j in 0...y.count { d[0][j] = j }
            for i in x.indices.map({ $0 + 1 }) {
                for j in y.indices.map({ $0 + 1 }) {
                    d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
                    if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
                }
            }
            return d[x.count][y.count]
        }
        for _ in 0..<5000 {
            let (x, y) = (word(), word())
            let limit = Int.random(in: 0...3, using: &generator)
            let expected = full(x, y)
            #expect(Suggestion.distance(x, y, limit: limit) == min(expected, limit + 1), "\(x) \(y) limit \(limit)")
        }
    }

    @Test func schedulesDurationsAndTimestamps() {
        expectDiagnostics("""
            tasks:
              - {name: a, command: x, schedule: 1️⃣"61 * * * *"}
              - {name: b, command: x, schedule: 2️⃣"* * * * * * *"}
              - {name: c, command: x, schedule: 3️⃣"0 0 * * funday"}
              - {name: d, command: x, schedule: 4️⃣2026-13-01T00:00:00Z}
              - {name: e, command: x, schedule: 5️⃣+10x}
              - {name: f, command: x, schedule: 6️⃣"@fortnightly"}
              - {name: g, command: x, schedule: 7️⃣tomorrow}
              - {name: h, command: x, repeat: 8️⃣-3s}
              - {name: i, command: x, schedule: "@every 5m", repeat: 9️⃣1m}
            """, [
                ("1️⃣", .error, "tasks[0].schedule", "the minute field has 61, outside 0–59"),
                ("2️⃣", .error, "tasks[1].schedule", "it has 7 fields"),
                ("3️⃣", .error, "tasks[2].schedule", "the day-of-week field has \"FUNDAY\""),
                ("4️⃣", .error, "tasks[3].schedule", "is not a timestamp"),
                ("5️⃣", .error, "tasks[4].schedule", "\"10x\" is not a duration"),
                ("6️⃣", .error, "tasks[5].schedule", "@fortnightly is not a macro"),
                ("7️⃣", .error, "tasks[6].schedule", "is not a schedule"),
                ("8️⃣", .error, "tasks[7].repeat", "cannot be negative"),
                ("9️⃣", .error, "tasks[8].repeat", "cannot be combined with the schedule \"@every 5m\""),
            ])
    }

    @Test func namesAfterReferencesAndCycles() {
        expectDiagnostics("""
            tasks:
              - name: a
                command: x
                after: [1️⃣c]
              - name: b
                command: x
                after: [a, 2️⃣zz, 3️⃣b]
              - name: c
                command: x
                after: [b]
              - name: 4️⃣a
                command: x
              - name: load
                command: x
                after: [5️⃣lod]
            """, [
                ("1️⃣", .error, "tasks[0].after[0]", "forms a cycle: \"a\" → \"c\" → \"b\" → \"a\""),
                ("2️⃣", .error, "tasks[1].after[1]", "no task is named \"zz\""),
                ("3️⃣", .error, "tasks[1].after[2]", "cannot wait for itself"),
                ("4️⃣", .error, "tasks[3].name", "already used on line 2"),
                ("5️⃣", .error, "tasks[4].after[0]", "did you mean \"load\"?"),
            ])
    }

    @Test func mergedValuesAreReportedWhereTheyAreWrittenWithTheTasksPath() {
        expectDiagnostics("""
            tasks:
              - &base
                name: a
                command: x
                timeout: 1️⃣ten
              - <<: *base
                name: b
            """, [
                ("1️⃣", .error, "tasks[0].timeout", "\"ten\" is not a duration"),
                ("1️⃣", .error, "tasks[1].timeout", "\"ten\" is not a duration"),
            ])
    }

    @Test func yamlProblemsComeThroughWithTheirPositions() {
        expectDiagnostics("""
            tasks:
              - name: a
                command: x
                1️⃣command: y
            2️⃣---
            tasks: []
            """, [
                ("1️⃣", .error, "tasks[0].command", "duplicate key \"command\""),
                ("2️⃣", .error, "", "a second YAML document"),
            ])
    }

    @Test func emptyAndNonMappingFiles() {
        #expect(validate("").diagnostics.map(\.message).first?.contains("empty") == true)
        #expect(validate("# only a comment\n").diagnostics.first?.location == .start)
        #expect(validate("- a\n").diagnostics.first?.message.contains("expected a mapping") == true)
        expectDiagnostics("1️⃣version: 1\n", [("1️⃣", .error, "tasks", "missing required key `tasks`")])
        expectDiagnostics("tasks: 1️⃣[]\n", [("1️⃣", .error, "tasks", "there are no tasks")])
    }

    @Test func warningsForFilesThatAreLegalButSurelyNotMeant() {
        expectDiagnostics("""
            timezone: Europe/Berlin
            tasks:
              - {name: a, command: x, schedule: 1️⃣"0 0 30 2 *"}
              - {name: b, command: x, repeat: 1m, timeout: 2️⃣5m}
              - {name: c, command: x, repeat: 1m, retries: 3️⃣5, retry_delay: 30s}
              - {name: d, command: x, schedule: 4️⃣2026-03-29T02:30:00}
              - {name: e, command: x, count: 5️⃣3}
              - {name: f, command: x, after: [6️⃣b]}
              - {name: g, command: x, repeat: 1m, timeout: 5m, overlap: queue, retries: 1}
            """, [
                ("1️⃣", .warning, "tasks[0].schedule", "never fires"),
                ("2️⃣", .warning, "tasks[1].timeout", "timeout 5m is longer than the interval 1m"),
                ("3️⃣", .warning, "tasks[2].retries", "5 retries wait 12m30s in all"),
                ("4️⃣", .warning, "tasks[3].schedule", "2026-03-29 03:30:00 +02:00 (2026-03-29T01:30:00.000Z)"),
                ("5️⃣", .warning, "tasks[4].count", "has no effect"),
                ("6️⃣", .warning, "tasks[5].after[0]", "repeats without end"),
            ])
        #expect(validate(MarkedText("tasks:\n  - {name: a, command: x, schedule: \"0 0 30 2 *\"}\n").text).file != nil)
    }

    @Test func timezoneFallsBackToTZThenUTC() throws {
        let text = "tasks: [{name: a, command: x}]\n"
        #expect(validate(text).file?.zone.identifier == "UTC")
        #expect(validate(text, env: ["TZ": "America/New_York"]).file?.zone.identifier == "America/New_York")
        #expect(validate(text, env: ["TZ": ":Asia/Tokyo"]).file?.zone.identifier == "Asia/Tokyo")
        let bad = validate(text, env: ["TZ": "Mars/Base"])
        #expect(bad.file?.zone.identifier == "UTC")
        #expect(bad.diagnostics.map(\.severity) == [.warning])
    }

    @Test func localTimestampsAreReadInTheFilesZone() throws {
        let v = validate("timezone: America/New_York\ntasks: [{name: a, command: x, schedule: 2026-07-01T09:00:00}]\n")
        let task = try #require(v.file?.tasks.first)
        #expect(task.schedule == .at(Instant(seconds: 1_782_910_800)))  // 13:00Z, EDT is UTC-4
    }

    @Test func controlCharactersInNamesAreRejected() {
        expectDiagnostics("tasks: [{name: 1️⃣\"a\\nb\", command: x}]\n", [("1️⃣", .error, "tasks[0].name", "control characters")])
    }
}
