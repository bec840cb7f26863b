import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Messages received but not yet in the capture's files, kept where a killed recorder cannot
/// lose them: a preallocated file (`DIR/.restrace.journal`) mapped into memory. An append is a
/// copy into the page cache, with no system call and no fsync; the kernel keeps the pages when
/// the process dies (`kill -9` included), and the next writer of the capture (`record`, or
/// `recover`) folds what they hold into the capture.
///
/// The file is a ring: each message gets the next number, and `commit(through:)` frees every
/// message up to a number once it is on disk in the capture. A message is written before its
/// number, so a message cut short by a kill is never taken for a whole one; a header of two
/// slots, written alternately, says where the oldest message not yet committed lies.
public final class CaptureJournal: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `lock`; the mapped memory is written by
    // `append` (under the lock) and read only by `fold` before anyone appends.
    public static let fileName = ".restrace.journal"
    /// 16 MiB: what is freed as each 1 MiB chunk is written needs a few MiB; the rest is room
    /// for a full disk or a slow one (beyond it, messages are held in memory only).
    public static let defaultCapacity = 16 << 20
    static let headerSize = 4096
    static let entryHeader = 32
    private static let magic = Array("RTJRNL01".utf8)
    private static let wrap = UInt32.max

    public let path: String
    private let fd: Int32
    private let base: UnsafeMutableRawPointer
    /// Bytes of the ring (after the header page).
    private let capacity: Int
    private let lock = NSLock()
    private var head = 0
    private var used = 0
    private var nextNumber: UInt64
    /// Messages appended and not yet committed: number, and the ring bytes each took.
    private var open: [(number: UInt64, bytes: Int)] = []
    private var openStart = 0
    private var slotGeneration: UInt64
    /// Messages that did not fit (the writer far behind): they are in memory only.
    public private(set) var skipped = 0

    /// A message as the journal keeps it.
    public struct Entry: Sendable, Equatable {
        public var number: UInt64
        public var message: CapturedMessage
    }

    /// Opens (creating and preallocating) the journal of the capture `directory`, and returns it
    /// with the messages it held that were never committed, in the order they were received.
    /// They stay in the journal until the caller has written them into the capture and commits
    /// them: a crash meanwhile finds them again.
    public static func open(directory: String, capacity: Int = defaultCapacity) throws(CaptureError) -> (CaptureJournal, [Entry]) {
        let path = (directory as NSString).appendingPathComponent(fileName)
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 { throw .io(path: path, reason: "cannot open the journal: \(String(cString: strerror(errno)))") }
        var st = stat()
        fstat(fd, &st)
        let existing = Int(st.st_size)
        // A journal already there keeps its size (its ring is read as it was written).
        var header = [UInt8](repeating: 0, count: 16)
        let valid = existing > headerSize && header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 16, 0) } == 16
            && Array(header[0..<8]) == magic
            && header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self) } == UInt64(existing - headerSize)
        let size = valid ? existing : headerSize + capacity
        if !valid {
            // Blocks reserved now: a page of a sparse file mapped in memory would kill the process
            // (SIGBUS) when written on a full disk.
            let rc = posix_fallocate(fd, 0, off_t(size))
            if rc != 0 {
                Glibc.close(fd)
                throw .io(path: path, reason: "cannot reserve \(size >> 20) MiB for the journal: \(String(cString: strerror(rc)))")
            }
        }
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), base != MAP_FAILED else {
            Glibc.close(fd)
            throw .io(path: path, reason: "cannot map the journal: \(String(cString: strerror(errno)))")
        }
        let ringCapacity = size - headerSize
        var held = Walk(tail: 0, next: 1)
        var generation: UInt64 = 0
        if valid, let slot = activeSlot(base) {
            generation = slot.generation
            held = walk(base + headerSize, capacity: ringCapacity, from: slot.tail, expecting: slot.next)
        }
        let journal = CaptureJournal(path: path, fd: fd, base: base, capacity: ringCapacity, held: held, generation: generation)
        return (journal, held.entries)
    }

    private init(path: String, fd: Int32, base: UnsafeMutableRawPointer, capacity: Int, held: Walk, generation: UInt64) {
        self.path = path
        self.fd = fd
        self.base = base
        self.capacity = capacity
        nextNumber = held.next
        slotGeneration = generation
        head = held.head
        used = held.used
        open = held.sizes
        Self.magic.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: 8) }
        base.storeBytes(of: UInt64(capacity), toByteOffset: 8, as: UInt64.self)
        writeSlot(tail: held.tail, next: held.entries.first?.number ?? held.next)
    }

    deinit {
        munmap(base, Self.headerSize + capacity)
        close(fd)
    }

    /// True if the capture `directory` has a journal (a recorder ran there).
    public static func exists(in directory: String) -> Bool {
        FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent(fileName))
    }

    /// Keeps `message` and returns its number (nil if it did not fit: it is then in memory only).
    @discardableResult
    public func append(_ message: CapturedMessage) -> UInt64? {
        var topic = message.topic
        return topic.withUTF8 { topicBytes in
            message.payload.withUnsafeBytes { payload in
                append(time: message.time, topic: UnsafeRawBufferPointer(topicBytes), qos: message.qos, retain: message.retain,
                       payload: payload)
            }
        }
    }

    /// Keeps a message given by its parts, where they lie.
    public func append(time: UInt64, topic: UnsafeRawBufferPointer, qos: UInt8, retain: Bool,
                       payload: UnsafeRawBufferPointer) -> UInt64? {
        let length = topic.count + payload.count
        let size = (Self.entryHeader + length + 7) & ~7
        lock.lock()
        defer { lock.unlock() }
        let number = nextNumber
        // A message that would wrap leaves the end of the ring unused (a marker, when it has room).
        let waste = capacity - head < size ? capacity - head : 0
        guard size + waste <= capacity - used, length < Int(UInt32.max) else {
            skipped += 1
            return nil
        }
        if waste > 0 {
            if waste >= Self.entryHeader {
                (base + Self.headerSize + head).storeBytes(of: UInt32(Self.wrap), toByteOffset: 8, as: UInt32.self)
                atomicMemoryFence(ordering: .releasing)
                (base + Self.headerSize + head).storeBytes(of: number, as: UInt64.self)
            }
            head = 0
        }
        let at = base + Self.headerSize + head
        at.storeBytes(of: UInt32(length), toByteOffset: 8, as: UInt32.self)
        at.storeBytes(of: UInt32(topic.count), toByteOffset: 12, as: UInt32.self)
        at.storeBytes(of: time, toByteOffset: 16, as: UInt64.self)
        at.storeBytes(of: qos, toByteOffset: 24, as: UInt8.self)
        at.storeBytes(of: retain ? 1 : 0, toByteOffset: 25, as: UInt8.self)
        if topic.count > 0 { (at + Self.entryHeader).copyMemory(from: topic.baseAddress!, byteCount: topic.count) }
        if payload.count > 0 { (at + Self.entryHeader + topic.count).copyMemory(from: payload.baseAddress!, byteCount: payload.count) }
        // The number last: a message cut short by a kill has none, and ends the walk.
        atomicMemoryFence(ordering: .releasing)
        at.storeBytes(of: number, as: UInt64.self)
        head = (head + size) % capacity
        used += size + waste
        open.append((number, size + waste))
        nextNumber += 1
        return number
    }

    /// Frees every message numbered up to `number`: they are on disk in the capture.
    public func commit(through number: UInt64) {
        lock.lock()
        defer { lock.unlock() }
        var freed = false
        while openStart < open.count, open[openStart].number <= number {
            used -= open[openStart].bytes
            openStart += 1
            freed = true
        }
        guard freed else { return }
        if openStart > 4096, openStart * 2 > open.count {
            open.removeFirst(openStart)
            openStart = 0
        }
        writeSlot(tail: (head - used + capacity) % capacity, next: openStart < open.count ? open[openStart].number : nextNumber)
    }

    /// The number the next message will get.
    public var next: UInt64 {
        lock.lock()
        defer { lock.unlock() }
        return nextNumber
    }

    // MARK: - The header's two slots

    /// A slot: generation, tail offset, number expected at the tail, and a check of the three.
    private func writeSlot(tail: Int, next: UInt64) {
        slotGeneration += 1
        let slot = base + (slotGeneration % 2 == 0 ? 64 : 128)
        slot.storeBytes(of: UInt64(tail), toByteOffset: 8, as: UInt64.self)
        slot.storeBytes(of: next, toByteOffset: 16, as: UInt64.self)
        slot.storeBytes(of: Self.check(slotGeneration, UInt64(tail), next), toByteOffset: 24, as: UInt64.self)
        atomicMemoryFence(ordering: .releasing)
        slot.storeBytes(of: slotGeneration, as: UInt64.self)
    }

    private static func check(_ a: UInt64, _ b: UInt64, _ c: UInt64) -> UInt64 { (a &* 0x9E37_79B9_7F4A_7C15) ^ (b &+ 0x2545_F491) ^ (c << 1) }

    private static func activeSlot(_ base: UnsafeMutableRawPointer) -> (generation: UInt64, tail: Int, next: UInt64)? {
        var best: (generation: UInt64, tail: Int, next: UInt64)?
        for offset in [64, 128] {
            let s = base + offset
            let g = s.load(as: UInt64.self), t = s.load(fromByteOffset: 8, as: UInt64.self)
            let n = s.load(fromByteOffset: 16, as: UInt64.self), c = s.load(fromByteOffset: 24, as: UInt64.self)
            guard g > 0, c == check(g, t, n), g > best?.generation ?? 0 else { continue }
            best = (g, Int(t), n)
        }
        return best
    }

    /// What a walk of the ring found: the messages from the tail on, while each has the next
    /// number, and where they end.
    private struct Walk {
        var tail: Int
        var next: UInt64
        var head = 0
        var used = 0
        var entries: [Entry] = []
        var sizes: [(number: UInt64, bytes: Int)] = []

        init(tail: Int, next: UInt64) {
            self.tail = tail
            self.next = next
            head = tail
        }
    }

    private static func walk(_ ring: UnsafeMutableRawPointer, capacity: Int, from tail: Int, expecting first: UInt64) -> Walk {
        var w = Walk(tail: tail, next: first)
        var at = tail, waste = 0
        while w.used + waste < capacity {
            if capacity - at < entryHeader { waste += capacity - at; at = 0; continue }
            let p = ring + at
            guard p.load(as: UInt64.self) == w.next else { break }
            let length = p.load(fromByteOffset: 8, as: UInt32.self)
            if length == wrap { waste += capacity - at; at = 0; continue }
            let topicLength = Int(p.load(fromByteOffset: 12, as: UInt32.self))
            let size = (entryHeader + Int(length) + 7) & ~7
            guard topicLength <= Int(length), capacity - at >= size else { break }
            let topic = String(decoding: UnsafeRawBufferPointer(start: p + entryHeader, count: topicLength), as: UTF8.self)
            let payload = Array(UnsafeRawBufferPointer(start: p + entryHeader + topicLength, count: Int(length) - topicLength))
            let message = CapturedMessage(time: p.load(fromByteOffset: 16, as: UInt64.self), topic: topic,
                                          qos: p.load(fromByteOffset: 24, as: UInt8.self), retain: p.load(fromByteOffset: 25, as: UInt8.self) != 0,
                                          payload: payload)
            w.entries.append(Entry(number: w.next, message: message))
            w.sizes.append((w.next, size + waste))
            w.used += size + waste
            waste = 0
            w.next += 1
            at = (at + size) % capacity
            w.head = at
        }
        return w
    }
}
