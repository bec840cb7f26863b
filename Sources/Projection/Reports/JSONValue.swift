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
    /// JSON text already written (`JSONObjectWriter`): a report of thousands of tasks builds one
    /// byte array per task instead of a tree of values.
    case raw([UInt8])

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
        case .raw(let bytes): s.append(contentsOf: bytes)
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
        case .array, .object, .raw: rendered()
        }
    }
}

/// Writes one JSON object's text field by field, in the order written, as `JSONValue.object`
/// renders it.
struct JSONObjectWriter {
    private(set) var bytes: [UInt8] = [0x7B]

    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    private mutating func key(_ k: StaticString) {
        if bytes.count > 1 { bytes.append(0x2C) }
        bytes.append(0x22)
        k.withUTF8Buffer { bytes.append(contentsOf: $0) }  // keys are plain ASCII: nothing to escape
        bytes.append(contentsOf: [0x22, 0x3A])
    }

    mutating func field(_ k: StaticString, _ v: JSONValue) { key(k); v.write(to: &bytes) }
    mutating func field(_ k: StaticString, _ v: String?) {
        key(k)
        if let v { JSONLines.appendQuoted(v, to: &bytes) } else { bytes.append(contentsOf: "null".utf8) }
    }
    /// A time as `JSONValue.time` writes it, without making a String.
    mutating func field(_ k: StaticString, time ns: UInt64?) {
        key(k)
        guard let ns else { bytes.append(contentsOf: "null".utf8); return }
        bytes.append(0x22)
        Timestamp.append(ns, fractionDigits: ReportTime.fractionDigits, to: &bytes)
        bytes.append(0x22)
    }

    /// Closes the object and gives it.
    mutating func close() -> JSONValue {
        bytes.append(0x7D)
        return .raw(bytes)
    }
}

/// Times in reports: RFC 3339 UTC with milliseconds.
enum ReportTime {
    static let fractionDigits = 3
    static func format(_ ns: UInt64) -> String { Timestamp.format(ns, fractionDigits: fractionDigits) }
}
