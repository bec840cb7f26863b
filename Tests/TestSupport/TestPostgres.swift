import Foundation

/// A throwaway PostgreSQL cluster from Debian's server packages: `initdb` in a temporary directory
/// owned by an unprivileged user (the server refuses to run as root), listening on a free loopback
/// port, stopped and removed by `stop()`. Databases are made per test with `createDatabase`.
public final class TestPostgres: @unchecked Sendable {
    public let port: Int
    public let directory: String
    /// The role every test connects as: the cluster's superuser, trusted on loopback, except
    /// `passwordUser`, who needs `password`.
    public static let user = "restrace"
    public static let passwordUser = "secured"
    public static let password = "s3cret pass'word"
    private let bin: String
    private let osUser: String?

    /// The directory of PostgreSQL's server programs (the newest installed version).
    public static var binaries: String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root))?.compactMap(Int.init).sorted() ?? []
        return versions.last.map { "\(root)/\($0)/bin" }
    }

    public init() throws {
        guard let bin = Self.binaries, FileManager.default.isExecutableFile(atPath: bin + "/initdb") else {
            throw TestPostgresError(message: "PostgreSQL's server is not installed (make test installs the postgresql package)")
        }
        self.bin = bin
        port = LoopbackPort.free()
        directory = NSTemporaryDirectory() + "restrace-pg-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        osUser = getuid() == 0 ? "nobody" : nil
        if osUser != nil { _ = try runProcess("/bin/chown", ["nobody", directory]) }
        try run("initdb", ["-D", directory + "/data", "-U", Self.user, "--auth-local=trust", "--auth-host=trust", "-E", "UTF8",
                           "--locale=C.UTF-8", "--no-sync"])
        // The password role connects with scram over TCP; everyone else is trusted.
        let hba = "host all \(Self.passwordUser) 127.0.0.1/32 scram-sha-256\nhost all all 127.0.0.1/32 trust\nlocal all all trust\n"
        try hba.write(toFile: directory + "/data/pg_hba.conf", atomically: false, encoding: .utf8)
        try start()
        try psql("postgres", "CREATE ROLE \(Self.passwordUser) LOGIN SUPERUSER PASSWORD '\(Self.password.replacingOccurrences(of: "'", with: "''"))'")
    }

    /// The server's URL for `database`, as `--db` takes it.
    public func url(_ database: String, user: String = TestPostgres.user) -> String {
        "postgres://\(user)@127.0.0.1:\(port)/\(database)"
    }

    /// Creates an empty database called `name`.
    public func createDatabase(_ name: String) throws {
        try psql("postgres", "CREATE DATABASE \(name)")
    }

    /// Runs `sql` in `database` with psql and gives what it printed (unaligned, tuples only).
    @discardableResult
    public func psql(_ database: String, _ sql: String) throws -> String {
        let r = try runProcess(bin + "/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port),
                                               "-U", Self.user, "-d", database, "-c", sql])
        guard r.status == 0 else { throw TestPostgresError(message: "psql: \(r.err)") }
        return r.text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func start() throws {
        try run("pg_ctl", ["-D", directory + "/data", "-l", directory + "/log", "-w", "-t", "60", "-o",
                           "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", "start"])
    }

    /// Stops the server at once, as a crash or a power cut would (`immediate`), or cleanly.
    public func halt(immediately: Bool = true) throws {
        try run("pg_ctl", ["-D", directory + "/data", "-m", immediately ? "immediate" : "fast", "-w", "stop"])
    }

    /// Stops the server and removes the cluster.
    public func stop() {
        try? halt(immediately: true)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Runs one of the server's programs (as `osUser` when the tests run as root).
    private func run(_ program: String, _ args: [String]) throws {
        let path = bin + "/" + program
        let r = osUser.map { runDetached("/usr/sbin/runuser", ["-u", $0, "--", path] + args) } ?? runDetached(path, args)
        guard r.status == 0 else {
            let log = (try? String(contentsOfFile: directory + "/log", encoding: .utf8)) ?? ""
            throw TestPostgresError(message: "\(program) failed (\(r.status)): \(r.output) \(log.suffix(2000))")
        }
    }
}

public struct TestPostgresError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
