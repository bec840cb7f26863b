import Foundation

/// The JSON Lines form of a capture (docs/capture-format.md): one object a line with `time`, `time_ns`,
/// `topic`, `qos`, `retain` and `payload` (or `payload_base64` when it is not valid UTF-8).
public enum JSONLines {
    /// One line (without the newline) for `message`, as UTF-8.
    public static func line(for m: CapturedMessage) -> [UInt8] {
        var s: [UInt8] = []
        s.reserveCapacity(m.payload.count + m.topic.utf8.count + 128)
        s += "{\"time\":\"".utf8
        Timestamp.append(m.time, to: &s)
        s += "\",\"time_ns\":\(m.time),\"topic\":".utf8
        appendQuoted(m.topic, to: &s)
        s += ",\"qos\":\(m.qos),\"retain\":\(m.retain),".utf8
        if let text = String(validating: m.payload, as: UTF8.self) {
            s += "\"payload\":".utf8
            appendQuoted(text, to: &s)
        } else {
            s += "\"payload_base64\":\"\(Data(m.payload).base64EncodedString())\"".utf8
        }
        s.append(0x7D)
        return s
    }

    /// Appends `text` as a JSON string literal, as UTF-8.
    public static func appendQuoted(_ text: String, to out: inout [UInt8]) {
        out.append(0x22)
        var text = text
        let plain = text.withUTF8 { utf8 in
            guard !utf8.contains(where: mayNeedEscape) else { return false }
            out.append(contentsOf: utf8)
            return true
        }
        if !plain {
            for u in text.unicodeScalars {
                if let e = escape(u) { out.append(contentsOf: e.utf8) } else { out.append(contentsOf: UTF8.encode(u)!) }
            }
        }
        out.append(0x22)
    }

    /// Bytes that may start something to escape (0xE2 starts U+2028 and U+2029).
    private static func mayNeedEscape(_ b: UInt8) -> Bool { b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F || b == 0xE2 }

    /// The escape sequence of `u` in a JSON string, or nil when it stands as it is.
    private static func escape(_ u: Unicode.Scalar) -> String? {
        switch u {
        case "\"": return "\\\""
        case "\\": return "\\\\"
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        case _ where u.value < 0x20 || u.value == 0x7F || u.value == 0x2028 || u.value == 0x2029:
            let hex = String(u.value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: return nil
        }
    }

    private struct Line: Decodable {
        var time: String?
        var time_ns: UInt64?
        var topic: String
        var qos: UInt8?
        var retain: Bool?
        var payload: String?
        var payload_base64: String?
    }

    /// Parses one line; the error says what is wrong with it.
    public static func parse(_ line: ArraySlice<UInt8>) throws(ImportError) -> CapturedMessage {
        let decoded: Line
        do {
            decoded = try JSONDecoder().decode(Line.self, from: Data(line))
        } catch let DecodingError.keyNotFound(key, _) {
            throw .invalid("missing \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, ctx) where !ctx.codingPath.isEmpty {
            throw .invalid("wrong type for \"\(ctx.codingPath.map(\.stringValue).joined(separator: "."))\"")
        } catch {
            throw .invalid(diagnosis(of: line))
        }
        let time: UInt64
        if let ns = decoded.time_ns { time = ns }
        else if let t = decoded.time { guard let ns = Timestamp.parse(t) else { throw .invalid("bad time \"\(t)\"") }; time = ns }
        else { throw .invalid("needs \"time_ns\" or \"time\"") }
        let payload: [UInt8]
        if let p = decoded.payload { payload = Array(p.utf8) }
        else if let b = decoded.payload_base64 {
            guard let d = Data(base64Encoded: b) else { throw .invalid("payload_base64 is not base64") }
            payload = Array(d)
        } else { throw .invalid("needs \"payload\" or \"payload_base64\"") }
        guard (decoded.qos ?? 0) <= 2 else { throw .invalid("qos must be 0, 1 or 2") }
        return CapturedMessage(time: time, topic: decoded.topic, qos: decoded.qos ?? 0, retain: decoded.retain ?? false, payload: payload)
    }
}

extension JSONLines {
    /// Why a line that the decoder refused is wrong: not JSON, not an object, or a number out of
    /// range (the decoder reports all three as invalid JSON).
    static func diagnosis(of line: ArraySlice<UInt8>) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed]) else { return "not valid JSON" }
        guard let fields = object as? [String: Any] else { return "not a JSON object" }
        if let t = fields["time_ns"], !(t is NSNull), UInt64("\(t)") == nil {
            return "\"time_ns\" must be a whole number of ns from 0 to \(UInt64.max), not \(t)"
        }
        if let q = fields["qos"], !(q is NSNull), UInt8("\(q)").map({ $0 <= 2 }) != true { return "qos must be 0, 1 or 2, not \(q)" }
        return "a value of the wrong type or out of range"
    }
}

/// What `mosquitto_sub -v -F '%U %t %p'` prints: `SECONDS.NANOS TOPIC PAYLOAD` a line.
public enum MosquittoSubLines {
    public static func parse(_ line: ArraySlice<UInt8>) throws(ImportError) -> CapturedMessage {
        guard let s1 = line.firstIndex(of: 0x20) else { throw .invalid("expected 'TIME TOPIC PAYLOAD'") }
        let timeText = String(decoding: line[line.startIndex..<s1], as: UTF8.self)
        guard let time = Timestamp.parseUnixSeconds(timeText) else {
            throw .invalid("bad time '\(timeText.prefix(40))' (expected seconds.nanoseconds, as %U prints)")
        }
        let rest = line[(s1 + 1)...]
        let s2 = rest.firstIndex(of: 0x20) ?? rest.endIndex
        let topic = String(decoding: rest[rest.startIndex..<s2], as: UTF8.self)
        guard !topic.isEmpty else { throw .invalid("empty topic") }
        let payload = s2 < rest.endIndex ? Array(rest[(s2 + 1)...]) : []
        return CapturedMessage(time: time, topic: topic, qos: 0, retain: false, payload: payload)
    }

    public static func line(for m: CapturedMessage) -> [UInt8] {
        let secs = m.time / 1_000_000_000, frac = String(m.time % 1_000_000_000)
        return Array("\(secs).\(String(repeating: "0", count: 9 - frac.count))\(frac) \(m.topic) ".utf8) + m.payload
    }
}

/// A line of an import file that cannot be read.
public enum ImportError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let r): r }
    }
}
