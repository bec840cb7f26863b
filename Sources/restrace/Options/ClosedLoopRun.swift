import ArgumentParser
import Broker
import Foundation
import Replayer

/// A closed-loop player run against a broker, as `replay --play` and `simulate --serve` do it:
/// subscribed before anything is sent, stopped by Ctrl-C, and summed up on stderr.
enum ClosedLoopRun {
    /// - Parameter sessions: one, or one per played device (in `player.liveDevices`' order), all
    ///   sharing the first one's events.
    static func run(_ player: ClosedLoopPlayer, sessions: [MosquittoSession], broker: String, what: String) throws -> ClosedLoopPlayer.Summary {
        try subscribe(sessions, player.subscriptions, broker: broker)
        Interrupts.install()
        printError("playing the \(what) of \(player.liveDevices.count) devices")
        let live = stderrIsTerminal
        let summary = try player.run(shouldStop: { Interrupts.requested }) { s, finished, devices in
            guard live else { return }
            printError("\u{1B}[2K\r\(finished)/\(devices) devices done, \(s.sent) sent, \(s.received) received, \(s.noAnswer.count) without answer",
                       newline: false)
        }
        if live { printError("\u{1B}[2K\r", newline: false) }
        for client in sessions {
            _ = client.drain(timeout: summary.interrupted ? 2 : 10)
            client.disconnect()
        }
        for line in summary.noAnswer.prefix(10) { printError("restrace: \(line)") }
        if summary.reactions > 0 {
            printError(String(format: "reaction to live answers (%d): p50 %.3f ms, p99 %.3f ms", summary.reactions, summary.reactionP50, summary.reactionP99))
        }
        for line in summary.unexpected.prefix(10) { printError("restrace: unexpected request: \(line) (the capture has no answer to it)") }
        printError(String(format: "%@%d sent, %d received, %d without answer, %d unexpected in %.1f s%@",
                          summary.interrupted ? "interrupted: " : "", summary.sent, summary.received, summary.noAnswer.count,
                          summary.unexpected.count, summary.seconds, summary.idle ? " (ended idle)" : ""))
        return summary
    }

    /// Subscribes and waits until the broker granted it: an answer sent before would be missed.
    private static func subscribe(_ sessions: [MosquittoSession], _ filters: [String], broker: String) throws {
        if sessions.count == 1 {
            try sessions[0].subscribe(filters, qos: 1)
        } else {
            for (client, filter) in zip(sessions, filters) { try client.subscribe([filter], qos: 1) }
        }
        var granted = 0
        let until = Date(timeIntervalSinceNow: 10)
        while granted < filters.count, Date() < until {
            for e in sessions[0].events(timeout: 0.2) { if case .subscribed = e { granted += 1 } }
        }
        guard granted >= filters.count else { throw BrokerError.gaveUp(broker: broker, after: .seconds(10), lastReason: "the subscription was not granted") }
    }
}
