extension MCAPRecord {
    /// Parses a record's content for its opcode.
    public init(opcode: UInt8, content: ArraySlice<UInt8>) throws(MCAPFormatError) {
        var r = ByteReader(content)
        switch MCAPOpcode(rawValue: opcode) {
        case .header:
            self = .header(profile: try r.string(), library: try r.string())
        case .footer:
            self = .footer(summaryStart: try r.u64(), summaryOffsetStart: try r.u64(), summaryCRC: try r.u32())
        case .schema:
            self = .schema(id: try r.u16(), name: try r.string(), encoding: try r.string(), data: Array(try r.prefixed32()))
        case .channel:
            self = .channel(MCAPChannel(id: try r.u16(), schemaID: try r.u16(), topic: try r.string(),
                                        messageEncoding: try r.string(), metadata: try r.stringMap()))
        case .message:
            self = .message(MCAPMessage(channelID: try r.u16(), sequence: try r.u32(), logTime: try r.u64(),
                                        publishTime: try r.u64(), data: r.rest()))
        case .chunk:
            self = .chunk(MCAPChunk(messageStartTime: try r.u64(), messageEndTime: try r.u64(),
                                    uncompressedSize: try r.u64(), uncompressedCRC: try r.u32(),
                                    compression: try r.string(), records: try r.prefixed64()))
        case .messageIndex:
            let id = try r.u16()
            var inner = ByteReader(try r.prefixed32())
            var entries: [MCAPMessageIndexEntry] = []
            while inner.remaining > 0 { entries.append(MCAPMessageIndexEntry(time: try inner.u64(), offset: try inner.u64())) }
            self = .messageIndex(channelID: id, entries: entries)
        case .chunkIndex:
            let start = try r.u64(), end = try r.u64(), offset = try r.u64(), length = try r.u64()
            var inner = ByteReader(try r.prefixed32())
            var offsets: [UInt16: UInt64] = [:]
            while inner.remaining > 0 { offsets[try inner.u16()] = try inner.u64() }
            self = .chunkIndex(MCAPChunkIndex(
                messageStartTime: start, messageEndTime: end, chunkStartOffset: offset, chunkLength: length,
                messageIndexOffsets: offsets, messageIndexLength: try r.u64(), compression: try r.string(),
                compressedSize: try r.u64(), uncompressedSize: try r.u64()))
        case .statistics:
            var s = MCAPStatistics()
            s.messageCount = try r.u64(); s.schemaCount = try r.u16(); s.channelCount = try r.u32()
            s.attachmentCount = try r.u32(); s.metadataCount = try r.u32(); s.chunkCount = try r.u32()
            s.messageStartTime = try r.u64(); s.messageEndTime = try r.u64()
            var inner = ByteReader(try r.prefixed32())
            while inner.remaining > 0 { s.channelMessageCounts[try inner.u16()] = try inner.u64() }
            self = .statistics(s)
        case .metadata:
            self = .metadata(name: try r.string(), values: try r.stringMap())
        case .metadataIndex:
            self = .metadataIndex(offset: try r.u64(), length: try r.u64(), name: try r.string())
        case .summaryOffset:
            self = .summaryOffset(groupOpcode: try r.u8(), groupStart: try r.u64(), groupLength: try r.u64())
        case .dataEnd:
            self = .dataEnd(dataSectionCRC: try r.u32())
        case .attachment, .attachmentIndex, nil:
            self = .other(opcode: opcode, content: Array(content))
        }
    }
}
