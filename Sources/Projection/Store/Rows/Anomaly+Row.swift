extension Anomaly {
    /// The columns of `anomalies` a row gives (its `id` is the database's), in `bind(into:)`'s order.
    static let columns = ["kind", "time", "topic", "product", "device", "event_id", "position", "task_id", "detail"]

    func bind(into s: inout some RowBinder) {
        s.bind(kind.rawValue); s.bind(time); s.bind(topic); s.bind(product); s.bind(device); s.bind(eventID); s.bind(position)
        s.bind(taskID); s.bind(detail)
    }
}
