internal import CLibpq
#if canImport(Glibc)
import Glibc
#endif

/// One row of a result, read in PostgreSQL's text format; valid while its result is.
public struct PostgresRow {
    let result: OpaquePointer
    let row: Int32

    public var columnCount: Int { Int(PQnfields(result)) }
    public func columnName(_ column: Int) -> String { String(cString: PQfname(result, Int32(column))) }
    public func isNull(_ column: Int) -> Bool { PQgetisnull(result, row, Int32(column)) != 0 }

    public func text(_ column: Int) -> String {
        let count = Int(PQgetlength(result, row, Int32(column)))
        return PQgetvalue(result, row, Int32(column)).withMemoryRebound(to: UInt8.self, capacity: count) {
            String(decoding: UnsafeBufferPointer(start: $0, count: count), as: UTF8.self)
        }
    }

    /// An integer (a `numeric` such as a `sum` is cut at its point; NULL is 0).
    public func int64(_ column: Int) -> Int64 { strtoll(PQgetvalue(result, row, Int32(column)), nil, 10) }

    /// A real (PostgreSQL 12 and later spell a float8 so that it reads back exactly; NULL is 0).
    public func double(_ column: Int) -> Double { strtod(PQgetvalue(result, row, Int32(column)), nil) }
}
