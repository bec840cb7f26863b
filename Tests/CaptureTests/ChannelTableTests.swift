import Testing
@testable import Capture

/// The writer's channel table: one id per topic, QoS and retain flag, by the topic's bytes.
@Suite struct ChannelTableTests {
    private func id(_ table: ChannelTable, _ topic: String, qos: UInt8 = 0, retain: Bool = false) -> UInt16? {
        topic.withUTF8Bytes { table.id(of: $0, qos: qos, retain: retain) }
    }

    private func add(_ table: inout ChannelTable, _ topic: String, qos: UInt8 = 0, retain: Bool = false) -> UInt16 {
        topic.withUTF8Bytes { table.add($0, qos: qos, retain: retain) }
    }

    @Test func idsInTheOrderAddedAndFoundAgainAfterGrowing() {
        var table = ChannelTable()
        let topics = (0..<5000).map { "$resource/up/service/P\($0 % 7)/device-\($0)" }
        for (i, t) in topics.enumerated() {
            #expect(id(table, t) == nil)
            #expect(add(&table, t) == UInt16(i + 1))
        }
        #expect(table.count == 5000)
        for (i, t) in topics.enumerated() { #expect(id(table, t) == UInt16(i + 1)) }
        #expect(id(table, "$resource/up/service/P0/device-5000") == nil)
        #expect(id(table, "$resource/up/service/P0/device-") == nil)
    }

    @Test func qosRetainAndSpellingMakeDifferentChannels() {
        var table = ChannelTable()
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"  // equal as Swift strings, not as bytes
        #expect(composed == decomposed)
        let a = add(&table, composed)
        #expect(id(table, decomposed) == nil)
        let b = add(&table, decomposed)
        let c = add(&table, composed, qos: 1)
        let d = add(&table, composed, qos: 1, retain: true)
        let e = add(&table, "")
        #expect(Set([a, b, c, d, e]).count == 5)
        #expect(id(table, composed) == a && id(table, decomposed) == b && id(table, "") == e)
        #expect(id(table, composed, qos: 1) == c && id(table, composed, qos: 1, retain: true) == d)
        #expect(id(table, composed, qos: 2) == nil)
    }
}
