import Capture
import GRDB
internal import GRDBSQLite

/// A prepared statement bound column by column through SQLite's C API: the projection's hot path
/// inserts millions of rows, and GRDB's argument arrays cost more than the insert itself.
///
/// Text is copied into the statement's own buffer and bound from there without SQLite copying it
/// again: bound as transient, each text column cost a `malloc`, a copy and a `free` inside SQLite.
struct BulkStatement: RowBinder {
    private let statement: Statement
    private var column: Int32 = 0
    private let text: TextBuffer
    /// The last position bound, spelled up to its index (`FILE@CHUNK_OFFSET#`), which the
    /// messages of a chunk share: spelled whole for each row, a position took 750 instructions.
    private var positionPrefix: (file: String, chunkOffset: UInt64, text: [UInt8])?

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        text = TextBuffer(statement: statement.sqliteStatement)
    }

    /// `INSERT OR FAIL INTO table (columns…) VALUES (?, …), …` for `rows` rows, bound row by row in
    /// the order of `columns`. `OR FAIL`: a statement of several rows that may abort needs a
    /// statement journal, which cost 3 % of a projection; a failure throws and the caller's
    /// transaction rolls back the rows before it.
    init(_ db: Database, insertInto table: String, columns: [String], rows: Int = 1) throws {
        let row = "(\(columns.map { _ in "?" }.joined(separator: ", ")))"
        let values = repeatElement(row, count: rows).joined(separator: ", ")
        try self.init(db, sql: "INSERT OR FAIL INTO \(table) (\(columns.joined(separator: ", "))) VALUES \(values)")
    }

    mutating func bind(_ v: Int64?) {
        column += 1
        if let v { sqlite3_bind_int64(statement.sqliteStatement, column, v) } else { sqlite3_bind_null(statement.sqliteStatement, column) }
    }


    mutating func bind(_ v: Double?) {
        column += 1
        if let v, v.isFinite { sqlite3_bind_double(statement.sqliteStatement, column, v) } else { sqlite3_bind_null(statement.sqliteStatement, column) }
    }

    mutating func bind(_ v: String?) {
        column += 1
        guard let v else { sqlite3_bind_null(statement.sqliteStatement, column); return }
        text.bind(v, column: column)
    }

    /// Binds the position as text, `FILE@CHUNK_OFFSET#INDEX` (`CapturePosition.description`),
    /// without making a String of it.
    mutating func bind(_ p: CapturePosition) {
        column += 1
        if let prefix = positionPrefix, prefix.chunkOffset == p.chunkOffset, prefix.file.hasSameUTF8(as: p.file) {
            text.bind(prefix.text, then: UInt64(max(0, p.index)), column: column)
            return
        }
        var spelled = p
        spelled.index = 0
        let prefix = spelled.withText { Array($0.dropLast()) }  // up to the index's one digit
        positionPrefix = (p.file, p.chunkOffset, prefix)
        text.bind(prefix, then: UInt64(max(0, p.index)), column: column)
    }

    /// Runs the statement with the values bound so far, then resets it for the next row.
    mutating func step(_ db: Database) throws {
        let code = sqlite3_step(statement.sqliteStatement)
        sqlite3_reset(statement.sqliteStatement)
        column = 0
        text.reset()
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
        }
    }
}

/// Appends rows to a table whose `INTEGER PRIMARY KEY` they give in ascending order, in as few
/// statements as it can. SQLite opens the table and finds the new row's place once per statement,
/// so rows go `rowsPerStatement` to an `INSERT` (32: 7.5 % fewer instructions for a whole
/// projection than one row each; with everything else of version 7, 16, 32 and 64 rows came to
/// 2 418, 2 405 and 2 403 M). A row whose id is one more than the table's largest goes in without
/// it, and SQLite gives it that id: given, the id costs a search of the table's B-tree for every
/// row, to check it is free. Rows after a gap in the ids go in with their id.
struct BulkInsert {
    static let rowsPerStatement = 32
    private let table: String
    private var many: BulkStatement
    private var one: BulkStatement
    private var withID: BulkStatement

    /// `columns[0]` is the table's `INTEGER PRIMARY KEY`; `insert`'s `bind` binds the others, in order.
    init(_ db: Database, into table: String, columns: [String]) throws {
        self.table = table
        let others = Array(columns.dropFirst())
        many = try BulkStatement(db, insertInto: table, columns: others, rows: Self.rowsPerStatement)
        one = try BulkStatement(db, insertInto: table, columns: others)
        withID = try BulkStatement(db, insertInto: table, columns: columns)
    }

    /// Inserts rows `0..<count`, whose ids (`id(i)`) ascend; `bind(i, statement)` binds row i's
    /// other columns. (Rows by index: a generic collection's elements were copied to be read.)
    mutating func insert(count: Int, in db: Database, id: (Int) -> Int64, bind: (Int, inout BulkStatement) -> Void) throws {
        guard count > 0 else { return }
        // The id SQLite gives a row inserted without one: the table's largest plus one.
        var next = try (Int64.fetchOne(db, sql: "SELECT max(rowid) FROM \(table)") ?? 0) + 1
        var i = 0
        while i < count {
            let first = id(i)
            if first != next {  // after a gap (or out of order: the insert fails on the duplicate)
                withID.bind(first)
                bind(i, &withID)
                try withID.step(db)
                next = first + 1
                i += 1
                continue
            }
            var end = i
            while end < count, id(end) == next { next += 1; end += 1 }
            let grouped = i + (end - i) / Self.rowsPerStatement * Self.rowsPerStatement
            while i < grouped {
                for row in i..<(i + Self.rowsPerStatement) { bind(row, &many) }
                try many.step(db)
                i += Self.rowsPerStatement
            }
            while i < end {
                bind(i, &one)
                try one.step(db)
                i += 1
            }
            guard db.lastInsertedRowID == next - 1 else {
                throw DatabaseError(resultCode: .SQLITE_INTERNAL, message: "\(table): rows got ids up to \(db.lastInsertedRowID), expected \(next - 1)")
            }
        }
    }
}

/// The bytes of one statement's text values, kept until it is stepped. A value that does not fit
/// is bound as transient (SQLite copies it). The buffer never moves while bound, and the
/// statement's bindings are cleared before it is freed.
private final class TextBuffer {
    static let capacity = 64 * 1024
    let statement: OpaquePointer
    let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    var used = 0

    init(statement: OpaquePointer) { self.statement = statement }

    deinit {
        sqlite3_clear_bindings(statement)
        bytes.deallocate()
    }

    func bind(_ v: String, column: Int32) { v.withUTF8Bytes { bind($0, column: column) } }

    /// Binds the bytes as one text value: copied into the buffer, or bound as transient (SQLite
    /// copies them) if they do not fit.
    func bind(_ utf8: UnsafeBufferPointer<UInt8>, column: Int32) {
        let count = utf8.count
        guard let source = utf8.baseAddress else { _ = sqlite3_bind_text(statement, column, "", 0, nil); return }
        guard count <= Self.capacity - used else {
            let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
            _ = source.withMemoryRebound(to: CChar.self, capacity: count) { sqlite3_bind_text(statement, column, $0, Int32(count), transient) }
            return
        }
        let start = bytes + used
        start.update(from: source, count: count)
        used += count
        start.withMemoryRebound(to: CChar.self, capacity: count) {
            _ = sqlite3_bind_text(statement, column, $0, Int32(count), nil)  // nil: SQLITE_STATIC
        }
    }

    /// Binds `prefix` followed by `number` in decimal, as one text value.
    func bind(_ prefix: [UInt8], then number: UInt64, column: Int32) {
        var digits = 1, rest = number / 10
        while rest > 0 { digits += 1; rest /= 10 }
        let count = prefix.count + digits
        guard count <= Self.capacity - used else {
            var whole = prefix
            whole.append(contentsOf: String(number).utf8)
            whole.withUnsafeBufferPointer { bind($0, column: column) }
            return
        }
        let start = bytes + used
        prefix.withUnsafeBufferPointer { start.update(from: $0.baseAddress!, count: prefix.count) }
        var v = number
        for k in stride(from: count - 1, through: prefix.count, by: -1) { start[k] = UInt8(48 + v % 10); v /= 10 }
        used += count
        start.withMemoryRebound(to: CChar.self, capacity: count) {
            _ = sqlite3_bind_text(statement, column, $0, Int32(count), nil)  // nil: SQLITE_STATIC
        }
    }

    func reset() { used = 0 }
}
