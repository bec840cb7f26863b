import Capture
import Foundation

/// A JSON value with ordered object keys, so reports print their keys in the documented order.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered() == b.rendered() }

    static func of(_ v: Int64?) -> JSONValue { v.map { .int($0) } ?? .null }
    static func of(_ v: Int?) -> JSONValue { v.map { .int(Int64($0)) } ?? .null }
    static func of(_ v: String?) -> JSONValue { v.map { .string($0) } ?? .null }
    static func of(_ v: Double?, digits: Int = 3) -> JSONValue {
        guard let v, v.isFinite else { return .null }
        let scale = pow(10, Double(digits))
        return .double((v * scale).rounded() / scale)
    }
    /// A time as an RFC 3339 UTC string with milliseconds.
    static func time(_ ns: UInt64?) -> JSONValue { ns.map { .string(ReportTime.format($0)) } ?? .null }

    /// Compact JSON text.
    public func rendered() -> String {
        var s = ""
        write(to: &s)
        return s
    }

    private func write(to s: inout String) {
        switch self {
        case .null: s += "null"
        case .bool(let b): s += b ? "true" : "false"
        case .int(let i): s += String(i)
        case .double(let d):
            if d == d.rounded(), abs(d) < 1e15 { s += String(Int64(d)) } else { s += String(d) }
        case .string(let t): Self.quote(t, into: &s)
        case .array(let a):
            s += "["
            for (i, v) in a.enumerated() { if i > 0 { s += "," }; v.write(to: &s) }
            s += "]"
        case .object(let o):
            s += "{"
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { s += "," }
                Self.quote(k, into: &s)
                s += ":"
                v.write(to: &s)
            }
            s += "}"
        }
    }

    static func quote(_ t: String, into s: inout String) { JSONLines.appendQuoted(t, to: &s) }

    /// The text of a scalar for tables and CSV ("" for null).
    var cell: String {
        switch self {
        case .null: ""
        case .bool(let b): b ? "yes" : "no"
        case .int(let i): String(i)
        case .double(let d): d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(format: "%.3f", d)
        case .string(let t): t
        case .array, .object: rendered()
        }
    }
}

/// Times in reports: RFC 3339 UTC with milliseconds.
enum ReportTime {
    static func format(_ ns: UInt64) -> String { Timestamp.format(ns, fractionDigits: 3) }
}
