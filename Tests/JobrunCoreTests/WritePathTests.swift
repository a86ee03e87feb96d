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
        #expect(throws: JobrunError.self) { _ = try WritePath.createPrivate(dir + "/link") }
        #expect(throws: JobrunError.self) { _ = try WritePath.createPrivate(dir + "/victim") }
        do { _ = try WritePath.createPrivate(dir + "/link") } catch { #expect(error.errno == ELOOP || error.errno == EEXIST) }
        let fd = try WritePath.createPrivate(dir + "/new")
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
