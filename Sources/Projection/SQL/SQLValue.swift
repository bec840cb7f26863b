/// A value bound to a statement's `?` or read back: the projection's columns are integers, reals
/// and text (times are nanoseconds as Int64 bit patterns), the same on SQLite and PostgreSQL.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public init(_ v: Int64?) { self = v.map { .integer($0) } ?? .null }
    public init(_ v: Int?) { self = v.map { .integer(Int64($0)) } ?? .null }
    /// Times and other unsigned counts are stored as their bit pattern.
    public init(_ v: UInt64?) { self = v.map { .integer(Int64(bitPattern: $0)) } ?? .null }
    /// Not finite: NULL, as SQLite stores NaN.
    public init(_ v: Double?) { self = v.flatMap { $0.isFinite ? .real($0) : nil } ?? .null }
    public init(_ v: String?) { self = v.map { .text($0) } ?? .null }
}

/// A type a column is read as: `row[i] as Int64`, `row["name"] as String?`.
public protocol SQLReadable {
    static func read(_ row: some SQLRow, _ column: Int) -> Self
}

extension Int64: SQLReadable { public static func read(_ row: some SQLRow, _ i: Int) -> Int64 { row.int64(i) } }
extension Int: SQLReadable { public static func read(_ row: some SQLRow, _ i: Int) -> Int { Int(row.int64(i)) } }
extension Double: SQLReadable { public static func read(_ row: some SQLRow, _ i: Int) -> Double { row.double(i) } }
extension String: SQLReadable { public static func read(_ row: some SQLRow, _ i: Int) -> String { row.text(i) } }
extension Bool: SQLReadable { public static func read(_ row: some SQLRow, _ i: Int) -> Bool { row.int64(i) != 0 } }
