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
    /// Works on the UTF-8 bytes, allocating nothing but the product and device: it runs once for
    /// every message projected. (The literals it compares with are ASCII, which no other spelling
    /// is canonically equivalent to, so comparing bytes is comparing strings.)
    public init(parsing topic: String) throws(ResourceTopicError) {
        let parsed = topic.utf8.withContiguousStorageIfAvailable { Self.parse($0, topic) } ?? Array(topic.utf8).withUnsafeBufferPointer { Self.parse($0, topic) }
        self = try parsed.get()
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ topic: String) -> Result<ResourceTopic, ResourceTopicError> {
        // Where each of the five levels starts and ends; `slashes` counts them all.
        var ends = (0, 0, 0, 0)
        var slashes = 0
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "/") {
            switch slashes {
            case 0: ends.0 = i
            case 1: ends.1 = i
            case 2: ends.2 = i
            case 3: ends.3 = i
            default: break
            }
            slashes += 1
        }
        func start(_ k: Int) -> Int {
            switch k {
            case 0: 0
            case 1: ends.0 + 1
            case 2: ends.1 + 1
            case 3: ends.2 + 1
            default: ends.3 + 1
            }
        }
        func level(_ k: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: bytes[start(k)..<(k < slashes ? start(k + 1) - 1 : bytes.count)])
        }
        func text(_ level: UnsafeBufferPointer<UInt8>) -> String { String(decoding: level, as: UTF8.self) }
        let levels = slashes + 1
        guard level(0).equals("$resource") else { return .failure(.notResource(topic)) }
        if levels < 5 { return .failure(.tooShort(topic, levels: levels)) }
        if levels > 5 { return .failure(.tooLong(topic, levels: levels)) }
        let direction: Direction
        if level(1).equals("up") { direction = .up } else if level(1).equals("down") { direction = .down } else {
            return .failure(.unknownDirection(topic, text(level(1))))
        }
        guard level(2).equals("service") else { return .failure(.unknownVerb(topic, text(level(2)))) }
        let product = level(3), device = level(4)
        if product.isEmpty { return .failure(.emptySegment(topic, "product")) }
        if device.isEmpty { return .failure(.emptySegment(topic, "device")) }
        return .success(ResourceTopic(direction: direction, product: text(product), device: text(device)))
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

    /// The topic that is not well formed.
    public var topic: String {
        switch self {
        case .notResource(let t), .tooShort(let t, _), .tooLong(let t, _), .unknownDirection(let t, _), .unknownVerb(let t, _),
             .emptySegment(let t, _): t
        }
    }

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
