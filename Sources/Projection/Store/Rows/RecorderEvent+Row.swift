extension RecorderEvent {
    /// The columns of `recorder_events` a row gives (its `id` is the database's), in `bind(into:)`'s order.
    static let columns = ["time", "event", "detail"]

    func bind(into s: inout some RowBinder) { s.bind(time); s.bind(event); s.bind(detail) }
}
