import GRDB
import Postgres

/// Errors of the projection, naming the database (its file, or its URL).
public enum ProjectionError: Error, CustomStringConvertible {
    case database(path: String, reason: String)
    /// Another restrace process is projecting into this file.
    case busy(path: String)

    /// A database error as people read it: its code and message, never the SQL statement that
    /// met it (GRDB's own description ends with the whole statement).
    static func reason(_ error: Error) -> String {
        if let e = error as? PostgresError { return e.description }
        guard let e = error as? DatabaseError else { return "\(error)" }
        let hint = e.resultCode == .SQLITE_CANTOPEN ? " (is its directory there and writable?)" : ""
        return "SQLite error \(e.resultCode.rawValue): \(e.message ?? "\(e.resultCode)")\(hint)"
    }

    /// Runs `body`, naming `path` in any database error it throws.
    static func naming<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as DatabaseError {
            throw ProjectionError.database(path: path, reason: reason(e))
        } catch let e as PostgresError {
            throw ProjectionError.database(path: path, reason: reason(e))
        }
    }

    public var description: String {
        switch self {
        case .database(let path, let reason): "\(path): \(reason)"
        case .busy(let path): "\(path): another restrace process is updating this projection (one at a time); read it with `report --db \(path)`"
        }
    }
}

