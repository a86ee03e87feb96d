import Foundation
import JobrunCore

/// `--watch`: tells when the jobs file may have changed on disk. inotify watches the
/// directory the path is in and the directory of the file it resolves to, so it sees an
/// editor's write in place or by rename, and a Kubernetes ConfigMap's update, which swaps
/// the `..data` symlink next to the path while the file's own inode never changes. Events
/// that come together (an editor writes in pieces) are told once, 100 ms after the last;
/// whether the bytes changed is for the reader to see.
final class FileWatch: Sendable {
    private let path: String
    private let inotify: Int32
    /// A pipe: writing to it stops the watching thread.
    private let wake: (read: Int32, write: Int32)
    /// The directories watched, by watch descriptor.
    private let watched = Locked<[Int32: String]>([:])
    /// Set once the thread has closed its descriptors: ``stop()`` then writes nothing.
    private let closed = Locked(false)
    private let continuation: AsyncStream<Void>.Continuation
    /// One element per change.
    let changes: AsyncStream<Void>

    /// Watches `path`; nil (with the reason) when inotify cannot be used.
    init(path: String) throws(JobrunError) {
        self.path = path
        inotify = inotify_init1(Int32(IN_CLOEXEC))
        guard inotify >= 0 else {
            throw JobrunError(.watch, "--watch: cannot watch \(path)", errno: errno)
        }
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else {
            close(inotify)
            throw JobrunError(.watch, "--watch: cannot watch \(path)", errno: errno)
        }
        wake = (ends[0], ends[1])
        // Not for the jobs: jobrun-exec starts them, but nothing of jobrun's should leak.
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        (changes, continuation) = AsyncStream.makeStream(of: Void.self)
        do {
            try addWatches()
        } catch {
            close(inotify)
            close(wake.read)
            close(wake.write)
            throw error
        }
        let thread = Thread { [self] in self.loop() }
        thread.name = "jobrun watch"
        thread.start()
    }

    /// Stops watching; ``changes`` ends.
    func stop() {
        closed.withLock { closed in
            guard !closed else { return }
            var one: UInt8 = 1
            _ = write(wake.write, &one, 1)
        }
    }

    private static let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_MODIFY
                                     | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

    /// The directories of the path and of what it resolves to now (a ConfigMap's target
    /// directory changes with each update).
    private func addWatches() throws(JobrunError) {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var dirs = [(absolute as NSString).deletingLastPathComponent]
        if let real = realpath(absolute, nil) {
            dirs.append((String(cString: real) as NSString).deletingLastPathComponent)
            free(real)
        }
        for dir in dirs where watched.withLock({ !$0.values.contains(dir) }) {
            let wd = inotify_add_watch(inotify, dir, Self.mask)
            if wd < 0 {
                if watched.withLock({ $0.isEmpty }) {
                    throw JobrunError(.watch, "--watch: cannot watch the directory \(dir)", errno: errno)
                }
                continue
            }
            watched.withLock { $0[wd] = dir }
        }
    }

    /// A directory that was removed (or its file system unmounted) is no longer watched; if
    /// it comes back, the next change's ``addWatches()`` watches it again.
    private func forgetRemoved(_ events: ArraySlice<UInt8>) {
        var offset = events.startIndex
        // struct inotify_event: int wd, uint32 mask, cookie, len; then len bytes of name.
        while offset + 16 <= events.endIndex {
            func field(_ at: Int) -> UInt32 {
                UInt32(events[offset + at]) | UInt32(events[offset + at + 1]) << 8
                    | UInt32(events[offset + at + 2]) << 16 | UInt32(events[offset + at + 3]) << 24
            }
            let wd = Int32(bitPattern: field(0)), mask = field(4), length = Int(field(12))
            if mask & UInt32(IN_IGNORED) != 0 { _ = watched.withLock { $0.removeValue(forKey: wd) } }
            offset += 16 + length
        }
    }

    private func loop() {
        defer {
            continuation.finish()
            closed.withLock { closed in
                closed = true
                close(inotify)
                close(wake.read)
                close(wake.write)
            }
        }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0), pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0)]
        var pending = false
        while true {
            // Waits for an event; once one came, for 100 ms of quiet before telling.
            let ready = poll(&fds, 2, pending ? 100 : -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            if ready == 0 {
                pending = false
                try? addWatches()
                continuation.yield()
                continue
            }
            if fds[0].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(inotify, $0.baseAddress, $0.count) }
                if n < 0 && errno != EINTR && errno != EAGAIN { return }
                if n > 0 { forgetRemoved(buffer[..<n]) }
                pending = true
            }
        }
    }
}
