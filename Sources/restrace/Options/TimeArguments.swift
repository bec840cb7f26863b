import ArgumentParser
import Capture

/// A time on the command line: RFC 3339 (`2026-11-26T18:22:39Z`) or relative to the capture's
/// start (`+90s`, `+5m`).
enum TimeArgument: ExpressibleByArgument, Sendable {
    case absolute(UInt64)
    case relative(UInt64)

    init?(argument: String) {
        if argument.hasPrefix("+") {
            guard let d = DurationArgument(argument: String(argument.dropFirst())) else { return nil }
            self = .relative(d.nanoseconds)
        } else if let t = Timestamp.parse(argument) {
            self = .absolute(t)
        } else {
            return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// ns since the epoch, given the capture's first message time for relative forms.
    func resolve(start: UInt64?) -> UInt64 {
        switch self {
        case .absolute(let t): t
        case .relative(let d): (start ?? 0) + d
        }
    }

    static let forms = "RFC 3339 such as 2026-11-26T18:22:39Z, or +90s / +5m from the capture start"
}

/// A duration: `250ms`, `90s`, `5m`, `2h` (a bare number is seconds).
struct DurationArgument: ExpressibleByArgument, Sendable {
    var nanoseconds: UInt64
    init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    init?(argument: String) {
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86400e9)]
        var text = Substring(argument)
        var scale = 1e9
        for (suffix, s) in units where text.hasSuffix(suffix) {
            text = text.dropLast(suffix.count)
            scale = s
            break
        }
        guard let v = Double(text), v.isFinite, v >= 0, v * scale < 1.8e19 else { return nil }
        nanoseconds = UInt64(v * scale)
    }

    var duration: Duration { .nanoseconds(nanoseconds) }
    static let forms = "250ms, 90s, 5m or 2h"

    /// How `--help` shows a default: `10m`, `120s`, `250ms`.
    var defaultValueDescription: String {
        for (unit, size) in [("h", 3_600_000_000_000), ("m", 60_000_000_000), ("s", 1_000_000_000), ("ms", 1_000_000)] as [(String, UInt64)]
        where nanoseconds >= size && nanoseconds % size == 0 {
            return "\(nanoseconds / size)\(unit)"
        }
        return "\(nanoseconds)ns"
    }
}
