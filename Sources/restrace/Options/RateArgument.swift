import ArgumentParser

/// A rate: `5%` or `0.05`.
struct RateArgument: ExpressibleByArgument {
    var value: Double
    init(value: Double) { self.value = value }
    init?(argument: String) {
        let percent = argument.hasSuffix("%")
        guard let v = Double(percent ? String(argument.dropLast()) : argument) else { return nil }
        value = percent ? v / 100 : v
        guard (0...1).contains(value) else { return nil }
    }
    var defaultValueDescription: String { "\(value * 100)%".replacingOccurrences(of: ".0%", with: "%") }
}
