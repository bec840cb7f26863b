/// Devices by when they next have something due: a binary min-heap of (due, device index), with
/// one live entry per device (a newer entry makes the older one stale, skipped when it comes up).
struct DueQueue {
    private var heap: [(due: UInt64, index: Int)] = []
    private var latest: [Int: UInt64] = [:]

    /// Asks for device `index` at `due` (instead of any earlier request for it).
    mutating func schedule(_ index: Int, at due: UInt64) {
        latest[index] = due
        heap.append((due, index))
        var i = heap.count - 1
        while i > 0, heap[(i - 1) / 2].due > heap[i].due {
            heap.swapAt(i, (i - 1) / 2)
            i = (i - 1) / 2
        }
    }

    /// The earliest due time asked for, stale entries dropped.
    mutating func peek() -> UInt64? {
        while let top = heap.first, latest[top.index] != top.due { removeTop() }
        return heap.first?.due
    }

    /// The devices due by `now`, each once.
    mutating func takeDue(_ now: UInt64) -> [Int] {
        var out: [Int] = []
        while let due = peek(), due <= now {
            let index = heap[0].index
            removeTop()
            latest[index] = nil
            out.append(index)
        }
        return out
    }

    private mutating func removeTop() {
        heap.swapAt(0, heap.count - 1)
        heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count, heap[l].due < heap[m].due { m = l }
            if r < heap.count, heap[r].due < heap[m].due { m = r }
            if m == i { return }
            heap.swapAt(i, m)
            i = m
        }
    }
}
