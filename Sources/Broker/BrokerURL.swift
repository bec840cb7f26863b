/// `mqtt://HOST:PORT` or `mqtts://HOST:PORT` (a user name in the URL is accepted; a password is not).
public struct BrokerURL: Sendable, Equatable, CustomStringConvertible {
    public var tls: Bool
    public var host: String
    public var port: Int
    public var username: String?

    public init(tls: Bool = false, host: String, port: Int? = nil, username: String? = nil) {
        self.tls = tls
        self.host = host
        self.port = port ?? (tls ? 8883 : 1883)
        self.username = username
    }

    public init(parsing text: String) throws(BrokerError) {
        var rest = Substring(text)
        if rest.hasPrefix("mqtt://") { tls = false; rest = rest.dropFirst(7) }
        else if rest.hasPrefix("mqtts://") { tls = true; rest = rest.dropFirst(8) }
        else if rest.hasPrefix("tcp://") { tls = false; rest = rest.dropFirst(6) }
        else if rest.contains("://") { throw .badURL(text, "unknown scheme (expected mqtt:// or mqtts://)") }
        else { tls = false }
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else { throw .badURL(text, "a broker URL has no path") }
            rest = rest[..<slash]
        }
        if let at = rest.lastIndex(of: "@") {
            let user = rest[..<at]
            if user.contains(":") { throw .badURL(text, "put no password in the URL: use --password-file or RESTRACE_PASSWORD") }
            username = String(user)
            rest = rest[rest.index(after: at)...]
        }
        var hostPart = rest
        var port: Int?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw .badURL(text, "unclosed [") }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { port = Int(after.dropFirst()); if port == nil { throw .badURL(text, "bad port") } }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            guard let p = Int(rest[rest.index(after: colon)...]) else { throw .badURL(text, "bad port") }
            port = p
        }
        guard !hostPart.isEmpty else { throw .badURL(text, "no host") }
        if let port, !(1...65535).contains(port) { throw .badURL(text, "port out of range") }
        host = String(hostPart)
        self.port = port ?? (tls ? 8883 : 1883)
    }

    /// The URL without credentials, fit for logs and capture metadata.
    public var description: String { "\(tls ? "mqtts" : "mqtt")://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
}

/// Everything that can go wrong talking to a broker.
public enum BrokerError: Error, Sendable, Equatable, CustomStringConvertible {
    case badURL(String, String)
    case library(operation: String, reason: String)
    case connectionRefused(broker: String, reason: String)
    case notConnected
    case gaveUp(broker: String, after: Duration, lastReason: String)
    /// Published messages went unacknowledged for `seconds`: the broker is gone or not accepting.
    case stalled(broker: String, seconds: Int, unacknowledged: Int)
    /// A wait was cut short by a stop request (Ctrl-C).
    case interrupted

    public var description: String {
        switch self {
        case .badURL(let u, let r): "broker URL '\(u)': \(r)"
        case .library(let op, let r): "libmosquitto \(op): \(r)"
        case .connectionRefused(let b, let r): "\(b): connection refused: \(r)"
        case .notConnected: "not connected to the broker"
        case .gaveUp(let b, let s, let r): "\(b): gave up after \(s.components.seconds) s without a connection (last: \(r))"
        case .stalled(let b, let s, let n): "\(b): no acknowledgement for \(s) s with \(n) messages in flight (the broker is gone or not accepting)"
        case .interrupted: "interrupted"
        }
    }
}
