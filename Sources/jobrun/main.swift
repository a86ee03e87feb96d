import ArgumentParser
import CJobrunExec
#if canImport(Glibc)
import Glibc
#endif

// Run as jobrun-exec (when that program is not installed next to jobrun, jobrun starts
// itself under that name to start jobs; see Sources/CJobrunExec/jobrun_exec.c).
if CommandLine.unsafeArgv[0].map({ String(cString: $0).split(separator: "/").last == "jobrun-exec" }) == true {
    exit(jobrun_exec_main(CommandLine.argc, CommandLine.unsafeArgv))
}


// A write to a pipe or FIFO whose reader has gone (stdout piped to `head`, an `output:`
// FIFO) must be an EPIPE error, not a kill; jobs start with default signal dispositions.
signal(SIGPIPE, SIG_IGN)

// Argument errors exit 2 (README, "Exit codes"), not argument-parser's 64; everything else maps through ExitCode.
do {
    // `--status` is a mode of its own, except after `--history`, where it picks runs by status.
    var arguments = Array(CommandLine.arguments.dropFirst())
    if !arguments.contains("--history") {
        arguments = arguments.map { $0 == "--status" ? "--status-table" : $0 }
    }
    var command = try Jobrun.parseAsRoot(arguments)
    if let jobrun = command as? Jobrun {
        try await jobrun.execute()
    } else {
        try command.run()
    }
} catch {
    let code = Jobrun.exitCode(for: error)
    if code.rawValue == 64 {
        Console().err(Jobrun.fullMessage(for: error))
        Jobrun.exit(withError: JobrunExit.invalid)
    }
    Jobrun.exit(withError: error)
}
