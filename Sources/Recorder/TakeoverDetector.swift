import Foundation

/// Tells a client id used by two clients from a broker that merely went away. A broker keeps one
/// connection per client id: a second client with the same id takes the session over, the first
/// reconnects and takes it back, and each keeps about half the traffic. MQTT 5 names the reason
/// ("session taken over"); MQTT 3.1.1 only closes the connection, so the sign there is the
/// pattern: connections the broker accepted, lost again and again within seconds.
struct TakeoverDetector {
    /// Lost connections shorter than this count as knocked off.
    var shortConnection = 10.0
    /// This many within `window` seconds are the pattern.
    var limit = 4
    var window = 30.0
    private var connectedAt: Double?
    private var drops: [Double] = []

    mutating func connected(at time: Double) { connectedAt = time }

    /// Records a disconnection at `time` (s, any monotonic origin); true when it shows the
    /// session being taken over.
    mutating func disconnected(at time: Double, reason: String) -> Bool {
        defer { connectedAt = nil }
        if reason.range(of: "session taken over", options: .caseInsensitive) != nil { return true }
        guard let since = connectedAt, time - since < shortConnection else { return false }
        drops.append(time)
        drops.removeAll { time - $0 > window }
        return drops.count >= limit
    }
}
