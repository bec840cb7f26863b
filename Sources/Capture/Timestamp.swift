/// RFC 3339 UTC times to and from ns since the Unix epoch, exactly (no floating point).
public enum Timestamp {
    /// `2026-11-26T18:22:39.768482899Z` with `fractionDigits` digits (0, 3 or 9).
    public static func format(_ ns: UInt64, fractionDigits: Int = 9) -> String {
        String(unsafeUninitializedCapacity: 31) { write(ns, fractionDigits: fractionDigits, into: $0) }
    }

    /// Appends `format(ns, fractionDigits:)` as UTF-8 (no String made: reports write millions).
    public static func append(_ ns: UInt64, fractionDigits: Int = 9, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 31) { buf in
            let n = write(ns, fractionDigits: fractionDigits, into: buf)
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[..<n]))
        }
    }

    /// Writes the text digit by digit into `buf` (31 bytes at least); returns its length.
    private static func write(_ ns: UInt64, fractionDigits: Int, into buf: UnsafeMutableBufferPointer<UInt8>) -> Int {
        let seconds = Int64(ns / 1_000_000_000)
        let days = seconds / 86400  // ns is unsigned: never before 1970, never past year 2554
        let secs = Int(seconds - days * 86400)
        let (y, m, d) = civil(fromDays: days)
        let digits = min(9, max(0, fractionDigits))
        var fraction = Int(ns % 1_000_000_000)
        for _ in 0..<(9 - digits) { fraction /= 10 }
        var i = 0
        func put(_ value: Int, _ width: Int) {
            var v = value
            for k in stride(from: width - 1, through: 0, by: -1) { buf[i + k] = UInt8(48 + v % 10); v /= 10 }
            i += width
        }
        func put(_ c: Character) { buf[i] = c.asciiValue!; i += 1 }
        put(Int(y), 4); put("-"); put(m, 2); put("-"); put(d, 2); put("T")
        put(secs / 3600, 2); put(":"); put(secs / 60 % 60, 2); put(":"); put(secs % 60, 2)
        if digits > 0 { put("."); put(fraction, digits) }
        put("Z")
        return i
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; a space may stand for the `T`.
    public static func parse(_ text: String) -> UInt64? {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var v = 0
            for k in from..<from + len {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                v = v * 10 + Int(b[k] - 0x30)
            }
            return v
        }
        guard let y = num(0, 4), b[4] == UInt8(ascii: "-"), let mo = num(5, 2), b[7] == UInt8(ascii: "-"),
              let d = num(8, 2), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") || b[10] == UInt8(ascii: " "),
              let h = num(11, 2), b[13] == UInt8(ascii: ":"), let mi = num(14, 2), b[16] == UInt8(ascii: ":"),
              let s = num(17, 2), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        var i = 19
        var fraction: UInt64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if digits < 9 { fraction = fraction * 10 + UInt64(b[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(9, digits) where digits < 9 { fraction *= 10 }
        }
        var offsetSeconds = 0
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == UInt8(ascii: ":"), let om = num(i + 4, 2) else { return nil }
            offsetSeconds = (oh * 3600 + om * 60) * (b[i] == UInt8(ascii: "+") ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = daysFromCivil(Int64(y), mo, d)
        let total = days * 86400 + Int64(h * 3600 + mi * 60 + s) - Int64(offsetSeconds)
        guard total >= 0 else { return nil }
        return UInt64(total) * 1_000_000_000 + fraction
    }

    /// Parses `1795717359.768482899` (seconds with up to 9 decimals), as `mosquitto_sub -F %U` prints.
    public static func parseUnixSeconds<S: StringProtocol>(_ text: S) -> UInt64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let secs = UInt64(parts[0]) else { return nil }
        var frac: UInt64 = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard !digits.isEmpty, digits.count <= 9, let f = UInt64(digits) else { return nil }
            frac = f
            for _ in digits.count..<9 { frac *= 10 }
        }
        let (m, o) = secs.multipliedReportingOverflow(by: 1_000_000_000)
        return o ? nil : m + frac
    }

    // Howard Hinnant's days-from-civil algorithms.
    private static func civil(fromDays z0: Int64) -> (Int64, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = Int(doy - (153 * mp + 2) / 5 + 1)
        let m = Int(mp < 10 ? mp + 3 : mp - 9)
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    private static func daysFromCivil(_ y0: Int64, _ m: Int, _ d: Int) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mm = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mm + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }
}
