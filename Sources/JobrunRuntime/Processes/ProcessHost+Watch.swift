import CJobrunExec
import Foundation
import JobrunCore

extension ProcessHost {
    func watch() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        var ready = [Int32](repeating: 0, count: 64)
        var partial: [Int32: [UInt8]] = [:]  // part of a reply, by socket
        var channels: [Int32: [Int32]] = [:]  // keepers' channels received, not yet taken by a reply, by socket
        defer {
            buffer.deallocate()
            closeKeepers()
            let sockets = state.withLock { state in
                state.server = nil
                return Array(state.sockets.keys)
            }
            sockets.forEach { close($0) }
            channels.values.joined().forEach { close($0) }
            [epoll, wake.read, wake.write, devNull].forEach { close($0) }
        }
        while true {
            let count = ready.withUnsafeMutableBufferPointer { jobrun_epoll_wait(epoll, $0.baseAddress, Int32($0.count)) }
            if count < 0 {
                if errno == EINTR { continue }
                return
            }
            for fd in ready.prefix(Int(count)) {
                if fd == wake.read {
                    if state.withLock({ $0.stopping }) { return }
                    continue
                }
                let (pipe, server) = state.withLock { ($0.pipes[fd], $0.sockets[fd]) }
                if let pipe {
                    // One read per wake-up: epoll is level-triggered, so the rest comes next
                    // round, and every pipe gets its turn.
                    let n = Foundation.read(fd, buffer.baseAddress, buffer.count)
                    if n > 0 {
                        let output = state.withLock { $0.jobs[pipe.job]?.output }
                        output?(pipe.kind, UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                        jobrun_epoll_remove(epoll, fd)
                        pipeEnded(fd, pipe.job)
                    }
                } else if let server {
                    // A keeper's channel comes with the reply that names it (KEEPER), at most one a read.
                    var received = [Int32](repeating: -1, count: 8), count: Int32 = 0
                    let n = jobrun_receive(fd, buffer.baseAddress, UInt(buffer.count), &received, Int32(received.count), &count)
                    channels[fd, default: []] += received.prefix(Int(count))
                    if n > 0 {
                        var bytes = partial[fd, default: []]
                        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                        let whole = bytes.count / MemoryLayout<jobrun_exec_reply>.size * MemoryLayout<jobrun_exec_reply>.size
                        for offset in stride(from: 0, to: whole, by: MemoryLayout<jobrun_exec_reply>.size) {
                            let reply = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: jobrun_exec_reply.self) }
                            self.received(reply, from: fd, channels: &channels[fd, default: []])
                        }
                        partial[fd] = Array(bytes[whole...])
                    } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
                        jobrun_epoll_remove(epoll, fd)
                        partial[fd] = nil
                        channels.removeValue(forKey: fd)?.forEach { close($0) }
                        serverEnded(server)
                    }
                } else {
                    jobrun_epoll_remove(epoll, fd)  // not ours (any more)
                }
            }
        }
    }

    private func received(_ reply: jobrun_exec_reply, from socket: Int32, channels: inout [Int32]) {
        switch reply.kind {
        case JOBRUN_EXEC_KEEPER:
            keeperForked(reply.value, channel: channels.isEmpty ? -1 : channels.removeFirst(), job: reply.id, from: socket)
        case JOBRUN_EXEC_KEEPER_LOST:
            keeperLost(Int32(truncatingIfNeeded: reply.id), status: reply.value, from: socket)
        case JOBRUN_EXEC_ENDED:
            finish(reply.id, ProcessEnd(waitStatus: reply.value))
        case JOBRUN_EXEC_NOT_STARTED where reply.value == ECANCELED:
            finish(reply.id, .lost("the job was cancelled before its time came"))
        case JOBRUN_EXEC_NOT_STARTED:
            finish(reply.id, .lost("jobrun-exec could not start the job: \(String(cString: strerror(reply.value)))"))
        case JOBRUN_EXEC_EXPIRED:
            finish(reply.id, .expired)
        case JOBRUN_EXEC_LOST:
            let how = ProcessEnd(waitStatus: reply.value).summary
            finish(reply.id, .lost("the process that watched the job ended before it could tell how (it \(how))"))
        default:
            break
        }
    }

    /// The server is gone (it ended on its own, or was killed): its keepers have ended their
    /// jobs. The next job starts a new server.
    private func serverEnded(_ server: Server) {
        var status: Int32 = 0
        while waitpid(server.pid, &status, 0) < 0 && errno == EINTR {}
        sending.lock()
        let orphans = state.withLock { state -> [UInt64] in
            if state.server?.socket == server.socket { state.server = nil }
            state.sockets[server.socket] = nil
            return state.jobs.compactMap { $0.value.end == nil ? $0.key : nil }
        }
        // The keepers that wait for a job see their channels end and exit; the others had their
        // parent-death signal.
        closeKeepers()
        close(server.socket)
        sending.unlock()
        let how = ProcessEnd(waitStatus: status).summary
        for id in orphans {
            finish(id, .lost("jobrun-exec, which started the job, ended unexpectedly (it \(how)); the job was killed with it"))
        }
    }

    /// A pipe has reached its end: it is closed only once it is off the books, so its number,
    /// free again, cannot be mistaken for it.
    private func pipeEnded(_ fd: Int32, _ id: UInt64) {
        let resume = state.withLock { state -> (CheckedContinuation<ProcessEnd, Never>, ProcessEnd)? in
            state.pipes[fd] = nil
            state.jobs[id]?.openPipes -= 1
            return complete(id, in: &state)
        }
        close(fd)
        if let (waiter, end) = resume { waiter.resume(returning: end) }
    }

    func finish(_ id: UInt64, _ end: ProcessEnd) {
        let resume = state.withLock { ended(id, end, in: &$0) }
        if let (waiter, end) = resume { waiter.resume(returning: end) }
    }

    /// Records how job `id` ended (the first word on it counts) and puts its keeper, done with
    /// it, among those waiting; returns the waiter to wake (after the lock).
    func ended(_ id: UInt64, _ end: ProcessEnd, in state: inout State) -> (CheckedContinuation<ProcessEnd, Never>, ProcessEnd)? {
        guard state.jobs[id] != nil, state.jobs[id]?.end == nil else { return nil }
        state.jobs[id]?.end = end
        // Before the attempt wakes: its next job may go to the same keeper.
        if let number = state.jobs[id]?.keeper, let keeper = state.keepers[number], keeper.job == id {
            state.keepers[number]?.job = nil
            if keeper.channel >= 0 { state.waiting.append(number) } else { state.keepers[number] = nil }
        }
        return complete(id, in: &state)
    }

    /// The waiter to wake, when the job has ended, its output is read and it is waited for.
    private func complete(_ id: UInt64, in state: inout State) -> (CheckedContinuation<ProcessEnd, Never>, ProcessEnd)? {
        guard let job = state.jobs[id], let end = job.end, job.openPipes == 0, let waiter = job.waiter else { return nil }
        state.jobs[id] = nil
        return (waiter, end)
    }
}
