import Foundation
import JobrunCore

/// Finds a task's executable: a path with a slash as given (relative to the working
/// directory), a bare name by searching `PATH`.
enum Executables {
    static func search(_ name: String, path: String, workingDirectory: String?) -> Result<String, JobrunError> {
        if name.isEmpty { return .failure(JobrunError(.executable, "the command is empty")) }
        if name.utf8.contains(UInt8(ascii: "/")) {
            let full = name.hasPrefix("/") || workingDirectory == nil ? name : workingDirectory! + "/" + name
            return check(full, as: name)
        }
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            if access(candidate, X_OK) == 0, !isDirectory(candidate) { return .success(candidate) }
        }
        if path.split(separator: ":").contains(where: { FileManager.default.fileExists(atPath: "\($0)/\(name)") }) {
            return .failure(JobrunError(.executable, "\"\(name)\" was found on PATH but is not executable; chmod +x it"))
        }
        return .failure(JobrunError(.executable, "executable \"\(name)\" not found on PATH (\(path)); install it or give its full path"))
    }

    private static func check(_ full: String, as name: String) -> Result<String, JobrunError> {
        var status = stat()
        guard stat(full, &status) == 0 else {
            return .failure(JobrunError(.executable, "executable \"\(name)\" does not exist"))
        }
        if status.st_mode & S_IFMT == S_IFDIR { return .failure(JobrunError(.executable, "\"\(name)\" is a directory, not an executable")) }
        guard access(full, X_OK) == 0 else {
            return .failure(JobrunError(.executable, "\"\(name)\" is not executable (permission denied); chmod +x it"))
        }
        return .success(full)
    }

    private static func isDirectory(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
    }
}
