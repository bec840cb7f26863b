import Capture
import Foundation
import Testing
import TestSupport
@testable import Projection

/// The reducer's per-second counts: whatever order the seconds come in, each second's counts add
/// up, and a drain hands them all over once.
@Suite struct TrafficCounterTests {
    @Test func secondsInAnyOrderAddUpAndDrainOnce() {
        var counter = TrafficCounter()
        let seconds: [Int64] = [5, 5, 6, 5, 7, 7, 6, 100, 5]
        for (i, s) in seconds.enumerated() {
            counter[s].count(i % 2 == 0 ? .up : .down, bytes: 10 + i)
            counter[s].started.upload += 1
        }
        #expect(counter[5].upMessages + counter[5].downMessages == 4)  // read without moving
        let drained = counter.drain()
        #expect(drained.keys.sorted() == [5, 6, 7, 100])
        for (s, t) in drained {
            let mine = seconds.enumerated().filter { $0.element == s }
            #expect(t.upMessages == Int64(mine.filter { $0.offset % 2 == 0 }.count))
            #expect(t.downMessages == Int64(mine.filter { $0.offset % 2 == 1 }.count))
            #expect(t.upBytes + t.downBytes == Int64(mine.map { 10 + $0.offset }.reduce(0, +)))
            #expect(t.started.upload == Int64(mine.count))
        }
        #expect(counter.drain().isEmpty)
        counter[6].uploadBytes += 3
        #expect(counter.drain() == [6: { var t = Traffic(); t.uploadBytes = 3; return t }()])
    }
}

/// Work on a thread of its own: its value, or its error, comes back to whoever waits, as often as asked.
@Suite struct OnItsOwnThreadTests {
    struct Failure: Error, Equatable {}

    @Test func givesBackTheValueOrTheError() throws {
        let caller = pthread_self()
        let value = OnItsOwnThread { () -> Bool in pthread_equal(pthread_self(), caller) == 0 }
        #expect(try value.get())
        #expect(try value.get())
        let failing = OnItsOwnThread { () throws -> Int in throw Failure() }
        #expect(throws: Failure.self) { try failing.get() }
    }
}

/// A task's key: equal when every field has the same bytes (then hashed alike), different when
/// any differs, however the bytes are split between the fields.
@Suite struct TaskKeyTests {
    @Test func equalBytesEqualKeysAnyDifferenceDifferentKeys() {
        let long = String(repeating: "x", count: 40)
        let base = [("P", "dev", TaskKind.upload, "facé.jpg"), ("P1", long, .download, long + "é")]
        for (p, d, k, n) in base {
            let a = TaskKey(product: p, device: d, kind: k, name: n)
            let b = TaskKey(product: String(p.utf8.map { Character(UnicodeScalar($0)) }), device: d + "", kind: k, name: "\(n)")
            #expect(a == b)
            #expect(a.hashValue == b.hashValue)
            let others = [TaskKey(product: p + "x", device: d, kind: k, name: n), TaskKey(product: p, device: d + "x", kind: k, name: n),
                          TaskKey(product: p, device: d, kind: k == .upload ? .download : .upload, name: n),
                          TaskKey(product: p, device: d, kind: k, name: n + "x"),
                          TaskKey(product: p, device: d, kind: k, name: n.replacingOccurrences(of: "é", with: "e\u{0301}")),
                          TaskKey(product: p + String(d.first!), device: String(d.dropFirst()), kind: k, name: n)]
            for o in others { #expect(o != a, "\(o)") }
            #expect(Set(others + [a]).count == others.count + 1)
        }
    }
}

/// Topics parsed once per channel and file: each message gets its own topic, the cache keeps one
/// file per capture being read, however many files a capture has, and a topic keeps its number
/// from file to file (the reducer's tables are indexed by it).
@Suite struct TopicCacheTests {
    @Test func eachMessageGetsItsTopicAndFewFilesAreKept() throws {
        let dir = temporaryDirectory("topics")
        defer { cleanup(dir) }
        var options = CaptureWriter.Options()
        options.chunkSize = 2 << 10
        options.segmentSize = 4 << 10
        for (capture, product) in [("a", "PA"), ("b", "PB")] {
            let w = try CaptureWriter(directory: dir + "/" + capture, options: options)
            for i in 0..<3000 {
                try w.write(CapturedMessage(time: UInt64(1_000 + 2 * i + (capture == "a" ? 0 : 1)),
                                            topic: "$resource/up/service/\(product)/dev\(i % 7)", payload: Array(#"{"i":\#(i)}"#.utf8)))
            }
            try w.close()
        }
        #expect(try CaptureSource.files(of: dir + "/a").count > 3)
        for paths in [[dir + "/a"], [dir + "/a", dir + "/b"]] {
            let reader = try CaptureReader(paths: paths)
            var cache = TopicCache(captures: paths.count)
            var seen = 0, mostKept = 0
            var numbers: [String: Set<Int>] = [:]
            while let ok = reader.nextView({ m -> Bool in
                let topic = cache.parse(m)
                numbers[m.topic, default: []].insert(topic.number)
                mostKept = max(mostKept, cache.filesKept)
                return (try? topic.parsed.get())?.description == m.topic
            }) {
                #expect(ok)
                seen += 1
            }
            #expect(seen == 3000 * paths.count)
            #expect(mostKept <= paths.count)
            #expect(numbers.count == 7 * paths.count && numbers.values.allSatisfy { $0.count == 1 })
            #expect(Set(numbers.values.flatMap { $0 }) == Set(0..<numbers.count))
        }
    }
}
