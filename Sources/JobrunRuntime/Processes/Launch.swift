/// What a job is started with, encoded once for `jobrun-exec`: the program (a path), the
/// working directory, the arguments (from argv[0]) and the environment ("NAME=value").
struct Launch: Sendable {
    private(set) var payload: [UInt8] = []
    let argumentCount: Int
    private(set) var environmentCount = 0

    init(program: String, arguments: [String], environment: [String], workingDirectory: String?) {
        argumentCount = arguments.count
        payload.reserveCapacity(environment.reduce(256) { $0 + $1.utf8.count + 1 })
        for string in [program, workingDirectory ?? ""] + arguments { append(string) }
        adding(environment)
    }

    /// Adds environment entries.
    mutating func adding(_ environment: [String]) {
        for entry in environment { append(entry) }
        environmentCount += environment.count
    }

    private mutating func append(_ string: String) {
        let from = payload.count
        payload.append(contentsOf: string.utf8)
        // A NUL would end the string early; YAML can carry one ("\0").
        for i in from..<payload.count where payload[i] == 0 { payload[i] = 0x20 }
        payload.append(0)
    }
}
