import Foundation

/// Opens the store a `--db` value names: a `postgres://` or `postgresql://` URL, or an SQLite file.
public enum ProjectionDatabase {
    /// True when `spec` names a PostgreSQL database rather than a file.
    public static func isPostgres(_ spec: String) -> Bool {
        spec.hasPrefix("postgres://") || spec.hasPrefix("postgresql://")
    }

    /// Opens (or creates) the projection for writing the capture `captureID`: started over when it
    /// holds another version (or with `rebuildBecause`), as each store says.
    public static func open(writing spec: String, captureID: String, rebuildBecause: String? = nil) throws -> any ProjectionStore {
        if isPostgres(spec) { return try PostgresStore(url: spec, password: password, captureID: captureID, rebuildBecause: rebuildBecause) }
        return try SQLiteStore(path: spec, captureID: captureID, rebuildBecause: rebuildBecause)
    }

    /// Opens an existing projection for reading only.
    public static func open(reading spec: String) throws -> any ProjectionStore {
        if isPostgres(spec) { return try PostgresStore(readingFrom: spec, password: password) }
        return try SQLiteStore(readingFrom: spec)
    }

    /// The variable a PostgreSQL password is given in (`--db-password-file` sets it from the file):
    /// never on the command line, where every user of the machine can read it.
    public static let passwordVariable = "RESTRACE_DB_PASSWORD"

    static var password: String? { ProcessInfo.processInfo.environment[passwordVariable] }

    /// False when `spec` is a file that is not there (so nothing was projected into it yet).
    static func mayExist(_ spec: String) -> Bool {
        isPostgres(spec) || FileManager.default.fileExists(atPath: spec)
    }
}
