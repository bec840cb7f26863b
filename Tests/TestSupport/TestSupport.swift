import Foundation

// What every test target needs: temporary directories, the repository's paths, and running a
// program to its end.

/// The repository's root folder.
public let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fresh temporary directory, removed by the caller with `cleanup`.
public func temporaryDirectory(_ label: String = "test") -> String {
    let path = NSTemporaryDirectory() + "restrace-\(label)-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

public func cleanup(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// The built `restrace` executable (`swift build` puts it in .build/debug).
public var restraceExecutable: String { repositoryRoot.appendingPathComponent(".build/debug/restrace").path }

/// The venv Python with the official `mcap` package and the notebooks' packages (`make test`
/// creates it; `RESTRACE_PYTHON` overrides it).
public var venvPython: String {
    ProcessInfo.processInfo.environment["RESTRACE_PYTHON"] ?? repositoryRoot.appendingPathComponent("notebooks/.venv/bin/python").path
}

/// What a finished program left: its exit status, standard output and standard error.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var out: Data
    public var err: String
    public var text: String { String(decoding: out, as: UTF8.self) }
}

/// Runs `executable` to its end, with `stdin` as its input (else /dev/null) and `environment`
/// added to this process's. Standard error is read on its own thread, so neither pipe can fill
/// up and stall the program.
@discardableResult
public func runProcess(_ executable: String, _ args: [String], stdin: Data? = nil, environment: [String: String] = [:],
                       in directory: String? = nil) throws -> ProcessResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe(), input = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = stdin == nil ? FileHandle(forReadingAtPath: "/dev/null") : input
    try p.run()
    let errors = ErrorText()
    let reader = Thread { errors.set(err.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    if let stdin {
        input.fileHandleForWriting.write(stdin)
        try input.fileHandleForWriting.close()
    }
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return ProcessResult(status: p.terminationStatus, out: o, err: errors.wait())
}

/// Standard error as the reading thread hands it over.
private final class ErrorText: @unchecked Sendable {
    // @unchecked: `data` is written once before `done` is signalled and read after waiting on it.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)
    func set(_ d: Data) { data = d; done.signal() }
    func wait() -> String { done.wait(); return String(decoding: data, as: UTF8.self) }
}

/// Starts `restrace ARGS` and returns the running process (stopped by the caller, with
/// `interrupt`); its standard error goes to `errors` when given.
public func startRestrace(_ args: [String], errors: String? = nil) throws -> Process {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: restraceExecutable)
    p.arguments = args
    p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
    if let errors { FileManager.default.createFile(atPath: errors, contents: nil) }
    p.standardError = FileHandle(forWritingAtPath: errors ?? "/dev/null")
    try p.run()
    return p
}

/// Stops `p` as Ctrl-C does and gives its exit status.
public func interrupt(_ p: Process) -> Int32 {
    kill(p.processIdentifier, SIGINT)
    p.waitUntilExit()
    return p.terminationStatus
}

/// Runs `executable` to its end with posix_spawn and waitpid, its output (standard output and
/// error) in a file, and no descriptor of this process but those: for programs that leave a
/// server behind (tmux, pg_ctl), which would hold a pipe (ours, or another test's open at that
/// moment) for good, and whose exit Foundation's Process sometimes never saw.
public func runDetached(_ executable: String, _ args: [String]) -> (status: Int32, output: String) {
    let file = NSTemporaryDirectory() + "restrace-detached-\(UUID().uuidString)"
    defer { unlink(file) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    closeFrom3(&actions)
    let argv = ([executable] + args).map { strdup($0) } + [nil]
    defer { for a in argv { free(a) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, executable, &actions, nil, argv, environ) == 0 else { return (-1, "cannot start \(executable)") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1, errno == EINTR {}
    let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return (exit, (try? String(contentsOfFile: file, encoding: .utf8)) ?? "")
}

/// Adds glibc's `posix_spawn_file_actions_addclosefrom_np(actions, 3)` (glibc 2.34 and later; not
/// in Swift's Glibc module), looked up at run time.
private func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return }
    _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
}
