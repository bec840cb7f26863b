import Testing
@testable import Projection

/// The day partitions of PostgreSQL's `event_rows`: which day an event's time falls in, the
/// partition's name and bounds, and the bound read back from the catalogue.
@Suite struct EventPartitionTests {
    let day = EventPartition.dayLength

    @Test func aTimeFallsInItsUTCDay() {
        let midnight26: Int64 = 1_795_651_200_000_000_000  // 2026-11-26T00:00:00Z
        let noon26 = midnight26 + day / 2
        #expect(EventPartition(time: noon26).name == "event_rows_20261126")
        #expect(EventPartition(time: midnight26).name == "event_rows_20261126")
        #expect(EventPartition(time: midnight26 - 1).name == "event_rows_20261125")
        #expect(EventPartition(time: 0).day == 0 && EventPartition(time: 0).name == "event_rows_19700101")
        // Before the epoch (a clock set wrong, stored as a signed bigint): floor, not truncation.
        #expect(EventPartition(time: -1).day == -1 && EventPartition(time: -day).day == -1 && EventPartition(time: -day - 1).day == -2)
        #expect(EventPartition(time: -1).name == "event_rows_day_m1")
        let p = EventPartition(time: noon26)
        #expect(p.bounds == ("1795651200000000000", "1795737600000000000"))
    }

    @Test func theEndsOfBigintAreOpenBounds() {
        #expect(EventPartition(time: .max).bounds.to == "MAXVALUE")
        #expect(EventPartition(time: .min).bounds.from == "MINVALUE")
        #expect(EventPartition(time: .max).name == "event_rows_22620411")
        #expect(EventPartition(time: .min).createStatement.contains("FROM (MINVALUE) TO ("))
    }

    @Test func theUpperBoundIsReadFromTheCatalogue() {
        #expect(EventPartition.upperBound("FOR VALUES FROM ('1795680000000000000') TO ('1795766400000000000')") == 1_795_766_400_000_000_000)
        #expect(EventPartition.upperBound("FOR VALUES FROM (1795680000000000000) TO (1795766400000000000)") == 1_795_766_400_000_000_000)
        #expect(EventPartition.upperBound("FOR VALUES FROM ('-172800000000000') TO ('-86400000000000')") == -86_400_000_000_000)
        #expect(EventPartition.upperBound("FOR VALUES FROM ('9223372036800000000') TO (MAXVALUE)") == nil)
    }
}
