import Capture
import ResourceProtocol

/// The devices seen, each in a slot: one hash per message finds its device, and the devices
/// changed since the last drain are listed by slot, not hashed again into a set.
struct DeviceTable {
    private var slots: [DeviceKey: Int] = [:]
    /// By topic number (`ParsedTopic.number`), the device's slot, or -1: found by index, the slot
    /// of most messages costs no hash of their product and device.
    private var slotByTopic: [Int] = []
    private var stats: [DeviceStats] = []
    private var changed: [Bool] = []
    private var changedSlots: [Int] = []

    init(_ devices: [DeviceStats] = []) {
        for d in devices {
            slots[DeviceKey(product: d.product, device: d.device)] = stats.count
            stats.append(d)
            changed.append(false)
        }
    }

    /// Counts a message from the topic's device at `time` (a poll with `poll`); returns its slot.
    /// `number` is the topic's (`ParsedTopic.number`), or -1.
    mutating func see(_ t: ResourceTopic, number: Int, at time: UInt64, poll: Bool) -> Int {
        if number >= 0, number < slotByTopic.count, slotByTopic[number] >= 0 {
            let slot = slotByTopic[number]
            see(slot: slot, at: time, poll: poll)
            return slot
        }
        let slot = see(t, at: time, poll: poll)
        if number >= 0 {
            if number >= slotByTopic.count { slotByTopic += repeatElement(-1, count: number - slotByTopic.count + 1) }
            slotByTopic[number] = slot
        }
        return slot
    }

    private mutating func see(_ t: ResourceTopic, at time: UInt64, poll: Bool) -> Int {
        let slot: Int
        if let s = slots[DeviceKey(product: t.product, device: t.device)] {
            slot = s
        } else {
            slot = stats.count
            slots[DeviceKey(product: t.product, device: t.device)] = slot
            stats.append(DeviceStats(product: t.product, device: t.device, firstSeen: time, lastSeen: time))
            changed.append(false)
        }
        see(slot: slot, at: time, poll: poll)
        return slot
    }

    /// The slot of a device known from a stored task (added unchanged if the devices table lacks it).
    mutating func slot(of key: TaskKey, firstSeen: UInt64) -> Int {
        if let s = slots[DeviceKey(product: key.product, device: key.device)] { return s }
        slots[DeviceKey(product: key.product, device: key.device)] = stats.count
        stats.append(DeviceStats(product: key.product, device: key.device, firstSeen: firstSeen, lastSeen: firstSeen))
        changed.append(false)
        return stats.count - 1
    }

    mutating func see(slot: Int, at time: UInt64, poll: Bool) {
        stats[slot].see(at: time, poll: poll)
        markChanged(slot)
    }

    /// The device's unanswered poll, which an offer answers (it is gone afterwards).
    mutating func takePendingPoll(slot: Int) -> UInt64? {
        guard let poll = stats[slot].pendingPoll else { return nil }
        stats[slot].pendingPoll = nil
        markChanged(slot)
        return poll
    }

    /// The devices changed since the last call, by slot: those it was made with, then the others
    /// in the order they were first seen.
    mutating func drain() -> [DeviceStats] {
        changedSlots.sort()
        let out = changedSlots.map { stats[$0] }
        for s in changedSlots { changed[s] = false }
        changedSlots.removeAll(keepingCapacity: true)
        return out
    }

    private mutating func markChanged(_ slot: Int) {
        if !changed[slot] {
            changed[slot] = true
            changedSlots.append(slot)
        }
    }
}

/// A device, byte for byte: product and device compared and hashed as UTF-8 bytes.
struct DeviceKey: Hashable {
    var product: String
    var device: String

    static func == (a: DeviceKey, b: DeviceKey) -> Bool { a.device.hasSameUTF8(as: b.device) && a.product.hasSameUTF8(as: b.product) }

    func hash(into hasher: inout Hasher) {
        product.hashUTF8(into: &hasher)
        device.hashUTF8(into: &hasher)
    }
}

/// A value per device slot and kind of transfer, found by index: `_rsp` messages look up their
/// device's tasks here without hashing its product and device again.
struct PerDeviceKind<Value: Sendable>: Sendable {
    private var values: [Value] = []
    private let empty: Value

    init(empty: Value) { self.empty = empty }

    subscript(slot: Int, kind: TaskKind) -> Value {
        get {
            let i = 2 * slot + (kind == .upload ? 0 : 1)
            return i < values.count ? values[i] : empty
        }
        set {
            let i = 2 * slot + (kind == .upload ? 0 : 1)
            if i >= values.count { values += repeatElement(empty, count: i - values.count + 1) }
            values[i] = newValue
        }
    }
}
