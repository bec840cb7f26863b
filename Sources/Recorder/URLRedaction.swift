/// Replaces the query string (the pre-signed credentials) of every `"url"` value in a JSON payload
/// with `REDACTED`, byte for byte everywhere else.
public enum URLRedaction {
    private static let key = Array(#""url""#.utf8)
    private static let replacement = Array("REDACTED".utf8)

    public static func redact(_ payload: [UInt8]) -> [UInt8] {
        guard let first = find(key, in: payload, from: 0) else { return payload }
        var out: [UInt8] = []
        out.reserveCapacity(payload.count)
        var copied = 0
        var search: Int? = first
        while let k = search {
            var i = k + key.count
            while i < payload.count, payload[i] == 0x20 || payload[i] == 0x09 { i += 1 }
            guard i < payload.count, payload[i] == UInt8(ascii: ":") else { search = find(key, in: payload, from: k + 1); continue }
            i += 1
            while i < payload.count, payload[i] == 0x20 || payload[i] == 0x09 { i += 1 }
            guard i < payload.count, payload[i] == UInt8(ascii: "\"") else { search = find(key, in: payload, from: i); continue }
            var end = i + 1
            var question: Int?
            while end < payload.count, payload[end] != UInt8(ascii: "\"") {
                if payload[end] == UInt8(ascii: "\\") { end += 1 }
                else if payload[end] == UInt8(ascii: "?"), question == nil { question = end }
                end += 1
            }
            if let q = question, end <= payload.count {
                out.append(contentsOf: payload[copied...q])
                out.append(contentsOf: replacement)
                copied = end
            }
            search = find(key, in: payload, from: end)
        }
        out.append(contentsOf: payload[copied...])
        return out
    }

    private static func find(_ needle: [UInt8], in hay: [UInt8], from: Int) -> Int? {
        guard needle.count <= hay.count, from <= hay.count - needle.count else { return nil }
        var i = from
        while i <= hay.count - needle.count {
            if hay[i] == needle[0], hay[i..<i + needle.count].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
