import Foundation
import JobrunTestSupport
import Testing

/// Runs `python3 -c script` in the workspace (its sqlite3 module makes and alters SQLite files).
private func python(_ w: Workspace, _ script: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    process.currentDirectoryURL = w.url
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw SupportError("python3 failed: \(script)") }
}

private func bytes(_ w: Workspace, _ name: String) -> Data? { try? Data(contentsOf: w.appendingPathComponent(name)) }

/// Bad state (README, "State"): a store jobrun cannot use is a clear message and exit 3, with
/// nothing run and the file left as it was; a store that fails mid-run stops new runs, lets
/// running ones finish, and the report is still written.
@Suite(.serialized) struct StateFailureTests {
    private let jobs = "tasks: [{name: t, command: \"touch ran\"}]\n"

    private func expectRefused(_ w: Workspace, _ file: String = "state.db", saying words: [String], historyToo: Bool = true,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = bytes(w, file)
        let r = try w.run(["--state", file, "--no-report"])
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)", sourceLocation: sourceLocation)
        for word in words { #expect(r.stderr.contains(word), "\(r.stderr)", sourceLocation: sourceLocation) }
        #expect(w.file("ran") == nil, "nothing runs", sourceLocation: sourceLocation)
        #expect(bytes(w, file) == before, "the file is left as it was", sourceLocation: sourceLocation)
        // --history reads no such file either (it does not check every page: that would take seconds).
        guard historyToo else { return }
        let history = try w.run(["--history", "--state", file])
        #expect(history.status == 3, "\(history.stdout)", sourceLocation: sourceLocation)
    }

    @Test func anUnreachablePostgreSQLStoreIsSaidBeforeAnyJobWithoutItsPassword() throws {
        // Exit 3 before any job, and no file named after the URL.
        let w = try Workspace("state: \"postgres://jobrun:${PGPW}@/jobs?host=/tmp/none\"\n" + jobs)
        let r = try JobrunBinary.run(["jobs.yaml", "--no-report"], environment: ["PGPW": "hunter2secret"], in: w.url)
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("cannot connect to the PostgreSQL store postgres://jobrun@:5432/jobs?host=/tmp/none"), "\(r.stderr)")
        #expect(!r.stderr.contains("hunter2secret"))
        #expect(w.file("ran") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.path) == ["jobs.yaml"])
        let history = try JobrunBinary.run(["--history", "jobs.yaml"], environment: ["PGPW": "hunter2secret"], in: w.url)
        #expect(history.status == 3 && history.stderr.contains("cannot connect to the PostgreSQL store postgres://jobrun@:5432/jobs?host=/tmp/none"),
                "\(history.stderr)")
        #expect(!history.stderr.contains("hunter2secret"))
    }

    @Test func aFileThatIsNotSQLiteIsRefused() throws {
        let w = try Workspace(jobs)
        try String(repeating: "not a database\n", count: 500).write(to: w.appendingPathComponent("state.db"), atomically: true, encoding: .utf8)
        try expectRefused(w, saying: ["state \"state.db\" is not an SQLite database", "give jobrun a file of its own"])
    }

    @Test func anotherProgramsSQLiteDatabaseIsRefused() throws {
        let w = try Workspace(jobs)
        try python(w, "import sqlite3; c = sqlite3.connect('state.db'); c.execute('create table songs (title text)'); c.commit()")
        try expectRefused(w, saying: ["is an SQLite database of another program"])
    }

    @Test func aStoreFromANewerJobrunIsRefused() throws {
        let w = try Workspace(jobs)
        #expect(try w.run(["--state", "state.db", "--no-report"]).status == 0)
        try FileManager.default.removeItem(at: w.appendingPathComponent("ran"))
        try python(w, "import sqlite3; c = sqlite3.connect('state.db'); c.execute('pragma user_version = 99'); c.commit(); c.close()")
        try expectRefused(w, saying: ["was written by a newer jobrun (store version 99; this jobrun reads up to 1)"])
    }

    @Test func aCorruptStoreIsRefused() throws {
        let w = try Workspace("tasks: [{name: t, command: \"echo some output to keep\", repeat: 1ms, count: 3000}]\n")
        #expect(try w.run(["--state", "state.db", "--no-report", "-q"]).status == 0)
        // Garbage over pages in the middle of the file.
        try python(w, "f = open('state.db', 'r+b'); f.seek(4096 * 8); f.write(b'\\xa5' * 4096 * 40); f.close()")
        try expectRefused(w, saying: ["state \"state.db\" is corrupt", "restore it from a backup"], historyToo: false)
    }

    @Test func aStoreOnAReadOnlyFileSystemIsRefused() throws {
        let w = try Workspace(jobs)
        let fresh = try runIsolated(w, setup: "mkdir ro; mount -t tmpfs -o ro tmpfs ro", ["jobs.yaml", "--state", "ro/state.db", "--no-report"])
        #expect(fresh.status == 3)
        #expect(fresh.stderr.contains("cannot create state \"ro/state.db\": Read-only file system"), "\(fresh.stderr)")
        #expect(w.file("ran") == nil)
        let existing = try runIsolated(
            w, setup: "mkdir ro2; mount -t tmpfs tmpfs ro2; \"$0\" jobs.yaml --state ro2/state.db --no-report; rm ran; mount -o remount,ro ro2",
            ["jobs.yaml", "--state", "ro2/state.db", "--no-report"])
        #expect(existing.status == 3)
        #expect(existing.stderr.contains("cannot open state \"ro2/state.db\" for writing: Read-only file system"), "\(existing.stderr)")
        #expect(w.file("ran") == nil)
    }

    @Test func aDiskThatFillsMidRunStopsNewRunsLetsRunningOnesFinishAndKeepsTheReport() throws {
        let w = try Workspace("""
            workers: 2
            tasks:
              - {name: long, command: "sleep 1; touch finished"}
              - {name: chatty, command: "head -c 3000 /dev/urandom | base64", repeat: 5ms}
            """)
        let r = try runIsolated(w, setup: "mkdir small; mount -t tmpfs -o size=400k tmpfs small",
                                ["jobs.yaml", "--state", "small/state.db", "--report", "report.json", "-q"])
        #expect(r.status == 3, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("state \"small/state.db\" cannot be written: the disk is full")
                || r.stderr.contains("state \"small/state.db\" cannot be written: the disk is full"), "\(r.stdout)\(r.stderr)")
        #expect(w.file("finished") != nil, "the running job finished")
        let report = try w.report("report.json")
        let long = try #require(runs(report, "long").first)
        #expect(long["status"] as? String == "succeeded")
        let chatty = runs(report, "chatty")
        #expect(chatty.contains { ($0["reason"] as? String)?.contains("the state store failed") == true
                    || (attempts($0).first?["error"] as? String)?.contains("the state store could not record it") == true },
                "\(chatty.suffix(2))")
        try expectValidAgainstSchema([w.path + "/report.json"])
    }
}
