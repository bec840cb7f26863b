/// Which SQL a connection speaks, where the two differ.
public enum SQLDialect: Sendable {
    case sqlite, postgres

    /// `column` in a condition, kept from being read through an index where the planner cannot
    /// tell it is not selective (SQLite's unary `+`; PostgreSQL's statistics tell it).
    func unindexed(_ column: String) -> String { self == .sqlite ? "+\(column)" : column }

    /// The column that says which capture a recorder event or a device's counts come from
    /// (PostgreSQL holds several captures; an SQLite file one).
    var captureColumn: String { self == .sqlite ? "1" : "capture" }
}

/// A connection the projection's reads and reports run on: SQLite (GRDB) or PostgreSQL (libpq).
/// Statements use `?` for their arguments and SQL that both dialects read the same way.
public protocol SQLConnection {
    var dialect: SQLDialect { get }
    /// Runs `sql` and calls `body` with each row, which is valid only during that call.
    func each(_ sql: String, _ arguments: [SQLValue], _ body: (any SQLRow) throws -> Void) throws
    /// Runs a statement that returns no rows.
    func execute(_ sql: String, _ arguments: [SQLValue]) throws
}

extension SQLConnection {
    /// Every row of `sql`, kept.
    public func all(_ sql: String, _ arguments: [SQLValue] = []) throws -> [SQLRecord] {
        var rows: [SQLRecord] = []
        var names: [String]?
        try each(sql, arguments) { row in
            if names == nil { names = (0..<row.columnCount).map(row.columnName) }
            rows.append(SQLRecord(row, names: names!))
        }
        return rows
    }

    /// The first row of `sql`, if any.
    public func one(_ sql: String, _ arguments: [SQLValue] = []) throws -> SQLRecord? { try all(sql, arguments).first }

    /// The first column of the first row of `sql`; nil when there is no row or it is NULL.
    public func value<T: SQLReadable>(_ sql: String, _ arguments: [SQLValue] = []) throws -> T? {
        try one(sql, arguments).flatMap { $0[0] as T? }
    }

    public func execute(_ sql: String) throws { try execute(sql, []) }
    public func each(_ sql: String, _ body: (any SQLRow) throws -> Void) throws { try each(sql, [], body) }
}
