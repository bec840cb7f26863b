extension MCAPRecord {
    var opcode: UInt8 {
        switch self {
        case .header: MCAPOpcode.header.rawValue
        case .footer: MCAPOpcode.footer.rawValue
        case .schema: MCAPOpcode.schema.rawValue
        case .channel: MCAPOpcode.channel.rawValue
        case .message: MCAPOpcode.message.rawValue
        case .chunk: MCAPOpcode.chunk.rawValue
        case .messageIndex: MCAPOpcode.messageIndex.rawValue
        case .chunkIndex: MCAPOpcode.chunkIndex.rawValue
        case .statistics: MCAPOpcode.statistics.rawValue
        case .metadata: MCAPOpcode.metadata.rawValue
        case .metadataIndex: MCAPOpcode.metadataIndex.rawValue
        case .summaryOffset: MCAPOpcode.summaryOffset.rawValue
        case .dataEnd: MCAPOpcode.dataEnd.rawValue
        case .other(let op, _): op
        }
    }

    /// Appends the whole record (opcode, length, content) to `w`.
    func encode(into w: inout ByteWriter) {
        var c = ByteWriter()
        switch self {
        case .header(let profile, let library):
            c.string(profile); c.string(library)
        case .footer(let start, let offsetStart, let crc):
            c.u64(start); c.u64(offsetStart); c.u32(crc)
        case .schema(let id, let name, let encoding, let data):
            c.u16(id); c.string(name); c.string(encoding); c.prefixed32(data)
        case .channel(let ch):
            c.u16(ch.id); c.u16(ch.schemaID); c.string(ch.topic); c.string(ch.messageEncoding); c.stringMap(ch.metadata)
        case .message(let m):
            // Written directly by `encodeMessage` on the hot path; kept here for completeness.
            c.u16(m.channelID); c.u32(m.sequence); c.u64(m.logTime); c.u64(m.publishTime)
            c.bytes.append(contentsOf: m.data)
        case .chunk(let ch):
            c.u64(ch.messageStartTime); c.u64(ch.messageEndTime); c.u64(ch.uncompressedSize)
            c.u32(ch.uncompressedCRC); c.string(ch.compression); c.prefixed64(Array(ch.records))
        case .messageIndex(let id, let entries):
            c.u16(id)
            var inner = ByteWriter()
            for e in entries { inner.u64(e.time); inner.u64(e.offset) }
            c.prefixed32(inner.bytes)
        case .chunkIndex(let ci):
            c.u64(ci.messageStartTime); c.u64(ci.messageEndTime); c.u64(ci.chunkStartOffset); c.u64(ci.chunkLength)
            var inner = ByteWriter()
            for (k, v) in ci.messageIndexOffsets.sorted(by: { $0.key < $1.key }) { inner.u16(k); inner.u64(v) }
            c.prefixed32(inner.bytes)
            c.u64(ci.messageIndexLength); c.string(ci.compression); c.u64(ci.compressedSize); c.u64(ci.uncompressedSize)
        case .statistics(let s):
            c.u64(s.messageCount); c.u16(s.schemaCount); c.u32(s.channelCount); c.u32(s.attachmentCount)
            c.u32(s.metadataCount); c.u32(s.chunkCount); c.u64(s.messageStartTime); c.u64(s.messageEndTime)
            var inner = ByteWriter()
            for (k, v) in s.channelMessageCounts.sorted(by: { $0.key < $1.key }) { inner.u16(k); inner.u64(v) }
            c.prefixed32(inner.bytes)
        case .metadata(let name, let values):
            c.string(name); c.stringMap(values)
        case .metadataIndex(let offset, let length, let name):
            c.u64(offset); c.u64(length); c.string(name)
        case .summaryOffset(let op, let start, let length):
            c.u8(op); c.u64(start); c.u64(length)
        case .dataEnd(let crc):
            c.u32(crc)
        case .other(_, let content):
            c.bytes = content
        }
        w.u8(opcode)
        w.u64(UInt64(c.bytes.count))
        w.bytes.append(contentsOf: c.bytes)
    }

    /// The whole record as bytes.
    public var encoded: [UInt8] {
        var w = ByteWriter()
        encode(into: &w)
        return w.bytes
    }

    /// Appends a Message record (the writer's hot path): its 31-byte header laid out in place and
    /// appended at once, then the payload, rather than seven appends of a field each.
    static func encodeMessage(channelID: UInt16, sequence: UInt32, time: UInt64, payload: UnsafeBufferPointer<UInt8>,
                              into w: inout ByteWriter) {
        withUnsafeTemporaryAllocation(byteCount: 31, alignment: 8) { header in
            header.storeBytes(of: MCAPOpcode.message.rawValue, toByteOffset: 0, as: UInt8.self)
            header.storeBytes(of: UInt64(22 + payload.count).littleEndian, toByteOffset: 1, as: UInt64.self)
            header.storeBytes(of: channelID.littleEndian, toByteOffset: 9, as: UInt16.self)
            header.storeBytes(of: sequence.littleEndian, toByteOffset: 11, as: UInt32.self)
            header.storeBytes(of: time.littleEndian, toByteOffset: 15, as: UInt64.self)  // log_time
            header.storeBytes(of: time.littleEndian, toByteOffset: 23, as: UInt64.self)  // publish_time
            w.bytes.append(contentsOf: UnsafeRawBufferPointer(header))
        }
        w.bytes.append(contentsOf: payload)
    }
}
