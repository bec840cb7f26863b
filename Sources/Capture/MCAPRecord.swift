/// The MCAP magic that opens and closes every file.
public let mcapMagic: [UInt8] = [0x89, 0x4D, 0x43, 0x41, 0x50, 0x30, 0x0D, 0x0A]

/// Record opcodes of the MCAP specification.
public enum MCAPOpcode: UInt8, Sendable {
    case header = 0x01, footer = 0x02, schema = 0x03, channel = 0x04, message = 0x05, chunk = 0x06
    case messageIndex = 0x07, chunkIndex = 0x08, attachment = 0x09, attachmentIndex = 0x0A
    case statistics = 0x0B, metadata = 0x0C, metadataIndex = 0x0D, summaryOffset = 0x0E, dataEnd = 0x0F
}

/// One MCAP record, typed. Opcodes restrace does not use are kept as `.other`.
public enum MCAPRecord: Sendable, Equatable {
    case header(profile: String, library: String)
    case footer(summaryStart: UInt64, summaryOffsetStart: UInt64, summaryCRC: UInt32)
    case schema(id: UInt16, name: String, encoding: String, data: [UInt8])
    case channel(MCAPChannel)
    case message(MCAPMessage)
    case chunk(MCAPChunk)
    case messageIndex(channelID: UInt16, entries: [MCAPMessageIndexEntry])
    case chunkIndex(MCAPChunkIndex)
    case statistics(MCAPStatistics)
    case metadata(name: String, values: [String: String])
    case metadataIndex(offset: UInt64, length: UInt64, name: String)
    case summaryOffset(groupOpcode: UInt8, groupStart: UInt64, groupLength: UInt64)
    case dataEnd(dataSectionCRC: UInt32)
    case other(opcode: UInt8, content: [UInt8])
}

/// One entry of a MessageIndex record.
public struct MCAPMessageIndexEntry: Sendable, Equatable {
    public var time: UInt64
    public var offset: UInt64
}

public struct MCAPChannel: Sendable, Equatable {
    public var id: UInt16
    public var schemaID: UInt16
    public var topic: String
    public var messageEncoding: String
    public var metadata: [String: String]
}

public struct MCAPMessage: Sendable, Equatable {
    public var channelID: UInt16
    public var sequence: UInt32
    public var logTime: UInt64
    public var publishTime: UInt64
    public var data: ArraySlice<UInt8>
}

public struct MCAPChunk: Sendable, Equatable {
    public var messageStartTime: UInt64
    public var messageEndTime: UInt64
    public var uncompressedSize: UInt64
    public var uncompressedCRC: UInt32
    public var compression: String
    public var records: ArraySlice<UInt8>
}

public struct MCAPChunkIndex: Sendable, Equatable {
    public var messageStartTime: UInt64
    public var messageEndTime: UInt64
    public var chunkStartOffset: UInt64
    public var chunkLength: UInt64
    public var messageIndexOffsets: [UInt16: UInt64]
    public var messageIndexLength: UInt64
    public var compression: String
    public var compressedSize: UInt64
    public var uncompressedSize: UInt64
}

public struct MCAPStatistics: Sendable, Equatable {
    public var messageCount: UInt64 = 0
    public var schemaCount: UInt16 = 0
    public var channelCount: UInt32 = 0
    public var attachmentCount: UInt32 = 0
    public var metadataCount: UInt32 = 0
    public var chunkCount: UInt32 = 0
    public var messageStartTime: UInt64 = 0
    public var messageEndTime: UInt64 = 0
    public var channelMessageCounts: [UInt16: UInt64] = [:]
}
