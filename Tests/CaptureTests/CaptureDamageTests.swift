import Foundation
import Testing
@testable import Capture
import TestSupport

/// Torn and corrupted files: readers return exactly the intact messages, verify names the damage,
/// recover makes the file whole again.
@Suite struct CaptureDamageTests {
    /// A closed single-file capture of several chunks, its bytes, and its chunk boundaries.
    private func sampleFile() throws -> (dir: String, file: String, bytes: [UInt8], messages: [CapturedMessage], chunkEnds: [(end: UInt64, count: Int)]) {
        let dir = temporaryDirectory("damage")
        let messages = sampleMessages(count: 400)
        _ = try writeCapture(messages, to: dir, flushEvery: 50)
        let file = try CaptureSource.files(of: dir)[0]
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        let summary = try #require(try FileSummary.read(file))
        let ends = summary.chunkIndexes.enumerated().map { ($0.element.chunkStartOffset + $0.element.chunkLength, ($0.offset + 1) * 50) }
        return (dir, file, bytes, messages, ends)
    }

    @Test func truncationAtManyOffsetsKeepsExactlyTheIntactChunks() throws {
        let s = try sampleFile()
        defer { cleanup(s.dir) }
        var offsets = Set<Int>()
        for (end, _) in s.chunkEnds { for d in -3...3 { offsets.insert(Int(end) + d) } }
        for k in stride(from: 1, to: s.bytes.count, by: max(1, s.bytes.count / 40)) { offsets.insert(k) }
        let dataEnd = Int(try #require(try FileSummary.read(s.file)).summaryStart) - 13
        var lexer = MCAPLexer()
        lexer.append(s.bytes)
        var boundaries = Set<Int>([8])
        while let r = try lexer.next() { boundaries.insert(Int(r.offset + r.length)) }
        for cut in offsets.sorted() where cut > 0 && cut < s.bytes.count {
            let dir = temporaryDirectory("cut")
            defer { cleanup(dir) }
            let path = dir + "/000001.mcap"
            try Data(s.bytes[0..<cut]).write(to: URL(fileURLWithPath: path))
            let expected = s.chunkEnds.last { $0.end <= UInt64(cut) }?.count ?? 0
            let (entries, problems) = try readAll([dir])
            #expect(entries.map(\.message) == Array(s.messages.prefix(expected)), "cut at \(cut)")
            // A cut inside a record is a torn tail; a cut between records loses nothing (verify still flags it).
            if cut < dataEnd, !boundaries.contains(cut) { #expect(!problems.isEmpty, "cut at \(cut) must be reported") }
            let report = try CaptureVerifier.verify(path: dir)
            #expect(!report[0].isIntact || !report[0].closedCleanly)
            let recovered = try CaptureRecovery.recover(path: dir)
            #expect(recovered[0].messagesKept == UInt64(expected))
            let after = try CaptureVerifier.verify(path: dir)
            #expect(after[0].isIntact && after[0].closedCleanly, "cut at \(cut): \(after[0].problems)")
            #expect(try readAll([dir]).entries.map(\.message) == Array(s.messages.prefix(expected)))
        }
    }

    @Test func flippedByteInsideAChunkIsNamedAndSkipped() throws {
        let s = try sampleFile()
        defer { cleanup(s.dir) }
        // Channel records first used by a chunk come just before it, so the chunk starts where its index says.
        let secondChunkStart = Int(try #require(try FileSummary.read(s.file)).chunkIndexes[1].chunkStartOffset)
        var bytes = s.bytes
        bytes[secondChunkStart + 80] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: s.file))
        let (entries, problems) = try readAll([s.dir])
        #expect(entries.map(\.message) == Array(s.messages[0..<50] + s.messages[100...]))
        #expect(problems.count == 1, "\(problems)")
        let report = try CaptureVerifier.verify(path: s.dir)[0]
        #expect(report.problems.contains {
            switch $0 {
            case .invalidCRC(let f, let o, _, _), .compression(let f, let o, _): f == "000001.mcap" && o == UInt64(secondChunkStart)
            default: false
            }
        })
        let result = try CaptureRecovery.recover(path: s.dir)[0]
        #expect(result.messagesKept == 350)
        #expect(result.messagesLost == 50)
        #expect(result.chunksDropped == 1)
        #expect(try CaptureVerifier.verify(path: s.dir)[0].isIntact)
    }

    /// Files written before 0.4.0 number their messages: in a torn one (no statistics) a dropped
    /// chunk is still counted from the gap it leaves, and the numbers are kept.
    @Test func aTornFileFromBefore040CountsItsLossFromTheSequenceGap() throws {
        let dir = temporaryDirectory("damage-old")
        defer { cleanup(dir) }
        let file = dir + "/000001.mcap"
        let messages = sampleMessages(count: 300)
        let writer = try SegmentWriter(path: file, codec: ZstdCodec(), chunkSize: 1 << 20, library: "restrace 0.3.0",
                                       metadata: [("restrace", ["version": "0.3.0"])])
        for (i, m) in messages.enumerated() {
            try writer.write(m, sequence: UInt32(i))
            if (i + 1) % 100 == 0 { try writer.flush() }
        }
        try writer.close()
        // Torn after its third chunk (no summary, as a crash leaves it), the middle chunk corrupted.
        let closed = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        let index = try #require(try FileSummary.read(file)).chunkIndexes
        var bytes = Array(closed[..<Int(index[2].chunkStartOffset + index[2].chunkLength)])
        bytes[Int(index[1].chunkStartOffset) + 80] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let result = try CaptureRecovery.recover(path: dir)[0]
        #expect(result.messagesKept == 200)
        #expect(result.messagesLost == 100)
        let (entries, _) = try readAll([dir])
        #expect(entries.map(\.sequence) == (0..<100).map { UInt32($0) } + (200..<300).map { UInt32($0) })
    }

    @Test func flippedByteInAChunkHeaderStopsCleanly() throws {
        let s = try sampleFile()
        defer { cleanup(s.dir) }
        var bytes = s.bytes
        bytes[Int(s.chunkEnds[1].end) + 8] ^= 0x40  // the high byte of the third chunk's length
        try Data(bytes).write(to: URL(fileURLWithPath: s.file))
        let (entries, problems) = try readAll([s.dir])
        #expect(entries.map(\.message) == Array(s.messages[0..<100]))
        #expect(!problems.isEmpty)
        #expect(try CaptureVerifier.verify(path: s.dir)[0].problems.isEmpty == false)
    }

    @Test func flippedByteInTheSummaryIsReported() throws {
        let s = try sampleFile()
        defer { cleanup(s.dir) }
        let summary = try #require(try FileSummary.read(s.file))
        var bytes = s.bytes
        bytes[Int(summary.summaryStart) + 12] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: s.file))
        #expect(throws: CaptureError.self) { try FileSummary.read(s.file) }
        #expect(try readAll([s.dir]).entries.map(\.message) == s.messages)
        let report = try CaptureVerifier.verify(path: s.dir)[0]
        #expect(report.problems.contains { if case .invalidCRC(_, let o, _, _) = $0 { o == summary.summaryStart } else { false } })
    }

    @Test func notAnMCAPFile() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        try Data("hello world, not mcap".utf8).write(to: URL(fileURLWithPath: dir + "/000001.mcap"))
        let (entries, problems) = try readAll([dir])
        #expect(entries.isEmpty)
        #expect(problems.contains { if case .badMagic(let f, 0) = $0 { f == "000001.mcap" } else { false } })
        let empty = temporaryDirectory()
        defer { cleanup(empty) }
        #expect(throws: CaptureError.notACapture(path: empty)) { try CaptureReader(paths: [empty]) }
    }

    @Test func recoverLeavesAFileThatIsNotMCAPAsItIs() throws {
        let dir = temporaryDirectory()
        defer { cleanup(dir) }
        // Shorter than the magic, longer, and a torn prefix of the magic (which is a recorder's crash).
        let files = ["000001.mcap": Array("hello\n".utf8), "000002.mcap": Array(repeating: 0x41, count: 5000),
                     "000003.mcap": Array(mcapMagic.prefix(3))]
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        for r in try CaptureVerifier.verify(path: dir) where !r.path.hasSuffix("000003.mcap") {
            #expect(r.problems.contains { if case .badMagic(_, 0) = $0 { true } else { false } }, "\(r.path)")
        }
        let results = try CaptureRecovery.recover(path: dir)
        #expect(results.map { $0.notRecoverable != nil } == [true, true, false])
        for (name, bytes) in files where name != "000003.mcap" {
            #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)) == Data(bytes), "\(name) was rewritten")
        }
        #expect(try CaptureVerifier.verifyFile(dir + "/000003.mcap").closedCleanly)
    }

    @Test func importSaysWhatIsWrongWithALine() {
        func reason(_ line: String) -> String {
            do { _ = try JSONLines.parse(Array(line.utf8)[...]); return "ok" } catch { return error.description }
        }
        #expect(reason(#"{"broken"#) == "not valid JSON")
        #expect(reason("[]") == "not a JSON object")
        #expect(reason(#"{"time_ns":-5,"topic":"t","payload":""}"#).hasPrefix(#""time_ns" must be a whole number"#))
        #expect(reason(#"{"time_ns":18446744073709551616,"topic":"t","payload":""}"#).hasPrefix(#""time_ns" must be"#))
        #expect(reason(#"{"time_ns":1.5,"topic":"t","payload":""}"#).hasPrefix(#""time_ns" must be"#))
        #expect(reason(#"{"time_ns":1,"topic":"t","qos":300,"payload":""}"#) == "qos must be 0, 1 or 2, not 300")
        #expect(reason(#"{"time_ns":1,"topic":"t","qos":3,"payload":""}"#) == "qos must be 0, 1 or 2")
        #expect(reason(#"{"time_ns":1,"topic":"t","payload_base64":"!!"}"#) == "payload_base64 is not base64")
        #expect(reason(#"{"time_ns":18446744073709551615,"topic":"t","payload":"x"}"#) == "ok")
    }
}
