import Foundation
import JobrunTestSupport
import Testing

/// jobrun at a real terminal: tmux runs it in a pane, and the test reads the screen.
@Suite(.serialized) struct TerminalTests {
    /// Runs tmux through system(3): Foundation's `Process` would wait for as long as the
    /// tmux server, which inherits its descriptors, lives.
    private func tmux(_ arguments: [String]) -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-tmux-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        _ = system("tmux \(quoted) > '\(file.path)' 2>/dev/null < /dev/null")
        return (try? String(contentsOf: file, encoding: .utf8)) ?? ""
    }

    @Test func theStatusLineUpdatesWhileTwoJobsPrintAndLinesStayWhole() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-tty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
            tasks:
              - {name: a, command: "for i in 1 2 3 4 5 6; do echo a$i-aaaaaaaaaaaaaaaaaaaa; sleep 0.3; done"}
              - {name: b, command: "for i in 1 2 3 4 5 6; do echo b$i-bbbbbbbbbbbbbbbbbbbb; sleep 0.3; done"}
              - {name: c, command: "sleep 0.5", repeat: 0.6s, count: 3}
            """.write(to: dir.appendingPathComponent("jobs.yaml"), atomically: true, encoding: .utf8)
        let session = "jobrun-test-\(getpid())"
        _ = tmux(["new-session", "-d", "-s", session, "-x", "150", "-y", "40",
                      "cd '\(dir.path)' && env -u NO_COLOR TERM=xterm-256color '\(JobrunBinary.url.path)' jobs.yaml --no-report; echo EXITED; sleep 30"])
        defer { _ = tmux(["kill-session", "-t", session]) }
        var statuses: [String] = []
        var screen = ""
        for _ in 0..<100 {
            usleep(50_000)
            screen = tmux(["capture-pane", "-p", "-t", session])
            let lines = screen.split(separator: "\n").map(String.init)
            if let status = lines.last(where: { $0.hasPrefix("● running") }) { statuses.append(status) }
            if screen.contains("EXITED") { break }
        }
        #expect(screen.contains("EXITED"))
        // The status line changed as runs finished…
        #expect(Set(statuses).count >= 3, "\(Set(statuses))")
        #expect(statuses.contains { $0.contains("running 3") || $0.contains("running 2") })
        // It names the run due next while the repeating task waits.
        #expect(statuses.contains { $0.contains("· next: c at ") })
        // …and is gone at the end, where the summary stands.
        let final = screen.split(separator: "\n").map(String.init)
        #expect(!final.contains { $0.hasPrefix("● running") })
        #expect(final.contains { $0.hasPrefix("jobrun: completed: 5 runs") })
        // Every job line is whole.
        let jobLines = final.filter { $0.hasPrefix("[a]") || $0.hasPrefix("[b]") }
        #expect(jobLines.count == 12)
        #expect(jobLines.allSatisfy { $0.range(of: #"^\[(a|b)\] \1[1-6]-(a{20}|b{20})$"#, options: .regularExpression) != nil })
    }
}
