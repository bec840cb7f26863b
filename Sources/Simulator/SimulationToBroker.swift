import Broker
import Foundation

/// `simulate --broker`: every device publishes through its own MQTT client, and the platform
/// through one more, on the fleet's schedule (real time divided by `speed`).
public enum SimulationToBroker {
    /// `session` says how to connect (credentials, TLS, protocol version); its client id is the
    /// prefix of every client's: `ID-platform`, `ID-0`, `ID-1`, …
    public static func run(_ options: SimulationOptions, broker: BrokerURL, session template: SessionOptions, speed: Double = 1,
                           status: (String) -> Void = { _ in }) throws -> InjectedFaults {
        var fleet = FleetSimulator(options: options)
        let prefix = template.clientID ?? "restrace-sim-\(options.seed)"
        func session(_ suffix: String) throws -> MosquittoSession {
            var o = template
            o.clientID = "\(prefix)-\(suffix)"
            let s = try MosquittoSession(broker: broker, options: o)
            try s.connect(giveUpAfter: .seconds(10))
            return s
        }
        let platform = try session("platform")
        var devices: [MosquittoSession] = []
        for i in 0..<options.devices { devices.append(try session(String(i))) }
        let wallStart = WallClock.monotonic()
        var published = 0
        var lastStatus = wallStart
        while let m = fleet.next() {
            let due = wallStart + UInt64(Double(m.time - options.start) / speed)
            let now = WallClock.monotonic()
            if due > now { Thread.sleep(forTimeInterval: Double(due - now) / 1e9) }
            let client = m.fromPlatform ? platform : devices[m.device]
            try client.publish(topic: m.topic, payload: m.payload, qos: Int(m.qos), retain: false, window: 1000)
            published += 1
            if WallClock.monotonic() - lastStatus > 500_000_000 {
                lastStatus = WallClock.monotonic()
                status("simulate: \(published) messages published, simulated time +\(Int(Double(m.time - options.start) / 1e9)) s")
            }
        }
        for c in [platform] + devices {
            _ = c.drain(timeout: 5)
            c.disconnect()
        }
        return fleet.injected
    }
}
