import Capture
import Foundation

/// Messages decoded ahead of the reducer (a piece of a transaction), with the checkpoint that
/// committing them reaches.
struct Batch: Sendable {
    var messages: MessageBatch
    var checkpoint: Checkpoint
    /// True when the batch ends at what the capture held at the time (a followed capture may grow).
    var caughtUp = false
    /// True when the transaction ends with these messages: it holds `batchSize`, or caught up.
    var endsTransaction = false
}

/// Reads the capture and decodes on its own thread, handing batches to the projector.
final class BatchProducer: @unchecked Sendable {
    // @unchecked: the reader is used by this producer's thread only, from start until `finished`.
    let reader: CaptureReader
    let queue: HandOver<Batch>
    var checkpoint: Checkpoint
    /// The captures the reader merges.
    let paths: [String]
    /// One capture: its positions resume it (several are resumed by counting messages).
    var single: Bool { paths.count == 1 }
    /// Messages per transaction.
    let batchSize: Int
    /// Messages per hand-over to the reducer, at most (a transaction's last piece may be smaller).
    let piece: Int
    let follow: Bool
    let pollInterval: TimeInterval
    let shouldStop: @Sendable () -> Bool
    /// Messages received after this time are left out (a projection as of then).
    var until: UInt64?
    /// Ends a transaction before a message of another UTC day than its first (recorder events
    /// aside), for a store that writes transactions in parts: it makes the day's partition before
    /// the transaction begins, never inside it (where it would wait for other projectors'
    /// transactions while they wait for it). Captures are in time order, so most transactions
    /// end here only at midnight.
    var oneDayPerTransaction = false
    let finished = DispatchSemaphore(value: 0)

    init(reader: CaptureReader, queue: HandOver<Batch>, start: Checkpoint, paths: [String], batchSize: Int, piece: Int, follow: Bool,
         pollInterval: TimeInterval, shouldStop: @escaping @Sendable () -> Bool) {
        self.reader = reader
        self.queue = queue
        checkpoint = start
        self.paths = paths
        self.batchSize = batchSize
        self.piece = min(piece, batchSize)
        self.follow = follow
        self.pollInterval = pollInterval
        self.shouldStop = shouldStop
    }

    func run() {
        defer { queue.close(); finished.signal() }
        var messages = MessageBatch(capacity: piece)
        // Messages of the current transaction sent before `messages`.
        var sentOfTransaction = 0
        var sentAny = false
        var topics = TopicCache(captures: paths.count)
        // The day of the transaction's first event, with `oneDayPerTransaction`.
        var day: EventPartition?
        var cancelled = false
        func send(caughtUp: Bool = false, endingTransaction: Bool = false) -> Bool {
            sentAny = true
            if single, let last = messages.last, last.position != checkpoint.position {
                checkpoint.position = last.position
                checkpoint.fingerprint = last.position.fingerprint(inCapture: paths[0])
            }
            sentOfTransaction += messages.count
            let ends = caughtUp || endingTransaction || sentOfTransaction == batchSize
            if ends { sentOfTransaction = 0; day = nil }
            defer { messages = MessageBatch(capacity: min(piece, batchSize - sentOfTransaction)) }
            return queue.push(Batch(messages: messages, checkpoint: checkpoint, caughtUp: caughtUp, endsTransaction: ends))
        }
        while true {
            // Each message lent by the reader and decoded where it lies: no copy, no reference count.
            while let full = reader.nextView({ m -> Bool in
                if let until, m.time > until { return false }
                let message = IncomingMessage(id: checkpoint.idBase + checkpoint.events + 1, m, topics: &topics)
                if oneDayPerTransaction, !message.isRecorderEvent {
                    let its = EventPartition(time: Int64(bitPattern: m.time))
                    if let day, day != its, !send(endingTransaction: true) { cancelled = true; return false }
                    day = its
                }
                checkpoint.events += 1
                checkpoint.see(m.time)
                messages.append(message)
                return messages.isFull
            }) {
                if cancelled || full && !send() { return }
                if follow, shouldStop() { break }
            }
            // Caught up: whatever was read ends its transaction now, if only with an empty piece
            // (the last one may have been full without ending one), so that it is committed.
            if !messages.isEmpty || !sentAny || sentOfTransaction > 0 { if !send(caughtUp: true) { return } }
            if !follow || shouldStop() { return }
            Thread.sleep(forTimeInterval: pollInterval)
        }
    }
}
