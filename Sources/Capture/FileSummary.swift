#if canImport(Glibc)
import Glibc
#endif

/// The summary section of a cleanly closed MCAP file: channels, statistics, metadata and chunk
/// indexes, read from the end of the file without touching the data section.
public struct FileSummary: Sendable {
    public var statistics: MCAPStatistics?
    public var channels: [MCAPChannel] = []
    public var chunkIndexes: [MCAPChunkIndex] = []
    public var metadataIndexes: [(offset: UInt64, length: UInt64, name: String)] = []
    public var summaryStart: UInt64 = 0
    public var fileSize: UInt64 = 0

    /// Reads the summary of `path`. Returns nil if the file has no footer (not closed cleanly) or no
    /// summary; throws if the footer or summary is present but corrupt.
    public static func read(_ path: String) throws(CaptureError) -> FileSummary? {
        let name = String(path.split(separator: "/").last ?? Substring(path))
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw .io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io(path: path, reason: "cannot stat") }
        let size = UInt64(st.st_size)
        let tailLength: UInt64 = 9 + 20 + 8
        guard size >= 8 + tailLength else { return nil }
        let tail = try readBytes(fd, at: size - tailLength, count: Int(tailLength), path: path)
        guard Array(tail[29...]) == mcapMagic, tail[0] == MCAPOpcode.footer.rawValue else { return nil }
        guard case .footer(let summaryStart, let summaryOffsetStart, let crc)? =
                try? MCAPRecord(opcode: tail[0], content: tail[9..<29]) else { return nil }
        guard summaryStart != 0 else { return nil }
        let footerStart = size - tailLength
        guard summaryStart >= 8, summaryStart <= footerStart, summaryOffsetStart <= footerStart,
              summaryOffsetStart == 0 || summaryOffsetStart >= summaryStart else {
            throw .corruptRecord(file: name, offset: footerStart, reason: "footer points outside the file")
        }
        let summaryBytes = try readBytes(fd, at: summaryStart, count: Int(footerStart - summaryStart), path: path)
        if crc != 0 {
            var c = CRC32()
            c.update(summaryBytes)
            c.update(tail[0..<25])
            guard c.value == crc else {
                throw .invalidCRC(file: name, offset: summaryStart, expected: crc, actual: c.value)
            }
        }
        var summary = FileSummary(summaryStart: summaryStart, fileSize: size)
        let end = (summaryOffsetStart == 0 ? footerStart : summaryOffsetStart) - summaryStart
        var lexer = MCAPLexer(offset: summaryStart, expectMagic: false)
        lexer.append(summaryBytes[0..<Int(end)])
        while let raw = try lexer.next() {
            let record: MCAPRecord
            do { record = try MCAPRecord(opcode: raw.opcode, content: raw.content) } catch {
                throw .corruptRecord(file: name, offset: raw.offset, reason: error.description)
            }
            switch record {
            case .channel(let c): summary.channels.append(c)
            case .statistics(let s): summary.statistics = s
            case .chunkIndex(let i): summary.chunkIndexes.append(i)
            case .metadataIndex(let o, let l, let n): summary.metadataIndexes.append((o, l, n))
            default: break
            }
        }
        return summary
    }

    /// Reads one metadata record named `name`, using the summary's index.
    public func metadata(named name: String, in path: String) -> [String: String]? {
        guard let entry = metadataIndexes.first(where: { $0.name == name }) else { return nil }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let bytes = try? Self.readBytes(fd, at: entry.offset, count: Int(entry.length), path: path), bytes.count > 9,
              case .metadata(_, let values)? = try? MCAPRecord(opcode: bytes[0], content: bytes[9...]) else { return nil }
        return values
    }

    static func readBytes(_ fd: Int32, at offset: UInt64, count: Int, path: String) throws(CaptureError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 { throw .io(path: path, reason: "read failed: \(String(cString: strerror(errno)))") }
            if n == 0 { throw .truncated(file: path, offset: offset + UInt64(done), missing: UInt64(count - done)) }
            done += n
        }
        return out
    }

}
