import Foundation
import Testing
import TestSupport
@testable import Capture

/// The recorder's journal: what it keeps survives the process, and only what was not committed
/// comes back, in order, whole.
@Suite struct JournalTests {
    @Test func whatWasNotCommittedComesBackInOrderAfterTheProcessIsGone() throws {
        let dir = temporaryDirectory("journal")
        defer { cleanup(dir) }
        let messages = sampleMessages(count: 500) + [CapturedMessage(time: 1, topic: "$resource/up/service/P/é", payload: [])]
        do {
            let (journal, held) = try CaptureJournal.open(directory: dir, capacity: 1 << 20)
            #expect(held.isEmpty)
            for m in messages { #expect(journal.append(m) != nil) }
            journal.commit(through: 200)
        }  // unmapped without a word more, as a killed process leaves it
        let (journal, held) = try CaptureJournal.open(directory: dir, capacity: 1 << 20)
        #expect(held.map(\.message) == Array(messages[200...]))
        #expect(held.first?.number == 201 && journal.next == UInt64(messages.count + 1))
        journal.commit(through: held.last!.number)
        #expect(try CaptureJournal.open(directory: dir).1.isEmpty)  // its size is the file's, not the default
    }

    @Test func theRingWrapsAndAFullOneRefusesRatherThanOverwrites() throws {
        let dir = temporaryDirectory("journal-ring")
        defer { cleanup(dir) }
        let messages = sampleMessages(count: 3000)
        var (journal, _) = try CaptureJournal.open(directory: dir, capacity: 16 << 10)
        var committed: UInt64 = 0
        var numbers: [UInt64: CapturedMessage] = [:]
        for (i, m) in messages.enumerated() {
            if let n = journal.append(m) { numbers[n] = m } else {
                // Full: commit all but the last few, as a writer that caught up would.
                committed = journal.next - 5
                journal.commit(through: committed)
                let n = try #require(journal.append(m))
                numbers[n] = m
            }
            // Every so often the process dies: what comes back is exactly what was not committed.
            if i % 997 == 996 {
                let (j, held) = try CaptureJournal.open(directory: dir)
                #expect(held.map(\.number) == Array((committed + 1)..<journal.next))
                #expect(held.allSatisfy { numbers[$0.number] == $0.message })
                journal = j
            }
        }
        #expect(journal.skipped == 0)
        let (reopened, held) = try CaptureJournal.open(directory: dir)
        #expect(!held.isEmpty)
        for e in held { #expect(numbers[e.number] == e.message && e.number > committed) }
        #expect(held.map(\.number) == Array((committed + 1)..<reopened.next))
    }

    @Test func aMessageCutShortByAKillIsNotTakenForAWholeOne() throws {
        let dir = temporaryDirectory("journal-torn")
        defer { cleanup(dir) }
        let messages = sampleMessages(count: 10)
        do {
            let (journal, _) = try CaptureJournal.open(directory: dir, capacity: 1 << 16)
            for m in messages { journal.append(m) }
        }
        // The seventh message's number never got written: the walk ends before it.
        let path = dir + "/" + CaptureJournal.fileName
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        var offset = CaptureJournal.headerSize
        for m in messages.prefix(6) { offset += (CaptureJournal.entryHeader + m.topic.utf8.count + m.payload.count + 7) & ~7 }
        bytes.replaceSubrange(offset..<(offset + 8), with: [UInt8](repeating: 0, count: 8))
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(try CaptureJournal.open(directory: dir).1.map(\.message) == Array(messages.prefix(6)))
    }

    @Test func foldWritesWhatWasHeldOnceEvenIfSomeReachedTheCapture() throws {
        let dir = temporaryDirectory("journal-fold")
        defer { cleanup(dir) }
        let messages = sampleMessages(count: 300)
        do {
            let (journal, _) = try CaptureJournal.open(directory: dir, capacity: 1 << 20)
            let writer = try CaptureWriter(directory: dir)
            // The first 200 reach the file (a kill right after their chunk was written, before
            // the commit); the last 100 are only in the journal.
            for m in messages { journal.append(m) }
            for m in messages.prefix(200) { try writer.write(m) }
            try writer.flush()
        }
        let (journal, held) = try CaptureJournal.open(directory: dir)
        #expect(held.count == 300)
        let writer = try CaptureWriter(directory: dir)
        #expect(try journal.fold(held, into: writer) == 100)
        try writer.close()
        #expect(try readAll([dir]).entries.map(\.message) == messages)
        #expect(try CaptureJournal.open(directory: dir).1.isEmpty)
    }
}
