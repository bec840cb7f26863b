/// One row of a result, read column by column. A row given to `SQLConnection.each`'s body is
/// valid only during that call (it reads the database's own buffers); `SQLRecord` keeps one.
public protocol SQLRow {
    var columnCount: Int { get }
    func columnName(_ column: Int) -> String
    func isNull(_ column: Int) -> Bool
    /// The value as an integer (NULL: 0; a real is truncated; text is parsed).
    func int64(_ column: Int) -> Int64
    /// The value as a real (NULL: 0).
    func double(_ column: Int) -> Double
    /// The value as text (NULL: empty).
    func text(_ column: Int) -> String
    /// The value as stored (an integer, a real or text), to be kept.
    func value(_ column: Int) -> SQLValue
}

extension SQLRow {
    public subscript<T: SQLReadable>(_ column: Int) -> T { T.read(self, column) }
    public subscript<T: SQLReadable>(_ column: Int) -> T? { isNull(column) ? nil : T.read(self, column) }
    public subscript<T: SQLReadable>(_ name: String) -> T { T.read(self, index(of: name)) }
    public subscript<T: SQLReadable>(_ name: String) -> T? {
        let i = index(of: name)
        return isNull(i) ? nil : T.read(self, i)
    }

    /// The column called `name`; a name the query does not select is a bug in restrace.
    public func index(of name: String) -> Int {
        for i in 0..<columnCount where columnName(i) == name { return i }
        preconditionFailure("no column \(name) in the result")
    }

    /// Text, for a connection that reads every value as text (PostgreSQL's text format).
    public func value(_ column: Int) -> SQLValue {
        isNull(column) ? .null : .text(text(column))
    }
}

/// A row kept after its query: the values as text or numbers, with the columns' names.
public struct SQLRecord: SQLRow, Sendable {
    let names: [String]
    let values: [SQLValue]

    /// Copies `row`, whose columns are called `names`.
    init(_ row: some SQLRow, names: [String]) {
        self.names = names
        values = (0..<names.count).map(row.value)
    }

    public var columnCount: Int { values.count }
    public func columnName(_ i: Int) -> String { names[i] }
    public func isNull(_ i: Int) -> Bool { values[i] == .null }
    public func value(_ i: Int) -> SQLValue { values[i] }

    public func int64(_ i: Int) -> Int64 {
        switch values[i] {
        case .null: 0
        case .integer(let v): v
        case .real(let v): v.isFinite ? Int64(v) : 0
        case .text(let v): SQLText.int64(v)
        }
    }

    public func double(_ i: Int) -> Double {
        switch values[i] {
        case .null: 0
        case .integer(let v): Double(v)
        case .real(let v): v
        case .text(let v): Double(v) ?? 0
        }
    }

    public func text(_ i: Int) -> String {
        switch values[i] {
        case .null: ""
        case .integer(let v): String(v)
        case .real(let v): "\(v)"
        case .text(let v): v
        }
    }
}

/// Numbers spelled as text, as PostgreSQL sends them.
enum SQLText {
    /// An integer, or the integer part of a decimal (`sum` of integers is a numeric in PostgreSQL).
    static func int64(_ s: String) -> Int64 {
        if let v = Int64(s) { return v }
        if let d = Double(s), d.isFinite { return Int64(d) }
        return 0
    }
}
