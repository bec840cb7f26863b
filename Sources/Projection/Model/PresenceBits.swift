/// Which of a row's optional numbers are there, one bit each: a row in memory keeps its optional
/// numbers as plain numbers beside these bits, 8 bytes each where an `Int64?` takes 16 once
/// aligned (`TransferTask`, `ProjectedEvent`).
struct PresenceBits: Sendable, Equatable {
    private var bits: UInt8 = 0

    /// `value` if `bit` says it is there.
    func read<T: BinaryInteger>(_ value: T, _ bit: UInt8) -> T? { bits & bit != 0 ? value : nil }

    /// Stores `new` in `value` (0 when nil, so that equal rows are equal field by field).
    mutating func write<T: BinaryInteger>(_ new: T?, to value: inout T, _ bit: UInt8) {
        value = new ?? 0
        bits = new == nil ? bits & ~bit : bits | bit
    }
}
