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
            throw ValidationError("nothing to play: no selected device has \(side == .device ? "device" : "platform") messages")
        }
        var o = ClosedLoopPlayer.Options()
        o.side = side
        o.rate = maxRate ? .infinity : rate
        o.answerTimeout = Double(closedLoop.answerTimeout.nanoseconds) / 1e9
        o.idleTimeout = Double(closedLoop.idleTimeout.nanoseconds) / 1e9
        o.mapProduct = try mapping.products()
        o.mapDevice = try mapping.devices()
        o.topicPrefix = topicPrefix
        o.urlBase = closedLoop.urlBase.flatMap(URLComponents.init(string:))
        let directory = closedLoop.recordTo ?? Self.newRecordDirectory()
        var writerOptions = CaptureWriter.Options()
        writerOptions.metadata = ["version": RecorderInfo.version, "broker": broker ?? "", "played": side.rawValue,
                                  "played_from": captures.joined(separator: " ")]
        let writer = try CaptureWriter(directory: directory, options: writerOptions)
        let client = try connect()
        let player = ClosedLoopPlayer(script: script, options: o, link: client, record: { try writer.write($0) })
        try subscribe(client, player.subscriptions)
        Interrupts.install()
        printError("playing the \(side == .device ? "devices" : "platform") of \(player.liveDevices.count) devices; recording into \(directory)")
        let summary = try player.run(shouldStop: { Interrupts.requested })
        _ = client.drain(timeout: summary.interrupted ? 2 : 10)
        client.disconnect()
        try writer.close()
        for line in summary.noAnswer.prefix(10) { printError("restrace: \(line)") }
        if summary.reactions > 0 {
            printError(String(format: "reaction to live answers (%d): p50 %.3f ms, p99 %.3f ms", summary.reactions, summary.reactionP50, summary.reactionP99))
        }
        for line in summary.unexpected.prefix(10) { printError("restrace: unexpected request: \(line) (the capture has no answer to it)") }
        printError(String(format: "%@%d sent, %d received, %d without answer, %d unexpected in %.1f s%@; recorded into %@",
                          summary.interrupted ? "interrupted: " : "", summary.sent, summary.received, summary.noAnswer.count,
                          summary.unexpected.count, summary.seconds, summary.idle ? " (ended idle)" : "", directory))
        guard closedLoop.expect else { return }
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

    /// `replay-YYYYMMDD-HHMMSS` in the current directory.
    static func newRecordDirectory() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        return "replay-" + f.string(from: Date())
    }

    /// Subscribes and waits until the broker granted it: an answer sent before would be missed.
    private func subscribe(_ client: MosquittoSession, _ filters: [String]) throws {
        try client.subscribe(filters, qos: 1)
        var granted = 0
        let until = Date(timeIntervalSinceNow: 10)
        while granted < filters.count, Date() < until {
            for e in client.events(timeout: 0.2) { if case .subscribed = e { granted += 1 } }
        }
        guard granted >= filters.count else { throw BrokerError.gaveUp(broker: broker ?? "", after: 10, lastReason: "the subscription was not granted") }
    }
}
