import Foundation
import JobrunCore

/// A run's row as the store writes it: the columns of `jobrun_runs` (``RunRow/columns``) with
/// its namespace.
struct PendingRow {
    var namespace: String
    var task: String
    var run: Int
    var status: String
    var dueMs: Int64
    var nominalMs: Int64
    var instants: Int
    var startedMs: Int64?
    var finishedMs: Int64?
    /// The report's run object, as JSON text (UTF-8).
    var record: [UInt8]
}

/// The store's pending log, `<store>-pending`: every status change is appended to it before
/// ``SQLiteStore/record(_:)`` returns, and the database takes the changes from memory in
/// batches a little later. A jobrun killed in between loses nothing: the next one to open the
/// store applies what the log holds before anything else. The log is emptied once the
/// database has everything in it, and removed when jobrun closes the store.
///
/// An entry is a line holding a JSON array of the row's columns but the record, then the
/// record's length in bytes, followed by the record's text and a line feed. An entry cut
/// short (jobrun was killed while writing it) ends the log: its change never took effect, as
/// nothing is started before the append returns.
struct PendingLog {
    let path: String
    private let fd: Int32
    /// Whether ``open(_:)`` created the file.
    let created: Bool

    /// Opens the log at `path` for appending, creating it (mode 0600) when missing and `create`.
    static func open(_ path: String, create: Bool = true) throws(JobrunError) -> PendingLog {
        let existed = access(path, F_OK) == 0
        let fd = Foundation.open(path, O_RDWR | O_APPEND | O_CLOEXEC | (create ? O_CREAT : 0), 0o600)
        guard fd >= 0 else {
            throw JobrunError(.state, "cannot open \"\(path)\", the store's pending log: \(String(cString: strerror(errno)))",
                              hint: "jobrun writes it next to the store: its directory must be writable")
        }
        return PendingLog(path: path, fd: fd, created: !existed)
    }

    /// Appends `bytes` whole to the log, `size` bytes long; returns an errno on failure, after
    /// cutting off what part was written (no entry follows one cut short).
    func append(_ bytes: [UInt8], size: Int) -> Int32? {
        guard let error = bytes.withUnsafeBytes({ FileDescriptorWrite.all(fd, $0) }) else { return nil }
        _ = ftruncate(fd, off_t(size))
        return error
    }

    /// Empties the log; returns an errno on failure.
    func truncate() -> Int32? { ftruncate(fd, 0) == 0 ? nil : errno }

    /// Whether the log holds anything, complete or not.
    var isEmpty: Bool {
        var status = stat()
        return fstat(fd, &status) != 0 || status.st_size == 0
    }

    /// Closes the log, and removes its file when `remove`.
    func close(remove: Bool) {
        Foundation.close(fd)
        if remove { unlink(path) }
    }

    /// The complete entries in the log, in order.
    func entries() -> [PendingRow] {
        var stat = stat()
        guard fstat(fd, &stat) == 0, stat.st_size > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(stat.st_size))
        let read = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard read > 0 else { return [] }
        return Self.parse(bytes[..<read])
    }

    /// The entries of `bytes`, up to the first that is incomplete or unreadable.
    static func parse(_ bytes: ArraySlice<UInt8>) -> [PendingRow] {
        var rows: [PendingRow] = []
        var at = bytes.startIndex
        while let newline = bytes[at...].firstIndex(of: 0x0A) {
            guard let header = try? JSONSerialization.jsonObject(with: Data(bytes[at..<newline])) as? [Any], header.count == 10,
                  let namespace = header[0] as? String, let task = header[1] as? String, let run = header[2] as? Int,
                  let status = header[3] as? String, let due = header[4] as? Int64, let nominal = header[5] as? Int64,
                  let instants = header[6] as? Int, let length = header[9] as? Int, length >= 0
            else { break }
            let start = newline + 1
            guard length < bytes.endIndex - start, bytes[start + length] == 0x0A else { break }
            let end = start + length
            rows.append(PendingRow(namespace: namespace, task: task, run: run, status: status, dueMs: due, nominalMs: nominal,
                                   instants: instants, startedMs: header[7] as? Int64, finishedMs: header[8] as? Int64,
                                   record: Array(bytes[start..<end])))
            at = end + 1
        }
        return rows
    }

    /// Appends `row`'s entry to `out`.
    static func append(_ row: PendingRow, to out: inout [UInt8]) {
        func put(_ s: String) { out.append(contentsOf: s.utf8) }
        func number(_ n: Int64?) { put(n.map { String($0) } ?? "null") }
        put("["); put(JSONText.string(row.namespace)); put(","); put(JSONText.string(row.task)); put(",")
        number(Int64(row.run)); put(","); put(JSONText.string(row.status)); put(",")
        number(row.dueMs); put(","); number(row.nominalMs); put(","); number(Int64(row.instants)); put(",")
        number(row.startedMs); put(","); number(row.finishedMs); put(","); number(Int64(row.record.count)); put("]\n")
        out.append(contentsOf: row.record)
        out.append(0x0A)
    }
}
