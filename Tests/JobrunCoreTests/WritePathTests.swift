import Foundation
@testable import JobrunCore
import Testing

@Suite struct WritePathTests {
    private func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("jobrun-writepath-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aPrivateFileIsNeverALinkOrAnExistingFile() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "victim".write(toFile: dir + "/victim", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/victim")
        let dirfd = open(dir, O_RDONLY | O_DIRECTORY)
        defer { close(dirfd) }
        #expect(throws: JobrunError.self) { _ = try WritePath.createPrivate("link", in: dirfd, shownAs: dir) }
        #expect(throws: JobrunError.self) { _ = try WritePath.createPrivate("victim", in: dirfd, shownAs: dir) }
        do { _ = try WritePath.createPrivate("link", in: dirfd, shownAs: dir) } catch { #expect(error.errno == ELOOP || error.errno == EEXIST) }
        let fd = try WritePath.createPrivate("new", in: dirfd, shownAs: dir)
        close(fd)
        var st = stat()
        #expect(stat(dir + "/new", &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: dir + "/victim", encoding: .utf8) == "victim")
    }

    @Test func pathsResolveByWhatIsThere() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try WritePath.resolve("-") == .descriptor(1))
        #expect(try WritePath.resolve("/dev/stderr") == .descriptor(2))
        #expect(try WritePath.resolve("/proc/self/fd/7") == .descriptor(7))
        #expect(try WritePath.resolve("/dev/null") == .inPlace(path: "/dev/null", socket: false))
        #expect(throws: JobrunError.self) { try WritePath.resolve(dir) }
        #expect(try WritePath.resolve(dir + "/a/b/c.json") == .file(path: dir + "/a/b/c.json", existing: nil))
        #expect(FileManager.default.fileExists(atPath: dir + "/a/b"))
        try FileManager.default.createSymbolicLink(atPath: dir + "/dangling", withDestinationPath: "x/y.json")
        #expect(try WritePath.resolve(dir + "/dangling") == .file(path: dir + "/x/y.json", existing: nil))
    }

    @Test func aBlockDeviceIsRefusedAndASocketIsWrittenThrough() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A loop device's node (7, 0): never written onto.
        #expect(mknod(dir + "/disk", S_IFBLK | 0o600, dev_t((7 << 8) | 0)) == 0)
        #expect(throws: JobrunError.self) { try WritePath.replace(dir + "/disk", with: Array("x".utf8)) }
        // A Unix stream socket gets the bytes over a connection.
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array((dir + "/sock").utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0 && listen(listener, 1) == 0)
        try WritePath.replace(dir + "/sock", with: Array("report".utf8))
        let connection = accept(listener, nil, nil)
        defer { close(connection) }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(connection, &buffer, buffer.count)
        #expect(n == 6 && Array(buffer.prefix(6)) == Array("report".utf8))
        var st = stat()
        #expect(lstat(dir + "/sock", &st) == 0 && st.st_mode & S_IFMT == S_IFSOCK)
    }

    @Test func replacingWritesTheWholeFileAndLeavesNoTemporaryFile() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try WritePath.replace(dir + "/r.json", with: Array("one".utf8))
        try WritePath.replace(dir + "/r.json", with: Array("two".utf8))
        try WritePath.append(Array("+".utf8), to: dir + "/r.json")
        #expect(try String(contentsOfFile: dir + "/r.json", encoding: .utf8) == "two+")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["r.json"])
    }
}
