/// Which way a `$resource` message travels.
public enum Direction: String, Sendable, Hashable, CaseIterable {
    /// Device to platform.
    case up
    /// Platform to device.
    case down
}

/// A parsed `$resource/{up|down}/service/{product}/{device}` topic.
///
/// Device names are free text (any UTF-8 except `/`); product ids are kept as given.
public struct ResourceTopic: Sendable, Hashable, CustomStringConvertible {
    public var direction: Direction
    public var product: String
    public var device: String

    public init(direction: Direction, product: String, device: String) {
        self.direction = direction
        self.product = product
        self.device = device
    }

    /// The MQTT topic string.
    public var description: String { "$resource/\(direction.rawValue)/service/\(product)/\(device)" }

    /// The topic of the same device in the other direction.
    public var reversed: ResourceTopic {
        ResourceTopic(direction: direction == .up ? .down : .up, product: product, device: device)
    }

    /// Parses a topic, or throws a `ResourceTopicError` that names what is wrong with its shape.
    /// Works on the UTF-8 bytes: it runs once for every message projected.
    public init(parsing topic: String) throws(ResourceTopicError) {
        let utf8 = topic.utf8
        var slashes: [String.Index] = []
        slashes.reserveCapacity(5)
        var i = utf8.startIndex
        while i != utf8.endIndex {
            if utf8[i] == UInt8(ascii: "/") { slashes.append(i) }
            i = utf8.index(after: i)
        }
        func part(_ k: Int) -> Substring {
            let from = k == 0 ? topic.startIndex : topic.utf8.index(after: slashes[k - 1])
            let to = k < slashes.count ? slashes[k] : topic.endIndex
            return topic[from..<to]
        }
        let levels = slashes.count + 1
        guard part(0) == "$resource" else { throw .notResource(topic) }
        if levels < 5 { throw .tooShort(topic, levels: levels) }
        if levels > 5 { throw .tooLong(topic, levels: levels) }
        let dir = part(1)
        let direction: Direction
        if dir == "up" { direction = .up } else if dir == "down" { direction = .down } else { throw .unknownDirection(topic, String(dir)) }
        guard part(2) == "service" else { throw .unknownVerb(topic, String(part(2))) }
        let product = part(3), device = part(4)
        if product.isEmpty { throw .emptySegment(topic, "product") }
        if device.isEmpty { throw .emptySegment(topic, "device") }
        self.init(direction: direction, product: String(product), device: String(device))
    }
}

/// Why a topic is not a well-formed `$resource` topic.
public enum ResourceTopicError: Error, Sendable, Equatable, CustomStringConvertible {
    case notResource(String)
    case tooShort(String, levels: Int)
    case tooLong(String, levels: Int)
    case unknownDirection(String, String)
    case unknownVerb(String, String)
    case emptySegment(String, String)

    public var description: String {
        switch self {
        case .notResource(let t): "topic \(t) does not start with $resource/"
        case .tooShort(let t, let n): "topic \(t) has \(n) levels, expected 5"
        case .tooLong(let t, let n): "topic \(t) has \(n) levels, expected 5"
        case .unknownDirection(let t, let d): "topic \(t) has unknown direction '\(d)' (expected up or down)"
        case .unknownVerb(let t, let v): "topic \(t) has unknown verb '\(v)' (expected service)"
        case .emptySegment(let t, let what): "topic \(t) has an empty \(what)"
        }
    }
}
