import Foundation

/// `--url-base`: the `url` of a captured answer pointed at another server (a local file server
/// standing in for the storage), the rest of the payload kept byte for byte.
enum URLRewriting {
    static func rewrite(_ payload: [UInt8], base: URLComponents) -> [UInt8] {
        guard var text = String(validating: payload, as: UTF8.self), let key = text.range(of: #""url""#) else { return payload }
        var i = key.upperBound
        while i < text.endIndex, text[i] == " " || text[i] == ":" { i = text.index(after: i) }
        guard i < text.endIndex, text[i] == "\"" else { return payload }
        let valueStart = text.index(after: i)
        var j = valueStart
        while j < text.endIndex, text[j] != "\"" { j = text.index(after: j) }
        guard j < text.endIndex, var url = URLComponents(string: String(text[valueStart..<j])) else { return payload }
        url.scheme = base.scheme
        url.host = base.host
        url.port = base.port
        guard let rewritten = url.string else { return payload }
        text.replaceSubrange(valueStart..<j, with: rewritten)
        return Array(text.utf8)
    }
}
