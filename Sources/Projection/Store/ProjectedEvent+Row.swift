extension ProjectedEvent {
    /// The columns of `event_rows` in the order `bind(into:)` binds them.
    static let columns = ["id", "time", "raw_topic", "product", "device", "direction", "type", "name", "task_id", "percent",
                          "state", "result_code", "payload_bytes", "position"]

    /// Binds every column, in the order of `columns`.
    func bind(into s: inout BulkStatement) {
        s.bind(id); s.bind(time); s.bind(topic); s.bind(product); s.bind(device); s.bind(direction?.rawValue); s.bind(type)
        s.bind(name); s.bind(taskID); s.bind(percent); s.bind(state); s.bind(resultCode); s.bind(payloadBytes); s.bind(position)
    }
}
