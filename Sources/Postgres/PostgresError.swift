/// An error from the server or from libpq, as people read it: the SQLSTATE code when the server
/// sent one, and its message (never the statement that met it).
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// The five-character SQLSTATE (`23505` unique violation, `57P01` server shutting down), or
    /// nil when the error was the connection's (refused, lost).
    public var sqlState: String?
    public var message: String

    public init(sqlState: String? = nil, message: String) {
        self.sqlState = sqlState
        self.message = message
    }

    public var description: String {
        "PostgreSQL error\(sqlState.map { " \($0)" } ?? ""): \(message)"
    }
}
