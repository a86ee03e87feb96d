import JobrunCore
import JobrunRuntime
import Testing

/// `/metrics`' text, from events: buckets, sums and counts, label escaping.
@Suite struct RunMetricsTests {
    private func lines(_ metrics: RunMetrics, _ rows: [TaskStatus] = []) -> [String] {
        String(decoding: metrics.render(rows), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test func aRunsDurationLandsInItsBucketAndEveryBucketAboveCountsIt() {
        let metrics = RunMetrics(names: ["a", #"b "q" \ x"#], workers: 2)
        let t0 = Instant(milliseconds: 1_800_000_000_000)
        for (run, ms) in [(1, 700), (2, 100), (3, 7000)] {
            let r = RunNumber(run)
            metrics.observe(.started(task: TaskIndex(0), run: r, attempt: 1, at: t0))
            metrics.observe(.finished(task: TaskIndex(0), run: r, status: .succeeded, reason: nil, at: t0 + .milliseconds(Int64(ms))))
        }
        metrics.observe(.finished(task: TaskIndex(1), run: RunNumber(1), status: .skipped, reason: "x", at: t0))
        let text = lines(metrics)
        #expect(text.contains(#"jobrun_run_duration_seconds_bucket{task="a",le="0.1"} 1"#))
        #expect(text.contains(#"jobrun_run_duration_seconds_bucket{task="a",le="0.5"} 1"#))
        #expect(text.contains(#"jobrun_run_duration_seconds_bucket{task="a",le="1"} 2"#))
        #expect(text.contains(#"jobrun_run_duration_seconds_bucket{task="a",le="5"} 2"#))
        #expect(text.contains(#"jobrun_run_duration_seconds_bucket{task="a",le="10"} 3"#))
        #expect(text.contains(#"jobrun_run_duration_seconds_bucket{task="a",le="+Inf"} 3"#))
        #expect(text.contains(#"jobrun_run_duration_seconds_sum{task="a"} 7.800"#))
        #expect(text.contains(#"jobrun_runs_total{task="a",status="succeeded"} 3"#))
        #expect(text.contains(#"jobrun_last_run_timestamp_seconds{task="a",status="succeeded"} 1800000007.000"#))
        // A run that never started has no duration; its name is escaped as the format asks.
        #expect(text.contains(#"jobrun_runs_total{task="b \"q\" \\ x",status="skipped"} 1"#))
        #expect(!text.contains { $0.hasPrefix(#"jobrun_run_duration_seconds_count{task="b"#) })
        #expect(text.contains("jobrun_workers 2") && text.contains(#"jobrun_reloads_total{result="failed"} 0"#))
    }

    @Test func theGaugesOfTheMomentComeFromTheStatusRows() {
        let metrics = RunMetrics(names: ["a", "b"], workers: 1)
        var a = TaskStatus(task: TaskIndex(0))
        a.running = 1
        a.queued = 2
        a.nextDueAt = Instant(milliseconds: 1_800_000_000_250)
        var b = TaskStatus(task: TaskIndex(1))
        b.queued = 1
        let text = lines(metrics, [a, b])
        #expect(text.contains(#"jobrun_running{task="a"} 1"#) && text.contains(#"jobrun_running{task="b"} 0"#))
        #expect(text.contains("jobrun_queued 3"))
        #expect(text.contains(#"jobrun_next_run_timestamp_seconds{task="a"} 1800000000.250"#))
        #expect(!text.contains { $0.hasPrefix(#"jobrun_next_run_timestamp_seconds{task="b"}"#) })
        metrics.add(["c"])
        metrics.reloaded(succeeded: true)
        #expect(lines(metrics).contains(#"jobrun_reloads_total{result="succeeded"} 1"#))
    }
}
