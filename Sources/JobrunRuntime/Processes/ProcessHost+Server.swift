import CJobrunExec
import Foundation
import JobrunCore

extension ProcessHost {
    /// The running server, started when there is none. Called with `sending` held.
    func running() throws(JobrunError) -> Server {
        if let server = state.withLock({ $0.server }) { return server }
        let useInstalled = program != nil && !state.withLock { $0.installedFailed }
        let server: Server
        do {
            server = try launch(useInstalled ? program! : "/proc/self/exe")
        } catch where useInstalled {
            state.withLock { $0.installedFailed = true }
            warn("jobrun: warning: \(program!) \(error); jobrun starts jobs itself instead, which is slower. "
                + "Install jobrun and jobrun-exec from the same build.")
            server = try launch("/proc/self/exe")
        }
        state.withLock {
            $0.server = server
            $0.sockets[server.socket] = server
        }
        _ = jobrun_epoll_add(epoll, server.socket)
        return server
    }

    /// Starts a server from `path` and checks its greeting.
    private func launch(_ path: String) throws(JobrunError) -> Server {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw JobrunError(.start, "cannot make a socket", errno: errno)
        }
        var theirs = pair[1]
        if theirs < 4 {
            // Out of the way of the server's 0-2 (jobrun may have started with one of them
            // closed) and of 3 (dup2 onto itself would keep close-on-exec set).
            theirs = fcntl(pair[1], F_DUPFD_CLOEXEC, 4)
            close(pair[1])
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, theirs, 3)
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("jobrun-exec"), strdup("--serve"), nil]
        defer { argv.forEach { free($0) } }
        let error = posix_spawn(&pid, path, &actions, nil, argv, environ)
        close(theirs)
        guard error == 0 else {
            close(pair[0])
            throw JobrunError(.start, "cannot be started", errno: error)
        }
        // The greeting, within 10 s.
        var hello = jobrun_exec_reply()
        var ready = pollfd(fd: pair[0], events: Int16(POLLIN), revents: 0)
        var polled: Int32
        repeat { polled = poll(&ready, 1, 10_000) } while polled < 0 && errno == EINTR
        let greeted = polled == 1 && withUnsafeMutableBytes(of: &hello) { buffer in
            var done = 0
            while done < buffer.count {
                let n = Foundation.read(pair[0], buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                done += n
            }
            return true
        }
        if !greeted || hello.kind != JOBRUN_EXEC_HELLO || hello.value != JOBRUN_EXEC_PROTOCOL {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            close(pair[0])
            throw JobrunError(.start, "does not speak the protocol of this jobrun (version \(JOBRUN_EXEC_PROTOCOL))")
        }
        return Server(socket: pair[0], pid: pid)
    }

    /// Sends a request whole, header and payload in one call where the socket takes them; the
    /// descriptors go with its first byte. Returns an errno.
    func send(_ header: jobrun_exec_request, _ payload: [UInt8], fds: [Int32], on socket: Int32) -> Int32? {
        var header = header
        return withUnsafeBytes(of: &header) { head -> Int32? in
            payload.withUnsafeBytes { body -> Int32? in
                let space = fds.isEmpty ? 0 : MemoryLayout<cmsghdr>.stride + ((fds.count * 4 + 7) & ~7)
                var control = [UInt8](repeating: 0, count: space)
                let n = control.withUnsafeMutableBytes { control -> Int in
                    var message = msghdr()
                    if !fds.isEmpty {
                        let c = control.baseAddress!.assumingMemoryBound(to: cmsghdr.self)
                        c.pointee.cmsg_level = SOL_SOCKET
                        c.pointee.cmsg_type = Int32(SCM_RIGHTS)
                        c.pointee.cmsg_len = MemoryLayout<cmsghdr>.stride + fds.count * 4
                        let data = control.baseAddress! + MemoryLayout<cmsghdr>.stride
                        for (i, fd) in fds.enumerated() { data.storeBytes(of: fd, toByteOffset: i * 4, as: Int32.self) }
                        message.msg_control = control.baseAddress
                        message.msg_controllen = space
                    }
                    var parts = [iovec(iov_base: UnsafeMutableRawPointer(mutating: head.baseAddress!), iov_len: head.count),
                                 iovec(iov_base: UnsafeMutableRawPointer(mutating: body.baseAddress), iov_len: body.count)]
                    return parts.withUnsafeMutableBufferPointer { parts in
                        message.msg_iov = parts.baseAddress
                        message.msg_iovlen = body.isEmpty ? 1 : 2
                        var n: Int
                        repeat { n = sendmsg(socket, &message, Int32(MSG_NOSIGNAL)) } while n < 0 && errno == EINTR
                        return n
                    }
                }
                guard n > 0 else { return n == 0 ? EIO : errno }
                // What the socket did not take at once (a payload larger than its buffer).
                if n < head.count {
                    if let error = FileDescriptorWrite.all(socket, UnsafeRawBufferPointer(rebasing: head[n...]), socket: true) {
                        return error
                    }
                }
                let sentOfBody = Swift.max(0, n - head.count)
                guard sentOfBody < body.count else { return nil }
                return FileDescriptorWrite.all(socket, UnsafeRawBufferPointer(rebasing: body[sentOfBody...]), socket: true)
            }
        }
    }
}
