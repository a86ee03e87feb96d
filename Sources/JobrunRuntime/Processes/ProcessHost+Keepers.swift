import CJobrunExec
import Foundation

extension ProcessHost {
    /// Hands a START to a keeper that waits for a job, on its channel, without a hop through
    /// the server. Called with `sending` held. Returns whether one took it; when none did, the
    /// server forks a keeper for it.
    func handToWaitingKeeper(_ header: jobrun_exec_request, _ payload: [UInt8], fds: [Int32], server: Server) -> Bool {
        guard payload.count <= Int(JOBRUN_EXEC_CHANNEL_PAYLOAD) else { return false }
        let id = header.id
        while let (number, channel) = state.withLock({ state -> (Int32, Int32)? in
            guard let number = state.waiting.popLast(), let keeper = state.keepers[number] else { return nil }
            // Before the request: its end may be read before this call returns.
            state.keepers[number]?.job = id
            state.jobs[id]?.keeper = number
            return (number, keeper.channel)
        }) {
            if header.deadline != 0 {
                // The server kills the job at its deadline, so it learns of it first.
                let notice = jobrun_exec_request(kind: UInt32(JOBRUN_EXEC_DEADLINE), a: 0, b: UInt32(number + 1), length: 0,
                                                 id: id, start: 0, deadline: header.deadline)
                _ = send(notice, [], fds: [], on: server.socket)
            }
            var head = header
            // A channel is closed only under `handing`: while it is held, one still on the
            // books with this job is open and the keeper's.
            handing.lock()
            let error = state.withLock({ $0.keepers[number]?.channel == channel && $0.keepers[number]?.job == id })
                ? withUnsafeBytes(of: &head) { head in
                    payload.withUnsafeBytes { body in
                        // Without waiting: the channel of a keeper that waits is empty.
                        jobrun_send_packet(channel, head.baseAddress, UInt(head.count), body.baseAddress, UInt(body.count), fds,
                                           Int32(fds.count))
                    }
                }
                : EPIPE
            handing.unlock()
            if error == 0 { return true }
            let gone = [EPIPE, ECONNRESET, ECONNREFUSED, ENOTCONN].contains(error)
            handing.lock()
            let (closing, ended) = state.withLock { state -> (Int32?, Bool) in
                state.jobs[id]?.keeper = nil
                // Told lost with the keeper (``keeperLost(_:status:from:)``): it starts nowhere.
                let ended = state.jobs[id].map { $0.end != nil } ?? true
                guard state.keepers[number]?.channel == channel, state.keepers[number]?.job == id else { return (nil, ended) }
                if gone {
                    // Killed while it waited (the server says so, or will): its channel goes.
                    state.keepers[number] = nil
                    return (channel, ended)
                }
                state.keepers[number]?.job = nil
                state.waiting.append(number)
                return (nil, ended)
            }
            if let closing { close(closing) }
            handing.unlock()
            if ended { return true }
            if !gone { return false }
        }
        return false
    }

    /// The server forked keeper `number` for job `job`, with `channel` as jobrun's end of the
    /// keeper's channel (-1: it did not arrive, as when jobrun has all the descriptors it may
    /// open; the keeper then runs that one job); it came from the server on `socket`.
    func keeperForked(_ number: Int32, channel: Int32, job: UInt64, from socket: Int32) {
        handing.lock()
        defer { handing.unlock() }
        let unused = state.withLock { state -> Int32? in
            guard state.server?.socket == socket else { return channel }  // a server that has ended
            // Numbers are not given twice; told before the keeper was forked, so before
            // anything the keeper says.
            let runs = state.jobs[job].map { $0.end == nil } ?? false
            guard runs || channel >= 0 else { return nil }  // of no more use
            state.keepers[number] = Keeper(channel: channel, job: runs ? job : nil)
            if runs { state.jobs[job]?.keeper = number } else if channel >= 0 { state.waiting.append(number) }
            return nil
        }
        if let unused, unused >= 0 { close(unused) }
    }

    /// Keeper `number` of the server on `socket` was killed (`status`): the job it ran, if any,
    /// is lost, and its channel is closed.
    func keeperLost(_ number: Int32, status: Int32, from socket: Int32) {
        let how = ProcessEnd(waitStatus: status).summary
        handing.lock()
        let (lost, resume) = state.withLock { state -> (Keeper?, (CheckedContinuation<ProcessEnd, Never>, ProcessEnd)?) in
            guard state.server?.socket == socket, let keeper = state.keepers.removeValue(forKey: number) else { return (nil, nil) }
            state.waiting.removeAll { $0 == number }
            // Ended under `handing`: a job being handed to this keeper goes to no other.
            let resume = keeper.job.flatMap {
                ended($0, .lost("the process that watched the job ended before it could tell how (it \(how))"), in: &state)
            }
            return (keeper, resume)
        }
        if let lost, lost.channel >= 0 { close(lost.channel) }
        handing.unlock()
        if let (waiter, end) = resume { waiter.resume(returning: end) }
    }

    /// Closes every keeper's channel: a keeper that waits for a job sees its end and exits.
    /// Called when the server has ended or the host stops.
    func closeKeepers() {
        handing.lock()
        defer { handing.unlock() }
        let channels = state.withLock { state in
            defer {
                state.keepers = [:]
                state.waiting = []
            }
            return state.keepers.values.map(\.channel).filter { $0 >= 0 }
        }
        channels.forEach { close($0) }
    }
}
