import Foundation

/// A bounded hand-over between two threads: the reader and the reducer, the reducer and the writer.
final class HandOver<Item: Sendable>: @unchecked Sendable {
    // @unchecked: every field is only touched with `condition` locked.
    private let condition = NSCondition()
    private var items: [Item] = []
    private var closed = false
    private var cancelled = false
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; false if the consumer gave up.
    func push(_ b: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity, !cancelled { condition.wait() }
        guard !cancelled else { return false }
        items.append(b)
        condition.broadcast()
        return true
    }

    /// The next item, or nil once the sender closed the queue and it is empty (or gave up).
    func pop() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty, !closed { condition.wait() }
        guard !items.isEmpty else { return nil }
        condition.broadcast()
        return items.removeFirst()
    }

    func close() { condition.lock(); closed = true; condition.broadcast(); condition.unlock() }
    func cancel() { condition.lock(); cancelled = true; items.removeAll(); condition.broadcast(); condition.unlock() }
}
