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
    public init(parsing topic: String) throws(ResourceTopicError) {
        let parts = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.first == "$resource" else { throw .notResource(topic) }
        if parts.count < 5 { throw .tooShort(topic, levels: parts.count) }
        if parts.count > 5 { throw .tooLong(topic, levels: parts.count) }
        guard let direction = Direction(rawValue: String(parts[1])) else {
            throw .unknownDirection(topic, String(parts[1]))
        }
        guard parts[2] == "service" else { throw .unknownVerb(topic, String(parts[2])) }
        if parts[3].isEmpty { throw .emptySegment(topic, "product") }
        if parts[4].isEmpty { throw .emptySegment(topic, "device") }
        self.init(direction: direction, product: String(parts[3]), device: String(parts[4]))
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
