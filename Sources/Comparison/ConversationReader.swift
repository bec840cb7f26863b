import Capture
import Foundation
import Projection
import ResourceProtocol

/// The conversations of a capture, task by task: the projection's rules (the reducer, in memory)
/// say which task each message belongs to.
public struct CaptureConversations: Sendable {
    public var conversations: [Conversation.Key: Conversation] = [:]
    /// Messages that belong to no task, counted per anomaly kind.
    public var anomalies: [String: Int] = [:]
    /// Damage met reading the capture.
    public var problems: [String] = []

    /// Reads the captures at `paths`, renaming products and devices with `mapProduct` and
    /// `mapDevice` (so that they match another capture's); with `keep`, only the messages it keeps.
    public static func read(paths: [String], mapProduct: [String: String] = [:], mapDevice: [String: String] = [:],
                            keep: (CapturedMessage) -> Bool = { _ in true }) throws -> CaptureConversations {
        let reader = try CaptureReader(paths: paths)
        var reducer = TaskReducer()
        var downPayloads: [Int64: [UInt8]] = [:]
        var id: Int64 = 0
        while let entry = reader.next() {
            let m = entry.message
            guard keep(m) else { continue }
            id += 1
            if m.topic.hasPrefix("$resource/down/") { downPayloads[id] = m.payload }
            reducer.apply(IncomingMessage(id: id, time: m.time, topic: m.topic, payload: m.payload, position: entry.position))
        }
        if let failure = reader.failure { throw failure }
        let out = reducer.drain()
        var result = CaptureConversations()
        result.problems = reader.problems.map(\.description)
        for a in out.anomalies { result.anomalies[a.kind.rawValue, default: 0] += 1 }
        let topics = Dictionary(out.topics.map { ($0.id, $0.topic) }) { a, _ in a }
        var byTask: [Int64: Conversation] = [:]
        for t in out.tasks {
            let key = Conversation.Key(kind: t.key.kind.rawValue, product: mapProduct[t.key.product] ?? t.key.product,
                                       device: mapDevice[t.key.device] ?? t.key.device, name: t.key.name, attempt: t.attempt)
            byTask[t.id] = Conversation(key: key, state: t.state.rawValue, failedBy: t.failedBy?.rawValue, resultCode: t.resultCode,
                                        startedAt: t.startedAt)
        }
        var lastUp: [Int64: UInt64] = [:]
        for e in out.events {
            guard let taskID = e.taskID, var c = byTask[taskID], let topicID = e.topicID, let topic = topics[topicID] else { continue }
            let position = e.position.description
            c.lastPosition = position
            if topic.direction == .up {
                lastUp[taskID] = e.time
                if let type = e.type { c.deviceTypes.append(type) }
                if let state = e.state, c.deviceStates.last != state { c.deviceStates.append(state) }
                if let p = e.percent { c.lastPercent = p }
                if e.state == TransferState.fail.rawValue, c.failResultCode == nil { c.failResultCode = e.resultCode }
                c.devicePositions.append(position)
            } else {
                let fields = downPayloads[e.id].map(Self.answerFields) ?? [:]
                c.answers.append(Conversation.Answer(type: e.type ?? "?", fields: fields,
                                                     delay: lastUp[taskID].map { e.time > $0 ? e.time - $0 : 0 },
                                                     position: position))
            }
            byTask[taskID] = c
        }
        for c in byTask.values { result.conversations[c.key] = c }
        return result
    }

    /// The compared fields of a platform message, as text (a number sent as a string compares
    /// equal to the number).
    static func answerFields(_ payload: [UInt8]) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { return [:] }
        var flat = object
        if let report = object["report"] as? [String: Any], let progress = report["progress"] as? [String: Any] {
            flat.merge(progress) { a, _ in a }
        }
        var fields: [String: String] = [:]
        for name in Conversation.answerFields {
            guard let value = flat[name] else { continue }
            var text = value is NSNull ? "null" : "\(value)"
            if name == "url" { text = withoutQuery(text) }
            fields[name] = text
        }
        return fields
    }

    /// A URL's scheme, host and path: its query is a signature that differs on every run.
    static func withoutQuery(_ url: String) -> String {
        guard let c = URLComponents(string: url) else { return url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url }
        return "\(c.scheme ?? "")://\(c.host ?? "")\(c.port.map { ":\($0)" } ?? "")\(c.path)"
    }
}
