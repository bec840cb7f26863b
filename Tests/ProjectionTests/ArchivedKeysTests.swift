import Testing
@testable import Projection

/// The Bloom filter of archived keys: never says absent for a key it holds, rarely says present
/// for one it does not, and grows without losing what it held.
@Suite struct ArchivedKeysTests {
    private func key(_ i: Int, kind: TaskKind = .upload) -> TaskKey {
        TaskKey(product: "P\(i % 7)", device: "device-\(i / 50)", kind: kind, name: "file-\(i % 50).bin")
    }

    @Test func holdsEveryKeyItWasGivenAsItGrows() {
        var keys = ArchivedKeys()
        let n = ArchivedKeys.firstCapacity * 5  // three filters: 1, 2 and 4 times the first
        for i in 0..<n { keys.insert(key(i)) }
        #expect(keys.count == n)
        #expect((0..<n).allSatisfy { keys.mayContain(key($0)) })
        // About 1.2 bytes a key (10 bits, and room for up to twice as many as held).
        #expect(keys.bytes <= n * 3, "\(keys.bytes) bytes for \(n) keys")
    }

    @Test func saysPresentForFewKeysItWasNotGiven() {
        var keys = ArchivedKeys()
        let n = 100_000
        for i in 0..<n { keys.insert(key(i)) }
        // The same devices and names, the other kind; then other devices.
        let others = (0..<n).map { key($0, kind: .download) } + (n..<(2 * n)).map { key($0) }
        let present = others.filter { keys.mayContain($0) }.count
        #expect(present > 0, "no false positive at all in \(others.count): is the filter asked at all?")
        #expect(Double(present) / Double(others.count) < 0.03, "\(present) of \(others.count) said present")
    }

    @Test func anEmptyFilterHoldsNothing() {
        let keys = ArchivedKeys()
        #expect(!keys.mayContain(key(1)))
        #expect(keys.bytes == 0)
    }
}
