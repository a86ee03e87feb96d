import Foundation
import JobrunTestSupport
import Testing

/// Runs jobrun in a private mount namespace of its own, after `setup` (shell commands run
/// as root in the workspace): devices, tmpfs mounts and a private /dev made there vanish
/// with it and never touch the machine's own.
func runIsolated(_ w: Workspace, setup: String, _ arguments: [String], after: String = "",
                         environment: [String: String] = [:]) throws -> JobrunBinary.Result {
    let script = "set -e\n\(setup)\nset +e\n\"$0\" \"$@\"\(after)"
    return try JobrunBinary.run(["-m", "sh", "-c", script, JobrunBinary.url.path] + arguments,
                                environment: environment, in: w.url, binary: URL(fileURLWithPath: "/usr/bin/unshare"))
}

/// A file's type, mode and owner, without following a link.
private func status(_ path: String) -> stat? {
    var st = stat()
    return lstat(path, &st) == 0 ? st : nil
}

private func kind(_ path: String) -> mode_t? { status(path).map { $0.st_mode & S_IFMT } }

/// A private /dev for a mount namespace: null, full and the std links, bound over /dev.
private let privateDev = """
    mkdir dev
    mknod dev/null c 1 3; mknod dev/full c 1 7; mknod dev/zero c 1 5; mknod dev/urandom c 1 9
    ln -s /proc/self/fd/1 dev/stdout; ln -s /proc/self/fd/2 dev/stderr
    mount --bind dev /dev
    """

/// Every file jobrun writes follows one set of rules (README "Files jobrun writes"); each
/// test here failed before those rules, by losing data or the report.
@Suite(.serialized) struct FileSafetyTests {
    @Test func devicesAreWrittenInPlaceNeverReplaced() throws {
        let w = try Workspace("""
            tasks:
              - {name: discard, command: "echo 16 bytes of output", output: /dev/null}
            """)
        // output: /dev/null and the report on /dev/stdout, in a /dev of its own.
        let r = try runIsolated(w, setup: privateDev, ["jobs.yaml", "--report", "/dev/stdout"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(kind(w.path + "/dev/null") == S_IFCHR)
        #expect(kind(w.path + "/dev/stdout") == S_IFLNK)
        let report = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stdout)")
        #expect(runs(report, "discard").first?["status"] as? String == "succeeded")
        // The console moved to stderr, out of the report's way.
        #expect(r.stderr.contains("discard run 1 succeeded"))
    }

    @Test func aFullDeviceIsAnErrorAndTheReportGoesToStderr() throws {
        let w = try Workspace("tasks: [{name: t, command: \"true\"}]\n")
        let r = try runIsolated(w, setup: privateDev, ["jobs.yaml", "--report", "/dev/full"])
        #expect(r.status == 3)
        #expect(r.stdout.contains("cannot write \"/dev/full\": No space left on device"), "\(r.stdout)")
        #expect(kind(w.path + "/dev/full") == S_IFCHR)
        #expect((try? JSONSerialization.jsonObject(with: Data(r.stderr.utf8))) != nil, "the report is on stderr")
    }

    @Test func aReportOnAStdoutThatFailsIsExit3NotACrash() throws {
        let w = try Workspace("tasks: [{name: t, command: \"true\"}]\n")
        let full = try runIsolated(w, setup: privateDev, ["jobs.yaml", "--report", "-"], after: " > /dev/full")
        #expect(full.status == 3, "\(full.stderr)")
        #expect(full.stderr.contains("cannot write \"stdout\": No space left on device"), "\(full.stderr)")
        // A reader that went away: the pipe is closed by the time the report comes.
        let slow = try Workspace("tasks: [{name: t, command: \"sleep 0.3\"}]\n")
        let closed = try JobrunBinary.run(["-c", "set -o pipefail; \"$0\" jobs.yaml --report - | true", JobrunBinary.url.path],
                                          in: slow.url, binary: URL(fileURLWithPath: "/bin/bash"))
        #expect(closed.status == 3, "\(closed.stderr)")
        #expect(closed.stderr.contains("Broken pipe"), "\(closed.stderr)")
    }

    @Test func aStepSummaryThatCannotBeWrittenIsAWarning() throws {
        let w = try Workspace("tasks: [{name: t, command: \"true\"}]\n")
        let r = try runIsolated(w, setup: privateDev, ["jobs.yaml"], environment: ["GITHUB_STEP_SUMMARY": "/dev/full"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("warning: the step summary was not written: cannot write \"/dev/full\""), "\(r.stdout)")
        #expect(w.file("jobrun-report.json") != nil)
    }

    @Test func aFIFOGetsTheReportAndStaysAFIFO() throws {
        let w = try Workspace("tasks: [{name: t, command: \"echo via fifo\"}]\n")
        let r = try runIsolated(w, setup: "mkfifo report.fifo\ncat report.fifo > got.json &",
                                ["jobs.yaml", "--report", "report.fifo"], after: "; wait")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(kind(w.path + "/report.fifo") == S_IFIFO)
        let report = try #require(JSONSerialization.jsonObject(with: Data((w.file("got.json") ?? "").utf8)) as? [String: Any])
        #expect(runs(report, "t").first?["status"] as? String == "succeeded")
    }

    @Test func anOutputFIFONobodyReadsFailsTheAttemptAtOnce() throws {
        let w = try Workspace("tasks: [{name: t, command: \"echo x\", output: out.fifo}]\n")
        #expect(mkfifo(w.path + "/out.fifo", 0o644) == 0)
        let r = try w.run()
        #expect(r.status == 1, "\(r.stdout)")
        let run = try #require(runs(try w.report(), "t").first)
        let attempt = try #require(attempts(run).first)
        #expect((attempt["error"] as? String)?.contains("nothing reads the FIFO \"out.fifo\"") == true, "\(attempt)")
        #expect(kind(w.path + "/out.fifo") == S_IFIFO)
    }

    @Test func aLinkStaysALinkAndWhatItPointsToIsWritten() throws {
        let w = try Workspace("tasks: [{name: t, command: \"echo linked\", output: out-link.txt}]\n")
        let fm = FileManager.default
        try fm.createDirectory(atPath: w.path + "/real", withIntermediateDirectories: true)
        try "old".write(toFile: w.path + "/real/out.txt", atomically: false, encoding: .utf8)
        try fm.createSymbolicLink(atPath: w.path + "/out-link.txt", withDestinationPath: "real/out.txt")
        // A link to a report that does not exist yet: the file it names is created.
        try fm.createSymbolicLink(atPath: w.path + "/report-link.json", withDestinationPath: "real/report.json")
        let r = try w.run(["--report", "report-link.json"])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(kind(w.path + "/out-link.txt") == S_IFLNK && kind(w.path + "/report-link.json") == S_IFLNK)
        #expect(w.file("real/out.txt") == "linked\n")
        #expect(w.file("real/report.json")?.contains("\"outcome\": \"completed\"") == true)
    }

    @Test func aDirectoryWhereTheReportGoesStopsJobrunBeforeAnyTaskStarts() throws {
        let w = try Workspace("tasks: [{name: t, command: \"touch ran\"}]\n")
        try FileManager.default.createDirectory(atPath: w.path + "/report.json", withIntermediateDirectories: true)
        let r = try w.run(["--report", "report.json"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("\"report.json\" is a directory"), "\(r.stderr)")
        #expect(w.file("ran") == nil)
    }

    @Test func missingParentDirectoriesAreCreatedForEveryFile() throws {
        let w = try Workspace("tasks: [{name: t, command: \"echo made\", output: exports/daily/out.txt}]\n")
        let r = try w.run(["--report", "reports/latest/report.json", "--junit", "reports/junit/j.xml"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(w.file("exports/daily/out.txt") == "made\n")
        #expect(w.file("reports/latest/report.json") != nil && w.file("reports/junit/j.xml") != nil)
    }

    // A 0600 file of another user's, holding a password, once became 0644 and root's.
    @Test func replacingAnOutputFileKeepsItsModeAndOwner() throws {
        let w = try Workspace("tasks: [{name: t, command: \"echo new-secret\", output: pass.txt}, {name: n, command: \"echo x\", output: fresh.txt}]\n")
        let path = w.path + "/pass.txt"
        try "old".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(chmod(path, 0o600) == 0 && chown(path, 65534, 65534) == 0)
        let old = umask(0o022)
        defer { umask(old) }
        let r = try w.run()
        #expect(r.status == 0, "\(r.stdout)")
        let st = try #require(status(path))
        #expect(st.st_mode & 0o7777 == 0o600)
        #expect(st.st_uid == 65534 && st.st_gid == 65534)
        #expect(w.file("pass.txt") == "new-secret\n")
        #expect(status(w.path + "/fresh.txt").map { $0.st_mode & 0o7777 } == 0o644)
    }

    // Another user who can write the log directory plants links under the names jobrun once
    // used; now each invocation writes into a directory of its own, created 0700 with a
    // random part in its name and held open, each file O_EXCL|O_NOFOLLOW, 0600.
    @Test func plantedLinksInTheLogDirectoryCatchNothing() throws {
        let w = try Workspace("tasks: [{name: nightly, command: \"echo log line\"}]\n")
        let logs = w.path + "/logs"
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        #expect(chmod(logs, 0o1777) == 0)
        try "precious".write(toFile: w.path + "/victim", atomically: false, encoding: .utf8)
        for name in ["nightly-8c34c90a.run1.attempt1.log", "nightly-8c34c90a.run1.attempt1.stdout.log"] {
            let plant = try JobrunBinary.run(["-u", "nobody", "--", "ln", "-s", w.path + "/victim", logs + "/" + name],
                                             binary: URL(fileURLWithPath: "/usr/sbin/runuser"))
            #expect(plant.status == 0, "\(plant.stderr)")
        }
        var names: [String] = []
        for round in 1...2 {
            let r = try w.run(["--log-dir", "logs", "--report", "r\(round).json"])
            #expect(r.status == 0, "\(r.stdout)")
            let run = try #require(runs(try w.report("r\(round).json"), "nightly").first)
            let attempt = try #require(attempts(run).first)
            #expect(attempt["log_error"] == nil)
            // The path as jobrun saw it, under the --log-dir it was given.
            let log = w.path + "/" + (try #require(attempt["stdout_log"] as? String))
            let st = try #require(status(log))
            #expect(st.st_mode & S_IFMT == S_IFREG && st.st_mode & 0o777 == 0o600)
            let dir = try #require(status((log as NSString).deletingLastPathComponent))
            #expect(dir.st_mode & 0o777 == 0o700)
            #expect(try String(contentsOfFile: log, encoding: .utf8) == "log line\n")
            names.append(log)
            #expect(log.range(of: #"/logs/jobrun-[0-9]{8}-[0-9]{6}-[0-9]+-[0-9a-f]+/nightly-[0-9a-f]{8}\.run1\.attempt1\.stdout\.log$"#,
                              options: .regularExpression) != nil, "\(log)")
        }
        #expect(names[0] != names[1])
        #expect(w.file("victim") == "precious")
    }

    @Test func aLogCutShortByAFullDiskOrNeverMadeIsNamedInTheReport() throws {
        let w = try Workspace("""
            tasks:
              - {name: chatty, command: "head -c 300000 /dev/zero | tr '\\\\0' 'a'; echo"}
            """)
        let full = try runIsolated(w, setup: "mkdir logs; mount -t tmpfs -o size=64k tmpfs logs", ["jobs.yaml", "--log-dir", "logs"])
        #expect(full.status == 0, "\(full.stdout)")
        let run = try #require(runs(try w.report(), "chatty").first)
        let attempt = try #require(attempts(run).first)
        #expect(attempt["status"] as? String == "succeeded")
        let error = attempt["log_error"] as? String ?? ""
        #expect(error.contains("stops short after") && error.contains("No space left on device"), "\(error)")
        #expect(full.stdout.contains("warning: [chatty] run 1 attempt 1: the log"), "\(full.stdout)")

        // Room for this invocation's directory, and no more.
        let none = try runIsolated(w, setup: "mkdir -p logs2; mount -t tmpfs -o size=1m,nr_inodes=2 tmpfs logs2",
                                   ["jobs.yaml", "--log-dir", "logs2"])
        #expect(none.status == 0, "\(none.stdout)")
        let secondRun = try #require(runs(try w.report(), "chatty").first)
        let second = try #require(attempts(secondRun).first)
        #expect((second["log_error"] as? String)?.contains("no log was kept") == true, "\(second)")
        #expect(second["stdout_log"] == nil && second["stderr_log"] == nil)
        try expectValidAgainstSchema([w.path + "/jobrun-report.json"])
    }

    @Test func aLogDirectoryOnAReadOnlyFilesystemSaysSo() throws {
        let w = try Workspace("tasks: [{name: t, command: \"touch ran\"}]\n")
        let r = try runIsolated(w, setup: "mkdir ro; mount -t tmpfs -o ro tmpfs ro", ["jobs.yaml", "--log-dir", "ro/logs"])
        #expect(r.status == 3)
        #expect(r.stderr.contains("cannot use the log directory \"ro/logs\"") && r.stderr.contains("Read-only file system"), "\(r.stderr)")
        #expect(!r.stderr.contains("Code("))
        #expect(w.file("ran") == nil)
    }

    @Test func aReportOnAFullDiskIsExit3AndGoesToStderr() throws {
        let w = try Workspace("tasks: [{name: t, command: \"true\"}]\n")
        let r = try runIsolated(w, setup: "mkdir out; mount -t tmpfs -o size=16k tmpfs out; cat /dev/zero > out/fill 2>/dev/null || true",
                                ["jobs.yaml", "--report", "out/report.json"])
        #expect(r.status == 3)
        #expect(r.stdout.contains("No space left on device") && r.stdout.contains("it follows on stderr"), "\(r.stdout)")
        #expect((try? JSONSerialization.jsonObject(with: Data(r.stderr.utf8))) != nil)
    }
}
