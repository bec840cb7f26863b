import Postgres

/// A PostgreSQL connection as an `SQLConnection`: `?` become `$1`, `$2`, … and values go as text.
struct PostgresSQLConnection: SQLConnection {
    let connection: PostgresConnection
    var dialect: SQLDialect { .postgres }

    func each(_ sql: String, _ arguments: [SQLValue], _ body: (any SQLRow) throws -> Void) throws {
        try connection.query(Self.numbered(sql), arguments.map(\.postgresText)) { try body($0) }
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws {
        try connection.execute(Self.numbered(sql), arguments.map(\.postgresText))
    }

    /// `sql` with each `?` outside quotes numbered as PostgreSQL's `$n`.
    static func numbered(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.utf8.count + 16)
        var n = 0
        var quote: Character?
        for ch in sql {
            if let q = quote {
                if ch == q { quote = nil }
                out.append(ch)
            } else if ch == "'" || ch == "\"" {
                quote = ch
                out.append(ch)
            } else if ch == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(ch)
            }
        }
        return out
    }
}

extension PostgresRow: SQLRow {}

extension SQLValue {
    /// The value in PostgreSQL's text form; nil for NULL.
    var postgresText: String? {
        switch self {
        case .null: nil
        case .integer(let v): String(v)
        case .real(let v): "\(v)"  // the shortest text that reads back as exactly v
        case .text(let v): v
        }
    }
}
