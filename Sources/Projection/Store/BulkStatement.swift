import GRDB
internal import GRDBSQLite

/// A prepared statement bound column by column through SQLite's C API: the projection's hot path
/// inserts millions of rows, and GRDB's argument arrays cost more than the insert itself.
struct BulkStatement {
    private let statement: Statement
    private var column: Int32 = 0

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
    }

    mutating func bind(_ v: Int64?) {
        column += 1
        if let v { sqlite3_bind_int64(statement.sqliteStatement, column, v) } else { sqlite3_bind_null(statement.sqliteStatement, column) }
    }

    mutating func bind(_ v: Int?) { bind(v.map(Int64.init)) }
    mutating func bind(_ v: UInt64?) { bind(v.map { Int64(bitPattern: $0) }) }

    mutating func bind(_ v: Double?) {
        column += 1
        if let v, v.isFinite { sqlite3_bind_double(statement.sqliteStatement, column, v) } else { sqlite3_bind_null(statement.sqliteStatement, column) }
    }

    mutating func bind(_ v: String?) {
        column += 1
        guard var v else { sqlite3_bind_null(statement.sqliteStatement, column); return }
        let stmt = statement.sqliteStatement, col = column
        v.withUTF8 { buf in
            guard let base = buf.baseAddress else { _ = sqlite3_bind_text(stmt, col, "", 0, nil); return }
            _ = UnsafeRawPointer(base).withMemoryRebound(to: CChar.self, capacity: buf.count) {
                sqlite3_bind_text(stmt, col, $0, Int32(buf.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            }
        }
    }

    /// Runs the statement with the values bound so far, then resets it for the next row.
    mutating func step(_ db: Database) throws {
        let code = sqlite3_step(statement.sqliteStatement)
        sqlite3_reset(statement.sqliteStatement)
        column = 0
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
        }
    }
}
