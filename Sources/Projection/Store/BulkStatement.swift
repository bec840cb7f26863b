import Capture
import GRDB
import ResourceProtocol
internal import GRDBSQLite

/// A prepared statement bound column by column through SQLite's C API: the projection's hot path
/// inserts millions of rows, and GRDB's argument arrays cost more than the insert itself.
///
/// Text is copied into the statement's own buffer and bound from there without SQLite copying it
/// again: bound as transient, each text column cost a `malloc`, a copy and a `free` inside SQLite.
struct BulkStatement {
    private let statement: Statement
    private var column: Int32 = 0
    private let text: TextBuffer

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        text = TextBuffer(statement: statement.sqliteStatement)
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
        guard let v else { sqlite3_bind_null(statement.sqliteStatement, column); return }
        text.bind(v, column: column)
    }

    /// Binds the position as text, `FILE@CHUNK_OFFSET#INDEX`, without making a String of it.
    mutating func bind(_ p: CapturePosition) {
        column += 1
        p.withText { text.bind($0, column: column) }
    }

    /// Binds `$resource/{direction}/service/{product}/{device}` as text (NULL if a part is missing).
    mutating func bind(topicOf direction: Direction?, product: String?, device: String?) {
        column += 1
        guard let direction, let product, let device else { sqlite3_bind_null(statement.sqliteStatement, column); return }
        let middle: StaticString = direction == .up ? "/up/service/" : "/down/service/"
        let column = column
        product.withUTF8Bytes { p in
            device.withUTF8Bytes { d in
                text.bind(count: 9 + middle.utf8CodeUnitCount + p.count + 1 + d.count, column: column) {
                    $0.put("$resource"); $0.put(middle); $0.put(p); $0.put("/"); $0.put(d)
                }
            }
        }
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

/// The bytes of one row's text values, kept until the row is stepped. A value that does not fit
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

    func bind(_ utf8: UnsafeBufferPointer<UInt8>, column: Int32) { bind(count: utf8.count, column: column) { $0.put(utf8) } }

    /// Binds the `count` bytes `fill` writes as one text value: into the buffer, or if they do not
    /// fit, into a block of their own bound as transient (SQLite copies it).
    @inline(__always)
    func bind(count: Int, column: Int32, _ fill: (inout Cursor) -> Void) {
        guard count <= Self.capacity - used else {
            let spill = UnsafeMutablePointer<UInt8>.allocate(capacity: max(count, 1))
            defer { spill.deallocate() }
            var cursor = Cursor(at: spill)
            fill(&cursor)
            spill.withMemoryRebound(to: CChar.self, capacity: max(count, 1)) {
                _ = sqlite3_bind_text(statement, column, $0, Int32(count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            }
            return
        }
        let start = bytes + used
        var cursor = Cursor(at: start)
        fill(&cursor)
        used += count
        start.withMemoryRebound(to: CChar.self, capacity: max(count, 1)) {
            _ = sqlite3_bind_text(statement, column, $0, Int32(count), nil)  // nil: SQLITE_STATIC
        }
    }

    /// Where the next bytes of a value go.
    struct Cursor {
        var at: UnsafeMutablePointer<UInt8>

        mutating func put(_ piece: UnsafeBufferPointer<UInt8>) {
            if let base = piece.baseAddress { at.update(from: base, count: piece.count) }
            at += piece.count
        }

        mutating func put(_ piece: StaticString) { put(piece.utf8Buffer) }
    }

    func reset() { used = 0 }
}

extension StaticString {
    var utf8Buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: utf8Start, count: utf8CodeUnitCount) }
}
