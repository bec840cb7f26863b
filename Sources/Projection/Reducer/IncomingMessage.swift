import Capture
import Foundation
import ResourceProtocol

/// One captured message, its topic parsed and its payload decoded: the reducer's input.
///
/// It keeps no copy of the topic string: the reader shares one string among all the messages of a
/// channel, and holding it here made the reader's and the reducer's threads count references on
/// the same memory for every message. `topic` spells it again when asked (for anomalies).
public struct IncomingMessage: Sendable {
    public var id: Int64
    public var time: UInt64
    public var parsedTopic: Result<ResourceTopic, ResourceTopicError>
    /// The topic's number (`ParsedTopic.number`), or -1.
    var topicNumber: Int
    public var message: Result<ResourceMessage, ResourceDecodingError>
    public var payloadBytes: Int
    public var position: CapturePosition
    /// The recorder's own event (its `event` field, and its reason or whole payload), rare
    /// enough to be boxed: a batch holds 50 000 messages, and inline it took 40 of their 232 bytes.
    private var recorder: RecorderFields?

    private final class RecorderFields: Sendable {
        let event: String?
        let detail: String
        init(event: String?, detail: String) { self.event = event; self.detail = detail }
    }

    /// True for the recorder's own events, whose `event` field and whole payload follow.
    var isRecorderEvent: Bool { recorder != nil }
    var recorderEvent: String? { recorder?.event }
    var recorderDetail: String { recorder?.detail ?? "" }

    public init(id: Int64, time: UInt64, topic: String, payload: [UInt8], position: CapturePosition) {
        self = payload.withUnsafeBufferPointer { Self(id: id, time: time, topic: ParsedTopic(topic), payload: $0, position: position) }
    }

    /// A message lent by a capture reader, its payload decoded where it lies.
    init(id: Int64, _ m: MessageView, topics: inout TopicCache) {
        self.init(id: id, time: m.time, topic: topics.parse(m), payload: m.payload, position: m.position)
    }

    init(id: Int64, time: UInt64, topic: ParsedTopic, payload: UnsafeBufferPointer<UInt8>, position: CapturePosition) {
        self.id = id
        self.time = time
        parsedTopic = topic.parsed
        topicNumber = topic.number
        message = Result { () throws(ResourceDecodingError) in try ResourceMessage(decoding: payload) }
        payloadBytes = payload.count
        self.position = position
        if topic.isRecorderChannel {
            let object = try? JSONSerialization.jsonObject(with: Data(buffer: payload)) as? [String: Any]
            recorder = RecorderFields(event: object?["event"] as? String,
                                      detail: (object?["reason"] as? String) ?? String(decoding: payload, as: UTF8.self))
        }
    }
}

/// A message's topic as the reducer takes it: parsed, or the recorder's own channel.
struct ParsedTopic: Sendable {
    var parsed: Result<ResourceTopic, ResourceTopicError>
    var isRecorderChannel: Bool
    /// Numbers the topics `TopicCache` parsed, from 0 (-1: not numbered): one number a topic.
    var number = -1

    init(_ topic: String) {
        parsed = Result { () throws(ResourceTopicError) in try ResourceTopic(parsing: topic) }
        isRecorderChannel = CapturedMessage.isRecorderTopic(topic)
    }
}

/// Each channel's topic parsed once (`ChannelCache`): all the messages of an MCAP channel share
/// its topic, and parsing it for every message (two Strings made, the device name's UTF-8
/// checked) was about a tenth of the reader thread's work. Each distinct topic gets a number, the
/// same in every file: the reducer's tables indexed by it grow with the fleet's topics, not with
/// the files read (a capture of 220 files that each declare 65 535 channels made them 14 M long).
struct TopicCache {
    private var cache: ChannelCache<ParsedTopic>
    private var numbers: [TopicText: Int] = [:]

    /// A topic compared byte for byte (two canonically equivalent topics are two topics).
    private struct TopicText: Hashable {
        let text: String
        static func == (a: TopicText, b: TopicText) -> Bool { a.text.hasSameUTF8(as: b.text) }
        func hash(into hasher: inout Hasher) { text.hashUTF8(into: &hasher) }
    }

    /// For messages merged from `captures` captures.
    init(captures: Int = 1) { cache = ChannelCache(captures: captures) }

    /// Files whose topics are kept, the current one included.
    var filesKept: Int { cache.filesKept }

    mutating func parse(_ m: MessageView) -> ParsedTopic {
        cache.value(for: m) {
            let text = m.topic
            var topic = ParsedTopic(text)
            if let n = numbers[TopicText(text: text)] {
                topic.number = n
            } else {
                topic.number = numbers.count
                numbers[TopicText(text: text)] = topic.number
            }
            return topic
        }
    }
}

extension IncomingMessage {
    /// The topic as sent (a well-formed one spelled from its parts).
    public var topic: String {
        switch parsedTopic {
        case .success(let t): t.description
        case .failure(let e): e.topic
        }
    }
}

extension ResourceMessage {
    /// The direction a message of this type travels, or nil for unknown types.
    var expectedDirection: Direction? {
        switch self {
        case .createUploadTask, .reportUploadProgress, .getDownloadTask, .reportDownloadProgress: .up
        case .createUploadTaskResponse, .reportUploadProgressResponse, .getDownloadTaskResponse, .download,
             .reportDownloadProgressResponse, .uploadResult: .down
        case .unrecognized: nil
        }
    }
}
