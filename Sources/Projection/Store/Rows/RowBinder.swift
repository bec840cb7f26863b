import Capture

/// Where a row's values go, column by column in the table's order: an SQLite statement
/// (`BulkStatement`) or PostgreSQL's COPY text (`CopyRows`). Each row type binds itself once,
/// for both stores (`TransferTask.bind(into:)`, `ProjectedEvent.bind(into:)`).
protocol RowBinder {
    mutating func bind(_ v: Int64?)
    /// Not finite: NULL.
    mutating func bind(_ v: Double?)
    mutating func bind(_ v: String?)
    /// As text, `FILE@CHUNK_OFFSET#INDEX` (`CapturePosition.description`).
    mutating func bind(_ p: CapturePosition)
}

extension RowBinder {
    mutating func bind(_ v: Int?) { bind(v.map(Int64.init)) }
    /// Times and unsigned counts as their bit pattern.
    mutating func bind(_ v: UInt64?) { bind(v.map { Int64(bitPattern: $0) }) }
}
