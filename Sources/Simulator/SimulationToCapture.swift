import Capture
import Foundation

/// `simulate --out`: writes the fleet straight into a capture, as fast as it can, with the
/// recorder's started/stopped events and any blind windows asked for.
public enum SimulationToCapture {
    public static func write(_ options: SimulationOptions, to directory: String,
                             writerOptions: CaptureWriter.Options = .init()) throws -> InjectedFaults {
        var fleet = FleetSimulator(options: options)
        var writerOptions = writerOptions
        writerOptions.metadata.merge(["simulated": "true", "seed": String(options.seed), "version": "restrace simulate"]) { a, _ in a }
        let writer = try CaptureWriter(directory: directory, options: writerOptions)
        let end = options.start + options.duration.nanoseconds
        var windows: [(from: UInt64, to: UInt64)] = []
        if options.blindWindows > 0 {
            var rng = SeededRandom(seed: options.seed ^ 0xB11D)
            let slot = options.duration.nanoseconds / UInt64(options.blindWindows)
            for k in 0..<UInt64(options.blindWindows) {
                let from = options.start + k * slot + UInt64(rng.uniform(0.2, 0.5) * Double(slot))
                windows.append((from, min(end - 1, from + UInt64(rng.uniform(20, 60) * 1e9))))
            }
        }
        try writer.write(recorderEvent("started", at: options.start, ["broker": "simulated"]))
        try writer.write(recorderEvent("connected", at: options.start, [:]))
        var window = 0
        var last = options.start
        while let m = fleet.next() {
            while window < windows.count, m.time >= windows[window].to {
                try writer.write(recorderEvent("disconnected", at: windows[window].from, ["reason": "simulated blind window"]))
                try writer.write(recorderEvent("connected", at: windows[window].to, [:]))
                fleet.injected.blindWindows += 1
                window += 1
            }
            if window < windows.count, m.time >= windows[window].from {
                fleet.uncount(m)
                continue
            }
            try writer.write(CapturedMessage(time: m.time, topic: m.topic, qos: m.qos, payload: m.payload))
            last = m.time
        }
        while window < windows.count, windows[window].from <= last {
            try writer.write(recorderEvent("disconnected", at: windows[window].from, ["reason": "simulated blind window"]))
            try writer.write(recorderEvent("connected", at: max(windows[window].to, last), [:]))
            fleet.injected.blindWindows += 1
            window += 1
        }
        try writer.write(recorderEvent("stopped", at: max(last, end - 1), [:]))
        try writer.close()
        return fleet.injected
    }

    static func recorderEvent(_ event: String, at time: UInt64, _ fields: [String: String]) -> CapturedMessage {
        var object = fields
        object["event"] = event
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return CapturedMessage(time: time, topic: CapturedMessage.recorderTopic, qos: 0, payload: Array(data))
    }
}
