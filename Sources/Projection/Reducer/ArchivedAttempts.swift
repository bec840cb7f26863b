/// The latest attempt (id and number) of the keys whose tasks left memory most recently: what the
/// reducer needs to number a new attempt of them, or to read one back for a late message, without
/// asking the store. A key is held as one word (its device's slot, its name interned, its kind)
/// instead of its three strings: 32 bytes a key where a dictionary of `TaskKey`s took some 180.
/// The reducer empties it when it holds `TaskReducer.archivedInFull` keys; those it held stay in
/// `ArchivedKeys`, and the store numbers their next attempts.
struct ArchivedAttempts {
    private var names: [String: UInt32] = [:]
    private var attempts: [UInt64: Packed] = [:]

    private struct Packed {
        var id: Int64
        var attempt: Int32
    }

    var count: Int { attempts.count }

    mutating func removeAll() {
        names = [:]
        attempts = [:]
    }

    subscript(_ key: TaskKey, slot slot: Int) -> ArchivedAttempt? {
        guard let word = word(key, slot: slot), let p = attempts[word] else { return nil }
        return ArchivedAttempt(id: p.id, attempt: Int(p.attempt))
    }

    mutating func set(_ key: TaskKey, slot: Int, _ a: ArchivedAttempt) {
        let name: UInt32
        if let n = names[key.name] {
            name = n
        } else {
            name = UInt32(names.count)
            names[key.name] = name
        }
        attempts[Self.word(slot: slot, name: name, kind: key.kind)] = Packed(id: a.id, attempt: Int32(clamping: a.attempt))
    }

    @discardableResult
    mutating func remove(_ key: TaskKey, slot: Int) -> ArchivedAttempt? {
        guard let word = word(key, slot: slot), let p = attempts.removeValue(forKey: word) else { return nil }
        return ArchivedAttempt(id: p.id, attempt: Int(p.attempt))
    }

    private func word(_ key: TaskKey, slot: Int) -> UInt64? {
        names[key.name].map { Self.word(slot: slot, name: $0, kind: key.kind) }
    }

    private static func word(slot: Int, name: UInt32, kind: TaskKind) -> UInt64 {
        UInt64(truncatingIfNeeded: slot) << 32 | UInt64(name) << 1 | (kind == .upload ? 0 : 1)
    }
}
