import Capture
import ResourceProtocol

/// The well-formed topics seen, each with the id of its row in `topics`: an event stores that id
/// instead of its direction, product and device. Found by topic number (`ParsedTopic.number`) for
/// most messages, by hashing the topic the first time a number is seen.
struct TopicTable {
    /// A topic, byte for byte.
    private struct Key: Hashable {
        var direction: Direction
        var device: DeviceKey

        init(_ t: ResourceTopic) {
            direction = t.direction
            device = DeviceKey(product: t.product, device: t.device)
        }
    }
    private var ids: [Key: Int64] = [:]
    /// By topic number, the topic's id, or 0.
    private var idByNumber: [Int64] = []
    private var nextID: Int64 = 1
    /// Topics seen since the last drain, for the store.
    private var new: [TopicRow] = []

    /// `rows` are the topics known; new ones are numbered after them, and after `idBase`.
    init(_ rows: [TopicRow] = [], idBase: Int64 = 0) {
        nextID = idBase + 1
        for r in rows {
            ids[Key(r.topic)] = r.id
            nextID = max(nextID, r.id + 1)
        }
    }

    /// The id of topic `t`, whose number is `number` (or -1).
    mutating func id(of t: ResourceTopic, number: Int) -> Int64 {
        if number >= 0, number < idByNumber.count, idByNumber[number] > 0 { return idByNumber[number] }
        let key = Key(t)
        let id = ids[key] ?? {
            let id = nextID
            nextID += 1
            ids[key] = id
            new.append(TopicRow(id: id, topic: t))
            return id
        }()
        if number >= 0 {
            if number >= idByNumber.count { idByNumber += repeatElement(0, count: number - idByNumber.count + 1) }
            idByNumber[number] = id
        }
        return id
    }

    /// The topics seen for the first time since the last call.
    mutating func drain() -> [TopicRow] {
        defer { new.removeAll() }
        return new
    }
}
