import ArgumentParser
import Foundation
import JobrunCore
import JobrunRuntime

/// Maps the run flags onto ``RunSettings``: flags beat the file.
struct RunOptions {
    let command: Jobrun
    let file: String
    let jobs: JobFile

    func settings() throws -> RunSettings {
        let bytes = (try? Data(contentsOf: URL(fileURLWithPath: file))).map { [UInt8]($0) } ?? []
        let report: String? = command.noReport ? nil : command.report ?? jobs.report ?? "jobrun-report.json"
        var settings = RunSettings(
            configPath: file, configSHA256: SHA256.hex(bytes),
            plan: RunPlan(workers: command.workers ?? jobs.workers, selected: try selection(),
                          runFor: command.runFor.flatMap(ValueSyntax.duration)),
            report: report, junit: command.junit, logDirectory: command.logDir,
            format: command.format == .json ? .json : .text, quiet: command.quiet, version: JobrunVersion.string)
        settings.color = (command.color ?? .auto).rawValue
        return settings
    }

    /// The tasks `--only` and `--tag` pick, with everything they wait for; nil for all.
    func selection() throws -> Set<Int>? {
        guard !command.only.isEmpty || !command.tag.isEmpty else { return nil }
        let names = jobs.tasks.map(\.name)
        var picked = Set<Int>()
        for name in command.only {
            guard let i = names.firstIndex(of: name) else {
                let close = Suggestion.closest(to: name, in: names)
                throw ValidationError("--only \(name): no task has that name\(close.map { "; did you mean \"\($0)\"?" } ?? "")")
            }
            picked.insert(i)
        }
        for tag in command.tag {
            let tagged = jobs.tasks.indices.filter { jobs.tasks[$0].tags.contains(tag) }
            guard !tagged.isEmpty else { throw ValidationError("--tag \(tag): no task has that tag") }
            picked.formUnion(tagged)
        }
        var queue = Array(picked)
        while let i = queue.popLast() {
            for dep in jobs.tasks[i].after {
                if let d = names.firstIndex(of: dep), picked.insert(d).inserted { queue.append(d) }
            }
        }
        return picked
    }
}
