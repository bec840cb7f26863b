import GRDB
internal import GRDBSQLite

/// A GRDB database connection as an `SQLConnection`: rows are read straight from SQLite's
/// statement (a GRDB `Row` per task took as long as the query itself on 500 k tasks).
struct SQLiteConnection: SQLConnection {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    func each(_ sql: String, _ arguments: [SQLValue], _ body: (any SQLRow) throws -> Void) throws {
        let statement = try db.makeStatement(sql: sql)
        try statement.setArguments(StatementArguments(arguments.map(\.databaseValue)))
        let stmt = statement.sqliteStatement
        defer { sqlite3_reset(stmt) }
        let row = SQLiteRow(statement: stmt)
        while true {
            let code = sqlite3_step(stmt)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)),
                                    sql: sql)
            }
            try body(row)
        }
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws {
        try db.execute(sql: sql, arguments: StatementArguments(arguments.map(\.databaseValue)))
    }
}

/// The current row of an SQLite statement.
private struct SQLiteRow: SQLRow {
    let statement: OpaquePointer

    var columnCount: Int { Int(sqlite3_column_count(statement)) }
    func columnName(_ i: Int) -> String { String(cString: sqlite3_column_name(statement, Int32(i))) }
    func isNull(_ i: Int) -> Bool { sqlite3_column_type(statement, Int32(i)) == SQLITE_NULL }
    func int64(_ i: Int) -> Int64 { sqlite3_column_int64(statement, Int32(i)) }
    func double(_ i: Int) -> Double { sqlite3_column_double(statement, Int32(i)) }

    func text(_ i: Int) -> String {
        guard let bytes = sqlite3_column_text(statement, Int32(i)) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, Int32(i)))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func value(_ i: Int) -> SQLValue {
        switch sqlite3_column_type(statement, Int32(i)) {
        case SQLITE_NULL: .null
        case SQLITE_INTEGER: .integer(int64(i))
        case SQLITE_FLOAT: .real(double(i))
        default: .text(text(i))
        }
    }
}

extension SQLValue {
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let v): v.databaseValue
        case .real(let v): v.databaseValue
        case .text(let v): v.databaseValue
        }
    }
}
