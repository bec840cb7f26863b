import Foundation

/// A bounded queue between the library's network thread and the consumer.
///
/// `put` never does I/O; it waits only when the queue holds `capacity` bytes (back-pressure that
/// TCP carries to the broker), so memory stays bounded when the disk is slower than the network.
final class EventQueue: @unchecked Sendable {
    // @unchecked: every field is only touched with `condition` locked.
    private let condition = NSCondition()
    private var items: [BrokerEvent] = []
    private var bytes = 0
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// The bytes queued now (an estimate per event, as counted against the capacity).
    var queuedBytes: Int { condition.lock(); defer { condition.unlock() }; return bytes }

    func put(_ event: BrokerEvent) {
        let size = Self.size(event)
        condition.lock()
        while bytes > 0, bytes + size > capacity { condition.wait() }
        items.append(event)
        bytes += size
        // Wake the consumer only when the queue stops being empty: one wake-up per batch, not per message.
        if items.count == 1 { condition.broadcast() }
        condition.unlock()
    }

    /// Everything queued, waiting up to `timeout` seconds for the first event.
    func takeAll(timeout: Double) -> [BrokerEvent] {
        condition.lock()
        defer { condition.unlock() }
        if items.isEmpty { _ = condition.wait(until: Date(timeIntervalSinceNow: timeout)) }
        let out = items
        items.removeAll(keepingCapacity: true)
        bytes = 0
        condition.broadcast()
        return out
    }

    private static func size(_ e: BrokerEvent) -> Int {
        if case .message(let m) = e { return m.payload.count + m.topic.utf8.count + 64 }
        return 64
    }
}
