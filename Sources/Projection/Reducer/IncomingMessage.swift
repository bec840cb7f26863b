import Capture
import Foundation
import ResourceProtocol

/// One captured message, its topic parsed and its payload decoded: the reducer's input.
public struct IncomingMessage: Sendable {
    public var id: Int64
    public var time: UInt64
    public var topic: String
    public var parsedTopic: Result<ResourceTopic, ResourceTopicError>
    public var message: Result<ResourceMessage, ResourceDecodingError>
    public var payloadBytes: Int
    public var position: CapturePosition
    /// For the recorder's own events: the `event` field and the whole payload.
    var recorderEvent: String?
    var recorderDetail = ""

    public init(id: Int64, time: UInt64, topic: String, payload: [UInt8], position: CapturePosition) {
        self.id = id
        self.time = time
        self.topic = topic
        parsedTopic = Result { () throws(ResourceTopicError) in try ResourceTopic(parsing: topic) }
        message = Result { () throws(ResourceDecodingError) in try ResourceMessage(decoding: payload) }
        payloadBytes = payload.count
        self.position = position
        if topic == CapturedMessage.recorderTopic {
            let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any]
            recorderEvent = object?["event"] as? String
            recorderDetail = (object?["reason"] as? String) ?? String(decoding: payload, as: UTF8.self)
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
