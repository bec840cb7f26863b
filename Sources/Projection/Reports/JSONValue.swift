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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        write(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the compact JSON text as UTF-8 (bytes, not String appends: `report tasks` renders
    /// hundreds of thousands of objects).
    func write(to s: inout [UInt8]) {
        switch self {
        case .null: s.append(contentsOf: "null".utf8)
        case .bool(let b): s.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): s.append(contentsOf: String(i).utf8)
        case .double(let d):
            s.append(contentsOf: (d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)).utf8)
        case .string(let t): JSONLines.appendQuoted(t, to: &s)
        case .array(let a):
            s.append(0x5B)
            for (i, v) in a.enumerated() { if i > 0 { s.append(0x2C) }; v.write(to: &s) }
            s.append(0x5D)
        case .object(let o):
            s.append(0x7B)
            for (i, (k, v)) in o.enumerated() {
                if i > 0 { s.append(0x2C) }
                JSONLines.appendQuoted(k, to: &s)
                s.append(0x3A)
                v.write(to: &s)
            }
            s.append(0x7D)
        }
    }

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
