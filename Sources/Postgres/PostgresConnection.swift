internal import CLibpq
import Foundation

/// A connection to a PostgreSQL server through libpq: statements with text parameters, results
/// read row by row, and COPY for bulk rows. Not for use from two threads at once.
public final class PostgresConnection: @unchecked Sendable {
    // @unchecked: the caller serializes its use (libpq's connections are not shared between threads).
    private let connection: OpaquePointer

    /// Connects to the server `url` names (`postgres://USER@HOST:PORT/DB?…`, as libpq reads it)
    /// with `password`, if one is given. A password inside the URL is refused: a URL is given on
    /// the command line, where every user of the machine can read it.
    public init(url: String, password: String?) throws {
        if let userInfo = URLComponents(string: url)?.password, !userInfo.isEmpty {
            throw PostgresError(message: "the URL holds a password; give it in RESTRACE_DB_PASSWORD or --db-password-file instead (a command line is visible to every user)")
        }
        var keywords = ["dbname", "application_name", "client_encoding", "connect_timeout"]
        var values = [url, "restrace", "UTF8", "10"]
        if let password { keywords.append("password"); values.append(password) }
        let connection = Self.withCStrings(keywords) { k in Self.withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let connection else { throw PostgresError(message: "out of memory") }
        self.connection = connection
        // (On failure `deinit` finishes the connection: every property is set.)
        guard PQstatus(connection) == CONNECTION_OK else { throw PostgresError(message: lastError) }
        // Notices (such as "relation already exists, skipping") are not the user's business.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
    }

    deinit { PQfinish(connection) }

    /// Runs `sql` with `parameters` (`$1`, `$2`, … in text form; nil is NULL) and calls `body`
    /// with each row of the result as it arrives (the whole result is never held).
    public func query(_ sql: String, _ parameters: [String?] = [], _ body: (PostgresRow) throws -> Void) throws {
        try send(sql, parameters)
        guard PQsetSingleRowMode(connection) == 1 else { throw PostgresError(message: lastError) }
        var failure: Error?
        while let result = PQgetResult(connection) {
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_SINGLE_TUPLE:
                guard failure == nil else { continue }  // the rest is read and dropped
                do { try body(PostgresRow(result: result, row: 0)) } catch { failure = error }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK: break
            default: failure = failure ?? Self.error(of: result)
            }
        }
        if let failure { throw failure }
    }

    /// Runs `sql`, which returns no rows (or whose rows are not wanted).
    public func execute(_ sql: String, _ parameters: [String?] = []) throws {
        try send(sql, parameters)
        var failure: Error?
        while let result = PQgetResult(connection) {
            let status = PQresultStatus(result)
            if status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK { failure = failure ?? Self.error(of: result) }
            PQclear(result)
        }
        if let failure { throw failure }
    }

    /// Runs `script`, which may hold several statements and takes no parameters (DDL).
    public func executeScript(_ script: String) throws {
        guard let result = PQexec(connection, script) else { throw PostgresError(message: lastError) }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        if status != PGRES_COMMAND_OK, status != PGRES_TUPLES_OK { throw Self.error(of: result) }
    }

    /// Runs `COPY … FROM STDIN` (`sql`) with the bytes of `parts` one after the other, in the
    /// format `sql` names.
    public func copy(_ sql: String, data parts: UnsafeRawBufferPointer...) throws {
        guard let start = PQexec(connection, sql) else { throw PostgresError(message: lastError) }
        let status = PQresultStatus(start)
        let startError = status == PGRES_COPY_IN ? nil : Self.error(of: start)
        PQclear(start)
        if let startError { throw startError }
        var failure: String?
        for data in parts {
            var sent = 0
            while sent < data.count, failure == nil {
                let count = min(1 << 20, data.count - sent)
                let ok = PQputCopyData(connection, data.baseAddress!.advanced(by: sent).assumingMemoryBound(to: CChar.self), Int32(count))
                if ok != 1 { failure = lastError }
                sent += count
            }
        }
        _ = PQputCopyEnd(connection, failure)
        var error: Error? = failure.map { PostgresError(message: $0) }
        while let result = PQgetResult(connection) {
            if PQresultStatus(result) != PGRES_COMMAND_OK { error = error ?? Self.error(of: result) }
            PQclear(result)
        }
        if let error { throw error }
    }

    /// The connection's last error message, without its trailing line break.
    private var lastError: String {
        String(cString: PQerrorMessage(connection)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func send(_ sql: String, _ parameters: [String?]) throws {
        for p in parameters where p?.utf8.contains(0) == true {
            throw PostgresError(sqlState: "22021", message: "a text value holds a NUL byte, which PostgreSQL's text cannot store")
        }
        let sent = Self.withCStrings(parameters) { values in
            PQsendQueryParams(connection, sql, Int32(parameters.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw PostgresError(message: lastError) }
    }

    private static func error(of result: OpaquePointer) -> PostgresError {
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        let message = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            ?? String(cString: PQresultErrorMessage(result)).trimmingCharacters(in: .whitespacesAndNewlines)
        return PostgresError(sqlState: state, message: message.isEmpty ? "the connection was lost" : message)
    }

    /// Calls `body` with `strings` as C strings (nil stays a null pointer), and a null after them.
    private static func withCStrings<T>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> T) -> T {
        let copies = strings.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { $0.map { UnsafePointer($0) } } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
