import Foundation
import JobrunCore
import UnixSignals

extension JobRun {
    /// Runs the scheduler to its end while answering signals: SIGINT and SIGTERM stop
    /// gracefully, and a second one kills every job at once; SIGQUIT kills every job at once;
    /// SIGHUP reloads the file (and, with `--watch`, so does a change of it); SIGUSR1 prints
    /// the status table and changes nothing. `endpoint` (`--listen`) answers meanwhile.
    /// Returns the book of every run and the first stopping signal, if one came.
    func runHandlingSignals(_ scheduler: Scheduler<ContinuousClock>, processes: ProcessHost, console: RunConsole,
                            reloader: Reloader?, watch: FileWatch?, endpoint: Endpoint?) async -> (book: RunBook, signal: Int32?) {
        let shutdownGrace = file.shutdownGrace
        let signals = self.signals
        let received = SignalRecord()
        let book = await withTaskGroup(of: RunBook?.self) { group -> RunBook in
            group.addTask { await scheduler.run() }
            if let endpoint {
                group.addTask {
                    await endpoint.serve()
                    return nil
                }
            }
            if let reloader {
                group.addTask {
                    await reloader.run()
                    return nil
                }
                if let watch {
                    group.addTask {
                        for await _ in watch.changes { reloader.ask(.change) }
                        return nil
                    }
                }
            }
            group.addTask {
                await withTaskGroup(of: Void.self) { killer in
                    for await signal in signals {
                        switch signal {
                        case .sigusr1:
                            let rows = await scheduler.status()
                            let table = StatusTable(rows: rows, names: await scheduler.currentFile().tasks.map(\.name), at: scheduler.now())
                            _ = FileDescriptorWrite.all(2, Array(table.text().utf8))
                        case .sighup:
                            if let reloader {
                                reloader.ask(.signal)
                            } else {
                                console.note("jobrun: received SIGHUP; this run cannot reload its file, so it goes on unchanged")
                            }
                        case .sigquit:
                            _ = received.first(signal.rawValue)
                            console.note("jobrun: received \(signal); killing every job now")
                            scheduler.shutdown()
                            processes.signalAll(SIGKILL)
                        default:
                            if received.first(signal.rawValue) {
                                console.note("jobrun: received \(signal); stopping (a second signal kills every job at once)")
                                scheduler.shutdown()
                                // Jobs get shutdown_grace in all; whatever is left then is killed.
                                killer.addTask {
                                    try? await Task.sleep(for: shutdownGrace)
                                    if !Task.isCancelled { processes.signalAll(SIGKILL) }
                                }
                            } else {
                                console.note("jobrun: received \(signal) again; killing every job now")
                                processes.signalAll(SIGKILL)
                            }
                        }
                    }
                    killer.cancelAll()
                }
                return nil
            }
            var book = RunBook(tasks: file.tasks.count, keep: file.reportRuns)
            while let next = await group.next() {
                if let next {
                    book = next
                    reloader?.finish()
                    watch?.stop()
                    group.cancelAll()
                }
            }
            return book
        }
        return (book, received.value)
    }
}

/// The first signal received, if any.
final class SignalRecord: Sendable {
    private let stored = Locked<Int32?>(nil)

    /// Records `signal` if it is the first; returns whether it was.
    func first(_ signal: Int32) -> Bool {
        stored.withLock { value in
            guard value == nil else { return false }
            value = signal
            return true
        }
    }

    var value: Int32? { stored.withLock { $0 } }
}
