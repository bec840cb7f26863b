import ArgumentParser
import Foundation
import Replayer

/// `replay --play`: one side of the captured conversations against a live counterpart.
struct ClosedLoopOptions: ParsableArguments {
    @Option(help: "Play one side against a live counterpart: device (publish the devices' messages, paced by the live platform's answers) or platform (answer the live devices' requests with the captured answers).")
    var play: PlayedSide?
    @Option(help: ArgumentHelp("Record everything sent and received into this capture (default: a new directory here).", valueName: "dir"))
    var recordTo: String?
    @Option(help: ArgumentHelp("How long a device waits for a live answer before going on without it.", valueName: "duration"))
    var answerTimeout = DurationArgument(nanoseconds: 10_000_000_000)
    @Option(help: ArgumentHelp("End the run after this long without a live message.", valueName: "duration"))
    var idleTimeout = DurationArgument(nanoseconds: 30_000_000_000)
    @Option(help: ArgumentHelp("With --play platform: the scheme, host and port every captured url is given (a local file server).", valueName: "url"))
    var urlBase: String?
    @Flag(help: "With --play device: one MQTT connection per played device, its client id the device name (for brokers that tie topics to client identities).")
    var clientPerDevice = false
    @Flag(help: "At the end, compare the live run with the capture as `restrace diff` does: exit 0 the same, 4 different.") var expect = false
    @Option(help: "With --expect: table, json, markdown or junit.") var format: DiffCommand.DiffFormat = .table
    @Option(help: ArgumentHelp("With --expect: also write the JUnit XML to this file.", valueName: "file")) var junit: String?
    @Option(help: ArgumentHelp("With --expect: leave out this field or group (repeatable, as in diff).", valueName: "field")) var ignore: [String] = []

    func validate() throws {
        if play == nil, recordTo != nil || urlBase != nil || expect || junit != nil || !ignore.isEmpty {
            throw ValidationError("--record-to, --url-base, --expect, --junit and --ignore go with --play device|platform")
        }
        if let urlBase, URLComponents(string: urlBase)?.host == nil { throw ValidationError("--url-base must be a URL such as http://127.0.0.1:8080") }
        if urlBase != nil, play != .platform { throw ValidationError("--url-base goes with --play platform") }
        if clientPerDevice, play != .device { throw ValidationError("--client-per-device goes with --play device") }
    }
}

extension PlayedSide: ExpressibleByArgument {}
