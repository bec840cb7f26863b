import Testing
@testable import ResourceProtocol

@Suite struct ResourceTopicTests {
    @Test(arguments: [
        ("$resource/up/service/TESTPROD01/dev_1", Direction.up, "TESTPROD01", "dev_1"),
        ("$resource/down/service/P2/a-b.c", Direction.down, "P2", "a-b.c"),
        ("$resource/up/service/P/设备-七", Direction.up, "P", "设备-七"),
    ])
    func parsesAndFormats(topic: String, direction: Direction, product: String, device: String) throws {
        let t = try ResourceTopic(parsing: topic)
        #expect(t.direction == direction)
        #expect(t.product == product)
        #expect(t.device == device)
        #expect(t.description == topic)
        #expect(try ResourceTopic(parsing: t.reversed.description).reversed == t)
    }

    @Test func rejectsEveryBadShape() {
        let cases: [(String, ResourceTopicError)] = [
            ("$resource/up/service/P", .tooShort("$resource/up/service/P", levels: 4)),
            ("$resource/up/service/P/D/x", .tooLong("$resource/up/service/P/D/x", levels: 6)),
            ("$resource/sideways/service/P/D", .unknownDirection("$resource/sideways/service/P/D", "sideways")),
            ("$resource/up/servce/P/D", .unknownVerb("$resource/up/servce/P/D", "servce")),
            ("$resource/up/service//D", .emptySegment("$resource/up/service//D", "product")),
            ("$resource/up/service/P/", .emptySegment("$resource/up/service/P/", "device")),
            ("other/up/service/P/D", .notResource("other/up/service/P/D")),
            ("", .notResource("")),
            ("$resource", .tooShort("$resource", levels: 1)),
            ("$resourcex/up/service/P/D", .notResource("$resourcex/up/service/P/D")),
            ("$resourc/up/service/P/D", .notResource("$resourc/up/service/P/D")),
            ("/$resource/up/service/P/D", .notResource("/$resource/up/service/P/D")),
            ("$resource/upx/service/P/D", .unknownDirection("$resource/upx/service/P/D", "upx")),
            ("$resource//service/P/D", .unknownDirection("$resource//service/P/D", "")),
            ("$resource/up/service/P/D/", .tooLong("$resource/up/service/P/D/", levels: 6)),
            ("$resource/up/SERVICE/P/D", .unknownVerb("$resource/up/SERVICE/P/D", "SERVICE")),
        ]
        for (topic, expected) in cases {
            #expect(throws: expected) { try ResourceTopic(parsing: topic) }
        }
    }
}
