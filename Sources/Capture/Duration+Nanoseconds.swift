/// Options and settings hold spans of time as `Duration`; capture times are whole nanoseconds
/// since the epoch (`UInt64`), so a span is turned into nanoseconds where it meets them.
extension Duration {
    /// Whole nanoseconds, clamped to `0...UInt64.max` (a negative span is none).
    public var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        let (sum, carry) = whole.addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        return carry ? .max : sum
    }

    /// Seconds as a `Double` (of the whole nanoseconds), for clocks and sleeps that take them.
    public var seconds: Double { Double(nanoseconds) / 1e9 }
}
