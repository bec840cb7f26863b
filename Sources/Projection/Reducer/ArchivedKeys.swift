/// The keys whose latest attempt has left the reducer's memory, as a Bloom filter: 10 bits a key
/// whatever its strings (up to twice that while its newest filter fills), where a dictionary of
/// each key's attempt took some 30 bytes (plus a second table's worth while it grew), so that
/// memory does not grow with the tasks of a projection. A key it has not seen is said absent,
/// except for about 0.8 % of them; a key it has seen is never said absent. The reducer asks the
/// store only for keys it may hold (and `start` leaves their attempt number to the store to count).
///
/// It grows by adding filters, each twice as large as the one before, when the last one holds as
/// many keys as it was made for. Positions are drawn from the key's fold mixed with a seed drawn
/// per reducer, so that keys that collide cannot be prepared in advance (a collision only costs a
/// lookup in the store, never a wrong result).
struct ArchivedKeys: Sendable {
    private var filters: [Filter] = []
    private let seed = UInt64.random(in: .min ... .max)
    /// Keys added (a key added twice counts twice).
    private(set) var count = 0

    /// Bits a key, and positions a key sets: about 0.8 % false positives.
    static let bitsPerKey = 10, positions = 7
    /// The number of keys the first filter is made for.
    static let firstCapacity = 1 << 16

    private struct Filter: Sendable {
        var words: [UInt64]
        let capacity: Int
        var count = 0

        init(capacity: Int) {
            self.capacity = capacity
            words = Array(repeating: 0, count: max(1, capacity * ArchivedKeys.bitsPerKey / 64))
        }

        /// The `i`th bit position of a key: double hashing, `h1 + i·h2` (`h2` odd, drawn from `h1`).
        func bit(_ i: Int, _ h1: UInt64, _ h2: UInt64) -> (word: Int, mask: UInt64) {
            let bit = (h1 &+ UInt64(i) &* h2) % UInt64(words.count * 64)
            return (Int(bit / 64), 1 << (bit % 64))
        }

        mutating func insert(_ h1: UInt64, _ h2: UInt64) {
            for i in 0..<ArchivedKeys.positions {
                let (word, mask) = bit(i, h1, h2)
                words[word] |= mask
            }
            count += 1
        }

        func contains(_ h1: UInt64, _ h2: UInt64) -> Bool {
            (0..<ArchivedKeys.positions).allSatisfy { i in
                let (word, mask) = bit(i, h1, h2)
                return words[word] & mask != 0
            }
        }
    }

    mutating func insert(_ key: TaskKey) {
        if filters.last.map({ $0.count >= $0.capacity }) ?? true {
            filters.append(Filter(capacity: filters.last.map { $0.capacity * 2 } ?? Self.firstCapacity))
        }
        let (h1, h2) = hashes(of: key)
        filters[filters.count - 1].insert(h1, h2)
        count += 1
    }

    /// False when `key` was never inserted; true when it was (and for about 0.8 % of other keys).
    func mayContain(_ key: TaskKey) -> Bool {
        let (h1, h2) = hashes(of: key)
        return filters.contains { $0.contains(h1, h2) }
    }

    /// The bytes the filters take.
    var bytes: Int { filters.reduce(0) { $0 + $1.words.count * 8 } }

    /// The two words a key's positions are drawn from, once per key (not per position or filter).
    private func hashes(of key: TaskKey) -> (UInt64, UInt64) {
        let h1 = Self.mix(key.fold ^ seed)
        return (h1, Self.mix(h1) | 1)
    }

    /// A 64-bit finalizer (MurmurHash3's): every input bit changes about half the output bits.
    static func mix(_ x: UInt64) -> UInt64 {
        var x = x
        x ^= x >> 33; x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33; x &*= 0xc4ce_b9fe_1a85_ec53
        x ^= x >> 33
        return x
    }
}
