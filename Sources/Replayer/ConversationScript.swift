import Capture
import Foundation
import ResourceProtocol
import Selection

/// Which side of the captured conversations restrace plays against a live counterpart.
public enum PlayedSide: String, Sendable, CaseIterable {
    /// restrace publishes the devices' messages and waits for the live platform's answers.
    case device
    /// restrace answers the live devices' requests with the platform's captured answers.
    case platform
}

/// A captured message of one device's conversation, with what it is (type and task name).
public struct ScriptMessage: Sendable {
    public var time: UInt64
    public var direction: Direction
    /// The topic as captured (before mapping).
    public var topic: String
    public var payload: [UInt8]
    public var qos: Int
    public var retain: Bool
    public var type: String?
    public var name: String?

    /// The type and task name, read loosely: a payload that is not JSON has neither. The
    /// project's byte-level decoder reads the known types (a closed loop reads every live message).
    static func describe(_ payload: [UInt8]) -> (type: String?, name: String?) {
        if let m = try? ResourceMessage(decoding: payload) {
            switch m {
            case .createUploadTask(let f), .createUploadTaskResponse(let f), .getDownloadTaskResponse(let f), .download(let f):
                return (m.typeName, f.name)
            case .reportUploadProgress(let p), .reportDownloadProgress(let p):
                return (m.typeName, p.name)
            case .unrecognized:
                break
            default:
                return (m.typeName, nil)
            }
        }
        guard let o = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any] else { return (nil, nil) }
        return (o["type"] as? String, o["name"] as? String)
    }
}

/// The captured conversations of the selected devices, each in time order: what a closed-loop
/// replay plays, one side of it, against the live other side.
public struct ConversationScript: Sendable {
    /// Per device (as `product/device` captured), its messages in order.
    public var devices: [String: [ScriptMessage]] = [:]
    /// The capture's first selected message: pushes are due at their offset from it.
    public var start: UInt64 = 0
    /// When the first device message of the played devices was received.
    public var firstDeviceMessage: UInt64 = 0
    public var problems: [String] = []

    /// The conversations of the devices `filter` selects (a device is played when it has a
    /// message of `side` among them).
    public static func read(paths: [String], filter: MessageFilter, side: PlayedSide) throws -> ConversationScript {
        let reader = try CaptureReader(paths: paths, since: filter.since)
        var script = ConversationScript(messages: AnyIterator { reader.next()?.message }, filter: filter, side: side)
        if let failure = reader.failure { throw failure }
        script.problems = reader.problems.map(\.description)
        return script
    }

    /// The conversations in `messages` (in time order), as `read` makes them from a capture.
    public init(messages: some Sequence<CapturedMessage>, filter: MessageFilter, side: PlayedSide) {
        var script = ConversationScript()
        var first: UInt64?
        for m in messages {
            guard !m.isRecorderEvent, filter.matches(m), let topic = try? ResourceTopic(parsing: m.topic) else { continue }
            first = first ?? m.time
            let (type, name) = ScriptMessage.describe(m.payload)
            script.devices["\(topic.product)/\(topic.device)", default: []].append(
                ScriptMessage(time: m.time, direction: topic.direction, topic: m.topic, payload: m.payload, qos: Int(m.qos),
                              retain: m.retain, type: type, name: name))
        }
        script.start = first ?? 0
        let played: Direction = side == .device ? .up : .down
        script.devices = script.devices.filter { $0.value.contains { $0.direction == played } }
        script.firstDeviceMessage = script.devices.values.compactMap { $0.first { $0.direction == .up }?.time }.min() ?? script.start
        self = script
    }

    private init() {}
}
