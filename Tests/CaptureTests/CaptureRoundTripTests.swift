import Foundation
import Testing
@testable import Capture
import TestSupport

@Suite struct CaptureRoundTripTests {
    @Test func messagesComeBackIdenticalAcrossChunksAndFiles() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var messages = sampleMessages(count: 3000)
        messages.append(CapturedMessage(time: messages.last!.time + 1, topic: "$resource/up/service/P/empty", payload: []))
        messages.append(CapturedMessage(time: messages.last!.time + 1, topic: "$resource/up/service/P/bin", qos: 1,
                                        payload: [0x00, 0xFF, 0xFE, 0x80, 0x0A]))
        messages.append(CapturedMessage(time: messages.last!.time + 1, topic: "$resource/up/service/P/big", qos: 2,
                                        payload: (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        messages += sampleMessages(count: 100, start: messages.last!.time + 1)
        var options = CaptureWriter.Options()
        options.chunkSize = 16 << 10
        options.segmentSize = 8 << 10
        let writer = try writeCapture(messages, to: dir, options: options)
        #expect(writer.filesWritten.count > 2)
        let (entries, problems) = try readAll([dir])
        #expect(problems.isEmpty)
        #expect(entries.map(\.message) == messages)
        // Since 0.4.0 every message's sequence is 0 (a counter cost 17 % of the size).
        #expect(entries.allSatisfy { $0.sequence == 0 })
        for r in try CaptureVerifier.verify(path: dir) { #expect(r.isIntact && r.closedCleanly) }
    }

    @Test func aCaptureOfManyFilesIsReadWithOneFileOpen() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let messages = sampleMessages(count: 6000)
        var options = CaptureWriter.Options()
        options.chunkSize = 4 << 10
        options.segmentSize = 4 << 10
        let files = try writeCapture(messages, to: dir, options: options).filesWritten.count
        #expect(files > 40)
        // The descriptors open on this capture's files (other tests run beside this one and open
        // files of their own, so the process's count says nothing).
        func openFiles() throws -> Int {
            try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").filter { fd in
                ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? "").hasPrefix(dir + "/")
            }.count
        }
        let reader = try CaptureReader(paths: [dir])
        var read = 0, mostOpen = 0
        while reader.next() != nil {
            read += 1
            if read % 100 == 0 { mostOpen = max(mostOpen, try openFiles()) }
        }
        #expect(read == messages.count)
        // Each file is closed, and its last chunk and read buffer let go, once it is read: a
        // capture of thousands of segments once held all of them (gigabytes).
        #expect(mostOpen >= 1 && mostOpen <= 2, "\(mostOpen) files open at once of \(files)")
        #expect(reader.filesRead.count == files)
        #expect(reader.filesRead.allSatisfy { $0.reachedDataEnd && $0.problems.isEmpty })
        #expect(reader.filesRead.reduce(0) { $0 + $1.messagesRead } == UInt64(messages.count))
    }

    @Test func canonicallyEquivalentTopicsStayDistinctChannels() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        // "café" precomposed and decomposed: equal as Swift strings, different MQTT topics.
        let composed = "$resource/up/service/P/caf\u{E9}", decomposed = "$resource/up/service/P/cafe\u{301}"
        #expect(composed == decomposed && !composed.utf8.elementsEqual(decomposed.utf8))
        let messages = [composed, decomposed, composed].enumerated().map {
            CapturedMessage(time: 1_795_717_359_000_000_000 + UInt64($0.offset), topic: $0.element, payload: [UInt8($0.offset)])
        }
        _ = try writeCapture(messages, to: dir)
        let entries = try readAll([dir]).entries
        #expect(entries.map { Array($0.message.topic.utf8) } == messages.map { Array($0.topic.utf8) })
        #expect(CapturedMessage(time: 1, topic: composed, payload: []) != CapturedMessage(time: 1, topic: decomposed, payload: []))
    }

    @Test func lineReaderGivesEveryLineAcrossBlocks() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        // Lines longer than a read block, a CR LF split between two blocks, empty lines, no final LF.
        var lines: [[UInt8]] = [Array(repeating: 0x61, count: 3 << 20), [], Array("short".utf8)]
        // Starts at byte 3 MiB + 8, so that its CR is the last byte of the fourth 1 MiB read and its LF the first of the fifth.
        lines.append(Array(repeating: 0x62, count: (1 << 20) - 9))
        lines += (0..<2000).map { Array(String(repeating: "x", count: $0 % 97).utf8) }
        var file: [UInt8] = []
        for (i, l) in lines.enumerated() { file += l + (i == 3 ? [0x0D, 0x0A] : [0x0A]) }
        file += Array("last, without a line end".utf8)
        try Data(file).write(to: URL(fileURLWithPath: dir + "/lines.txt"))
        let reader = try LineReader(path: dir + "/lines.txt")
        var read: [[UInt8]] = []
        while let l = try reader.next() { read.append(Array(l)) }
        #expect(read == lines + [Array("last, without a line end".utf8)])
        #expect(reader.lineNumber == lines.count + 1)
    }

    @Test func segmentRotationByDuration() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var options = CaptureWriter.Options()
        options.segmentDuration = 500_000_000  // 500 ms; messages are 1 ms apart
        let messages = sampleMessages(count: 2000)
        let writer = try writeCapture(messages, to: dir, options: options)
        #expect(writer.filesWritten.count == 4)
        #expect(try readAll([dir]).entries.map(\.message) == messages)
    }

    @Test func aNewWriterContinuesNumbering() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let first = sampleMessages(count: 10)
        _ = try writeCapture(first, to: dir)
        let second = sampleMessages(count: 5, start: first.last!.time + 10)
        let w = try writeCapture(second, to: dir)
        #expect(w.filesWritten.map { ($0 as NSString).lastPathComponent } == ["000002.mcap"])
        let entries = try readAll([dir]).entries
        #expect(entries.map(\.message) == first + second)
    }

    @Test func severalCapturesMergeInTimeOrder() throws {
        let a = temporaryDirectory(), b = temporaryDirectory()
        defer { cleanup(a); cleanup(b) }
        let all = sampleMessages(count: 500)
        _ = try writeCapture(all.enumerated().filter { $0.offset % 3 == 0 }.map(\.element), to: a, flushEvery: 20)
        _ = try writeCapture(all.enumerated().filter { $0.offset % 3 != 0 }.map(\.element), to: b, flushEvery: 33)
        #expect(try readAll([a, b]).entries.map(\.message) == all)
    }

    @Test func indexedReaderSeeksByTimeWithoutEarlierChunks() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let messages = sampleMessages(count: 1000)
        _ = try writeCapture(messages, to: dir, flushEvery: 100)
        let file = try CaptureSource.files(of: dir)[0]
        let since = messages[750].time
        let r = try SegmentReader(path: file, since: since)
        var got: [CapturedMessage] = []
        while let e = r.next() { got.append(e.message) }
        #expect(r.seeked)
        #expect(r.chunksRead == 3)
        #expect(got == Array(messages[700...]))
    }

    @Test func resumeAfterAPositionContinuesExactly() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        var options = CaptureWriter.Options()
        options.segmentSize = 20 << 10
        let messages = sampleMessages(count: 1200)
        _ = try writeCapture(messages, to: dir, options: options, flushEvery: 70)
        let entries = try readAll([dir]).entries
        for cut in [0, 69, 70, 500, 1198] {
            let r = try CaptureReader(paths: [dir], resumeAfter: entries[cut].position)
            var rest: [CapturedMessage] = []
            while let e = r.next() { rest.append(e.message) }
            #expect(rest == Array(messages[(cut + 1)...]), "resume after \(cut)")
        }
    }

    @Test func lexerFedOneByteAtATimeYieldsTheSameRecords() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        _ = try writeCapture(sampleMessages(count: 300), to: dir, flushEvery: 50)
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: try CaptureSource.files(of: dir)[0])))
        var whole = MCAPLexer()
        whole.append(bytes)
        var expected: [(UInt64, UInt8, [UInt8])] = []
        while let r = try whole.next() { expected.append((r.offset, r.opcode, Array(r.content))) }
        var single = MCAPLexer()
        var got: [(UInt64, UInt8, [UInt8])] = []
        for b in bytes {
            single.append(CollectionOfOne(b))
            while let r = try single.next() { got.append((r.offset, r.opcode, Array(r.content))) }
        }
        // Arrays, as the reader hands them over: taken whole when nothing is pending, appended otherwise.
        var blocks = MCAPLexer()
        var fromBlocks: [(UInt64, UInt8, [UInt8])] = []
        for start in stride(from: 0, to: bytes.count, by: 777) {
            blocks.append(Array(bytes[start..<min(bytes.count, start + 777)]))
            while let r = try blocks.next() { fromBlocks.append((r.offset, r.opcode, Array(r.content))) }
        }
        #expect(fromBlocks.map(\.0) == expected.map(\.0))
        #expect(fromBlocks.map(\.2) == expected.map(\.2))
        #expect(expected.count > 8)
        #expect(got.map(\.0) == expected.map(\.0))
        #expect(got.map(\.1) == expected.map(\.1))
        #expect(got.map(\.2) == expected.map(\.2))
        #expect(expected.last?.1 == MCAPOpcode.footer.rawValue)
    }

    @Test func recordsEncodeAndDecode() throws {
        let records: [MCAPRecord] = [
            .header(profile: "", library: "x"),
            .channel(MCAPChannel(id: 3, schemaID: 0, topic: "t", messageEncoding: "json", metadata: ["qos": "1"])),
            .statistics(MCAPStatistics(messageCount: 5, chunkCount: 1, channelMessageCounts: [3: 5])),
            .messageIndex(channelID: 3, entries: [MCAPMessageIndexEntry(time: 1, offset: 2), MCAPMessageIndexEntry(time: 3, offset: 4)]),
            .metadata(name: "restrace", values: ["a": "b"]),
            .summaryOffset(groupOpcode: 4, groupStart: 10, groupLength: 20),
        ]
        for r in records {
            let bytes = r.encoded
            #expect(try MCAPRecord(opcode: bytes[0], content: bytes[9...]) == r)
        }
    }

    @Test func positionsReadAsFileAtOffsetHashIndex() {
        for (file, offset, index) in [("000001.mcap", UInt64(0), 0), ("a", UInt64.max, Int.max), ("/tmp/x y/é.mcap", 1_234_567, 9),
                                      ("", 10, 10), ("000042.mcap", 999_999_999_999, 100_000)] {
            #expect(CapturePosition(file: file, chunkOffset: offset, index: index).description == "\(file)@\(offset)#\(index)")
        }
        var out: [UInt8] = []
        Timestamp.append(1_795_717_359_768_482_899, fractionDigits: 3, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "2026-11-26T18:22:39.768Z")
    }

    @Test func timestampsFormatAndParseExactly() {
        let ns: UInt64 = 1_795_717_359_768_482_899
        #expect(Timestamp.format(ns) == "2026-11-26T18:22:39.768482899Z")
        #expect(Timestamp.format(ns, fractionDigits: 3) == "2026-11-26T18:22:39.768Z")
        #expect(Timestamp.parse("2026-11-26T18:22:39.768482899Z") == ns)
        #expect(Timestamp.parse("2026-11-26T19:22:39.768482899+01:00") == ns)
        #expect(Timestamp.parse("2026-11-26T18:22:39Z") == ns / 1_000_000_000 * 1_000_000_000)
        #expect(Timestamp.parse("2026-11-26") == nil)
        #expect(Timestamp.parse("2026-13-26T18:22:39Z") == nil)
        #expect(Timestamp.parseUnixSeconds("1795717359.768482899") == ns)
        #expect(Timestamp.parseUnixSeconds("1795717359.5") == 1_795_717_359_500_000_000)
        #expect(Timestamp.format(0) == "1970-01-01T00:00:00.000000000Z")
        #expect(Timestamp.format(ns, fractionDigits: 0) == "2026-11-26T18:22:39Z")
        #expect(Timestamp.format(.max, fractionDigits: 3) == "2554-07-21T23:34:33.709Z")
        // Every instant a UInt64 can hold, from 1970 to 2554, comes back from its text.
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            x = x &* 6364136223846793005 &+ 1442695040888963407
            #expect(Timestamp.parse(Timestamp.format(x)) == x, "\(x)")
        }
    }
}

/// Files written by hand, record by record: what other MCAP writers (or damage) may produce.
@Suite struct HandWrittenFileTests {
    private func channel(_ id: UInt16, _ topic: String, qos: String = "0") -> MCAPRecord {
        .channel(MCAPChannel(id: id, schemaID: 0, topic: topic, messageEncoding: "json", metadata: ["qos": qos]))
    }

    private func message(_ channel: UInt16, _ time: UInt64, _ text: String) -> MCAPRecord {
        .message(MCAPMessage(channelID: channel, sequence: UInt32(time), logTime: time, publishTime: time, data: Array(text.utf8)[...]))
    }

    private func chunk(_ records: [MCAPRecord], extra: [UInt8] = []) -> MCAPRecord {
        let bytes = records.flatMap(\.encoded) + extra
        return .chunk(MCAPChunk(messageStartTime: 0, messageEndTime: 0, uncompressedSize: UInt64(bytes.count),
                                uncompressedCRC: 0, compression: "", records: bytes[...]))
    }

    /// A message keeps the topic its channel had when it was written, though a later Channel
    /// record gives the id another topic; a message on an unknown channel, or too short to be a
    /// message, is named and skipped; messages outside chunks are read too. Lent (`nextView`) and
    /// copied (`next`), the messages are the same, and each definition has its own channel key.
    @Test func channelsRedefinedUnknownAndLooseMessages() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        // A record of a message's opcode with 21 bytes of content, one short of a message header.
        let short: [UInt8] = [MCAPOpcode.message.rawValue, 21, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 7, count: 21)
        let records: [MCAPRecord] = [
            .header(profile: "", library: "hand"),
            channel(1, "loose/a", qos: "1"),
            message(1, 10, "first"),
            chunk([channel(2, "b"), message(2, 20, "in b"), channel(2, "c"), message(2, 30, "in c"), message(9, 35, "nowhere"),
                   message(2, 40, "in c again")]),
            message(1, 50, "loose again"),
            chunk([message(2, 60, "before the short one")], extra: short),
            .dataEnd(dataSectionCRC: 0),
        ]
        let path = dir + "/hand.mcap"
        try Data(mcapMagic + records.flatMap(\.encoded)).write(to: URL(fileURLWithPath: path))
        let expected: [(String, String, UInt64)] = [("loose/a", "first", 10), ("b", "in b", 20), ("c", "in c", 30), ("c", "in c again", 40),
                                                    ("loose/a", "loose again", 50), ("c", "before the short one", 60)]

        let copied = try SegmentReader(path: path)
        var entries: [CaptureEntry] = []
        while let e = copied.next() { entries.append(e) }
        #expect(entries.map { $0.message.topic } == expected.map(\.0))
        #expect(entries.map { String(decoding: $0.message.payload, as: UTF8.self) } == expected.map(\.1))
        #expect(entries.map(\.message.time) == expected.map(\.2))
        #expect(entries.map(\.message.qos) == [1, 0, 0, 0, 1, 0])
        #expect(entries.map(\.position.index) == [0, 0, 1, 3, 0, 0])  // the unknown channel's message keeps index 2
        let reasons = copied.problems.map(\.description)
        #expect(reasons.count == 2)
        #expect(reasons.contains { $0.contains("unknown channel 9") })
        #expect(reasons.contains { $0.contains("message record of 21 bytes") })

        let lent = try SegmentReader(path: path)
        var keys: [ChannelKey] = []
        var views: [(String, String, UInt64)] = []
        while let v = lent.nextView({ v in (v.topic, String(decoding: v.payload, as: UTF8.self), v.time, v.channelKey, v.entry) }) {
            views.append((v.0, v.1, v.2))
            keys.append(v.3)
            #expect(v.4 == entries[views.count - 1])
        }
        #expect(views.map(\.0) == expected.map(\.0) && views.map(\.1) == expected.map(\.1))
        #expect(keys[1] != keys[2] && keys[2] == keys[3] && keys[0] == keys[4])  // b and c: one id, two definitions
        #expect(try SegmentReader(path: path).nextView({ $0.channelKey }) != keys[0])  // another reader, other keys
    }

    /// A chunk without a CRC (other writers may leave it 0) damaged at random (a fixed seed):
    /// reading never crashes, and every payload it returns lies in the damaged chunk as it is.
    @Test func damagedUncheckedChunksNeverCrashTheReader() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        let messages = (0..<40).map { i in message(UInt16(1 + i % 3), UInt64(100 + i), "payload \(i) " + String(repeating: "x", count: i)) }
        guard case .chunk(let c) = chunk([channel(1, "t/1"), channel(2, "t/2"), channel(3, "t/3")] + messages) else { return }
        var seed: UInt64 = 42
        func random(_ n: Int) -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int((seed >> 33) % UInt64(n)) }
        var returned = 0
        for round in 0..<100 {
            var bytes = Array(c.records)
            for _ in 0..<(1 + round % 4) { bytes[random(bytes.count)] = UInt8(random(256)) }
            if round % 5 == 0 { bytes.removeLast(1 + random(40)) }
            let damaged = MCAPRecord.chunk(MCAPChunk(messageStartTime: 0, messageEndTime: 0, uncompressedSize: UInt64(bytes.count),
                                                     uncompressedCRC: 0, compression: "", records: bytes[...]))
            let path = dir + "/damaged-\(round).mcap"
            try Data(mcapMagic + MCAPRecord.header(profile: "", library: "hand").encoded + damaged.encoded).write(to: URL(fileURLWithPath: path))
            let reader = try SegmentReader(path: path)
            while let e = reader.next() {
                let p = e.message.payload
                #expect(p.isEmpty || bytes.firstRange(of: p) != nil)
                returned += 1
            }
            reader.finish()
        }
        #expect(returned > 100)  // most damage leaves most messages readable
    }
}
