import Foundation
import JobrunCore
import JobrunTestSupport
import Testing

@testable import JobrunCluster

/// An attempt that takes `duration` and succeeds.
private struct Sleeping: Executor {
    let duration: Duration
    func run(_ request: AttemptRequest, now: @Sendable () -> Instant) async -> AttemptRecord {
        let started = now()
        try? await Task.sleep(for: duration)
        return AttemptRecord(attempt: request.attempt, status: .succeeded, startedAt: started, finishedAt: now())
    }
}

/// Replicas' schedulers sharing one file through a real PostgreSQL: every run once in the
/// cluster, under the cluster's numbers, `after:` across replicas.
@Suite(.serialized) struct ClusterRunsTests {
    /// A long call limit: a test process busy with others (ThreadSanitizer's most of all) may
    /// leave a call's answer waiting for seconds, which is the test's slowness, not the store's.
    static let callLimit: Duration = .seconds(120)

    @Test func twoReplicasRunEveryRunOnceBetweenThemAndADependentAfterItsDependencyElsewhere() async throws {
        let server = try PostgresServer(port: 54330)
        defer { server.stop() }
        try server.createDatabase("jobs")
        let url = try PostgresURL(server.url(database: "jobs"))
        let yaml = """
            tasks:
              - {name: a, command: x}
              - {name: b, command: x}
              - {name: c, command: x, after: [a]}
              - {name: tick, command: x, repeat: 100ms, count: 10, overlap: allow}

            """
        let file = try #require(JobFileValidator().validate(Array(yaml.utf8)).file)
        var stores: [ClusterStore] = []
        do {
            for name in ["r1", "r2"] { stores.append(try await ClusterStore.connect(url, namespace: "jobs", replica: name, lease: .seconds(30), callLimit: Self.callLimit)) }
            let wallStart = Instant.now()
            var origin: Instant?
            var schedulers: [Scheduler<ContinuousClock>] = []
            for (i, store) in stores.enumerated() {
                let start = try await store.join(host: "h", pid: Int32(i), at: wallStart)
                origin = origin ?? start.startedAt
                #expect(start.startedAt == origin, "the second takes the first's start")
                var setup = SchedulerSetup(workers: 2, jitterSeed: 1)
                setup.cluster = true
                setup.origin = start.startedAt
                setup.resume = Resume(histories: ByTask(repeating: TaskHistory(), count: file.tasks.count))
                // Each replica's own reading of the wall clock, as each jobrun takes it: the
                // records of both are then on one time line.
                schedulers.append(Scheduler(file: file, setup: setup, clock: ContinuousClock(), wallOrigin: Instant.now(),
                                            executor: Sleeping(duration: .milliseconds(30)),
                                            claims: ClusterRuns(store: store, lookInterval: .milliseconds(20)), emit: { _ in }))
            }
            let books = await withTaskGroup(of: RunBook.self) { group in
                for scheduler in schedulers { group.addTask { await scheduler.run() } }
                return await group.reduce(into: [RunBook]()) { $0.append($1) }
            }
            let records = books.flatMap(\.records)
            func runs(_ task: String) -> [RunRecord] {
                records.filter { file.tasks[$0.task].name == task }.sorted { $0.run < $1.run }
            }
            #expect(runs("a").count == 1 && runs("b").count == 1 && runs("c").count == 1)
            #expect(runs("tick").map(\.run.value) == Array(1...10), "each instant once, numbered by the cluster")
            #expect(records.allSatisfy { $0.status == .succeeded }, "\(records.filter { $0.status != .succeeded }.map { "\(file.tasks[$0.task].name) \($0.run) \($0.status) \($0.reason ?? "")" })")
            let a = try #require(runs("a").first), c = try #require(runs("c").first)
            let story = books.enumerated().flatMap { i, book in
                book.records.map { "r\(i + 1) \(file.tasks[$0.task].name) #\($0.run) due \($0.nominalDueAt.rfc3339) \($0.startedAt?.rfc3339 ?? "-")–\($0.finishedAt?.rfc3339 ?? "-")" }
            }
            #expect(c.startedAt! >= a.finishedAt!, "c after a, wherever each ran: \(story)")
            let rows = try server.psql("SELECT task || ' ' || run || ' ' || status FROM jobrun_runs ORDER BY task, run", database: "jobs")
                .split(separator: "\n").map(String.init)
            #expect(rows == ["a 1 succeeded", "b 1 succeeded", "c 1 succeeded"] + (1...10).map { "tick \($0) succeeded" })
            #expect(books.allSatisfy { !$0.records.isEmpty }, "both replicas ran something: \(books.map(\.records.count))")
        } catch {
            for store in stores { await store.close() }
            throw error
        }
        for store in stores { await store.close() }
    }
}
