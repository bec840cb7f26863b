import Foundation

/// One message of the simulated fleet, in time order.
public struct SimulatedMessage: Sendable {
    public var time: UInt64
    public var topic: String
    public var qos: UInt8
    public var payload: [UInt8]
    /// Index of the device the message is from or to.
    public var device: Int
    /// True for messages the platform sends.
    public var fromPlatform: Bool
    /// What this message injects, counted when it is emitted.
    var fault: Fault?

    enum Fault: Sendable {
        case failure(String)
        case stall
        case pause
        case unanswered
        case malformed
        case overflow
        case idlePoll
        case done(String)
    }
}

/// A seeded generator (SplitMix64): the same seed gives the same fleet.
struct SeededRandom {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func chance(_ p: Double) -> Bool { unit() < p }
    mutating func uniform(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * unit() }
    mutating func logUniform(_ lo: Double, _ hi: Double) -> Double { lo * pow(hi / lo, unit()) }
    mutating func pick<T>(_ a: [T]) -> T { a[Int(next() % UInt64(a.count))] }
}
