/// The values at given ranks (from 0, in ascending order) of a set of doubles too large to hold,
/// read in passes: a histogram of the values' top 16 bits locates each rank's bucket, then each
/// pass either collects the values of a bucket small enough (and sorts them) or narrows the
/// bucket by its next 16 bits. The result is exactly what sorting all of them would give, in
/// memory bounded by `collectLimit` values and a 64 Ki-entry histogram per bucket being narrowed.
///
/// Values are compared through an order-preserving 64-bit key (`key(_:)`); -0.0 counts as 0.0.
struct RankSelection {
    /// The values collected in one pass, at most: 16 MiB.
    static let defaultCollectLimit = 1 << 21

    /// One bucket of keys sharing their top `bits` bits (`prefix`), and the ranks wanted in it.
    private struct Bucket {
        var prefix: UInt64
        var bits: Int
        /// Values in the bucket.
        var count: Int
        /// (index of the rank asked for, rank within the bucket).
        var wanted: [(index: Int, rank: Int)]
        /// This pass: the values collected, or the histogram of the next 16 bits.
        var collected: [Double]?
        var histogram: [Int]?

        func holds(_ key: UInt64) -> Bool { bits == 0 || key >> (64 - bits) == prefix >> (64 - bits) }
    }

    private var buckets: [Bucket] = []
    private(set) var values: [Double?]
    private let collectLimit: Int

    /// The first pass's histogram (`topHistogram`, of every value as `tally` counts it) locates
    /// the `ranks`' buckets; `count` is its total.
    init(ranks: [Int], topHistogram: [Int], count: Int, collectLimit: Int = defaultCollectLimit) {
        values = [Double?](repeating: nil, count: ranks.count)
        self.collectLimit = collectLimit
        let whole = Bucket(prefix: 0, bits: 0, count: count,
                           wanted: ranks.enumerated().filter { $0.element >= 0 && $0.element < count }.map { ($0.offset, $0.element) })
        narrow(whole, by: topHistogram)
        plan()
    }

    /// True once every rank's value is known.
    var isDone: Bool { buckets.isEmpty }

    /// The order-preserving key of `v`: `key(a) < key(b)` exactly when `a < b` (for numbers).
    static func key(_ v: Double) -> UInt64 {
        let bits = (v + 0.0).bitPattern  // -0.0 + 0.0 is 0.0
        return bits >> 63 == 1 ? ~bits : bits | 1 << 63
    }

    static func value(ofKey k: UInt64) -> Double {
        Double(bitPattern: k >> 63 == 1 ? k & ~(1 << 63) : ~k)
    }

    /// The first pass's histogram bucket of `v`.
    private static func topDigit(_ v: Double) -> Int { Int(key(v) >> 48) }

    /// Counts `v` in a first pass's histogram (made on its first value).
    static func tally(_ v: Double, into histogram: inout [Int]) {
        if histogram.isEmpty { histogram = [Int](repeating: 0, count: 1 << 16) }
        histogram[topDigit(v)] += 1
    }

    /// Takes one value of the next pass.
    mutating func see(_ v: Double) {
        let k = Self.key(v)
        for i in buckets.indices where buckets[i].holds(k) {
            if buckets[i].collected != nil {
                buckets[i].collected!.append(v + 0.0)
            } else {
                buckets[i].histogram![Int(truncatingIfNeeded: (k << buckets[i].bits) >> 48)] += 1
            }
        }
    }

    /// Ends a pass: resolves the buckets collected, narrows the others, and plans the next pass.
    mutating func endPass() {
        let done = buckets
        buckets = []
        for var b in done {
            if var collected = b.collected {
                collected.sort()
                for w in b.wanted { values[w.index] = collected[w.rank] }
            } else {
                let histogram = b.histogram!
                b.histogram = nil
                narrow(b, by: histogram)
            }
        }
        plan()
    }

    /// Splits `b` by the histogram of its next 16 bits into the buckets holding its wanted ranks;
    /// a bucket whose 64 bits are all known is one value.
    private mutating func narrow(_ b: Bucket, by histogram: [Int]) {
        var below = 0
        var wanted = b.wanted.sorted { $0.rank < $1.rank }[...]
        for (digit, n) in histogram.enumerated() where n > 0 {
            var inside: [(index: Int, rank: Int)] = []
            while let w = wanted.first, w.rank < below + n {
                inside.append((w.index, w.rank - below))
                wanted.removeFirst()
            }
            if !inside.isEmpty {
                let prefix = b.prefix | UInt64(digit) << (48 - b.bits)
                if b.bits + 16 == 64 {
                    for w in inside { values[w.index] = Self.value(ofKey: prefix) }
                } else {
                    buckets.append(Bucket(prefix: prefix, bits: b.bits + 16, count: n, wanted: inside))
                }
            }
            below += n
            if wanted.isEmpty { break }
        }
    }

    /// Chooses what the next pass does with each bucket: collects the smallest while their values
    /// fit in `collectLimit`, narrows the rest by a histogram.
    private mutating func plan() {
        var room = collectLimit
        for i in buckets.indices.sorted(by: { buckets[$0].count < buckets[$1].count }) {
            if buckets[i].count <= room {
                room -= buckets[i].count
                buckets[i].collected = []
                buckets[i].collected!.reserveCapacity(buckets[i].count)
            } else {
                buckets[i].histogram = [Int](repeating: 0, count: 1 << 16)
            }
        }
    }
}
