import ArgumentParser
import Broker
import Capture
import Comparison
import Foundation
import Recorder
import Replayer
import ResourceProtocol

/// `replay --play device|platform`: a closed loop against a live counterpart, recorded, and with
/// `--expect` compared with the capture.
extension ReplayCommand {
    func playClosedLoop(_ side: PlayedSide) throws {
        var filter = try filters.filter(paths: captures)
        filter.includeRecorderEvents = false
        let script = try ConversationScript.read(paths: captures, filter: filter, side: side)
        guard !script.devices.isEmpty else {
            if !script.problems.isEmpty { try Self.reportDamage(script.problems) }
            throw ValidationError("nothing to play: no selected device has \(side == .device ? "device" : "platform") messages")
        }
        var o = ClosedLoopPlayer.Options()
        o.side = side
        o.rate = maxRate ? .infinity : rate
        o.answerTimeout = closedLoop.answerTimeout.duration
        o.idleTimeout = closedLoop.idleTimeout.duration
        o.mapProduct = try mapping.products()
        o.mapDevice = try mapping.devices()
        o.topicPrefix = topicPrefix
        o.urlBase = closedLoop.urlBase.flatMap(URLComponents.init(string:))
        let directory = closedLoop.recordTo ?? Self.newRecordDirectory()
        var writerOptions = CaptureWriter.Options()
        writerOptions.metadata = ["version": RecorderInfo.version, "broker": broker ?? "", "played": side.rawValue,
                                  "played_from": captures.joined(separator: " ")]
        let writer = try CaptureWriter(directory: directory, options: writerOptions)
        let devices = script.devices.keys.sorted().map { key -> String in
            let p = key.split(separator: "/", maxSplits: 1).map(String.init)
            return "\(o.mapProduct[p[0]] ?? p[0])/\(o.mapDevice[p[1]] ?? p[1])"
        }.sorted()
        let sessions = closedLoop.clientPerDevice ? try connectEach(devices) : [try connect()]
        let link: PlayerLink = sessions.count == 1 ? sessions[0] : PerDeviceLink(sessions: Dictionary(uniqueKeysWithValues: zip(devices, sessions)))
        let player = ClosedLoopPlayer(script: script, options: o, link: link, record: { try writer.write($0) })
        printError("recording into \(directory)")
        _ = try ClosedLoopRun.run(player, sessions: sessions, broker: broker ?? "", what: side == .device ? "devices" : "platform")
        try writer.close()
        guard closedLoop.expect else {
            if !script.problems.isEmpty { try Self.reportDamage(script.problems) }
            return
        }
        // The baseline is what was played: the selected messages of the played devices.
        let played = Set(script.devices.keys)
        let baseline = try CaptureConversations.read(paths: captures, mapProduct: o.mapProduct, mapDevice: o.mapDevice) { m in
            guard filter.matches(m), let t = try? ResourceTopic(parsing: m.topic) else { return false }
            return played.contains("\(t.product)/\(t.device)")
        }
        let candidate = try CaptureConversations.read(paths: [directory])
        var options = CaptureComparison.Options()
        options.ignore = Set(closedLoop.ignore)
        let comparison = CaptureComparison(baseline: baseline, candidate: candidate, options: options)
        try DiffCommand.finish(comparison, format: closedLoop.format, junit: closedLoop.junit, problems: baseline.problems + candidate.problems)
    }

    /// One session per live `product/device`, each with the device name as its client id, all
    /// sharing the first one's events.
    private func connectEach(_ devices: [String]) throws -> [MosquittoSession] {
        var sessions: [MosquittoSession] = []
        for device in devices {
            var options = try connection.session(defaultClientID: "")
            options.clientID = String(device.split(separator: "/", maxSplits: 1)[1])
            let client = try MosquittoSession(broker: try brokerArgument(broker!), options: options, sharingEventsWith: sessions.first)
            try client.open()
            sessions.append(client)
        }
        return sessions
    }

    /// Damage met in the capture: every intact message was played; says what was not, exit 3.
    static func reportDamage(_ problems: [String]) throws {
        for p in problems { printError("restrace: skipped damaged data: \(p)") }
        throw ExitCode(3)
    }

    /// `replay-YYYYMMDD-HHMMSS` in the current directory.
    static func newRecordDirectory() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        return "replay-" + f.string(from: Date())
    }
}
