import Testing
@testable import Capture

/// The table-driven CRC (16 bytes a turn) against the check value and a bit-by-bit reference.
@Suite struct CRC32Tests {
    /// CRC-32 one bit at a time, straight from the polynomial.
    private func reference(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = ~0
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }

    @Test func theCheckValueOfTheStandard() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    @Test func everyLengthAndEveryStartAgreeWithTheReference() {
        var seed: UInt64 = 0x1234_5678
        let bytes = (0..<300).map { _ -> UInt8 in
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: seed >> 33)
        }
        for start in 0..<17 {
            for length in 0...(bytes.count - start) where length < 40 || length % 7 == 0 {
                let slice = Array(bytes[start..<(start + length)])
                #expect(CRC32.checksum(bytes[start..<(start + length)]) == reference(slice), "start \(start) length \(length)")
            }
        }
    }

    @Test func updatesInPiecesEqualOneUpdate() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ $0 >> 3) }
        for cut in [0, 1, 15, 16, 17, 500, 999, 1000] {
            var c = CRC32()
            c.update(bytes[..<cut])
            c.update(bytes[cut...])
            #expect(c.value == reference(bytes), "cut at \(cut)")
        }
    }
}
