import ArgumentParser
import Capture
import Foundation
import Broker
import Replayer
import Selection
import Simulator

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a deterministic fleet of devices and their platform, into a capture or onto a broker.",
        discussion: """
        Examples:
          restrace simulate --devices 50 --duration 10m --out sim/
          restrace simulate --devices 1000 --duration 2h --seed 7 --out big/      (some 300 000 messages a second)
          restrace simulate --devices 100 --duration 30s --broker mqtt://127.0.0.1:1883
          restrace simulate --failure-rate 0.3 --stall-rate 0 --out failures/

        The same seed and options give the same capture, byte for byte. What was injected (failures per \
        kind/failed_by/code, stalls, malformed payloads, …) is printed as JSON.
        """)

    @Option(help: "Number of devices.") var devices = 20
    @Option(help: "Number of products the devices belong to.") var products = 2
    @Option(help: ArgumentHelp("Simulated time span (\(DurationArgument.forms)).", valueName: "duration"))
    var duration = DurationArgument(nanoseconds: 600_000_000_000)
    @Option(help: "Seed of the generator.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("Simulated clock at the start (RFC 3339); default 2026-11-26T00:00:00Z.", valueName: "time"))
    var start: String?
    @Option(help: "Share of transfers failing on the device (-1…-4, then the generic -1).") var failureRate = 0.1
    @Option(help: "Share of transfers the platform rejects.") var rejectionRate = 0.03
    @Option(help: "Share of transfers where the device goes silent for good.") var stallRate = 0.02
    @Option(help: "Share of transfers where the device goes silent for 20–90 s.") var pauseRate = 0.03
    @Option(help: "Share of upload requests the platform never answers.") var unansweredRate = 0.02
    @Option(help: "Share of uploads with an unescaped quote in the name (invalid JSON).") var malformedRate = 0.01
    @Option(help: "Share of files over 43 MB (32-bit percent overflow).") var largeFileRate = 0.02
    @Option(help: ArgumentHelp("How often a transferring device reports progress (\(DurationArgument.forms)).", valueName: "duration"))
    var progressEvery = DurationArgument(nanoseconds: 1_000_000_000)
    @Option(help: "Recorder blind windows to inject (--out only).") var blindWindows = 0
    @Flag(help: "No faults at all: every transfer succeeds.") var noFaults = false

    @Option(help: "Write the capture into this directory, as fast as possible.") var out: String?
    @Option(help: "Publish through this broker in real time (mqtt://HOST:PORT).") var broker: String?
    @Option(help: "With --broker: run this many times faster than real time.") var speed = 1.0
    @Option(help: "With --broker: run only this side live, as a counterpart for `replay --play`: platform answers the live devices' requests as the simulation does, devices play the simulated devices against a live platform. The answers depend on the seed and the task, not on when live requests come.")
    var serve: ServeSide?
    @Option(help: ArgumentHelp("With --serve: end after this long without a live message.", valueName: "duration"))
    var idleTimeout = DurationArgument(nanoseconds: 30_000_000_000)
    /// With --broker: how to reach it (each simulated device is a client of its own, its id the
    /// --client-id followed by its number).
    @OptionGroup var connection: BrokerOptions

    enum ServeSide: String, ExpressibleByArgument, CaseIterable { case platform, devices }

    func validate() throws {
        guard (out == nil) != (broker == nil) else { throw ValidationError("give exactly one of --out DIR or --broker URL") }
        if let broker { _ = try brokerArgument(broker) }
        if serve != nil, broker == nil { throw ValidationError("--serve needs --broker") }
        if serve != nil, blindWindows > 0 { throw ValidationError("--blind-windows goes with --out, not --serve") }
        guard devices > 0, products > 0 else { throw ValidationError("--devices and --products must be positive") }
        guard speed > 0 else { throw ValidationError("--speed must be positive") }
        guard progressEvery.nanoseconds >= 1_000_000 else { throw ValidationError("--progress-every must be at least 1ms") }
        if let start, Timestamp.parse(start) == nil { throw ValidationError("--start: expected RFC 3339, such as 2026-11-26T18:22:39Z") }
        for (name, v) in [("failure", failureRate), ("rejection", rejectionRate), ("stall", stallRate), ("pause", pauseRate),
                          ("unanswered", unansweredRate), ("malformed", malformedRate), ("large-file", largeFileRate)] where !(0...1).contains(v) {
            throw ValidationError("--\(name)-rate must be between 0 and 1")
        }
    }

    var options: SimulationOptions {
        var o = SimulationOptions()
        o.devices = devices
        o.products = products
        o.duration = duration.duration
        o.seed = seed
        if let start { o.start = Timestamp.parse(start)! }
        o.failureRate = failureRate
        o.rejectionRate = rejectionRate
        o.stallRate = stallRate
        o.pauseRate = pauseRate
        o.unansweredRate = unansweredRate
        o.malformedRate = malformedRate
        o.largeFileRate = largeFileRate
        o.progressInterval = progressEvery.duration
        o.blindWindows = blindWindows
        if noFaults { o.disableFaults() }
        return o
    }

    func run() throws {
        let started = Date()
        let injected: InjectedFaults
        if let serve { return try serveLive(serve, options) }
        if let out {
            injected = try SimulationToCapture.write(options, to: out)
        } else {
            let session = try connection.session(defaultClientID: "restrace-sim-\(options.seed)")
            injected = try SimulationToBroker.run(options, broker: try brokerArgument(broker!), session: session, speed: speed) { status in
                if stderrIsTerminal { printError("\u{1B}[2K\r\(status)", newline: false) }
            }
            if stderrIsTerminal { printError("") }
        }
        let seconds = Date().timeIntervalSince(started)
        let data = try JSONEncoder.sorted.encode(injected)
        print(String(decoding: data, as: UTF8.self))
        printError(String(format: "simulated %d messages of %d devices in %.2f s", injected.messages, devices, seconds)
                   + (out.map { " into \($0)" } ?? ""))
    }
}

extension SimulateCommand {
    /// `--serve`: one side of the simulated conversations played live, exactly as the capture
    /// `simulate --out` makes with the same options holds it.
    func serveLive(_ serve: ServeSide, _ options: SimulationOptions) throws {
        var fleet = FleetSimulator(options: options)
        let side: PlayedSide = serve == .platform ? .platform : .device
        let script = ConversationScript(messages: AnyIterator {
            fleet.next().map { CapturedMessage(time: $0.time, topic: $0.topic, qos: $0.qos, payload: $0.payload) }
        }, filter: MessageFilter(), side: side)
        var o = ClosedLoopPlayer.Options()
        o.side = side
        o.rate = speed
        o.idleTimeout = idleTimeout.duration
        let session = try connection.session(defaultClientID: "restrace-simulate-\(ProcessInfo.processInfo.processIdentifier)")
        let client = try MosquittoSession(broker: try brokerArgument(broker!), options: session)
        try client.open()
        let player = ClosedLoopPlayer(script: script, options: o, link: client, record: { _ in })
        _ = try ClosedLoopRun.run(player, sessions: [client], broker: broker!, what: serve == .platform ? "simulated platform" : "simulated devices")
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
