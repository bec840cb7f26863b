extension ProjectedEvent {
    /// The columns of `event_rows`, `id` first, then the others in the order `bind(into:)` binds them.
    static let columns = ["id", "time", "raw_topic", "topic_id", "type", "name", "task_id", "percent",
                          "state", "result_code", "payload_bytes", "position"]

    /// Binds `columns` but `id`, in their order (`BulkInsert` gives the id).
    func bind(into s: inout some RowBinder) {
        s.bind(time); s.bind(topic); s.bind(topicID); s.bind(type)
        s.bind(name); s.bind(taskID); s.bind(percent); s.bind(state); s.bind(resultCode); s.bind(payloadBytes); s.bind(position)
    }
}
